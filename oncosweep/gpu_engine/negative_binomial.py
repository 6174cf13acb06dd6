"""Exact negative binomial sampler by sequential-search inversion (NBINV), for an array
namespace ``xp``: Kendall's extra cells of a small number of surviving lines in one uniform.

Every lane draws ``X ~ NegBin(count, 1 / (1 + odds))``, the failures before the ``count``-th
success of independent trials with success probability ``1 / (1 + odds)``::

    P(X = 0) = (1 + odds)**-count,   P(X = x) / P(X = x - 1) = a / x + beta,
    beta = odds / (1 + odds),        a = beta (count - 1),

mean ``count odds`` and variance ``count odds (1 + odds)``. In the exact step
(:mod:`oncosweep.gpu_engine.birth_death`) it is the number of extra cells of ``count``
surviving lines, each holding a geometric number of cells with these odds; there the
gamma–Poisson mixture ``Poisson(odds Gamma(count))`` has the same law but takes a gamma draw
(a Box–Muller normal and a uniform per trial) and a Poisson draw where this takes one uniform.

Domain (:func:`uses_inversion`): whole ``count >= 1``, ``0 < odds <= NBINV_MAX_ODDS`` (1: beta
<= 1/2) and mean ``count odds < NBINV_MAX_MEAN`` (10, as the binomial's and Poisson's
inversions); elsewhere ``birth_death`` keeps the gamma–Poisson mixture.

Search (BINV's, :func:`~oncosweep.gpu_engine.binomial_inversion.sequential_search` with
``s = -beta``): one uniform ``u = u0`` per attempt, ``x = 0, r = f(0); while u > r: u -= r;
x += 1; r *= a / x + beta``. ``f(0) = exp(-(count log1p(odds)))`` is at least ``exp(-10)``
on the domain (``count log1p(odds) <= count odds``). A search passing

    bound = floor(mu + 15 sqrt(mu (1 + odds) + 1) + 60 odds),   mu = count odds

(at most 134) retries with the next attempt. The first two terms are BINV's bound with the
negative binomial's variance; they alone leave up to 7.5e-9 above the bound for a geometric
(count 1, odds 1: ``P(X > 26) = 2**-27``), whose tail decays only by ``beta`` per value, and
the third term covers that: the mass above the bound is below 2.2e-22 on the whole domain
(worst 2.1e-22 near mu = 1.29 with a small ``odds``, the Poisson limit; checked against
``scipy.stats.nbinom.logsf`` in ``tests/test_negative_binomial.py``).

Addressing (:mod:`oncosweep.gpu_engine.rng`): attempt ``a`` of a lane reads u0 of the block at
counter ``(slot_base + a, step, realization lo, realization hi)``, ``0 <= a < max_attempts``.
A lane's value depends only on its own counter and arguments.

Error analysis: exact up to the rounding of the running cdf (``u - sum f(x)`` loses ~1e-16
per value, < 1.5e-14 over the longest search), the 2**-53 grid of u and the 2.2e-22 tail
beyond the bound; a lane reaches the bound with probability < 1e-14 and retries. On
exhaustion (only reachable with a lowered ``max_attempts``) the lane returns
``floor(count odds)`` and ``return_attempts`` reports ``max_attempts + 1``.

numpy vs CUDA (``cuda/negative_binomial.cuh``, ``os_negative_binomial_inversion``): the same
expressions in the same order, one IEEE rounding per operation; only ``log1p`` and ``exp``
(the start ``f(0)``) may differ by an ulp between numpy, glibc and libdevice, which moves a
draw only when ``u`` lies within ~1e-16 of a cdf value. ``tests/test_negative_binomial.py``
compares the two lane by lane.
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine.binomial_inversion import BINV_TAIL_SDS, sequential_search
from oncosweep.gpu_engine.lanes import broadcast_lanes, record_attempt, take
from oncosweep.gpu_engine.philox import MASK32, philox4x32_10, words_to_uniform
from oncosweep.gpu_engine.rng import MAX_ATTEMPTS

NBINV_MAX_MEAN = 10.0
"""Lanes with mean ``count odds`` below this (and odds <= NBINV_MAX_ODDS) use NBINV."""

NBINV_MAX_ODDS = 1.0
"""Largest odds of NBINV (beta <= 1/2): beyond it the geometric tail makes searches long."""

NBINV_TAIL_ODDS = 60.0
"""The bound's geometric term ``60 odds``: with it the mass above the bound is < 2.2e-22."""

__all__ = [
    "NBINV_MAX_MEAN",
    "NBINV_MAX_ODDS",
    "NBINV_TAIL_ODDS",
    "inversion_bound",
    "inversion_constants",
    "negative_binomial_inversion",
    "uses_inversion",
]


def uses_inversion(xp: Any, count: Any, odds: Any) -> Any:
    """Mask of the lanes in NBINV's domain: ``0 < odds <= 1`` and ``count odds < 10``
    (``count`` float64, >= 1)."""
    mean = count * odds
    return (odds > 0.0) & (odds <= NBINV_MAX_ODDS) & (mean < NBINV_MAX_MEAN)


def inversion_bound(xp: Any, count: Any, odds: Any) -> Any:
    """Search bound ``floor(mu + 15 sqrt(mu (1 + odds) + 1) + 60 odds)``, ``mu = count odds``."""
    mean = count * odds
    t = odds + 1.0
    t *= mean
    t += 1.0
    xp.sqrt(t, out=t)
    t *= BINV_TAIL_SDS
    t += mean
    tail = odds * NBINV_TAIL_ODDS
    t += tail
    xp.floor(t, out=t)
    return t


def inversion_constants(xp: Any, count: Any, odds: Any) -> tuple[Any, Any, Any, Any]:
    """(r, a, s, bound) of the search: ``f(0) = exp(-(count log1p(odds)))``, ``a = beta
    (count - 1)``, ``s = -beta`` and :func:`inversion_bound` (float64 arrays)."""
    beta = odds + 1.0
    xp.divide(odds, beta, out=beta)
    a = count - 1.0
    a *= beta
    r = xp.log1p(odds)
    r *= count
    xp.negative(r, out=r)
    xp.exp(r, out=r)
    return r, a, -beta, inversion_bound(xp, count, odds)


def _trial(xp, key, attempt, slot_base, step, realization, count, odds):
    """One NBINV attempt per lane: (int64 values, mask of lanes within the bound)."""
    r, a, s, bound = inversion_constants(xp, count, odds)
    w0, w1, _, _ = philox4x32_10(
        xp, slot_base + attempt, step, realization & MASK32, realization >> 32, *key
    )
    u = words_to_uniform(xp, w0, w1)
    del w0, w1
    return sequential_search(xp, u, r, a, s, bound)


def negative_binomial_inversion(
    xp: Any,
    key: tuple[int, int],
    slot_base: Any,
    step: Any,
    realization: Any,
    count: Any,
    odds: Any,
    *,
    return_attempts: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
) -> Any:
    """Exact NegBin(count, 1 / (1 + odds)) draws (failures), one per lane, by inversion.

    Parameters
    ----------
    xp : array namespace (numpy or cupy).
    key : (k0, k1), the Philox key ``rng.make_key(seed, point)``.
    slot_base : uint64 array (or int), the attempt-0 slot ``rng.slot(cell_type, event)``.
    step : int or uint64 array, the engine step (counter word 1).
    realization : uint64 array (or int), the realization index (counter words 2 and 3).
    count : int64 array, whole, >= 1 (Kendall's surviving lines).
    odds : float64 array with every lane in the domain of :func:`uses_inversion`.
    return_attempts : also return an int64 array of the blocks used per lane
        (``max_attempts + 1`` marks exhaustion: the value is then ``floor(count odds)``).
    max_attempts : attempt budget, 1..256 (``rng.MAX_ATTEMPTS``); only tests lower it.

    All per-lane arguments broadcast to one lane shape, which the int64 result has. Raises
    ValueError for a lane outside the domain or a bad budget.
    """
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise ValueError(f"max_attempts: must be in [1, {MAX_ATTEMPTS}], got {max_attempts}")
    shape, (sb, re, cc, oo, st) = _lanes(xp, slot_base, step, realization, count, odds)
    ok = (cc >= 1.0) & uses_inversion(xp, cc, oo)
    if not bool(ok.all()):
        raise ValueError("count, odds: NBINV needs count >= 1, 0 < odds <= "
                         f"{NBINV_MAX_ODDS:g} and count odds < {NBINV_MAX_MEAN:g}; got e.g. "
                         f"count {cc[~ok][:3].tolist()}, odds {oo[~ok][:3].tolist()}")
    size = cc.shape[0]
    out = xp.zeros(size, dtype=xp.int64)
    att = xp.zeros(size, dtype=xp.int64) if return_attempts else None
    lanes: Any = slice(0, size)
    batch = (sb, st, re, cc, oo)
    for attempt in range(max_attempts):
        x, acc = _trial(xp, key, attempt, *batch)
        lanes = record_attempt(xp, lanes, x, acc, attempt, out, att)
        if not lanes.shape[0]:
            break
        batch = (sb[lanes], take(st, lanes), re[lanes], cc[lanes], oo[lanes])
    else:
        out[lanes] = xp.floor(cc[lanes] * oo[lanes]).astype(xp.int64)
        if att is not None:
            att[lanes] = max_attempts + 1
    out = out.reshape(shape)
    return (out, att.reshape(shape)) if return_attempts else out


def _lanes(xp, slot_base, step, realization, count, odds):
    """broadcast_lanes with ``count`` as float64 (whole values below 2**53 convert exactly)."""
    shape, (sb, re, cc, oo, *st) = broadcast_lanes(
        xp, slot_base, step, realization, (count, xp.int64), (odds, xp.float64))
    return shape, (sb, re, cc.astype(xp.float64), oo, st[0])
