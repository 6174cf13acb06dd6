// oncosweep: the "sampler-only floor" of the GPU benchmark. Each thread makes the binomial draws
// that a realization of the fused kernel would make, with no model around them, so the time of
// this kernel is the least the fused kernel can take for the same number of draws.
//
// Thread t (a realization) makes draws_per_thread draws; draw d takes its (n, p) from the pool
// at index (t + d) mod pool_size (neighbouring threads start at different pool entries, so a
// warp mixes regimes as the engine's lanes do) and reads the blocks of
//     slot = (d << 8) mod 2**32 (attempt 0 .. 255 in the low 8 bits), step = d >> 24,
//     realization = t,
// so every draw of the launch owns its own 256 blocks, like an engine (cell type, event, step)
// channel. The sum of each thread's results is added atomically to *checksum so the compiler
// cannot discard any draw (and the host can check the launch against os_host_binomial).
//
// Launch: 1-D grid covering `threads` threads (any block size; 128 or 256 is typical). Build
// with --fmad=false (cuda_build.NVRTC_OPTIONS) like every kernel that must match numpy. The
// expected checksum of a launch is os_host_sampler_floor (host_samplers.cu) on the CPU.
#include "binomial.cuh"
#include "compat.cuh"
#include "philox.cuh"

// The draws of thread t (its sum of results), shared by the kernel and the host reference
// os_host_sampler_floor (host_samplers.cu includes this file for the CPU build).
OS_HD inline unsigned long long os_sampler_floor_thread(OsKey key, int64_t t,
                                                        int64_t draws_per_thread,
                                                        const int64_t* pool_n,
                                                        const double* pool_p,
                                                        int64_t pool_size) {
    int64_t j = t % pool_size;  // one division per thread; the pool index then wraps
    unsigned long long sum = 0;
    for (int64_t d = 0; d < draws_per_thread; ++d) {
        const uint32_t slot = (uint32_t)((uint64_t)d << OS_ATTEMPT_BITS);
        const uint32_t step = (uint32_t)((uint64_t)d >> (32 - OS_ATTEMPT_BITS));
        sum += (unsigned long long)os_binomial(key, slot, step, (uint64_t)t, pool_n[j],
                                               pool_p[j]);
        if (++j == pool_size) {
            j = 0;
        }
    }
    return sum;
}

#if defined(__CUDACC__)
extern "C" __global__ void sampler_floor(uint32_t k0, uint32_t k1, int64_t threads,
                                         int64_t draws_per_thread, const int64_t* pool_n,
                                         const double* pool_p, int64_t pool_size,
                                         unsigned long long* checksum) {
    const int64_t t = (int64_t)blockIdx.x * (int64_t)blockDim.x + (int64_t)threadIdx.x;
    if (t >= threads || pool_size <= 0) {
        return;
    }
    const OsKey key = {k0, k1};
    atomicAdd(checksum,
              os_sampler_floor_thread(key, t, draws_per_thread, pool_n, pool_p, pool_size));
}
#endif
