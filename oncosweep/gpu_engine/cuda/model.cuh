// oncosweep: read-only view of a packed CompiledModel (see layout.cuh) and the output
// addresses of a chunk. Both are tiny structs of pointers passed by value to every function.
#pragma once

#include "compat.cuh"
#include "layout.cuh"

struct OsModel {
  const double* f;
  const int64_t* i;

  OS_HD int64_t get(int index) const { return i[index]; }
  OS_HD double getf(int index) const { return f[index]; }

#define OS_X(name) \
  OS_HD int64_t name() const { return i[OSI_##name]; }
  OS_INT_SCALARS(OS_X)
#undef OS_X
#define OS_X(name) \
  OS_HD double name() const { return f[OSF_##name]; }
  OS_FLOAT_SCALARS(OS_X)
#undef OS_X
#define OS_X(name) \
  OS_HD const double* name() const { return f + i[OSI_OFFSET_##name]; }
  OS_FLOAT_ARRAYS(OS_X)
#undef OS_X
#define OS_X(name) \
  OS_HD const int64_t* name() const { return i + i[OSI_OFFSET_##name]; }
  OS_INT_ARRAYS(OS_X)
#undef OS_X

  OS_HD bool treated() const { return strategy_kind() != OS_KIND_NONE; }
};

// Typed output pointers of a chunk, from the array of addresses (declared.cuh, OS_OUTPUTS).
struct OsOutputs {
#define OS_X(type, name) type* name;
  OS_OUTPUTS(OS_X)
#undef OS_X

  OS_HD static OsOutputs from_addresses(const unsigned long long* a) {
    OsOutputs o;
#define OS_X(type, name) o.name = (type*)a[OSO_##name];
    OS_OUTPUTS(OS_X)
#undef OS_X
    return o;
  }
};

// Per-realization counters summed into the chunk statistics.
struct OsLaneStats {
  unsigned long long lane_steps;
  unsigned long long nontrivial_draws;
  unsigned long long iterations;
  int64_t status;
};
