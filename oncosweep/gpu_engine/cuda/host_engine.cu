// oncosweep: the host build of the fused kernel's per-realization simulation.
//
// Compiled as C++ with g++ (-ffp-contract=off; compat.cuh makes OS_HD empty) into a shared
// library that tests load with ctypes (oncosweep.gpu_engine.host_engine): the very source the
// GPU runs, run serially on the CPU, must equal the numpy engine realization by realization.
// One instantiation with the largest capacities serves every model (loops run over the
// model's own sizes; only the stack arrays are larger).
#include "compat.cuh"
#include "layout.cuh"
#include "model.cuh"
#include "philox.cuh"
#include "realization.cuh"

#define OS_HOST_TMAX 1024
#define OS_HOST_LMAX 8

extern "C" {

// Layout sizes, so the Python side can check that it parsed layout.cuh as compiled.
int os_host_layout(int what) {
  switch (what) {
    case 0: return OSI_HEADER_SIZE;
    case 1: return OSF_HEADER_SIZE;
    case 2: return OS_N_OUTPUTS;
    case 3: return OS_N_STATS;
    default: return -1;
  }
}

// Realizations start .. start + count - 1; stats[OS_N_STATS] accumulate like the kernel's.
void os_host_simulate(const double* fparams, const int64_t* iparams, uint32_t k0, uint32_t k1,
                      uint64_t start, int64_t count, const int64_t* trace_row,
                      const unsigned long long* out_addresses, unsigned long long* stats) {
  OsModel m;
  m.f = fparams;
  m.i = iparams;
  OsKey key;
  key.k0 = k0;
  key.k1 = k1;
  const OsOutputs out = OsOutputs::from_addresses(out_addresses);
  for (int64_t lane = 0; lane < count; ++lane) {
    const OsLaneStats s = os_simulate_realization<OS_HOST_TMAX, OS_HOST_LMAX>(
        m, key, start + (uint64_t)lane, lane, trace_row[lane], out);
    stats[OSS_lane_steps] += s.lane_steps;
    stats[OSS_nontrivial_draws] += s.nontrivial_draws;
    if (s.iterations > stats[OSS_iterations]) stats[OSS_iterations] = s.iterations;
    if (s.status != OS_OK) stats[OSS_failed_lanes] += 1;
  }
}

}  // extern "C"
