"""Exact Gamma(shape, 1) sampler on counter-based uniforms, for an array namespace ``xp``.

The numpy reference (also runs on cupy) of ``cuda/gamma.cuh``: both evaluate the same
sequence of IEEE operations and return IDENTICAL doubles, lane by lane (tests/test_gamma.py).
Needed for negative-binomial (gamma-Poisson) offspring counts of an exact birth-death step.

**Algorithm.** G. Marsaglia and W. W. Tsang, "A simple method for generating gamma
variables", ACM Trans. Math. Softw. 26 (2000) 363-372. For ``a >= 1``: ``d = a - 1/3``,
``c = 1 / sqrt(9 d)``; a trial draws a standard normal ``x`` and a uniform ``u``, sets
``v = (1 + c x)**3`` and

    reject if 1 + c x <= 0
    accept d v if u < 1 - 0.0331 x**4                               (squeeze, ~92 % of trials)
    accept d v if log(u) < x**2 / 2 + d (1 - v + log(v))              (the exact test)
    otherwise reject and start a new trial.

For ``shape < 1`` the boost of the same paper: ``Gamma(shape) = Gamma(shape + 1) U**(1/shape)``
with an independent uniform ``U`` (``U**(1/shape)`` is evaluated as ``exp(log(U) / shape)``).
The normal is Box-Muller from the two uniforms of one block, cosine branch only, as the imaging
noise (clinic.imaging): ``x = sqrt(-2 log u0) cos(2 pi u1)``. As u0 >= 2**-53, the radius is
at most sqrt(106 ln 2) = 8.58: the normal's tail beyond it (mass 1e-17) is never drawn.

**Addressing** (rng.py). A lane owns the 256 blocks ``slot_base + b``, ``b = 0 .. 255``, of its
(cell type, event) at counter ``(slot_base + b, step, realization lo, realization hi)``:

* trial ``t`` (t = 0, 1, ...) reads block ``2 t`` (``u0``, ``u1``: the Box-Muller pair) and
  block ``2 t + 1`` (its ``u0`` is ``u``; its ``u1`` is not used);
* the boost uniform ``U`` (only lanes with ``shape < 1``) is ``u0`` of block
  ``BOOST_BLOCK = 255``, whatever the number of trials;
* so at most ``MAX_TRIALS = 127`` trials (blocks 0 .. 253; block 254 is never read). The
  ``max_attempts`` argument is the number of blocks the trials may read (rng's "attempts" are
  blocks): ``min(max_attempts, 255) // 2`` trials; only tests lower it.

A lane's value therefore depends only on its own counter and shape: never on the other lanes,
their order, the chunk size or the device.

**Attempt budget.** The acceptance probability of a trial is smallest at ``a = 1``
(0.9516677, computed by quadrature in tests/test_gamma.py) and grows with ``a`` (0.98166 at
a = 2, 0.99707 at 10, 1 - 2.8e-5 at 1e3); boosted lanes use ``a = shape + 1`` in (1, 2). So a
lane exhausts its 127 trials with probability at most ``0.04833**127 < 1e-167`` (the bound
``0.05**(254 / 2) = 6e-166`` of the 0.95 rule), below the 1e-70 of rng.py. Mean blocks per
draw: 2 / 0.9517 = 2.10 at a = 1, 2.04 at 2, 2.006 at 10 (+ 1 for boosted lanes). On
exhaustion the trial stage returns ``d`` (the value at x = 0), then the boost as usual, and
``return_attempts`` reports ``max_attempts + 1``.

**Bit-for-bit arithmetic.** Every formula is written as a sequence of single IEEE operations
(+ - * /, sqrt, floor, comparisons, integer bit operations), each rounded once, no fused
multiply-add, in the order given here and mirrored line by line in gamma.cuh. The
transcendental functions are NOT taken from the platform (numpy's SIMD loops, glibc and CUDA's
libdevice round differently in the last bit): ``gamma_log``, ``gamma_exp`` and ``cos_2pi``
below are fdlibm's algorithms and polynomial coefficients written in those operations, so
numpy, cupy, the host C++ build and the device give the same double. Source: fdlibm 5.3,
e_log.c, e_exp.c, k_sin.c, k_cos.c -- "Copyright (C) 1993 by Sun Microsystems, Inc. All rights
reserved. Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy,
modify, and distribute this software is freely granted, provided that this notice is
preserved."

**Error analysis.**

* ``gamma_log``: fdlibm's bound < 1 ulp; measured max 0.81 ulp against 80-bit ``logl``.
  ``gamma_exp``: < 1 ulp (measured 0.89). ``cos_2pi(u) = cos(2 pi u)``: the reduction
  ``4 u = q + f`` is exact (u is a multiple of 2**-53), so the only error beyond the kernels'
  < 1 ulp is the rounding of ``f pi/2`` (relative 1.7e-16): measured max 1.81 ulp, absolute
  1.4e-16 (``cos(2 * pi * u)`` in doubles has up to 6e-16, from rounding ``2 pi u``).
  tests/test_gamma.py bounds all three against 80-bit long double.
* ``x``: relative error ~4e-16; ``v``, ``d v``: a few ulps. The sampled law is therefore
  Marsaglia-Tsang's exact law up to a relative perturbation of the value of ~1e-15, and the
  decisions flip only where a compared quantity lies within its rounding error of the
  threshold (probability ~1e-15 per trial).
* Huge shapes (cell counts up to 1e15): ``1 - v + log(v)`` with ``v - 1 ~ 3 c x ~ 1e-7``
  cancels, but its derivative in ``v`` is ``1/v - 1 ~ -(v - 1)``, so the rounding of ``v``
  (2e-16) costs ~2e-23 and that of ``log(v)`` (~1 ulp of 1e-7, 1.3e-23); times ``d = 1e15``
  the exact test is off by < 1e-7 absolute (the compared quantities are O(1)): relative
  changes of the acceptance region of ~1e-7 in the far tails, far below Monte Carlo noise.
  ``v = 1 + c x`` lies on the 2.2e-16 grid of doubles near 1, so the draws ``d v`` lie on a
  grid of ~0.22 at 1e15 (two ulps), against a standard deviation of 3.2e7.
  ``d = shape - 1/3`` is rounded to 0.125 at 1e15 (relative 1e-16). Any finite positive
  shape is accepted; accuracy is promised up to 1e15.
* ``shape < 1``: ``shape + 1`` is rounded once (relative 1.1e-16 on the boosted shape);
  ``U**(1/shape)`` underflows to 0 (or a subnormal) when ``log(U) / shape < -745``: for
  shape = 1e-3 about 47 % of draws are exactly 0 -- correctly, since
  ``P(X < 2**-1074) = 2**(-1074 shape) / Gamma(shape + 1) = 0.475``.

Only operations that numpy and cupy share are used (ufuncs, ``where``, ``nonzero``, ``view``,
integer indexing, ``astype``); Python loops run over trials and chunks, never over lanes.
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine.lanes import broadcast_lanes, is_int, take
from oncosweep.gpu_engine.philox import uniform_pair
from oncosweep.gpu_engine.rng import MAX_ATTEMPTS

BLOCKS_PER_TRIAL = 2
"""Philox blocks per Marsaglia-Tsang trial: (u0, u1) for Box-Muller, then u."""

BOOST_BLOCK = MAX_ATTEMPTS - 1
"""The block (offset from slot_base) whose u0 is the boost uniform of lanes with shape < 1."""

MAX_TRIALS = BOOST_BLOCK // BLOCKS_PER_TRIAL
"""Largest trial budget (127): trials read blocks 0 .. 253 and never the boost block."""

MIN_ACCEPTANCE = 0.951667
"""Acceptance probability of one trial at a = 1, its minimum over a >= 1 (rounded down)."""

SQUEEZE = 0.0331
"""Marsaglia-Tsang squeeze: accept when u < 1 - 0.0331 x**4."""

ONE_THIRD = 1.0 / 3.0

EXP_CUT = -746.0
"""Boost: lanes with log(U) < shape * EXP_CUT give 0 without forming log(U) / shape (which
could overflow for tiny shapes); gamma_exp returns 0 below -745.13 anyway, so values are
those of the plain formula."""

NUMPY_CHUNK = 1 << 16
"""Lanes per chunk on numpy (temporaries stay in cache); cupy runs in one piece."""

# fdlibm constants (hex words of the fdlibm sources; float.fromhex is exact).
LN2_HI = float.fromhex("0x1.62e42fee00000p-1")  # 3FE62E42 FEE00000
LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # 3DEA39EF 35793C76
INV_LN2 = float.fromhex("0x1.71547652b82fep+0")  # 3FF71547 652B82FE
SQRT2 = float.fromhex("0x1.6a09e667f3bcdp+0")  # sqrt(2) correctly rounded
PIO2 = float.fromhex("0x1.921fb54442d18p+0")  # pi / 2 correctly rounded
EXP_UNDERFLOW = float.fromhex("-0x1.74910d52d3051p+9")  # -745.133...: exp(t) rounds to 0 below
TWO_M1000 = 2.0**-1000
LG = tuple(float.fromhex(h) for h in (  # e_log.c Lg1 .. Lg7
    "0x1.5555555555593p-1", "0x1.999999997fa04p-2", "0x1.2492494229359p-2",
    "0x1.c71c51d8e78afp-3", "0x1.7466496cb03dep-3", "0x1.39a09d078c69fp-3",
    "0x1.2f112df3e5244p-3"))  # fmt: skip
EXP_P = tuple(float.fromhex(h) for h in (  # e_exp.c P1 .. P5
    "0x1.555555555553ep-3", "-0x1.6c16c16bebd93p-9", "0x1.1566aaf25de2cp-14",
    "-0x1.bbd41c5d26bf1p-20", "0x1.6376972bea4d0p-25"))  # fmt: skip
SIN_S = tuple(float.fromhex(h) for h in (  # k_sin.c S1 .. S6
    "-0x1.5555555555549p-3", "0x1.111111110f8a6p-7", "-0x1.a01a019c161d5p-13",
    "0x1.71de357b1fe7dp-19", "-0x1.ae5e68a2b9cebp-26", "0x1.5d93a5acfd57cp-33"))  # fmt: skip
COS_C = tuple(float.fromhex(h) for h in (  # k_cos.c C1 .. C6
    "0x1.555555555554cp-5", "-0x1.6c16c16c15177p-10", "0x1.a01a019cb1590p-16",
    "-0x1.27e4f809c52adp-22", "0x1.1ee9ebdb4b1c4p-29", "-0x1.8fae9be8838d4p-37"))  # fmt: skip

_MANTISSA = 0x000FFFFFFFFFFFFF
_EXP_ONE = 0x3FF0000000000000

__all__ = [
    "BLOCKS_PER_TRIAL",
    "BOOST_BLOCK",
    "MAX_TRIALS",
    "MIN_ACCEPTANCE",
    "boost_factor",
    "box_muller",
    "cos_2pi",
    "gamma_constants",
    "gamma_exp",
    "gamma_log",
    "mt_trial",
    "standard_gamma",
    "trial_budget",
]


# --------------------------------------------------------------------------------------------
# Elementary functions in single IEEE operations (fdlibm)
# --------------------------------------------------------------------------------------------


def gamma_log(xp: Any, x: Any) -> Any:
    """log(x) for positive normal finite float64 x (< 1 ulp; fdlibm e_log.c).

    x = 2**k m with m in [sqrt(2)/2, sqrt(2)) (bit fields; m halved and k + 1 when the
    [1, 2) mantissa exceeds sqrt(2)); f = m - 1 (exact); s = f / (2 + f); z = s s; w = z z;
    R = z (Lg1 + w (Lg3 + w (Lg5 + w Lg7))) + w (Lg2 + w (Lg4 + w Lg6)); then
    log x = k ln2_hi - ((f f / 2 - (s (f f / 2 + R) + k ln2_lo)) - f).
    Subnormals, zero, negatives, inf and NaN are not handled (the sampler never passes them).
    """
    x = xp.asarray(x, dtype=xp.float64)
    bits = x.view(xp.int64)
    k = bits >> 52
    k -= 1023
    m = bits & _MANTISSA
    m |= _EXP_ONE
    m = m.view(xp.float64)  # [1, 2)
    big = m > SQRT2
    m = xp.where(big, m * 0.5, m)  # exact
    k += big.astype(xp.int64)
    f = m - 1.0  # exact (Sterbenz)
    hfsq = f * 0.5
    hfsq *= f  # 0.5 f f
    s = f + 2.0
    s = f / s
    z = s * s
    w = z * z
    t1 = w * LG[5]
    t1 += LG[3]
    t1 *= w
    t1 += LG[1]
    t1 *= w  # w (Lg2 + w (Lg4 + w Lg6))
    t2 = w * LG[6]
    t2 += LG[4]
    t2 *= w
    t2 += LG[2]
    t2 *= w
    t2 += LG[0]
    t2 *= z  # z (Lg1 + w (Lg3 + w (Lg5 + w Lg7)))
    t2 += t1  # R
    dk = k.astype(xp.float64)
    t2 += hfsq  # hfsq + R
    t2 *= s
    t2 += dk * LN2_LO  # s (hfsq + R) + dk ln2_lo
    xp.subtract(hfsq, t2, out=t2)
    t2 -= f
    out = dk * LN2_HI
    out -= t2
    return out


def gamma_exp(xp: Any, t: Any) -> Any:
    """exp(t) for float64 t <= 700, -inf allowed (< 1 ulp; fdlibm e_exp.c).

    0 below EXP_UNDERFLOW (-745.13). Else k = floor(t / ln2 + 1/2), hi = t - k ln2_hi (exact),
    lo = k ln2_lo, r = hi - lo, c = r - r^2 (P1 + r^2 (P2 + r^2 (P3 + r^2 (P4 + r^2 P5)))),
    y = 1 - ((lo - r c / (2 - c)) - hi) and exp t = y 2**k (by one exact multiply, or for
    k < -1021 by 2**(k + 1000) then 2**-1000: one rounding into the subnormals).
    """
    t = xp.asarray(t, dtype=xp.float64)
    under = t < EXP_UNDERFLOW
    tt = xp.where(under, 0.0, t)
    kf = tt * INV_LN2
    kf += 0.5
    xp.floor(kf, out=kf)
    hi = kf * LN2_HI
    xp.subtract(tt, hi, out=hi)
    lo = kf * LN2_LO
    r = hi - lo
    z = r * r
    c = z * EXP_P[4]
    c += EXP_P[3]
    c *= z
    c += EXP_P[2]
    c *= z
    c += EXP_P[1]
    c *= z
    c += EXP_P[0]
    c *= z
    xp.subtract(r, c, out=c)  # c = r - z (P1 + ...)
    y = r * c
    den = 2.0 - c
    y /= den
    xp.subtract(lo, y, out=y)
    y -= hi
    xp.subtract(1.0, y, out=y)
    k = kf.astype(xp.int64)
    normal = k >= -1021
    ks = xp.where(normal, k, k + 1000)
    ks += 1023
    ks <<= 52
    y *= ks.view(xp.float64)  # 2**k or 2**(k + 1000), exact
    y = xp.where(normal, y, y * TWO_M1000)
    return xp.where(under, 0.0, y)


def cos_2pi(xp: Any, u: Any) -> Any:
    """cos(2 pi u) for float64 u in [0, 1] with 4 u exact (multiples of 2**-53 are).

    4 u = q + f with q whole and f in [-1/2, 1/2] (exact: w = 4 u, q = floor(w), f = w - q,
    and f > 1/2 moves to f - 1, q + 1), y = f pi/2 in [-pi/4, pi/4]; then by q mod 4:
    cos y, -sin y, -cos y, sin y with fdlibm's kernels (k_cos.c, k_sin.c, zero tail):
    sin y = y + y z (S1 + z (S2 + z (S3 + z S4) + z w (S5 + z S6))),
    cos y = (1 - z/2) + (((1 - (1 - z/2)) - z/2) + z (z (C1 + z (C2 + z C3))
    + w w (C4 + z (C5 + z C6)))), z = y y, w = z z.
    """
    u = xp.asarray(u, dtype=xp.float64)
    w4 = u * 4.0
    q = xp.floor(w4)
    f = w4 - q
    up = f > 0.5
    f = xp.where(up, f - 1.0, f)
    q = xp.where(up, q + 1.0, q)
    y = f * PIO2
    z = y * y
    w = z * z
    # cosine kernel: r = z (C1 + z (C2 + z C3)) + (w w) (C4 + z (C5 + z C6))
    ca = z * COS_C[2]
    ca += COS_C[1]
    ca *= z
    ca += COS_C[0]
    ca *= z
    cb = z * COS_C[5]
    cb += COS_C[4]
    cb *= z
    cb += COS_C[3]
    cb *= w * w
    ca += cb  # r
    ca *= z  # z r
    hz = z * 0.5
    cw = 1.0 - hz
    cosv = 1.0 - cw
    cosv -= hz
    cosv += ca
    cosv += cw  # w + (((1 - w) - hz) + z r)
    # sine kernel: r = S2 + z (S3 + z S4) + (z w) (S5 + z S6); y + (z y) (S1 + z r)
    sa = z * SIN_S[3]
    sa += SIN_S[2]
    sa *= z
    sa += SIN_S[1]
    sb = z * SIN_S[5]
    sb += SIN_S[4]
    sb *= z * w
    sa += sb  # r
    sa *= z
    sa += SIN_S[0]
    sa *= z * y
    sinv = y + sa
    odd = (q == 1.0) | (q == 3.0)
    neg = (q == 1.0) | (q == 2.0)
    out = xp.where(odd, sinv, cosv)
    return xp.where(neg, -out, out)


def box_muller(xp: Any, u0: Any, u1: Any) -> Any:
    """Standard normal sqrt(-2 log u0) cos(2 pi u1) from u0, u1 in (0, 1] (cosine branch)."""
    rad = gamma_log(xp, u0)
    rad *= -2.0
    xp.sqrt(rad, out=rad)
    rad *= cos_2pi(xp, u1)
    return rad


# --------------------------------------------------------------------------------------------
# Marsaglia-Tsang
# --------------------------------------------------------------------------------------------


def gamma_constants(xp: Any, a: Any) -> tuple[Any, Any]:
    """(d, c) = (a - 1/3, 1 / sqrt(9 d)) for float64 a >= 1: d = a - 1/3; c = sqrt(d);
    c = c 3; c = 1 / c (3 sqrt(d) rather than sqrt(9 d): no overflow for any finite a)."""
    d = xp.asarray(a, dtype=xp.float64) - ONE_THIRD
    c = xp.sqrt(d)
    c *= 3.0
    xp.divide(1.0, c, out=c)
    return d, c


def mt_trial(xp: Any, d: Any, c: Any, u0: Any, u1: Any, u: Any) -> tuple[Any, Any]:
    """One Marsaglia-Tsang trial per lane from uniforms u0, u1, u in (0, 1]: (d v, accepted).

    x = box_muller(u0, u1); v = x c + 1; reject v <= 0; v3 = (v v) v; x2 = x x;
    accept if u < 1 - (x2 x2) 0.0331; else (v > 0 lanes only, compressed) accept iff
    log(u) < x2 0.5 + d ((1 - v3) + log(v3)). The value d v3 is meaningful where accepted.
    """
    x = box_muller(xp, u0, u1)
    v = x * c
    v += 1.0
    pos = v > 0.0
    v3 = v * v
    v3 *= v
    x2 = x * x
    sq = x2 * x2
    sq *= SQUEEZE
    xp.subtract(1.0, sq, out=sq)
    acc = u < sq
    acc &= pos
    pos ^= acc  # v > 0, not accepted by the squeeze: the exact test
    (slow,) = xp.nonzero(pos)
    if slow.size:
        vs = v3[slow]
        rhs = 1.0 - vs
        rhs += gamma_log(xp, vs)
        rhs *= d[slow]
        half = x2[slow]
        half *= 0.5
        rhs += half  # x2 0.5 + d ((1 - v3) + log v3)
        acc[slow] = gamma_log(xp, u[slow]) < rhs
    v3 *= d
    return v3, acc


def boost_factor(xp: Any, u: Any, shape: Any) -> Any:
    """U**(1/shape) = exp(log(U) / shape) for U in (0, 1], shape > 0; exactly 0 where
    log(U) < shape * EXP_CUT (the exponent is then below -745.13 and exp gives 0 anyway)."""
    e = gamma_log(xp, u)
    under = e < shape * EXP_CUT
    e = xp.where(under, 0.0, e)
    e /= shape
    return xp.where(under, 0.0, gamma_exp(xp, e))


def trial_budget(max_attempts: int) -> int:
    """Marsaglia-Tsang trials allowed by a budget of ``max_attempts`` blocks (2 .. 256):
    ``min(max_attempts, BOOST_BLOCK) // 2`` (127 for the default 256)."""
    if not 2 <= int(max_attempts) <= MAX_ATTEMPTS:
        raise ValueError(f"max_attempts: must be in [2, {MAX_ATTEMPTS}], got {max_attempts}")
    return min(int(max_attempts), BOOST_BLOCK) // BLOCKS_PER_TRIAL


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _trial(xp, key, t, sb, st, re, d, c):
    """Trial t of a batch of lanes: blocks 2 t (Box-Muller) and 2 t + 1 (u)."""
    u0, u1 = uniform_pair(xp, key, sb + BLOCKS_PER_TRIAL * t, st, re)
    u, _ = uniform_pair(xp, key, sb + (BLOCKS_PER_TRIAL * t + 1), st, re)
    return mt_trial(xp, d, c, u0, u1, u)


def standard_gamma(
    xp: Any,
    key: tuple[int, int],
    slot_base: Any,
    step: Any,
    realization: Any,
    shape: Any,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    return_attempts: bool = False,
    chunk: int | None = None,
) -> Any:
    """Exact Gamma(shape, scale 1) draws, one per lane, from counter-based Philox blocks.

    Parameters
    ----------
    xp : array namespace (numpy or cupy).
    key : (k0, k1), the Philox key ``rng.make_key(seed, point)``.
    slot_base : uint64 array (or int), the block-0 slot ``rng.slot(cell_type, event)`` of each
        lane (low 8 bits zero); the lane reads blocks ``slot_base + b``, b < 256 (module doc).
    step : int or uint64 array, the engine step (counter word 1).
    realization : uint64 array (or int), the realization index (counter words 2 and 3).
    shape : float64 array, finite and > 0 (accuracy promised up to 1e15).
    max_attempts : blocks the trials may read, 2..256 (``rng.MAX_ATTEMPTS``):
        ``min(max_attempts, 255) // 2`` trials (127 by default); only tests lower it.
    return_attempts : also return an int64 array of the blocks each lane read
        (2 per trial, + 1 for the boost block when shape < 1), ``max_attempts + 1`` marking
        exhaustion (the trial stage then gives d = a - 1/3).
    chunk : lanes per batch (default ``NUMPY_CHUNK`` on numpy, everything at once otherwise);
        it changes the speed, never the values.

    All per-lane arguments broadcast to one lane shape, which the float64 result has.
    """
    trials = trial_budget(max_attempts)
    lane_shape, (sb, re, sh, st) = broadcast_lanes(xp, slot_base, step, realization,
                                                  (shape, xp.float64))
    size = sh.shape[0]
    if chunk is None:
        chunk = NUMPY_CHUNK if getattr(xp, "__name__", "") == "numpy" else max(size, 1)
    chunk = max(int(chunk), 1)
    out = xp.empty(size, dtype=xp.float64)
    d = xp.empty(size, dtype=xp.float64)
    c = xp.empty(size, dtype=xp.float64)
    att = xp.zeros(size, dtype=xp.int64) if return_attempts else None
    pending = []
    # Trial 0, chunk by chunk (temporaries stay in cache); rejected lanes are gathered.
    for lo in range(0, size, chunk):
        hi = min(lo + chunk, size)
        s_c = sh[lo:hi]
        ok = s_c > 0.0
        ok &= s_c < xp.inf
        if not bool(ok.all()):
            raise ValueError(f"shape: must be finite and > 0, got e.g. {s_c[~ok][:5].tolist()}")
        a = xp.where(s_c < 1.0, s_c + 1.0, s_c)
        d[lo:hi], c[lo:hi] = gamma_constants(xp, a)
        st_c = st if is_int(st) else st[lo:hi]
        value, acc = _trial(xp, key, 0, sb[lo:hi], st_c, re[lo:hi], d[lo:hi], c[lo:hi])
        out[lo:hi] = value  # rejected lanes: placeholders, overwritten below
        (rej,) = xp.nonzero(~acc)
        if rej.size:
            pending.append(rej + lo)
    if att is not None:
        att[:] = BLOCKS_PER_TRIAL
    # Retries: ~5 % of the lanes at a = 1 (fewer for larger a), gathered across chunks.
    lanes = xp.concatenate(pending) if pending else xp.zeros(0, dtype=xp.int64)
    t = 1
    while t < trials and lanes.shape[0]:
        rejected = []
        for lo in range(0, lanes.shape[0], chunk):
            g = lanes[lo : lo + chunk]
            value, acc = _trial(xp, key, t, sb[g], take(st, g), re[g], d[g], c[g])
            out[g] = value
            if att is not None:
                att[g] = BLOCKS_PER_TRIAL * (t + 1)
            (rej,) = xp.nonzero(~acc)
            rejected.append(g[rej])
        lanes = xp.concatenate(rejected)
        t += 1
    if lanes.shape[0]:  # exhaustion (probability < 1e-166 per lane): the value at x = 0
        out[lanes] = d[lanes]
        if att is not None:
            att[lanes] = max_attempts + 1
    # The boost of lanes with shape < 1: U = u0 of block BOOST_BLOCK.
    for lo in range(0, size, chunk):
        hi = min(lo + chunk, size)
        (b,) = xp.nonzero(sh[lo:hi] < 1.0)
        if not b.size:
            continue
        b += lo
        u, _ = uniform_pair(xp, key, sb[b] + BOOST_BLOCK, take(st, b), re[b])
        out[b] *= boost_factor(xp, u, sh[b])
        if att is not None:
            att[b] += att[b] <= max_attempts
    out = out.reshape(lane_shape)
    return (out, att.reshape(lane_shape)) if return_attempts else out
