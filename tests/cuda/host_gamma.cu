// oncosweep: host (CPU) entry points over the gamma sampler of gamma.cuh, for
// tests/test_gamma.py. Built by cuda_build.build_host_library with a host C++ compiler
// (`g++ -x c++ -ffp-contract=off ...`, OS_HD empty) and called through ctypes; each function
// loops serially over `count` lanes, running exactly the code a CUDA thread runs. It also
// compiles with nvcc (tests/test_cuda_compile.py), where the functions are plain host functions.
#include "compat.cuh"
#include "gamma.cuh"
#include "philox.cuh"

extern "C" {

// os_standard_gamma per lane; status may be null (else it receives numpy's return_attempts).
void os_host_standard_gamma(int64_t count, uint32_t k0, uint32_t k1, const uint32_t* slot_base,
                            const uint32_t* step, const uint64_t* realization,
                            const double* shape, int32_t max_attempts, double* out,
                            int32_t* status) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        int used = 0;
        out[i] = os_standard_gamma(key, slot_base[i], step[i], realization[i], shape[i],
                                   max_attempts, &used);
        if (status) status[i] = used;
    }
}

// The pieces, elementwise (bitwise tests of intermediate quantities).
void os_host_gamma_log(int64_t count, const double* x, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_gamma_log(x[i]);
}

void os_host_gamma_exp(int64_t count, const double* t, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_gamma_exp(t[i]);
}

void os_host_gamma_cos_2pi(int64_t count, const double* u, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_gamma_cos_2pi(u[i]);
}

void os_host_gamma_box_muller(int64_t count, const double* u0, const double* u1, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_gamma_box_muller(u0[i], u1[i]);
}

void os_host_gamma_boost_factor(int64_t count, const double* u, const double* shape,
                                double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_gamma_boost_factor(u[i], shape[i]);
}

// out[2 i + j] = (d, c)[j] of os_gamma_constants(a[i]).
void os_host_gamma_constants(int64_t count, const double* a, double* out) {
    for (int64_t i = 0; i < count; ++i) {
        const OsGammaConstants k = os_gamma_constants(a[i]);
        out[2 * i] = k.d;
        out[2 * i + 1] = k.c;
    }
}

// One Marsaglia-Tsang trial per lane: value[i] (d v) and accepted[i] (0/1).
void os_host_gamma_trial(int64_t count, const double* a, const double* u0, const double* u1,
                         const double* u, double* value, uint8_t* accepted) {
    for (int64_t i = 0; i < count; ++i) {
        const OsGammaConstants k = os_gamma_constants(a[i]);
        accepted[i] = os_gamma_trial(k, u0[i], u1[i], u[i], value + i) ? 1 : 0;
    }
}

// OS_GAMMA_* constants, so the tests can check them against gamma.py / rng.py.
void os_host_gamma_constants_table(double* out) {
    const double table[] = {
        OS_GAMMA_MAX_ATTEMPTS, OS_GAMMA_BLOCKS_PER_TRIAL, OS_GAMMA_BOOST_BLOCK,
        OS_GAMMA_MAX_TRIALS, OS_GAMMA_SQUEEZE, OS_GAMMA_EXP_CUT, OS_GAMMA_ONE_THIRD,
        OS_GAMMA_LN2_HI, OS_GAMMA_LN2_LO, OS_GAMMA_INV_LN2, OS_GAMMA_SQRT2, OS_GAMMA_PIO2,
        OS_GAMMA_EXP_UNDERFLOW, OS_GAMMA_TWO_M1000,
        OS_GAMMA_LG1, OS_GAMMA_LG2, OS_GAMMA_LG3, OS_GAMMA_LG4, OS_GAMMA_LG5, OS_GAMMA_LG6,
        OS_GAMMA_LG7,
        OS_GAMMA_P1, OS_GAMMA_P2, OS_GAMMA_P3, OS_GAMMA_P4, OS_GAMMA_P5,
        OS_GAMMA_S1, OS_GAMMA_S2, OS_GAMMA_S3, OS_GAMMA_S4, OS_GAMMA_S5, OS_GAMMA_S6,
        OS_GAMMA_C1, OS_GAMMA_C2, OS_GAMMA_C3, OS_GAMMA_C4, OS_GAMMA_C5, OS_GAMMA_C6,
        (double)os_gamma_trial_budget(256), (double)os_gamma_trial_budget(2),
        (double)os_gamma_trial_budget(255), (double)os_gamma_trial_budget(7),
    };
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; ++i) out[i] = table[i];
}

}  // extern "C"
