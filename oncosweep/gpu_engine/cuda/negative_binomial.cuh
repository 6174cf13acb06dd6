// oncosweep: exact negative binomial sampler by sequential-search inversion (NBINV) on
// counter-based Philox uniforms, one lane per call, reproducing
// oncosweep/gpu_engine/negative_binomial.py (the vectorised numpy reference) draw for draw.
// Law, search, bound and error analysis: that module's docstring.
//
//   X = the failures before the count-th success of trials with success probability
//   1 / (1 + odds): P(X = 0) = (1 + odds)^-count, P(X = x) / P(X = x - 1) = a / x + beta with
//   beta = odds / (1 + odds), a = beta (count - 1). This is Kendall's number of extra cells of
//   ``count`` surviving lines (birth_death.cuh), drawn here in ONE uniform per attempt where
//   the gamma-Poisson mixture takes a gamma and a Poisson draw.
//
// Domain: count >= 1 whole, 0 < odds <= OS_NBINV_MAX_ODDS and count odds < OS_NBINV_MAX_MEAN
// (os_nbinom_uses_inversion); elsewhere the caller draws the gamma-Poisson mixture.
//
// Addressing (rng.py): attempt a = 0 .. max_attempts - 1 reads u0 of the block at counter
// (slot_base + a, step, realization lo, realization hi). A search passing the bound retries
// with the next attempt (probability < 1e-14); after max_attempts the lane returns
// floor(count odds), as numpy does.
//
// Bit-for-bit order: every expression is the sequence of ufunc calls of negative_binomial.py,
// one IEEE rounding per operation (no FMA: compat.cuh); only log1p and exp (the start f(0))
// may differ from numpy's by an ulp. The search is BINV's (os_inversion_search) with
// s = -beta: numpy's ``f -= s`` then adds beta, the same double as f + beta.
#pragma once

#include "binomial.cuh"  // OsInversionConstants, os_inversion_search, OS_BINV_TAIL_SDS
#include "compat.cuh"
#include "philox.cuh"

#define OS_NBINV_MAX_MEAN 10.0   // negative_binomial.NBINV_MAX_MEAN: count odds below -> NBINV
#define OS_NBINV_MAX_ODDS 1.0    // negative_binomial.NBINV_MAX_ODDS: beta <= 1/2
#define OS_NBINV_TAIL_ODDS 60.0  // negative_binomial.NBINV_TAIL_ODDS: the geometric tail term

// negative_binomial.uses_inversion: the domain of NBINV (count >= 1 assumed).
OS_HD inline bool os_nbinom_uses_inversion(double count, double odds) {
    const double mean = count * odds;  // mean = count * odds
    return odds > 0.0 && odds <= OS_NBINV_MAX_ODDS && mean < OS_NBINV_MAX_MEAN;
}

// negative_binomial.inversion_bound: floor(mu + 15 sqrt(mu (1 + odds) + 1) + 60 odds), mu =
// count odds (the mean; mu (1 + odds) is the variance). The mass above it is < 2.2e-22 on
// the whole domain (scipy-checked in tests/test_negative_binomial.py); at most 134.
OS_HD inline double os_nbinom_inversion_bound(double count, double odds) {
    const double mean = count * odds;  // mean = count * odds
    double t = odds + 1.0;             // t = odds + 1.0
    t = t * mean;                      // t *= mean
    t = t + 1.0;                       // t += 1.0
    t = sqrt(t);                       // sqrt(t, out=t)   (correctly rounded everywhere)
    t = t * OS_BINV_TAIL_SDS;          // t *= BINV_TAIL_SDS
    t = t + mean;                      // t += mean
    const double tail = odds * OS_NBINV_TAIL_ODDS;  // tail = odds * NBINV_TAIL_ODDS
    t = t + tail;                      // t += tail
    return floor(t);                   // floor(t, out=t)
}

// negative_binomial.inversion_constants: s = -beta, a = beta (count - 1), r0 = f(0) =
// exp(-(count log1p(odds))), and the bound.
OS_HD inline OsInversionConstants os_nbinom_inversion_constants(double count, double odds) {
    OsInversionConstants c;
    double beta = odds + 1.0;        // beta = odds + 1.0
    beta = odds / beta;              // divide(odds, beta, out=beta)
    double a = count - 1.0;          // a = count - 1.0   (exact)
    a = a * beta;                    // a *= beta
    double r = log1p(odds);          // r = log1p(odds)
    r = r * count;                   // r *= count
    r = -r;                          // negative(r, out=r)
    r = exp(r);                      // exp(r, out=r)
    c.s = -beta;
    c.a = a;
    c.r0 = r;
    c.bound = os_nbinom_inversion_bound(count, odds);
    return c;
}

// NBINV on its domain (os_nbinom_uses_inversion), ``count`` >= 1. max_attempts in
// 1..OS_MAX_ATTEMPTS; if attempts is non-null it receives the blocks used, or max_attempts + 1
// on exhaustion (the value is then floor(count odds)).
OS_HD inline int64_t os_negative_binomial_inversion_ex(OsKey key, uint32_t slot_base,
                                                       uint32_t step, uint64_t realization,
                                                       int64_t count, double odds,
                                                       int max_attempts, int* attempts) {
    const double cf = (double)count;  // count.astype(float64): exact below 2**53
    const OsInversionConstants c = os_nbinom_inversion_constants(cf, odds);
    for (int a = 0; a < max_attempts; ++a) {
        const double u = os_uniform0(key, slot_base + (uint32_t)a, step, realization);
        int64_t x = 0;
        if (os_inversion_search(c, u, &x)) {
            if (attempts) *attempts = a + 1;
            return x;
        }
    }
    if (attempts) *attempts = max_attempts + 1;
    double m = cf * odds;             // m = count * odds
    return (int64_t)floor(m);         // floor(m).astype(int64)
}

OS_HD inline int64_t os_negative_binomial_inversion(OsKey key, uint32_t slot_base,
                                                    uint32_t step, uint64_t realization,
                                                    int64_t count, double odds) {
    return os_negative_binomial_inversion_ex(key, slot_base, step, realization, count, odds,
                                             OS_MAX_ATTEMPTS, (int*)0);
}
