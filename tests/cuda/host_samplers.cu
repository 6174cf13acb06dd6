// oncosweep: host (CPU) entry points over the per-lane samplers of philox.cuh and binomial.cuh,
// for tests/test_cuda_samplers_host.py. Built by cuda_build.build_host_library with a host C++
// compiler (`g++ -x c++ -ffp-contract=off ...`, OS_HD empty) and called through ctypes; each
// function loops serially over `count` lanes, running exactly the code the CUDA kernels run
// per thread. It also compiles with nvcc (tests/test_cuda_compile.py), where the functions are
// plain host functions.
#include "binomial.cuh"
#include "compat.cuh"
#include "philox.cuh"
#include "sampler_floor.cu"  // os_sampler_floor_thread (its kernel is compiled under CUDA only)

extern "C" {

// Philox4x32-10 blocks: out[4 i + j] = word j of the block (c0[i], c1[i], c2[i], c3[i]) under
// key (k0[i], k1[i]) (per-lane keys, so the known-answer vectors and random keys both fit).
void os_host_philox(int64_t count, const uint32_t* c0, const uint32_t* c1, const uint32_t* c2,
                    const uint32_t* c3, const uint32_t* k0, const uint32_t* k1, uint32_t* out) {
    for (int64_t i = 0; i < count; ++i) {
        const OsKey key = {k0[i], k1[i]};
        os_philox4x32_10(c0[i], c1[i], c2[i], c3[i], key, out + 4 * i);
    }
}

// os_words_to_uniform(hi[i], lo[i]).
void os_host_words_to_uniform(int64_t count, const uint32_t* hi, const uint32_t* lo,
                              double* out) {
    for (int64_t i = 0; i < count; ++i) {
        out[i] = os_words_to_uniform(hi[i], lo[i]);
    }
}

// (u0, u1) of the block addressed by (slot[i], step[i], realization[i]) under (k0, k1).
void os_host_uniform_pair(int64_t count, uint32_t k0, uint32_t k1, const uint32_t* slot,
                          const uint32_t* step, const uint64_t* realization, double* u0,
                          double* u1) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        os_uniform_pair(key, slot[i], step[i], realization[i], u0 + i, u1 + i);
    }
}

// The general sampler: method OS_METHOD_AUTO (-1), OS_METHOD_INVERSION (0) or OS_METHOD_BTRS
// (1); attempts may be null (else it receives numpy's return_attempts values).
void os_host_binomial_ex(int64_t count, uint32_t k0, uint32_t k1, const uint32_t* slot_base,
                         const uint32_t* step, const uint64_t* realization, const int64_t* n,
                         const double* p, int32_t method, int32_t max_attempts, int64_t* out,
                         int32_t* attempts) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        int used = 0;
        out[i] = os_binomial_ex(key, slot_base[i], step[i], realization[i], n[i], p[i], method,
                                max_attempts, &used);
        if (attempts) attempts[i] = used;
    }
}

void os_host_binomial(int64_t count, uint32_t k0, uint32_t k1, const uint32_t* slot_base,
                      const uint32_t* step, const uint64_t* realization, const int64_t* n,
                      const double* p, int64_t* out) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        out[i] = os_binomial(key, slot_base[i], step[i], realization[i], n[i], p[i]);
    }
}

void os_host_binomial_inversion(int64_t count, uint32_t k0, uint32_t k1,
                                const uint32_t* slot_base, const uint32_t* step,
                                const uint64_t* realization, const int64_t* n, const double* p,
                                int64_t* out) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        out[i] = os_binomial_inversion(key, slot_base[i], step[i], realization[i], n[i], p[i]);
    }
}

void os_host_binomial_btrs(int64_t count, uint32_t k0, uint32_t k1, const uint32_t* slot_base,
                           const uint32_t* step, const uint64_t* realization, const int64_t* n,
                           const double* p, int64_t* out) {
    const OsKey key = {k0, k1};
    for (int64_t i = 0; i < count; ++i) {
        out[i] = os_binomial_btrs(key, slot_base[i], step[i], realization[i], n[i], p[i]);
    }
}

// The pieces, elementwise, for tests of intermediate quantities.
void os_host_stirling_tail(int64_t count, const double* x, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_stirling_tail(x[i]);
}

void os_host_log_pmf_ratio(int64_t count, const double* k, const double* m, const double* n,
                           const double* p, const double* q, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_log_pmf_ratio(k[i], m[i], n[i], p[i], q[i]);
}

void os_host_inversion_bound(int64_t count, const double* n, const double* p, double* out) {
    for (int64_t i = 0; i < count; ++i) out[i] = os_inversion_bound(n[i], p[i]);
}

// out[4 i + j] = (s, a, r0, bound)[j] of os_inversion_constants(n[i], p[i]).
void os_host_inversion_constants(int64_t count, const double* n, const double* p, double* out) {
    for (int64_t i = 0; i < count; ++i) {
        const OsInversionConstants c = os_inversion_constants(n[i], p[i]);
        double* o = out + 4 * i;
        o[0] = c.s;
        o[1] = c.a;
        o[2] = c.r0;
        o[3] = c.bound;
    }
}

// One BINV search per lane from the uniform u[i]: x[i], accepted[i] (0/1) and the final
// (u, r) in state[2 i], state[2 i + 1].
void os_host_inversion_search(int64_t count, const double* u, const double* n, const double* p,
                              int64_t* x, uint8_t* accepted, double* state) {
    for (int64_t i = 0; i < count; ++i) {
        const OsInversionConstants c = os_inversion_constants(n[i], p[i]);
        accepted[i] = os_inversion_search(c, u[i], x + i, state + 2 * i) ? 1 : 0;
    }
}

// out[8 i + j] = (a, a2, b, c, vr, alpha, m, q)[j] of os_btrs_constants(n[i], p[i]).
void os_host_btrs_constants(int64_t count, const double* n, const double* p, double* out) {
    for (int64_t i = 0; i < count; ++i) {
        const OsBtrsConstants c = os_btrs_constants(n[i], p[i]);
        double* o = out + 8 * i;
        o[0] = c.a;
        o[1] = c.a2;
        o[2] = c.b;
        o[3] = c.c;
        o[4] = c.vr;
        o[5] = c.alpha;
        o[6] = c.m;
        o[7] = c.q;
    }
}

// One BTRS trial per lane (binomial.btrs_accept): k[i], accepted[i] (0/1) and, where the
// exact test ran, (lhs, log f(k)/f(m)) in logs[2 i], logs[2 i + 1] (NaN elsewhere).
void os_host_btrs_accept(int64_t count, const double* u0, const double* u1, const double* n,
                         const double* p, double* k, uint8_t* accepted, double* logs) {
    for (int64_t i = 0; i < count; ++i) {
        const OsBtrsConstants c = os_btrs_constants(n[i], p[i]);
        logs[2 * i] = logs[2 * i + 1] = OS_NAN;
        accepted[i] = os_btrs_accept(c, n[i], p[i], u0[i], u1[i], k + i, logs + 2 * i) ? 1 : 0;
    }
}

// The checksum that the sampler_floor kernel adds up for the same arguments (the sum of every
// thread's draws, mod 2**64), computed serially on the CPU.
unsigned long long os_host_sampler_floor(uint32_t k0, uint32_t k1, int64_t threads,
                                         int64_t draws_per_thread, const int64_t* pool_n,
                                         const double* pool_p, int64_t pool_size) {
    const OsKey key = {k0, k1};
    unsigned long long sum = 0;
    if (pool_size <= 0) return 0;
    for (int64_t t = 0; t < threads; ++t) {
        sum += os_sampler_floor_thread(key, t, draws_per_thread, pool_n, pool_p, pool_size);
    }
    return sum;
}

// OS_* constants, so the tests can check them against rng.py / binomial.py.
void os_host_constants(double* out) {
    out[0] = OS_MAX_ATTEMPTS;
    out[1] = OS_BINV_MAX_MEAN;
    out[2] = OS_BINV_TAIL_SDS;
    out[3] = OS_BTRS_FAST_US;
    out[4] = OS_US_MIN;
    out[5] = (double)OS_MAX_EXACT_N;
    out[6] = OS_ATTEMPT_BITS;
    for (int i = 0; i < 10; ++i) out[7 + i] = os_fc_table(i);
}

}  // extern "C"
