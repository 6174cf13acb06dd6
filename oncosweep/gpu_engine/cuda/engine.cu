// oncosweep: the fused simulation kernel. One thread simulates one realization from its first
// cells to the end of therapy (realization.cuh), with its state in registers and local memory;
// outputs are written once per realization into device arrays that the host copies once per
// chunk. Compiled by CuPy's RawModule with NVRTC (options in cuda_build.NVRTC_OPTIONS, notably
// --fmad=false, so that every product and sum rounds as in the numpy engine), templated on the
// capacities TMAX (cell types) and LMAX (loci) and instantiated through name_expressions
// ("os_simulate<16, 3>"), once per process (CuPy also caches the binary under CUPY_CACHE_DIR).
// Instantiations the NVRTC compile test builds (tests/test_cuda_compile.py):
// oncosweep: name-expression os_simulate<8, 2>
// oncosweep: name-expression os_simulate<16, 3>
// oncosweep: name-expression os_simulate<1024, 8>
#include "compat.cuh"
#include "layout.cuh"
#include "model.cuh"
#include "philox.cuh"
#include "realization.cuh"

template <int TMAX, int LMAX>
__global__ void os_simulate(const double* fparams, const long long* iparams,
                            long long f_stride, long long i_stride, unsigned int k0,
                            unsigned int k1, unsigned long long start, long long count,
                            const long long* trace_row, const unsigned long long* out_addresses,
                            unsigned long long* stats) {
  const long long lane = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (lane >= count) return;
  // A population's realizations each read their own parameter block (strides 0: one shared).
  OsModel m;
  m.f = fparams + lane * f_stride;
  m.i = (const int64_t*)iparams + lane * i_stride;
  OsKey key;
  key.k0 = k0;
  key.k1 = k1;
  const OsOutputs out = OsOutputs::from_addresses(out_addresses);
  const OsLaneStats s = os_simulate_realization<TMAX, LMAX>(
      m, key, (uint64_t)(start + (unsigned long long)lane), (int64_t)lane,
      (int64_t)trace_row[lane], out);
  atomicAdd(&stats[OSS_lane_steps], s.lane_steps);
  atomicAdd(&stats[OSS_nontrivial_draws], s.nontrivial_draws);
  atomicMax(&stats[OSS_iterations], s.iterations);
  if (s.status != OS_OK) atomicAdd(&stats[OSS_failed_lanes], 1ULL);
}

#if !defined(__CUDACC_RTC__)
// Explicit instantiations for offline nvcc builds (tests compile this file for sm_80/sm_90);
// the CuPy path instantiates what it needs through name_expressions instead.
template __global__ void os_simulate<16, 3>(const double*, const long long*, long long,
                                            long long, unsigned int, unsigned int, unsigned long long, long long,
                                            const long long*, const unsigned long long*,
                                            unsigned long long*);
#endif
