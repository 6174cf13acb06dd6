// oncosweep: host (CPU) entry points over the negative binomial inversion sampler of
// negative_binomial.cuh, for tests/test_negative_binomial.py. Built by
// cuda_build.build_host_library with a host C++ compiler (OS_HD empty) and called through
// ctypes; each function loops serially over `count` lanes, running exactly the code the CUDA
// kernels run per thread.
#include "compat.cuh"
#include "negative_binomial.cuh"

extern "C" {

// out[i] = os_negative_binomial_inversion_ex(...); attempts receives numpy's return_attempts.
void os_host_negative_binomial(int64_t count, uint32_t k0, uint32_t k1,
                               const uint32_t* slot_base, const uint32_t* step,
                               const uint64_t* realization, const int64_t* cells,
                               const double* odds, int32_t max_attempts, int64_t* out,
                               int32_t* attempts) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        int used = 0;
        out[i] = os_negative_binomial_inversion_ex(key, slot_base[i], step[i], realization[i],
                                                   cells[i], odds[i], max_attempts, &used);
        attempts[i] = used;
    }
}

// The search constants, elementwise: out[4 i ..] = (r0, a, s, bound); uses[i] = the domain.
void os_host_negative_binomial_constants(int64_t count, const double* cells,
                                         const double* odds, double* out, int32_t* uses) {
    for (int64_t i = 0; i < count; ++i) {
        const OsInversionConstants c = os_nbinom_inversion_constants(cells[i], odds[i]);
        out[4 * i] = c.r0;
        out[4 * i + 1] = c.a;
        out[4 * i + 2] = c.s;
        out[4 * i + 3] = c.bound;
        uses[i] = os_nbinom_uses_inversion(cells[i], odds[i]) ? 1 : 0;
    }
}

}  // extern "C"
