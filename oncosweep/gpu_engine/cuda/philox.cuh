// oncosweep: Philox4x32-10 and the (0, 1] uniform conversion, bit for bit as
// oncosweep/gpu_engine/philox.py (the numpy reference) and docs/rng.md sections 1-3.
//
// Reference: J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel random numbers:
// as easy as 1, 2, 3", Proc. SC'11 (2011); Random123's philox4x32 with R = 10 rounds. A round
//
//     hi0, lo0 = mulhilo32(0xD2511F53, c0)
//     hi1, lo1 = mulhilo32(0xCD9E8D57, c2)
//     (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
//
// with the Weyl key bump (k0, k1) += (0x9E3779B9, 0xBB67AE85) mod 2**32 between rounds. All of
// it is 32-bit integer arithmetic, so every platform gives the same words.
//
// Addressing (rng.py, scheme "philox4x32-10/slot-v1"): one draw = one block with
//     key     = (seed, parameter point)
//     counter = (slot, step, realization & 0xFFFFFFFF, realization >> 32).
#pragma once

#include "compat.cuh"

#define OS_PHILOX_M0 0xD2511F53u
#define OS_PHILOX_M1 0xCD9E8D57u
#define OS_PHILOX_W0 0x9E3779B9u
#define OS_PHILOX_W1 0xBB67AE85u
#define OS_PHILOX_ROUNDS 10

struct OsKey {
    uint32_t k0, k1;
};

// hi and lo words of the 64-bit product a * b.
OS_HD inline void os_mulhilo32(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
#if defined(__CUDA_ARCH__)
    *hi = __umulhi(a, b);  // one mul.hi.u32 (Random123 uses the same intrinsic)
    *lo = a * b;
#else
    const uint64_t prod = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(prod >> 32);
    *lo = (uint32_t)prod;
#endif
}

// One Philox4x32-10 block: counter (c0, c1, c2, c3) under key -> out[0..3] (Random123 order).
OS_HD inline void os_philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, OsKey key,
                                   uint32_t out[4]) {
    uint32_t k0 = key.k0, k1 = key.k1;
#if defined(__CUDA_ARCH__)
#pragma unroll
#else
#pragma GCC unroll 10
#endif
    for (int r = 0; r < OS_PHILOX_ROUNDS; ++r) {
        if (r) {
            k0 += OS_PHILOX_W0;  // unsigned arithmetic wraps mod 2**32
            k1 += OS_PHILOX_W1;
        }
        uint32_t hi0, lo0, hi1, lo1;
        os_mulhilo32(OS_PHILOX_M0, c0, &hi0, &lo0);
        os_mulhilo32(OS_PHILOX_M1, c2, &hi1, &lo1);
        const uint32_t n0 = hi1 ^ c1 ^ k0;
        const uint32_t n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

// Double in (0, 1] from two words (philox.words_to_uniform): x = ((hi >> 5) << 26) | (lo >> 6)
// is a 53-bit integer, u = (x + 1) 2**-53. x + 1 <= 2**53 converts exactly and the scaling by a
// power of two is exact, so u takes the 2**53 values j 2**-53, j = 1 .. 2**53: never 0 (log(u)
// is finite), exactly 1 with probability 2**-53.
OS_HD inline double os_words_to_uniform(uint32_t hi, uint32_t lo) {
    const uint64_t x = ((uint64_t)(hi >> 5) << 26) | (uint64_t)(lo >> 6);
    return (double)(x + 1u) * 0x1p-53;
}

// The two uniforms of the block addressed by (slot, step, realization) under key
// (philox.uniform_pair): u0 from output words (w0, w1), u1 from (w2, w3).
OS_HD inline void os_uniform_pair(OsKey key, uint32_t slot, uint32_t step, uint64_t realization,
                                  double* u0, double* u1) {
    uint32_t w[4];
    os_philox4x32_10(slot, step, (uint32_t)(realization & 0xFFFFFFFFu),
                     (uint32_t)(realization >> 32), key, w);
    *u0 = os_words_to_uniform(w[0], w[1]);
    *u1 = os_words_to_uniform(w[2], w[3]);
}

// Only u0 of the block: BINV reads one uniform per attempt (the same value as os_uniform_pair's
// u0; the compiler may drop the last round's unused multiply and the second conversion).
OS_HD inline double os_uniform0(OsKey key, uint32_t slot, uint32_t step, uint64_t realization) {
    uint32_t w[4];
    os_philox4x32_10(slot, step, (uint32_t)(realization & 0xFFFFFFFFu),
                     (uint32_t)(realization >> 32), key, w);
    return os_words_to_uniform(w[0], w[1]);
}
