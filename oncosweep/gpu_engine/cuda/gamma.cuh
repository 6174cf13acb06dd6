// oncosweep: exact Gamma(shape, 1) sampler on counter-based Philox uniforms, one lane per call,
// reproducing oncosweep/gpu_engine/gamma.py (the vectorised numpy reference) double for double.
// Algorithm, addressing and error analysis: the docstring of gamma.py.
//
//   * G. Marsaglia and W. W. Tsang, "A simple method for generating gamma variables", ACM
//     Trans. Math. Softw. 26 (2000) 363-372: for a >= 1, d = a - 1/3, c = 1/sqrt(9 d); a trial
//     draws a standard normal x (Box-Muller, cosine branch) and a uniform u, v = (1 + c x)^3;
//     reject 1 + c x <= 0; accept d v if u < 1 - 0.0331 x^4 or log u < x^2/2 + d (1 - v + log v);
//   * shape < 1: Gamma(shape) = Gamma(shape + 1) U^(1/shape), U^(1/shape) = exp(log U / shape).
//
// Addressing (rng.py): the lane owns blocks slot_base + b, b = 0 .. 255, at counter
// (slot_base + b, step, realization lo, realization hi). Trial t reads block 2 t (u0, u1: the
// Box-Muller pair) and block 2 t + 1 (u0: u); the boost uniform U is u0 of block 255
// (OS_GAMMA_BOOST_BLOCK). At most min(max_attempts, 255) / 2 = 127 trials; a lane exhausts them
// with probability < 0.04833^127 < 1e-167 and then takes d (the value at x = 0), boosted as usual.
//
// Bit-for-bit order: every floating-point expression is the sequence of ufunc calls of
// gamma.py, one IEEE rounding per operation (builds must not contract into FMA: compat.cuh),
// each step commented with the numpy line it mirrors. No platform transcendental function is
// called: log, exp and cos(2 pi u) are fdlibm's algorithms written in + - * /, sqrt, floor and
// bit operations (os_gamma_log, os_gamma_exp, os_gamma_cos_2pi), so the host build, the device
// and numpy (on any CPU) return the same doubles. fdlibm 5.3 (e_log.c, e_exp.c, k_sin.c,
// k_cos.c): "Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at
// SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute
// this software is freely granted, provided that this notice is preserved."
#pragma once

#include "compat.cuh"
#include "philox.cuh"

// --- constants (same values as gamma.py / rng.py) -------------------------------------------

#define OS_GAMMA_MAX_ATTEMPTS 256     // rng.MAX_ATTEMPTS: blocks owned by one (cell type, event)
#define OS_GAMMA_BLOCKS_PER_TRIAL 2   // gamma.BLOCKS_PER_TRIAL
#define OS_GAMMA_BOOST_BLOCK 255      // gamma.BOOST_BLOCK: u0 of this block is the boost U
#define OS_GAMMA_MAX_TRIALS 127       // gamma.MAX_TRIALS = 255 / 2
#define OS_GAMMA_SQUEEZE 0.0331       // gamma.SQUEEZE
#define OS_GAMMA_EXP_CUT (-746.0)     // gamma.EXP_CUT
#define OS_GAMMA_ONE_THIRD (1.0 / 3.0)  // gamma.ONE_THIRD (folded exactly: one division)

// fdlibm constants, the hex words of its sources (gamma.py: float.fromhex of the same digits)
#define OS_GAMMA_LN2_HI 0x1.62e42fee00000p-1
#define OS_GAMMA_LN2_LO 0x1.a39ef35793c76p-33
#define OS_GAMMA_INV_LN2 0x1.71547652b82fep+0
#define OS_GAMMA_SQRT2 0x1.6a09e667f3bcdp+0
#define OS_GAMMA_PIO2 0x1.921fb54442d18p+0
#define OS_GAMMA_EXP_UNDERFLOW (-0x1.74910d52d3051p+9)
#define OS_GAMMA_TWO_M1000 0x1p-1000
#define OS_GAMMA_LG1 0x1.5555555555593p-1
#define OS_GAMMA_LG2 0x1.999999997fa04p-2
#define OS_GAMMA_LG3 0x1.2492494229359p-2
#define OS_GAMMA_LG4 0x1.c71c51d8e78afp-3
#define OS_GAMMA_LG5 0x1.7466496cb03dep-3
#define OS_GAMMA_LG6 0x1.39a09d078c69fp-3
#define OS_GAMMA_LG7 0x1.2f112df3e5244p-3
#define OS_GAMMA_P1 0x1.555555555553ep-3
#define OS_GAMMA_P2 (-0x1.6c16c16bebd93p-9)
#define OS_GAMMA_P3 0x1.1566aaf25de2cp-14
#define OS_GAMMA_P4 (-0x1.bbd41c5d26bf1p-20)
#define OS_GAMMA_P5 0x1.6376972bea4d0p-25
#define OS_GAMMA_S1 (-0x1.5555555555549p-3)
#define OS_GAMMA_S2 0x1.111111110f8a6p-7
#define OS_GAMMA_S3 (-0x1.a01a019c161d5p-13)
#define OS_GAMMA_S4 0x1.71de357b1fe7dp-19
#define OS_GAMMA_S5 (-0x1.ae5e68a2b9cebp-26)
#define OS_GAMMA_S6 0x1.5d93a5acfd57cp-33
#define OS_GAMMA_C1 0x1.555555555554cp-5
#define OS_GAMMA_C2 (-0x1.6c16c16c15177p-10)
#define OS_GAMMA_C3 0x1.a01a019cb1590p-16
#define OS_GAMMA_C4 (-0x1.27e4f809c52adp-22)
#define OS_GAMMA_C5 0x1.1ee9ebdb4b1c4p-29
#define OS_GAMMA_C6 (-0x1.8fae9be8838d4p-37)

// --- bit casts (x.view(int64) / .view(float64)) ---------------------------------------------

OS_HD inline int64_t os_gamma_bits(double x) {
#if defined(__CUDA_ARCH__)
    return (int64_t)__double_as_longlong(x);
#else
    int64_t b;
    __builtin_memcpy(&b, &x, sizeof b);
    return b;
#endif
}

OS_HD inline double os_gamma_from_bits(int64_t b) {
#if defined(__CUDA_ARCH__)
    return __longlong_as_double((long long)b);
#else
    double x;
    __builtin_memcpy(&x, &b, sizeof x);
    return x;
#endif
}

// --- elementary functions in single IEEE operations (fdlibm) --------------------------------

// gamma.gamma_log: log(x) for positive normal finite x (< 1 ulp; fdlibm e_log.c).
OS_HD inline double os_gamma_log(double x) {
    const int64_t bits = os_gamma_bits(x);     // bits = x.view(int64)
    int64_t k = bits >> 52;                    // k = bits >> 52
    k = k - 1023;                              // k -= 1023
    int64_t mb = bits & 0x000FFFFFFFFFFFFFLL;  // m = bits & _MANTISSA
    mb = mb | 0x3FF0000000000000LL;            // m |= _EXP_ONE
    double m = os_gamma_from_bits(mb);         // m = m.view(float64)   [1, 2)
    if (m > OS_GAMMA_SQRT2) {                  // big = m > SQRT2
        m = m * 0.5;                           // where(big, m * 0.5, m)   (exact)
        k = k + 1;                             // k += big
    }
    const double f = m - 1.0;      // f = m - 1.0   (exact)
    double hfsq = f * 0.5;         // hfsq = f * 0.5
    hfsq = hfsq * f;               // hfsq *= f
    double s = f + 2.0;            // s = f + 2.0
    s = f / s;                     // s = f / s
    const double z = s * s;        // z = s * s
    const double w = z * z;        // w = z * z
    double t1 = w * OS_GAMMA_LG6;  // t1 = w * LG[5]
    t1 = t1 + OS_GAMMA_LG4;        // t1 += LG[3]
    t1 = t1 * w;                   // t1 *= w
    t1 = t1 + OS_GAMMA_LG2;        // t1 += LG[1]
    t1 = t1 * w;                   // t1 *= w
    double t2 = w * OS_GAMMA_LG7;  // t2 = w * LG[6]
    t2 = t2 + OS_GAMMA_LG5;        // t2 += LG[4]
    t2 = t2 * w;                   // t2 *= w
    t2 = t2 + OS_GAMMA_LG3;        // t2 += LG[2]
    t2 = t2 * w;                   // t2 *= w
    t2 = t2 + OS_GAMMA_LG1;        // t2 += LG[0]
    t2 = t2 * z;                   // t2 *= z
    t2 = t2 + t1;                  // t2 += t1   (R)
    const double dk = (double)k;   // dk = k.astype(float64)
    t2 = t2 + hfsq;                // t2 += hfsq
    t2 = t2 * s;                   // t2 *= s
    t2 = t2 + dk * OS_GAMMA_LN2_LO;  // t2 += dk * LN2_LO
    t2 = hfsq - t2;                // subtract(hfsq, t2, out=t2)
    t2 = t2 - f;                   // t2 -= f
    double out = dk * OS_GAMMA_LN2_HI;  // out = dk * LN2_HI
    out = out - t2;                // out -= t2
    return out;
}

// gamma.gamma_exp: exp(t) for t <= 700, -inf allowed (< 1 ulp; fdlibm e_exp.c); 0 below
// -745.13.
OS_HD inline double os_gamma_exp(double t) {
    const bool under = t < OS_GAMMA_EXP_UNDERFLOW;  // under = t < EXP_UNDERFLOW
    const double tt = under ? 0.0 : t;              // tt = where(under, 0.0, t)
    double kf = tt * OS_GAMMA_INV_LN2;  // kf = tt * INV_LN2
    kf = kf + 0.5;                      // kf += 0.5
    kf = floor(kf);                     // floor(kf, out=kf)
    double hi = kf * OS_GAMMA_LN2_HI;   // hi = kf * LN2_HI
    hi = tt - hi;                       // subtract(tt, hi, out=hi)
    const double lo = kf * OS_GAMMA_LN2_LO;  // lo = kf * LN2_LO
    const double r = hi - lo;           // r = hi - lo
    const double z = r * r;             // z = r * r
    double c = z * OS_GAMMA_P5;         // c = z * EXP_P[4]
    c = c + OS_GAMMA_P4;                // c += EXP_P[3]
    c = c * z;                          // c *= z
    c = c + OS_GAMMA_P3;                // c += EXP_P[2]
    c = c * z;                          // c *= z
    c = c + OS_GAMMA_P2;                // c += EXP_P[1]
    c = c * z;                          // c *= z
    c = c + OS_GAMMA_P1;                // c += EXP_P[0]
    c = c * z;                          // c *= z
    c = r - c;                          // subtract(r, c, out=c)
    double y = r * c;                   // y = r * c
    const double den = 2.0 - c;         // den = 2.0 - c
    y = y / den;                        // y /= den
    y = lo - y;                         // subtract(lo, y, out=y)
    y = y - hi;                         // y -= hi
    y = 1.0 - y;                        // subtract(1.0, y, out=y)
    const int64_t k = (int64_t)kf;      // k = kf.astype(int64)   (whole, -1075 .. 1010)
    const bool normal = k >= -1021;     // normal = k >= -1021
    int64_t ks = normal ? k : k + 1000;  // ks = where(normal, k, k + 1000)
    ks = ks + 1023;                     // ks += 1023
    ks = ks << 52;                      // ks <<= 52   (ks in [1, 2046]: no overflow)
    y = y * os_gamma_from_bits(ks);     // y *= ks.view(float64)   (exact)
    if (!normal) y = y * OS_GAMMA_TWO_M1000;  // where(normal, y, y * TWO_M1000)
    return under ? 0.0 : y;             // where(under, 0.0, y)
}

// gamma.cos_2pi: cos(2 pi u) for u in [0, 1] with 4 u exact (multiples of 2**-53 are):
// exact reduction 4 u = q + f, f in [-1/2, 1/2], y = f pi/2, then fdlibm's kernels by q mod 4.
OS_HD inline double os_gamma_cos_2pi(double u) {
    const double w4 = u * 4.0;   // w4 = u * 4.0
    double q = floor(w4);        // q = floor(w4)
    double f = w4 - q;           // f = w4 - q
    if (f > 0.5) {               // up = f > 0.5
        f = f - 1.0;             // where(up, f - 1.0, f)
        q = q + 1.0;             // where(up, q + 1.0, q)
    }
    const double y = f * OS_GAMMA_PIO2;  // y = f * PIO2
    const double z = y * y;      // z = y * y
    const double w = z * z;      // w = z * z
    const bool odd = q == 1.0 || q == 3.0;  // odd = (q == 1.0) | (q == 3.0)
    const bool neg = q == 1.0 || q == 2.0;  // neg = (q == 1.0) | (q == 2.0)
    double out;
    if (!odd) {
        // cosine kernel (numpy evaluates both kernels and selects: same values)
        double ca = z * OS_GAMMA_C3;  // ca = z * COS_C[2]
        ca = ca + OS_GAMMA_C2;        // ca += COS_C[1]
        ca = ca * z;                  // ca *= z
        ca = ca + OS_GAMMA_C1;        // ca += COS_C[0]
        ca = ca * z;                  // ca *= z
        double cb = z * OS_GAMMA_C6;  // cb = z * COS_C[5]
        cb = cb + OS_GAMMA_C5;        // cb += COS_C[4]
        cb = cb * z;                  // cb *= z
        cb = cb + OS_GAMMA_C4;        // cb += COS_C[3]
        cb = cb * (w * w);            // cb *= w * w
        ca = ca + cb;                 // ca += cb   (r)
        ca = ca * z;                  // ca *= z   (z r)
        const double hz = z * 0.5;    // hz = z * 0.5
        const double cw = 1.0 - hz;   // cw = 1.0 - hz
        double cosv = 1.0 - cw;       // cosv = 1.0 - cw
        cosv = cosv - hz;             // cosv -= hz
        cosv = cosv + ca;             // cosv += ca
        cosv = cosv + cw;             // cosv += cw
        out = cosv;
    } else {
        // sine kernel
        double sa = z * OS_GAMMA_S4;  // sa = z * SIN_S[3]
        sa = sa + OS_GAMMA_S3;        // sa += SIN_S[2]
        sa = sa * z;                  // sa *= z
        sa = sa + OS_GAMMA_S2;        // sa += SIN_S[1]
        double sb = z * OS_GAMMA_S6;  // sb = z * SIN_S[5]
        sb = sb + OS_GAMMA_S5;        // sb += SIN_S[4]
        sb = sb * (z * w);            // sb *= z * w
        sa = sa + sb;                 // sa += sb   (r)
        sa = sa * z;                  // sa *= z
        sa = sa + OS_GAMMA_S1;        // sa += SIN_S[0]
        sa = sa * (z * y);            // sa *= z * y
        out = y + sa;                 // sinv = y + sa
    }
    return neg ? -out : out;          // where(neg, -out, out)
}

// gamma.box_muller: sqrt(-2 log u0) cos(2 pi u1), u0, u1 in (0, 1].
OS_HD inline double os_gamma_box_muller(double u0, double u1) {
    double rad = os_gamma_log(u0);     // rad = gamma_log(u0)
    rad = rad * -2.0;                  // rad *= -2.0
    rad = sqrt(rad);                   // sqrt(rad, out=rad)   (correctly rounded everywhere)
    return rad * os_gamma_cos_2pi(u1);  // rad *= cos_2pi(u1)
}

// --- Marsaglia-Tsang --------------------------------------------------------------------------

// gamma.gamma_constants: d = a - 1/3, c = 1 / sqrt(9 d) = 1 / (3 sqrt(d)), for a >= 1 (no
// overflow for any finite a).
struct OsGammaConstants {
    double d, c;
};

OS_HD inline OsGammaConstants os_gamma_constants(double a) {
    OsGammaConstants k;
    k.d = a - OS_GAMMA_ONE_THIRD;  // d = a - ONE_THIRD
    double c = sqrt(k.d);          // c = sqrt(d)
    c = c * 3.0;                   // c *= 3.0
    k.c = 1.0 / c;                 // divide(1.0, c, out=c)
    return k;
}

// gamma.mt_trial: one trial from u0, u1, u in (0, 1]; returns whether d v is accepted and
// stores d v in *value (meaningful when accepted).
OS_HD inline bool os_gamma_trial(const OsGammaConstants& k, double u0, double u1, double u,
                                 double* value) {
    const double x = os_gamma_box_muller(u0, u1);  // x = box_muller(u0, u1)
    double v = x * k.c;          // v = x * c
    v = v + 1.0;                 // v += 1.0
    const bool pos = v > 0.0;    // pos = v > 0.0
    double v3 = v * v;           // v3 = v * v
    v3 = v3 * v;                 // v3 *= v
    const double x2 = x * x;     // x2 = x * x
    double sq = x2 * x2;         // sq = x2 * x2
    sq = sq * OS_GAMMA_SQUEEZE;  // sq *= SQUEEZE
    sq = 1.0 - sq;               // subtract(1.0, sq, out=sq)
    *value = v3 * k.d;           // v3 *= d
    if (!pos) return false;      // acc &= pos
    if (u < sq) return true;     // acc = u < sq
    double rhs = 1.0 - v3;       // rhs = 1.0 - vs
    rhs = rhs + os_gamma_log(v3);  // rhs += gamma_log(vs)
    rhs = rhs * k.d;             // rhs *= d[slow]
    double half = x2 * 0.5;      // half = x2[slow]; half *= 0.5
    rhs = rhs + half;            // rhs += half
    return os_gamma_log(u) < rhs;  // acc[slow] = gamma_log(u[slow]) < rhs
}

// gamma.boost_factor: U^(1/shape) = exp(log(U) / shape), exactly 0 where
// log(U) < shape * EXP_CUT (exp would give 0 there too).
OS_HD inline double os_gamma_boost_factor(double u, double shape) {
    const double e = os_gamma_log(u);               // e = gamma_log(u)
    if (e < shape * OS_GAMMA_EXP_CUT) return 0.0;   // under = e < shape * EXP_CUT
    return os_gamma_exp(e / shape);                 // e /= shape; gamma_exp(e)
}

// gamma.trial_budget: trials allowed by max_attempts blocks (callers pass 2 .. 256).
OS_HD inline int os_gamma_trial_budget(int max_attempts) {
    const int blocks = max_attempts < OS_GAMMA_BOOST_BLOCK ? max_attempts : OS_GAMMA_BOOST_BLOCK;
    return blocks / OS_GAMMA_BLOCKS_PER_TRIAL;
}

// --- the sampler ------------------------------------------------------------------------------

// Gamma(shape, 1) for one lane: gamma.standard_gamma. max_attempts: blocks the trials may read,
// 2 .. OS_GAMMA_MAX_ATTEMPTS (only tests lower it; not checked). If status is non-null it
// receives what numpy's return_attempts reports: the blocks read (2 per trial, + 1 for the
// boost block when shape < 1), or max_attempts + 1 on exhaustion (the trial stage then gives
// d); 0 when shape is not finite and > 0 (numpy raises): then NaN is returned, nothing drawn.
OS_HD inline double os_standard_gamma(OsKey key, uint32_t slot_base, uint32_t step,
                                      uint64_t realization, double shape, int max_attempts,
                                      int* status) {
    if (!(shape > 0.0 && shape < OS_INF)) {  // ok = (s_c > 0.0) & (s_c < inf)
        if (status) *status = 0;
        return OS_NAN;
    }
    const bool boost = shape < 1.0;
    const double a = boost ? shape + 1.0 : shape;  // a = where(s_c < 1.0, s_c + 1.0, s_c)
    const OsGammaConstants k = os_gamma_constants(a);
    const int trials = os_gamma_trial_budget(max_attempts);
    double g = k.d;                  // exhaustion: out[lanes] = d[lanes]
    int used = max_attempts + 1;     // att[lanes] = max_attempts + 1
    for (int t = 0; t < trials; ++t) {
        const uint32_t block = slot_base + (uint32_t)(OS_GAMMA_BLOCKS_PER_TRIAL * t);
        double u0, u1, u, value;
        os_uniform_pair(key, block, step, realization, &u0, &u1);  // block 2 t
        u = os_uniform0(key, block + 1u, step, realization);       // block 2 t + 1
        if (os_gamma_trial(k, u0, u1, u, &value)) {
            g = value;
            used = OS_GAMMA_BLOCKS_PER_TRIAL * (t + 1);  // att[g] = BLOCKS_PER_TRIAL * (t + 1)
            break;
        }
    }
    if (boost) {
        const double ub =
            os_uniform0(key, slot_base + (uint32_t)OS_GAMMA_BOOST_BLOCK, step, realization);
        g = g * os_gamma_boost_factor(ub, shape);  // out[b] *= boost_factor(u, sh[b])
        if (used <= max_attempts) used = used + 1;  // att[b] += att[b] <= max_attempts
    }
    if (status) *status = used;
    return g;
}
