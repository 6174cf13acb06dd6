"""BTRS, Hörmann's transformed rejection with squeeze, for the binomial sampler.

Part of :mod:`oncosweep.gpu_engine.binomial` (which dispatches to it and re-exports every
public name here): lanes with ``p <= 0.5`` and ``n p >= binomial.BINV_MAX_MEAN`` (W. Hörmann,
"The generation of binomial random variates", J. Stat. Comput. Simul. 46 (1993) 101-110). One
Philox block (two uniforms) per attempt; the exact acceptance test uses a cancellation-free
Stirling form of ``log f(k)/f(m)`` that stays accurate to ~1e-9 for n up to 1e15. Constants,
derivation and the error analysis are in ``docs/rng.md``.
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine.philox import uniform_pair

BTRS_FAST_US = 0.07
"""BTRS immediate acceptance needs ``us >= 0.07`` (Hörmann 1993, step 2)."""

# Stirling tail fc(x) = log x! - [(x + 1/2) log(x + 1) - (x + 1) + log(2 pi) / 2], x = 0..9,
# correctly rounded from 60-digit decimal arithmetic (math.lgamma agrees to ~3e-15 only).
FC_TABLE = (
    0.081061466795327261,
    0.041340695955409297,
    0.027677925684998338,
    0.020790672103765093,
    0.016644691189821193,
    0.013876128823070748,
    0.01189670994589177,
    0.010411265261972096,
    0.0092554621827127329,
    0.0083305634333628708,
)

_US_MIN = 1e-300  # us == 0 (u0 == 1) is clamped here: k then exceeds n and the lane is rejected

__all__ = [
    "BTRS_FAST_US",
    "FC_TABLE",
    "btrs_accept",
    "btrs_constants",
    "log_pmf_ratio",
    "stirling_tail",
]


def stirling_tail(xp: Any, x: Any) -> Any:
    """fc(x) = log x! - [(x + 1/2) log(x + 1) - (x + 1) + log(2 pi)/2] for whole doubles x >= 0.

    Exact table (``FC_TABLE``) for x <= 9; for x >= 10 the Stirling series in z = x + 1,
    ``fc = (1/12 - (1/360 - 1/(1260 z^2)) / z^2) / z``, whose truncation error is below the
    next term ``1/(1680 z^7)`` <= 3.1e-11 (at x = 10) and falls as z^-7.
    """
    z = x + 1.0
    z2 = z * z
    t = z2 * 1260.0
    xp.divide(1.0, t, out=t)  # 1 / (1260 z^2)
    xp.subtract(1.0 / 360.0, t, out=t)
    t /= z2
    xp.subtract(1.0 / 12.0, t, out=t)
    t /= z
    small = x < 10.0
    table = xp.asarray(FC_TABLE, dtype=xp.float64)
    idx = xp.minimum(x, 9.0).astype(xp.int64)
    return xp.where(small, table[idx], t)


def log_pmf_ratio(xp: Any, k: Any, m: Any, n: Any, p: Any, q: Any) -> Any:
    """log(f(k) / f(m)) for f the Binomial(n, p) pmf, q = 1 - p; k, m, n whole doubles in
    [0, n] (< 2**53, so every difference below is exact), 0 < p < 1.

    Cancellation-free Stirling form (derivation in docs/rng.md)::

        (m + 1/2) log1p((m - k)/(k + 1)) + (n - m + 1/2) log1p((k - m)/(n - k + 1))
          + (m - k) log(((k + 1) q) / ((n - k + 1) p)) + fc(m) - fc(k) + fc(n - m) - fc(n - k)

    Absolute error about ``|m - k| * 1e-16`` (~1e-9 for n = 1e15 at a few standard deviations)
    plus the fc series error (< 3.1e-11), versus ~4 per lgamma at n = 1e15.
    """
    dmk = m - k
    k1 = k + 1.0
    nk1 = n - k
    nk1 += 1.0  # n - k + 1
    t1 = dmk / k1
    xp.log1p(t1, out=t1)
    t1 *= m + 0.5
    t2 = -dmk
    t2 /= nk1
    xp.log1p(t2, out=t2)
    nm = n - m
    t2 *= nm + 0.5
    t1 += t2
    t3 = k1 * q
    nk1 *= p
    t3 /= nk1
    xp.log(t3, out=t3)
    t3 *= dmk
    t1 += t3
    t1 += stirling_tail(xp, m)
    t1 -= stirling_tail(xp, k)
    t1 += stirling_tail(xp, nm)
    t1 -= stirling_tail(xp, n - k)
    return t1


def btrs_constants(xp: Any, n: Any, p: Any) -> dict[str, Any]:
    """BTRS set-up (Hörmann 1993, table 1), for float64 n and 0 < p <= 0.5 with n p >= 10.

    spq = sqrt(n p q); b = 1.15 + 2.53 spq; a = -0.0873 + 0.0248 b + 0.01 p; c = n p + 1/2;
    v_r = 0.92 - 4.2 / b; alpha = (2.83 + 5.1 / b) spq. (``a2`` = 2 a, exact.)

    Every formula here and in :func:`btrs_accept` is evaluated exactly as written (left to
    right, one IEEE rounding per operation, no fused multiply-add): the reference order that a
    kernel must follow to reproduce the draws bit for bit.
    """
    spq = n * p
    c = spq + 0.5
    spq *= 1.0 - p
    xp.sqrt(spq, out=spq)
    b = spq * 2.53
    b += 1.15
    a = b * 0.0248
    a -= 0.0873
    a += p * 0.01
    vr = 4.2 / b
    xp.subtract(0.92, vr, out=vr)
    alpha = 5.1 / b
    alpha += 2.83
    alpha *= spq
    return {"a": a, "a2": a * 2.0, "b": b, "c": c, "vr": vr, "alpha": alpha}


def transformed_candidate(xp: Any, u0: Any, cst: dict[str, Any]) -> tuple[Any, Any]:
    """Hörmann's transformed-rejection candidate (BTRS and PTRS alike): U = u0 - 1/2 (``u0``
    is overwritten with U), us = max(1/2 - |U|, 1e-300), k = floor((2 a / us + b) U + c)."""
    u0 -= 0.5  # U
    us = xp.abs(u0)
    xp.subtract(0.5, us, out=us)
    xp.maximum(us, _US_MIN, out=us)
    k = cst["a2"] / us
    k += cst["b"]
    k *= u0
    k += cst["c"]
    xp.floor(k, out=k)
    return us, k


def btrs_accept(xp: Any, u0: Any, u1: Any, n: Any, p: Any, cst: dict[str, Any]) -> tuple:
    """One BTRS trial per lane from uniforms u0, u1 in (0, 1]: returns (k, accepted).

    ``k`` is a float64 candidate (only meaningful where ``accepted``). Consumes ``u0``.
    U = u0 - 1/2, V = u1, us = 1/2 - |U|; k = floor((2 a / us + b) U + c); reject k < 0 or
    k > n (and us == 0, i.e. u0 == 1: clamped to 1e-300 it sends k far above n); accept if
    us >= 0.07 and V <= v_r; otherwise accept iff
    log(V alpha / (a / us^2 + b)) <= log f(k) / f(m), m = floor((n + 1) p).
    """
    us, k = transformed_candidate(xp, u0, cst)
    inside = k >= 0.0
    inside &= k <= n
    acc = us >= BTRS_FAST_US
    acc &= u1 <= cst["vr"]
    acc &= inside
    inside ^= acc  # in range, not accepted by the squeeze: needs the exact test
    (slow,) = xp.nonzero(inside)
    if slow.size:
        uss = us[slow]
        ps = p[slow]
        ns = n[slow]
        ks = k[slow]
        t = uss * uss
        xp.divide(cst["a"][slow], t, out=t)
        t += cst["b"][slow]
        lhs = u1[slow] * cst["alpha"][slow]
        lhs /= t
        xp.log(lhs, out=lhs)
        m = ns + 1.0
        m *= ps
        xp.floor(m, out=m)
        acc[slow] = lhs <= log_pmf_ratio(xp, ks, m, ns, ps, 1.0 - ps)
    return k, acc


def _btrs_trial(xp, key, attempt, slot_base, step, realization, n, p):
    """One BTRS attempt per lane: (int64 values, accepted mask)."""
    cst = btrs_constants(xp, n, p)
    u0, u1 = uniform_pair(xp, key, slot_base + attempt, step, realization)
    k, acc = btrs_accept(xp, u0, u1, n, p, cst)
    return xp.where(acc, k, 0.0).astype(xp.int64), acc
