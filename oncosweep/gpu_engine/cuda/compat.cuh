// oncosweep CUDA kernels: host/device compatibility layer.
//
// Every per-realization function of the fused kernel is written once, as `OS_HD inline` C++17,
// and built three ways:
//
//   * nvcc (`__CUDACC__`): OS_HD = __host__ __device__; the test suite compiles every file for
//     sm_80 and sm_90 (tests/test_cuda_compile.py);
//   * NVRTC through cupy.RawModule (`__CUDACC__` and `__CUDACC_RTC__`): no standard headers
//     exist there, so the fixed-width integer types are declared below and the math functions
//     (log, log1p, exp, sqrt, floor, ...) are NVRTC's built-in declarations;
//   * a host C++ compiler (g++ -x c++, OS_HD empty): the `cpu` backend runs the same code on CPU
//     threads (host_engine.cu, oncosweep/gpu_engine/cpu_engine.py), and the CPU tests compare
//     it draw for draw with the numpy reference engine (tests/test_cuda_samplers_host.py,
//     tests/test_fused_host.py, oncosweep/gpu_engine/cuda_build.py).
//
// Floating point: the numpy engine evaluates every formula with one IEEE rounding per
// operation and no fused multiply-add, so device builds use `--fmad=false` and host builds
// `-ffp-contract=off -fno-fast-math` (cuda_build.py). sqrt, floor, +, -, *, / are correctly
// rounded in all three builds; log, log1p and exp may differ by an ulp between libraries
// (numpy's SIMD loops, glibc, CUDA's libdevice) -- see docs/rng.md section 5.
#pragma once

#if defined(__CUDACC__)
#define OS_HD __host__ __device__
#else
#define OS_HD
#endif

#if defined(__CUDACC_RTC__)
// NVRTC: no <cstdint>. Use the compiler's own spelling of the types when it predefines them
// (gcc-compatible front ends do; then a later <cstdint> from another header agrees with ours,
// as a typedef may be repeated only with the same type), else ones of the right width under
// every data model (NVRTC 12.9 predefines none, so it takes this branch).
#if defined(__UINT32_TYPE__) && defined(__UINT64_TYPE__) && defined(__INT64_TYPE__)
typedef __UINT64_TYPE__ uint64_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT32_TYPE__ uint32_t;
#else
typedef unsigned long long uint64_t;
typedef long long int64_t;
typedef unsigned int uint32_t;
#endif
typedef int int32_t;
typedef unsigned char uint8_t;
typedef signed char int8_t;
#else
#include <cmath>    // the global ::log(double), ::log1p(double), ... (C <math.h> functions)
#include <cstdint>  // uint32_t, uint64_t, int64_t, ...
#endif

// IEEE special values for host and device code. Device passes (nvcc's and NVRTC's, which
// define __CUDA_ARCH__) use the bit-cast intrinsic: NVRTC does not know __builtin_nan or
// __builtin_huge_val (checked with NVRTC 12.9). Host passes use the gcc builtins.
#if defined(__CUDA_ARCH__)
#define OS_INF (__longlong_as_double(0x7FF0000000000000LL))
#define OS_NAN (__longlong_as_double(0x7FF8000000000000LL))
#else
#define OS_INF (__builtin_huge_val())
#define OS_NAN (__builtin_nan(""))
#endif

// min / max that never depend on <algorithm> (absent under NVRTC). For doubles they follow
// numpy's np.minimum / np.maximum on non-NaN operands (the samplers never pass NaN).
OS_HD inline int64_t os_min(int64_t a, int64_t b) { return a < b ? a : b; }
OS_HD inline int64_t os_max(int64_t a, int64_t b) { return a < b ? b : a; }
OS_HD inline double os_min(double a, double b) { return a < b ? a : b; }
OS_HD inline double os_max(double a, double b) { return a < b ? b : a; }
