// oncosweep: exact Binomial(n, p) sampler on counter-based Philox uniforms, one lane per call,
// reproducing oncosweep/gpu_engine/binomial.py (the vectorised numpy reference) draw for draw.
// Algorithms, constants and error analysis: docs/rng.md section 4.
//
//   * trivial lanes: n == 0 or p == 0 -> 0, p == 1 -> n, without drawing;
//   * mirroring: p > 0.5 draws Y ~ Bin(n, p' = 1 - p) and returns n - Y (1 - p is exact for
//     p in [0.5, 1], Sterbenz's lemma); below, 0 < p <= 0.5, q = 1 - p;
//   * n p < 10: sequential-search inversion BINV, V. Kachitvichyanukul and B. W. Schmeiser,
//     "Binomial random variate generation", Commun. ACM 31 (1988) 216-222, one uniform per
//     attempt;
//   * n p >= 10: transformed rejection with squeeze BTRS, W. Hormann, "The generation of
//     binomial random variates", J. Stat. Comput. Simul. 46 (1993) 101-110, one block (two
//     uniforms) per attempt, with the cancellation-free Stirling form of log f(k)/f(m).
//
// Addressing (rng.py): attempt a = 0 .. 255 of a lane reads the block at counter
// (slot_base + a, step, realization lo, realization hi). The numpy code evaluates attempts
// speculatively, several at once, but keeps each lane's FIRST accepted attempt; the scalar loop
// below returns exactly that value. After OS_MAX_ATTEMPTS rejections (probability < 1e-70) the
// lane returns the mode floor((n + 1) p'), mirrored like any value, as numpy does.
//
// Bit-for-bit order: every floating-point expression is written as the sequence of in-place
// ufunc calls of binomial.py, one IEEE rounding per operation, each step commented with the
// numpy line it mirrors; builds must not contract a * b + c into an FMA (compat.cuh). Only
// log, log1p and exp may round differently from numpy's (by an ulp), which flips a decision
// only when a compared quantity lies within an ulp or so of its threshold.
#pragma once

#include "compat.cuh"
#include "philox.cuh"

// --- constants (same values as rng.py / binomial.py) ----------------------------------------

#define OS_ATTEMPT_BITS 8      // rng.ATTEMPT_BITS
#define OS_MAX_ATTEMPTS 256    // rng.MAX_ATTEMPTS: blocks owned by one (cell type, event)
#define OS_BINV_MAX_MEAN 10.0  // binomial.BINV_MAX_MEAN: n p' < 10 -> inversion, else BTRS
#define OS_BINV_TAIL_SDS 15.0  // binomial.BINV_TAIL_SDS: inversion search bound, mass < 1.6e-22
#define OS_BTRS_FAST_US 0.07   // binomial.BTRS_FAST_US: squeeze needs us >= 0.07 (Hormann step 2)
#define OS_US_MIN 1e-300       // binomial._US_MIN: us == 0 (u0 == 1) clamped -> k > n, rejected
#define OS_MAX_EXACT_N 9007199254740992LL  // binomial.MAX_EXACT_N = 2**53

// method argument of os_binomial_ex
#define OS_METHOD_AUTO (-1)
#define OS_METHOD_INVERSION 0
#define OS_METHOD_BTRS 1

// --- Stirling tail --------------------------------------------------------------------------

// fc(x) = log x! - [(x + 1/2) log(x + 1) - (x + 1) + log(2 pi)/2] for x = 0..9 (FC_TABLE,
// correctly rounded from 60-digit decimal arithmetic; the literal digits of binomial.py). A
// switch rather than an array: a namespace-scope table is not addressable from device code
// without __constant__ storage, and a switch builds unchanged for host, nvcc and NVRTC.
OS_HD inline double os_fc_table(int x) {
    switch (x) {
        case 1: return 0.041340695955409297;
        case 2: return 0.027677925684998338;
        case 3: return 0.020790672103765093;
        case 4: return 0.016644691189821193;
        case 5: return 0.013876128823070748;
        case 6: return 0.01189670994589177;
        case 7: return 0.010411265261972096;
        case 8: return 0.0092554621827127329;
        case 9: return 0.0083305634333628708;
        default: return 0.081061466795327261;  // x = 0 (callers pass 0..9 only)
    }
}

// binomial.stirling_tail for a whole double x >= 0: the exact table below 10, else the
// Stirling series in z = x + 1, fc = (1/12 - (1/360 - 1/(1260 z^2)) / z^2) / z, whose
// truncation error is below the next term 1/(1680 z^7) <= 3.1e-11 (at x = 10).
// numpy evaluates both branches and selects with where(x < 10, ...); same value.
OS_HD inline double os_stirling_tail(double x) {
    if (x < 10.0) {
        return os_fc_table((int)os_min(x, 9.0));  // table[min(x, 9).astype(int64)]
    }
    const double z = x + 1.0;  // z = x + 1.0
    const double z2 = z * z;   // z2 = z * z
    double t = z2 * 1260.0;    // t = z2 * 1260.0
    t = 1.0 / t;               // divide(1.0, t, out=t)
    t = (1.0 / 360.0) - t;     // subtract(1.0 / 360.0, t, out=t)  (constant folded exactly)
    t = t / z2;                // t /= z2
    t = (1.0 / 12.0) - t;      // subtract(1.0 / 12.0, t, out=t)
    t = t / z;                 // t /= z
    return t;
}

// binomial.log_pmf_ratio: log(f(k) / f(m)) for the Bin(n, p) pmf f, q = 1 - p, k, m, n whole
// doubles in [0, n] (< 2**53: every difference is exact), 0 < p < 1. Cancellation-free form
// (derivation in docs/rng.md):
//   (m + 1/2) log1p((m - k)/(k + 1)) + (n - m + 1/2) log1p((k - m)/(n - k + 1))
//     + (m - k) log(((k + 1) q) / ((n - k + 1) p)) + fc(m) - fc(k) + fc(n - m) - fc(n - k)
OS_HD inline double os_log_pmf_ratio(double k, double m, double n, double p, double q) {
    const double dmk = m - k;  // dmk = m - k
    const double k1 = k + 1.0;  // k1 = k + 1.0
    double nk1 = n - k;         // nk1 = n - k
    nk1 = nk1 + 1.0;            // nk1 += 1.0
    double t1 = dmk / k1;       // t1 = dmk / k1
    t1 = log1p(t1);             // log1p(t1, out=t1)
    t1 = t1 * (m + 0.5);        // t1 *= m + 0.5
    double t2 = -dmk;           // t2 = -dmk  (exact; -0.0 when m == k, as in numpy)
    t2 = t2 / nk1;              // t2 /= nk1
    t2 = log1p(t2);             // log1p(t2, out=t2)
    const double nm = n - m;    // nm = n - m
    t2 = t2 * (nm + 0.5);       // t2 *= nm + 0.5
    t1 = t1 + t2;               // t1 += t2
    double t3 = k1 * q;         // t3 = k1 * q
    nk1 = nk1 * p;              // nk1 *= p
    t3 = t3 / nk1;              // t3 /= nk1
    t3 = log(t3);               // log(t3, out=t3)
    t3 = t3 * dmk;              // t3 *= dmk
    t1 = t1 + t3;               // t1 += t3
    t1 = t1 + os_stirling_tail(m);      // t1 += stirling_tail(m)
    t1 = t1 - os_stirling_tail(k);      // t1 -= stirling_tail(k)
    t1 = t1 + os_stirling_tail(nm);     // t1 += stirling_tail(nm)
    t1 = t1 - os_stirling_tail(n - k);  // t1 -= stirling_tail(n - k)
    return t1;
}

// --- BINV (inversion) -----------------------------------------------------------------------

// binomial.inversion_bound: min(n, floor(n p + 15 sqrt(n p q + 1))). For every n p < 10 the
// binomial mass above it is < 1.6e-22 (scipy-checked in tests/test_binomial.py); it only stops
// a run-away search (largest value 59, just below n p = 10).
OS_HD inline double os_inversion_bound(double n, double p) {
    const double np_ = n * p;   // np_ = n * p
    double t = np_ * (1.0 - p);  // t = np_ * (1.0 - p)
    t = t + 1.0;                 // t += 1.0
    t = sqrt(t);                 // sqrt(t, out=t)   (correctly rounded everywhere)
    t = t * OS_BINV_TAIL_SDS;    // t *= BINV_TAIL_SDS
    t = t + np_;                 // t += np_
    t = floor(t);                // floor(t, out=t)
    return os_min(n, t);         // minimum(n, t)
}

// Per-lane BINV set-up (binomial._inversion_trial), independent of the attempt.
struct OsInversionConstants {
    double s;      // p / q
    double a;      // (n + 1) s
    double r0;     // f(0) = q**n = exp(n log1p(-p))
    double bound;  // os_inversion_bound(n, p)
};

OS_HD inline OsInversionConstants os_inversion_constants(double n, double p) {
    OsInversionConstants c;
    double s = 1.0 - p;  // s = 1.0 - p
    s = p / s;           // divide(p, s, out=s)
    double a = n + 1.0;  // a = n + 1.0
    a = a * s;           // a *= s
    double r = log1p(-p);  // r = log1p(-p)
    r = r * n;             // r *= n
    r = exp(r);            // exp(r, out=r)
    c.s = s;
    c.a = a;
    c.r0 = r;
    c.bound = os_inversion_bound(n, p);
    return c;
}

// One BINV search from the uniform u in (0, 1]: x = 0, r = f(0); while u > r:
// u -= r; x += 1; r *= a / x - s (r = f(x)); give up (return false) once x > bound.
// The order is that of the vectorised loop for a lane still alive at iteration i:
//     u -= r;  f = a / float(i);  f -= s;  r *= f;  x = i;
//     reject if bound < i;  stop (accept x = i) unless u > r.
// The bound test precedes the u > r test, so a lane whose search ends at x = bound + 1 is
// rejected even when u <= r there. *x_out is the candidate (meaningful when accepted).
// If state is non-null it receives (u, r) at the end of the search (for the bitwise tests of
// tests/test_cuda_samplers_host.py; the kernels pass null and the stores compile away).
OS_HD inline bool os_inversion_search(const OsInversionConstants& c, double u, int64_t* x_out,
                                      double* state = 0) {
    double r = c.r0;
    int64_t x = 0;
    bool accepted = true;
    // alive = u > r; each pass is one iteration i of the numpy loop (i = x + 1).
    while (u > r) {
        ++x;
        const double di = (double)x;  // exact: x <= bound + 1 <= 2**53
        u = u - r;                    // u -= r
        double f = c.a / di;          // f = a / float(i)
        f = f - c.s;                  // f -= s
        r = r * f;                    // r *= f
        if (c.bound < di) {           // over = bound < i: retry with the next attempt
            accepted = false;
            break;
        }
    }
    *x_out = x;
    if (state) {
        state[0] = u;
        state[1] = r;
    }
    return accepted;
}

// --- BTRS (transformed rejection with squeeze) ----------------------------------------------

// binomial.btrs_constants (Hormann 1993, table 1) for float n, 0 < p <= 0.5, n p >= 10:
// spq = sqrt(n p q); b = 1.15 + 2.53 spq; a = -0.0873 + 0.0248 b + 0.01 p; c = n p + 1/2;
// v_r = 0.92 - 4.2 / b; alpha = (2.83 + 5.1 / b) spq; plus a2 = 2 a (exact), the mode
// m = floor((n + 1) p) and q = 1 - p that btrs_accept computes per slow lane (same values).
struct OsBtrsConstants {
    double a, a2, b, c, vr, alpha, m, q;
};

OS_HD inline OsBtrsConstants os_btrs_constants(double n, double p) {
    OsBtrsConstants k;
    double spq = n * p;        // spq = n * p
    k.c = spq + 0.5;           // c = spq + 0.5
    spq = spq * (1.0 - p);     // spq *= 1.0 - p
    spq = sqrt(spq);           // sqrt(spq, out=spq)
    double b = spq * 2.53;     // b = spq * 2.53
    b = b + 1.15;              // b += 1.15
    double a = b * 0.0248;     // a = b * 0.0248
    a = a - 0.0873;            // a -= 0.0873
    a = a + p * 0.01;          // a += p * 0.01
    double vr = 4.2 / b;       // vr = 4.2 / b
    vr = 0.92 - vr;            // subtract(0.92, vr, out=vr)
    double alpha = 5.1 / b;    // alpha = 5.1 / b
    alpha = alpha + 2.83;      // alpha += 2.83
    alpha = alpha * spq;       // alpha *= spq
    k.a = a;
    k.a2 = a * 2.0;            // "a2": a * 2.0
    k.b = b;
    k.vr = vr;
    k.alpha = alpha;
    double m = n + 1.0;        // m = ns + 1.0   (btrs_accept)
    m = m * p;                 // m *= ps
    k.m = floor(m);            // floor(m, out=m)
    k.q = 1.0 - p;             // 1.0 - ps
    return k;
}

// One BTRS trial (binomial.btrs_accept) from u0, u1 in (0, 1]: returns whether the candidate
// *k_out is accepted. U = u0 - 1/2, V = u1, us = 1/2 - |U| (clamped to 1e-300: at u0 == 1 the
// candidate then lies far above n and is rejected); k = floor((2 a / us + b) U + c); reject
// k < 0 or k > n; accept if us >= 0.07 and V <= v_r (the squeeze, ~80 % of trials); else
// accept iff log(V alpha / (a / us^2 + b)) <= log f(k) / f(m). If logs is non-null and the
// exact test runs, it receives (lhs, log f(k)/f(m)) (for the bitwise tests; kernels pass null).
OS_HD inline bool os_btrs_accept(const OsBtrsConstants& c, double n, double p, double u0,
                                 double u1, double* k_out, double* logs = 0) {
    const double U = u0 - 0.5;    // u0 -= 0.5
    double us = fabs(U);          // us = abs(u0)
    us = 0.5 - us;                // subtract(0.5, us, out=us)
    us = os_max(us, OS_US_MIN);   // maximum(us, _US_MIN, out=us)
    double k = c.a2 / us;         // k = a2 / us
    k = k + c.b;                  // k += b
    k = k * U;                    // k *= u0
    k = k + c.c;                  // k += c
    k = floor(k);                 // floor(k, out=k)
    *k_out = k;
    if (!(k >= 0.0 && k <= n)) {  // inside = (k >= 0) & (k <= n)
        return false;
    }
    if (us >= OS_BTRS_FAST_US && u1 <= c.vr) {  // acc = (us >= 0.07) & (u1 <= vr) & inside
        return true;
    }
    double t = us * us;           // t = uss * uss
    t = c.a / t;                  // divide(a, t, out=t)
    t = t + c.b;                  // t += b
    double lhs = u1 * c.alpha;    // lhs = u1 * alpha
    lhs = lhs / t;                // lhs /= t
    lhs = log(lhs);               // log(lhs, out=lhs)
    const double rhs = os_log_pmf_ratio(k, c.m, n, p, c.q);
    if (logs) {
        logs[0] = lhs;
        logs[1] = rhs;
    }
    return lhs <= rhs;            // acc[slow] = lhs <= log_pmf_ratio(...)
}

// --- attempt loop and dispatch --------------------------------------------------------------

// The general entry point. method: OS_METHOD_AUTO (the dispatcher, binomial.binomial) or a
// forced OS_METHOD_INVERSION / OS_METHOD_BTRS (binomial_inversion / binomial_btrs: p <= 0.5,
// no mirroring). max_attempts in 1..OS_MAX_ATTEMPTS (only tests lower it). If attempts is
// non-null it receives what numpy's return_attempts reports: 0 for lanes that draw nothing, the
// number of blocks used, or max_attempts + 1 on exhaustion (the value is then the mode).
// Preconditions as numpy checks them (not checked here): 0 <= n <= 2**53, 0 <= p <= 1
// (<= 0.5 for a forced method); a NaN p draws nothing and gives 0.
OS_HD inline int64_t os_binomial_ex(OsKey key, uint32_t slot_base, uint32_t step,
                                    uint64_t realization, int64_t n, double p, int method,
                                    int max_attempts, int* attempts) {
    const bool autom = method == OS_METHOD_AUTO;
    const bool flip = autom && p > 0.5;     // flip = p_c > 0.5
    const double pm = flip ? 1.0 - p : p;   // where(flip, 1.0 - p_c, p_c)   (exact: Sterbenz)
    if (!(n > 0 && pm > 0.0)) {             // active = (n > 0) & (pm > 0.0)
        if (attempts) *attempts = 0;
        return flip ? n : 0;                // out = where(flip, n_c, 0): p == 1 gives n
    }
    const double nf = (double)n;            // nf = n_c.astype(float64): exact for n <= 2**53
    if (autom) {
        method = nf * pm < OS_BINV_MAX_MEAN ? OS_METHOD_INVERSION : OS_METHOD_BTRS;
    }
    int64_t x = 0;
    int a = 0;
    bool done = false;
    if (method == OS_METHOD_INVERSION) {
        const OsInversionConstants c = os_inversion_constants(nf, pm);
        for (; a < max_attempts; ++a) {
            const double u = os_uniform0(key, slot_base + (uint32_t)a, step, realization);
            if (os_inversion_search(c, u, &x)) {
                done = true;
                break;
            }
        }
    } else {
        const OsBtrsConstants c = os_btrs_constants(nf, pm);
        for (; a < max_attempts; ++a) {
            double u0, u1, k;
            os_uniform_pair(key, slot_base + (uint32_t)a, step, realization, &u0, &u1);
            if (os_btrs_accept(c, nf, pm, u0, u1, &k)) {
                x = (int64_t)k;  // where(acc, k, 0.0).astype(int64): k is whole, in [0, n]
                done = true;
                break;
            }
        }
    }
    if (done) {
        if (attempts) *attempts = a + 1;
    } else {
        // Exhaustion: m = nf + 1.0; m *= pm; floor(m) -> int64, mirrored below.
        double m = nf + 1.0;
        m = m * pm;
        x = (int64_t)floor(m);
        if (attempts) *attempts = max_attempts + 1;
    }
    return flip ? n - x : x;  // where(p > 0.5, n - x, x)
}

// Binomial(n, p) for 0 <= n <= 2**53, 0 <= p <= 1: the dispatcher of binomial.binomial.
OS_HD inline int64_t os_binomial(OsKey key, uint32_t slot_base, uint32_t step,
                                 uint64_t realization, int64_t n, double p) {
    return os_binomial_ex(key, slot_base, step, realization, n, p, OS_METHOD_AUTO,
                          OS_MAX_ATTEMPTS, (int*)0);
}

// BINV forced (binomial.binomial_inversion): p <= 0.5, meant for n p < 10 (valid while
// exp(n log1p(-p)) does not underflow, n p < ~700; the work grows with the result).
OS_HD inline int64_t os_binomial_inversion(OsKey key, uint32_t slot_base, uint32_t step,
                                           uint64_t realization, int64_t n, double p) {
    return os_binomial_ex(key, slot_base, step, realization, n, p, OS_METHOD_INVERSION,
                          OS_MAX_ATTEMPTS, (int*)0);
}

// BTRS forced (binomial.binomial_btrs): p <= 0.5, n p >= 10 (the hat's validity range).
OS_HD inline int64_t os_binomial_btrs(OsKey key, uint32_t slot_base, uint32_t step,
                                      uint64_t realization, int64_t n, double p) {
    return os_binomial_ex(key, slot_base, step, realization, n, p, OS_METHOD_BTRS,
                          OS_MAX_ATTEMPTS, (int*)0);
}
