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

// Typed output pointers of a chunk, from the array of addresses (layout.cuh, OS_OUTPUTS).
struct OsOutputs {
  int64_t* status;
  int64_t* attempt_start;
  int64_t* restarts;
  int64_t* detect_it;
  int64_t* end_it;
  int64_t* cured;
  int64_t* cells_at_detection;
  double* auc;
  int64_t* progressed;
  int64_t* progression_it;
  int64_t* first_pd_it;
  int64_t* ctdna_it;
  int64_t* switches;
  int64_t* treated_steps;
  double* trajectory;
  double* concentration;
  double* on_treatment;
  double* observed_burden;

  OS_HD static OsOutputs from_addresses(const unsigned long long* a) {
    OsOutputs o;
    o.status = (int64_t*)a[OSO_status];
    o.attempt_start = (int64_t*)a[OSO_attempt_start];
    o.restarts = (int64_t*)a[OSO_restarts];
    o.detect_it = (int64_t*)a[OSO_detect_it];
    o.end_it = (int64_t*)a[OSO_end_it];
    o.cured = (int64_t*)a[OSO_cured];
    o.cells_at_detection = (int64_t*)a[OSO_cells_at_detection];
    o.auc = (double*)a[OSO_auc];
    o.progressed = (int64_t*)a[OSO_progressed];
    o.progression_it = (int64_t*)a[OSO_progression_it];
    o.first_pd_it = (int64_t*)a[OSO_first_pd_it];
    o.ctdna_it = (int64_t*)a[OSO_ctdna_it];
    o.switches = (int64_t*)a[OSO_switches];
    o.treated_steps = (int64_t*)a[OSO_treated_steps];
    o.trajectory = (double*)a[OSO_trajectory];
    o.concentration = (double*)a[OSO_concentration];
    o.on_treatment = (double*)a[OSO_on_treatment];
    o.observed_burden = (double*)a[OSO_observed_burden];
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
