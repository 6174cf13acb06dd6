// oncosweep: host (CPU) entry points over the per-lane Poisson sampler of poisson.cuh, for
// tests/test_poisson.py. Built by cuda_build.build_host_library with a host C++ compiler
// (`g++ -x c++ -ffp-contract=off ...`, OS_HD empty) and called through ctypes; each function
// loops serially over `count` lanes, running exactly the code the CUDA kernels run per thread.
// It also compiles with nvcc (tests/test_cuda_compile.py), where the functions are plain host
// functions.
#include "compat.cuh"
#include "philox.cuh"
#include "poisson.cuh"

extern "C" {

// The sampler: out[i] = os_poisson_ex(...); attempts may be null (else it receives numpy's
// return_attempts values).
void os_host_poisson_ex(int64_t count, uint32_t k0, uint32_t k1, const uint32_t* slot_base,
                        const uint32_t* step, const uint64_t* realization, const double* mean,
                        int32_t max_attempts, int64_t* out, int32_t* attempts) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        int used = 0;
        out[i] = os_poisson_ex(key, slot_base[i], step[i], realization[i], mean[i],
                               max_attempts, &used);
        if (attempts) attempts[i] = used;
    }
}

// The public one-lane entry point with the full budget.
void os_host_poisson(int64_t count, uint32_t k0, uint32_t k1, const uint32_t* slot_base,
                     const uint32_t* step, const uint64_t* realization, const double* mean,
                     int64_t* out) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        out[i] = os_poisson(key, slot_base[i], step[i], realization[i], mean[i]);
    }
}

// The pieces, elementwise, for tests of intermediate quantities.
void os_host_poisson_inversion_bound(int64_t count, const double* mean, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_poisson_inversion_bound(mean[i]);
}

void os_host_poisson_bd0(int64_t count, const double* y, const double* mean, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_poisson_bd0(y[i], mean[i]);
}

void os_host_poisson_log_pmf(int64_t count, const double* k, const double* mean, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_poisson_log_pmf(k[i], mean[i]);
}

// out[6 i + j] = (a, a2, b, c, vr, inv_alpha)[j] of os_ptrs_constants(mean[i]).
void os_host_ptrs_constants(int64_t count, const double* mean, double* out) {
    for (int64_t i = 0; i < count; ++i) {
        const OsPtrsConstants c = os_ptrs_constants(mean[i]);
        double* o = out + 6 * i;
        o[0] = c.a;
        o[1] = c.a2;
        o[2] = c.b;
        o[3] = c.c;
        o[4] = c.vr;
        o[5] = c.inv_alpha;
    }
}

// One PTRS trial per lane (poisson.ptrs_accept): k[i], accepted[i] (0/1) and, where the exact
// test ran, (lhs, log f(k)) in logs[2 i], logs[2 i + 1] (NaN elsewhere).
void os_host_ptrs_accept(int64_t count, const double* u0, const double* u1, const double* mean,
                         double* k, uint8_t* accepted, double* logs) {
    for (int64_t i = 0; i < count; ++i) {
        const OsPtrsConstants c = os_ptrs_constants(mean[i]);
        logs[2 * i] = logs[2 * i + 1] = OS_NAN;
        accepted[i] = os_ptrs_accept(c, mean[i], u0[i], u1[i], k + i, logs + 2 * i) ? 1 : 0;
    }
}

// One inversion search per lane from the uniform u[i] (start exp(-mean), the bound of
// os_poisson_inversion_bound): x[i], accepted[i] (0/1) and the final (u, r) in state[2 i],
// state[2 i + 1].
void os_host_poisson_inversion_search(int64_t count, const double* u, const double* mean,
                                      int64_t* x, uint8_t* accepted, double* state) {
    for (int64_t i = 0; i < count; ++i) {
        const double r0 = exp(-mean[i]);
        const double bound = os_poisson_inversion_bound(mean[i]);
        accepted[i] =
            os_poisson_inversion_search(mean[i], r0, bound, u[i], x + i, state + 2 * i) ? 1 : 0;
    }
}

// OS_* constants, so the tests can check them against poisson.py / rng.py.
void os_host_poisson_constants(double* out) {
    out[0] = OS_MAX_ATTEMPTS;
    out[1] = OS_POISSON_INVERSION_MAX_MEAN;
    out[2] = OS_POISSON_MAX_MEAN;
    out[3] = OS_PTRS_FAST_US;
    out[4] = OS_PTRS_TAIL_US;
    out[5] = OS_PTRS_HAT_SCALE;
    out[6] = OS_PTRS_SQUEEZE_SCALE;
    out[7] = OS_HALF_LOG_2PI;
    out[8] = OS_BD0_SERIES_MAX_V;
    out[9] = OS_BINV_TAIL_SDS;
    out[10] = OS_US_MIN;
}

}  // extern "C"
