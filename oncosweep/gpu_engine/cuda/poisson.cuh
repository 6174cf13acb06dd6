// oncosweep: exact Poisson(mean) sampler on counter-based Philox uniforms, one lane per call,
// reproducing oncosweep/gpu_engine/poisson.py (the vectorised numpy reference) draw for draw.
// Algorithms, constants, the exactness check of the PTRS constants and the error analysis:
// that module's docstring.
//
//   * mean == 0 -> 0, without drawing;
//   * mean < 10: sequential-search inversion (the Poisson limit of BINV; L. Devroye,
//     "Non-Uniform Random Variate Generation", Springer 1986, section X.3), one uniform per
//     attempt, search bound floor(mean + 15 sqrt(mean + 1)) (mass above it < 2.2e-22);
//   * mean >= 10: transformed rejection with squeeze PTRS, W. Hormann, "The transformed
//     rejection method for generating Poisson random variables", Insurance: Mathematics and
//     Economics 12 (1993) 39-45, one block (two uniforms) per attempt, with inv_alpha * 1.01
//     and v_r * 0.98 (Hormann's own constants leave the hat up to 0.58 % below the pmf for
//     means in [10, ~1600] and the squeeze box up to 0.63 % above it for means in [17, 58]),
//     and a lgamma-free, cancellation-free log f(k) (Stirling tail fc of binomial.cuh and
//     C. Loader's deviance bd0).
//
// Addressing (rng.py): attempt a = 0 .. max_attempts - 1 of a lane reads the block at counter
// (slot_base + a, step, realization lo, realization hi). numpy evaluates retries
// speculatively, several attempts at once, but keeps each lane's FIRST accepted attempt; the
// scalar loop below returns exactly that value. After max_attempts rejections (probability
// < 1e-150 with 256) the lane returns the mode floor(mean), as numpy does.
//
// Bit-for-bit order: every floating-point expression is written as the sequence of in-place
// ufunc calls of poisson.py, one IEEE rounding per operation, each step commented with the
// numpy line it mirrors; builds must not contract a * b + c into an FMA (compat.cuh). Only exp
// (inversion start) and log (the exact test) may round differently from numpy's, by an ulp,
// and none of them is multiplied by a large factor (the amplified part of log f(k) is the
// transcendental-free bd0 series): a decision flips only when a compared quantity lies within
// ~1e-14 of its threshold.
#pragma once

#include "binomial.cuh"  // os_stirling_tail, OS_MAX_ATTEMPTS, OS_BINV_TAIL_SDS, OS_US_MIN
#include "compat.cuh"
#include "philox.cuh"

// --- constants (same values as poisson.py) --------------------------------------------------

#define OS_POISSON_INVERSION_MAX_MEAN 10.0  // poisson.INVERSION_MAX_MEAN: below -> inversion
#define OS_POISSON_MAX_MEAN 4503599627370496.0  // poisson.MAX_MEAN = 2**52 (checked by numpy)
#define OS_PTRS_FAST_US 0.07        // poisson.PTRS_FAST_US: squeeze needs us >= 0.07 (step 1)
#define OS_PTRS_TAIL_US 0.013       // poisson.PTRS_TAIL_US: quick rejection us < 0.013, V > us
#define OS_PTRS_HAT_SCALE 1.01      // poisson.PTRS_HAT_SCALE: inv_alpha * 1.01 (hat dominates)
#define OS_PTRS_SQUEEZE_SCALE 0.98  // poisson.PTRS_SQUEEZE_SCALE: v_r * 0.98 (box under pmf)
#define OS_HALF_LOG_2PI 0.91893853320467274178  // poisson.HALF_LOG_2PI, the same literal
#define OS_BD0_SERIES_MAX_V 0.1     // poisson.BD0_SERIES_MAX_V: |v| < 0.1 -> series

// --- inversion (mean < 10) ------------------------------------------------------------------

// poisson.inversion_bound: floor(mean + 15 sqrt(mean + 1)), BINV's bound with q = 1. For every
// mean < 10 the Poisson mass above it is < 2.2e-22 (scipy-checked in tests/test_poisson.py;
// worst near mean = 1.29); it only stops a run-away search (largest value 59).
OS_HD inline double os_poisson_inversion_bound(double mean) {
    double t = mean + 1.0;         // t = mean + 1.0
    t = sqrt(t);                   // sqrt(t, out=t)   (correctly rounded everywhere)
    t = t * OS_BINV_TAIL_SDS;      // t *= BINV_TAIL_SDS
    t = t + mean;                  // t += mean
    return floor(t);               // floor(t, out=t)
}

// One inversion search from the uniform u in (0, 1]: x = 0, r = f(0) = exp(-mean); while
// u > r: u -= r; x += 1; r *= mean / x (r = f(x)); give up (return false) once x > bound.
// The order is that of the vectorised loop of poisson._inversion_trial for a lane still alive
// at iteration i:   u -= r;  f = m / float(i);  r *= f;  x = i;  reject if bound < i;
// stop (accept x = i) unless u > r. *x_out is the candidate (meaningful when accepted). If
// state is non-null it receives (u, r) at the end of the search (for the bitwise tests of
// tests/test_poisson.py; the kernels pass null and the stores compile away).
OS_HD inline bool os_poisson_inversion_search(double mean, double r0, double bound, double u,
                                              int64_t* x_out, double* state = 0) {
    double r = r0;
    int64_t x = 0;
    bool accepted = true;
    while (u > r) {                 // alive = u > r
        ++x;
        const double di = (double)x;  // exact: x <= bound + 1 <= 60
        u = u - r;                    // u -= r
        const double f = mean / di;   // f = m / float(i)
        r = r * f;                    // r *= f
        if (bound < di) {             // over = bound < i: retry with the next attempt
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

// --- PTRS (mean >= 10) ----------------------------------------------------------------------

// The series branch of poisson.bd0 (|v| < 0.1): d v + 2 y v S with
// S = v^2 (1/3 + v^2 (1/5 + ... + v^2 / 17)) (8 terms, the rest below v^17 / 19 relative),
// for d = y - mean and v = d / (y + mean). + - * / only: identical on every platform.
OS_HD inline double os_poisson_bd0_series(double y, double d, double v) {
    const double v2 = v * v;           // v2 = v * v
    double s = v2 * (1.0 / 17.0);      // s = v2 * (1.0 / 17.0)
    s = s + (1.0 / 15.0);              // for j = 7 .. 1: s += 1.0 / (2 j + 1); s *= v2
    s = s * v2;                        //   (the constants fold to the same correctly
    s = s + (1.0 / 13.0);              //    rounded doubles as Python's 1.0 / 15 ...)
    s = s * v2;
    s = s + (1.0 / 11.0);
    s = s * v2;
    s = s + (1.0 / 9.0);
    s = s * v2;
    s = s + (1.0 / 7.0);
    s = s * v2;
    s = s + (1.0 / 5.0);
    s = s * v2;
    s = s + (1.0 / 3.0);
    s = s * v2;
    double w = y * 2.0;                // w = y * 2.0
    w = w * v;                         // w *= v
    w = w * s;                         // w *= s
    double series = d * v;             // series = d * v
    series = series + w;               // series += w
    return series;
}

// poisson.bd0: Loader's deviance y log(y / mean) + mean - y >= 0 for y >= 1, mean > 0. With
// d = y - mean (exact where |v| < 1/3: Sterbenz) and v = d / (y + mean): the series above
// where |v| < 0.1 (where it matters: the amplified part of log f(k) is then transcendental-
// free), elsewhere y log(y / mean) - d. numpy evaluates both branches and selects with
// where(); the selected value is the same.
OS_HD inline double os_poisson_bd0(double y, double mean) {
    const double d = y - mean;         // d = y - mean
    double v = y + mean;               // v = y + mean
    v = d / v;                         // divide(d, v, out=v)
    if (fabs(v) < OS_BD0_SERIES_MAX_V) {  // where(abs(v) < BD0_SERIES_MAX_V, series, far)
        return os_poisson_bd0_series(y, d, v);
    }
    double far = y / mean;             // far = y / mean
    far = log(far);                    // log(far, out=far)
    far = far * y;                     // far *= y
    far = far - d;                     // far -= d
    return far;
}

// poisson.log_pmf: log f(k) of Poisson(mean) for a whole double k >= 0, mean > 0, without
// lgamma: log(k + 1) / 2 - (log(mean) + log(2 pi) / 2) - bd0(k + 1, mean) - fc(k), from
// log k! = (k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2 + fc(k). Absolute error ~1e-14 plus
// the fc series error (< 3.1e-11 at k = 10) at any mean up to 2**52.
OS_HD inline double os_poisson_log_pmf(double k, double mean) {
    const double y = k + 1.0;          // y = k + 1.0
    double t = log(y);                 // t = log(y)
    t = t * 0.5;                       // t *= 0.5
    double lc = log(mean);             // lc = log(mean)
    lc = lc + OS_HALF_LOG_2PI;         // lc += HALF_LOG_2PI
    t = t - lc;                        // t -= lc
    t = t - os_poisson_bd0(y, mean);   // t -= bd0(y, mean)
    t = t - os_stirling_tail(k);       // t -= stirling_tail(k)
    return t;
}

// poisson.ptrs_constants (Hormann 1993, with the two corrected constants) for mean >= 10.
struct OsPtrsConstants {
    double a, a2, b, c, vr, inv_alpha;
};

OS_HD inline OsPtrsConstants os_ptrs_constants(double mean) {
    OsPtrsConstants k;
    double b = sqrt(mean);             // b = sqrt(mean)
    b = b * 2.53;                      // b *= 2.53
    b = b + 0.931;                     // b += 0.931
    double a = b * 0.02483;            // a = b * 0.02483
    a = a - 0.059;                     // a -= 0.059
    double inv_alpha = b - 3.4;        // inv_alpha = b - 3.4
    inv_alpha = 1.1328 / inv_alpha;    // divide(1.1328, inv_alpha, out=inv_alpha)
    inv_alpha = inv_alpha + 1.1239;    // inv_alpha += 1.1239
    inv_alpha = inv_alpha * OS_PTRS_HAT_SCALE;  // inv_alpha *= PTRS_HAT_SCALE
    double vr = b - 2.0;               // vr = b - 2.0
    vr = 3.6224 / vr;                  // divide(3.6224, vr, out=vr)
    vr = 0.9277 - vr;                  // subtract(0.9277, vr, out=vr)
    vr = vr * OS_PTRS_SQUEEZE_SCALE;   // vr *= PTRS_SQUEEZE_SCALE
    k.a = a;
    k.a2 = a * 2.0;                    // "a2": a * 2.0
    k.b = b;
    k.c = mean + 0.43;                 // "c": mean + 0.43
    k.vr = vr;
    k.inv_alpha = inv_alpha;
    return k;
}

// One PTRS trial (poisson.ptrs_accept) from u0, u1 in (0, 1]: returns whether the candidate
// *k_out is accepted. U = u0 - 1/2, V = u1, us = max(1/2 - |U|, 1e-300);
// k = floor((2 a / us + b) U + c); reject k < 0; accept if us >= 0.07 and V <= v_r (the
// squeeze); reject if us < 0.013 and V > us (Hormann's quick rejection; it also rejects
// u0 == 1, us clamped to 1e-300 < V); else accept iff
// log(V inv_alpha / (a / us^2 + b)) <= log f(k). If logs is non-null and the exact test runs,
// it receives (lhs, log f(k)) (for the bitwise tests; kernels pass null).
OS_HD inline bool os_ptrs_accept(const OsPtrsConstants& c, double mean, double u0, double u1,
                                 double* k_out, double* logs = 0) {
    const double U = u0 - 0.5;         // u0 -= 0.5
    double us = fabs(U);               // us = abs(u0)
    us = 0.5 - us;                     // subtract(0.5, us, out=us)
    us = os_max(us, OS_US_MIN);        // maximum(us, _US_MIN, out=us)
    double k = c.a2 / us;              // k = a2 / us
    k = k + c.b;                       // k += b
    k = k * U;                         // k *= u0
    k = k + c.c;                       // k += c
    k = floor(k);                      // floor(k, out=k)
    *k_out = k;
    if (!(k >= 0.0)) {                 // inside = k >= 0.0
        return false;
    }
    if (us >= OS_PTRS_FAST_US && u1 <= c.vr) {  // acc = (us >= 0.07) & (u1 <= vr) & inside
        return true;
    }
    if (us < OS_PTRS_TAIL_US && u1 > us) {      // tail = (us < 0.013) & (u1 > us)
        return false;
    }
    double t = us * us;                // t = uss * uss
    t = c.a / t;                       // divide(a, t, out=t)
    t = t + c.b;                       // t += b
    double lhs = u1 * c.inv_alpha;     // lhs = u1 * inv_alpha
    lhs = lhs / t;                     // lhs /= t
    lhs = log(lhs);                    // log(lhs, out=lhs)
    const double rhs = os_poisson_log_pmf(k, mean);
    if (logs) {
        logs[0] = lhs;
        logs[1] = rhs;
    }
    return lhs <= rhs;                 // acc[slow] = lhs <= log_pmf(k, mean)
}

// --- attempt loop and dispatch --------------------------------------------------------------

// The general entry point (poisson.poisson). max_attempts in 1..OS_MAX_ATTEMPTS (only tests
// lower it). If attempts is non-null it receives what numpy's return_attempts reports: 0 for
// mean == 0 (nothing drawn), the number of blocks used, or max_attempts + 1 on exhaustion (the
// value is then the mode floor(mean)). Preconditions as numpy checks them (not checked here):
// 0 <= mean <= 2**52, finite; a NaN mean draws nothing and gives 0.
OS_HD inline int64_t os_poisson_ex(OsKey key, uint32_t slot_base, uint32_t step,
                                   uint64_t realization, double mean, int max_attempts,
                                   int* attempts) {
    if (!(mean > 0.0)) {               // active = m_c > 0.0
        if (attempts) *attempts = 0;
        return 0;
    }
    int64_t x = 0;
    int a = 0;
    bool done = false;
    if (mean < OS_POISSON_INVERSION_MAX_MEAN) {  // small = m_c < INVERSION_MAX_MEAN
        double r0 = -mean;             // r = -mean
        r0 = exp(r0);                  // exp(r, out=r)
        const double bound = os_poisson_inversion_bound(mean);
        for (; a < max_attempts; ++a) {
            const double u = os_uniform0(key, slot_base + (uint32_t)a, step, realization);
            if (os_poisson_inversion_search(mean, r0, bound, u, &x)) {
                done = true;
                break;
            }
        }
    } else {
        const OsPtrsConstants c = os_ptrs_constants(mean);
        for (; a < max_attempts; ++a) {
            double u0, u1, k;
            os_uniform_pair(key, slot_base + (uint32_t)a, step, realization, &u0, &u1);
            if (os_ptrs_accept(c, mean, u0, u1, &k)) {
                x = (int64_t)k;  // where(acc, k, 0.0).astype(int64): k is whole, >= 0
                done = true;
                break;
            }
        }
    }
    if (done) {
        if (attempts) *attempts = a + 1;
    } else {
        x = (int64_t)floor(mean);      // floor(mm[lanes]).astype(int64): the mode
        if (attempts) *attempts = max_attempts + 1;
    }
    return x;
}

// Poisson(mean) for 0 <= mean <= 2**52 with the full attempt budget (poisson.poisson).
OS_HD inline int64_t os_poisson(OsKey key, uint32_t slot_base, uint32_t step,
                                uint64_t realization, double mean) {
    return os_poisson_ex(key, slot_base, step, realization, mean, OS_MAX_ATTEMPTS, (int*)0);
}
