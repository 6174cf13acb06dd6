"""Exact Poisson sampler on counter-based uniforms, for an array namespace ``xp``.

Every lane draws ``X ~ Poisson(mean)`` for a finite double ``0 <= mean <= MAX_MEAN`` (2**52;
accuracy is promised for ``mean <= 1e15``) from Philox blocks addressed as fixed in
:mod:`oncosweep.gpu_engine.rng`: attempt ``a`` of a lane reads the block at counter
``(slot_base + a, step, realization lo, realization hi)``, ``0 <= a < max_attempts <=
rng.MAX_ATTEMPTS`` (256). A lane's value depends only on its own counter and mean, never on
the other lanes of the call, their order or the chunk size. The CUDA twin is
``cuda/poisson.cuh`` (``os_poisson``), which evaluates every expression below in the same order
and gives the same integers (``tests/test_poisson.py`` compares them lane by lane).

Algorithms
----------
* ``mean == 0`` gives 0 without drawing (attempts reported: 0).
* ``mean < INVERSION_MAX_MEAN`` (= 10): sequential-search inversion, the Poisson limit of BINV
  (:mod:`oncosweep.gpu_engine.binomial_inversion`; L. Devroye, "Non-Uniform Random Variate
  Generation", Springer 1986, section X.3): one uniform ``u = u0`` per attempt,
  ``x = 0, r = exp(-mean); while u > r: u -= r; x += 1; r *= mean / x``. A search passing
  ``bound = floor(mean + 15 sqrt(mean + 1))`` (BINV's bound with q = 1; at most 59) retries with
  the next attempt: the Poisson mass above the bound is below 2.2e-22 for every mean < 10
  (worst near mean = 1.29; checked against ``scipy.stats.poisson.sf`` in the tests).
* ``mean >= 10``: transformed rejection with squeeze PTRS (W. Hörmann, "The transformed
  rejection method for generating Poisson random variables", Insurance: Mathematics and
  Economics 12 (1993) 39-45; numpy's legacy ``random_poisson_ptrs``), one block (two uniforms
  ``U = u0 - 1/2``, ``V = u1``) per attempt, with two constants corrected (below)::

      b = 0.931 + 2.53 sqrt(mean);  a = -0.059 + 0.02483 b
      inv_alpha = (1.1239 + 1.1328 / (b - 3.4)) * 1.01;  v_r = (0.9277 - 3.6224 / (b - 2)) * 0.98
      us = 1/2 - |U|;  k = floor((2 a / us + b) U + mean + 0.43)
      reject if k < 0
      accept if us >= 0.07 and V <= v_r     (the squeeze: 34 % of attempts at mean 10, 78 % at 1e6)
      reject if us < 0.013 and V > us                        (Hörmann's quick rejection)
      accept iff log(V inv_alpha / (a / us**2 + b)) <= log f(k)

  **Corrected constants.** The sampler is exact iff, for every U, (1) the hat dominates:
  ``g(U) = f(k) (a / us**2 + b) / inv_alpha <= 1``; (2) the squeeze box lies under the
  density: ``g(U) >= v_r`` where ``us >= 0.07``; (3) the quick rejection only rejects points
  above it: ``g(U) <= us`` where ``us < 0.013``. With Hörmann's constants, an exact scan (the
  sup / inf of g over each k's U-interval, from the inverse of the transformation; mean =
  10..100 in steps of 1e-3, to 3000 in steps of 0.1, then geometric to 2**52) finds (1)
  violated for mean in [10, ~1600], worst ``g = 1.00578`` at mean = 14.048 (k = 21), and (2)
  violated for mean in [17, 58], worst ``g / v_r = 0.99368`` at mean = 27.23 (k = 17): the
  original PTRS (and numpy's legacy Poisson) under-samples some values by up to ~0.6 %. Here
  ``inv_alpha`` is raised by 1 % and ``v_r`` lowered by 2 %: worst ``g = 0.99583`` and
  ``g / v_r = 1.0039`` (margins 0.4 %), at the cost of ~1 % more blocks and ~2 % more exact
  tests. (3) holds with ``g / us <= 0.64``. ``tests/test_poisson.py`` repeats the check at
  the worst means and a spread of others.

  Hörmann tests ``k < 0`` after the squeeze; the squeeze region never gives ``k < 0`` for
  mean >= 10 (its smallest k is 4, at mean = 10), so testing it first decides nothing
  differently. ``us == 0`` (u0 == 1) is clamped to 1e-300 and always falls to the quick
  rejection (V >= 2**-53 > us).

Cancellation-free log f(k) (no lgamma)
--------------------------------------
``log f(k) = k log(mean) - mean - log k!`` is, at mean = 1e12, a difference of numbers ~3e13
(ulp 4e-3), and an ulp of ``log(mean)`` times k is another 3e-3: useless for an exact test and
a source of disagreement between libm implementations. With Stirling's formula in the form of
:func:`~oncosweep.gpu_engine.binomial_btrs.stirling_tail`,
``log k! = (k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2 + fc(k)``, and ``y = k + 1``::

    log f(k) = log(y) / 2 - (log(mean) + log(2 pi) / 2) - bd0(y, mean) - fc(k)
    bd0(y, mean) = y log(y / mean) + mean - y  >= 0                   (C. Loader's deviance)

``bd0`` is evaluated without any transcendental function where it matters: with
``d = y - mean`` (exact, Sterbenz) and ``v = d / (y + mean)``, for ``|v| < 0.1``
``bd0 = d v + 2 y v S``, ``S = sum_{j=1..8} v**(2j) / (2j + 1)`` (Horner; the omitted terms are
below ``v**17 / 19 < 6e-19`` relative); elsewhere the direct ``y log(y / mean) - d``: there
``log f(k) < -0.017 mean`` while the left side of the exact test is > -126 (V, us >= 2**-53),
so above mean ~7500 such k are always rejected, and below it y < ~1e4 keeps the direct form's
error ~1e-12.
``fc`` is the exact table below 10 and the Stirling series above (error < 3.1e-11 at k = 10,
falling as k**-7). Absolute error of log f(k): ~1e-14 plus the fc error, at any mean up to
2**52 (measured against 60-digit arithmetic in the tests), versus ~1e-2 for lgamma at 1e12.

Error analysis
--------------
* Inversion is exact up to the rounding of the running cdf (``u - sum f(x)`` loses ~1e-16 per
  step, < 1e-14 in all), the 2**-53 grid of u and the 2.2e-22 tail beyond the bound; a lane
  reaches the bound with probability < 1e-14 and retries.
* PTRS is exact given the hat conditions above, up to the ~1e-14 absolute error of the exact
  test (a relative change ~1e-14 of acceptance probabilities) and the double rounding of the
  candidate (``k``'s integer cells keep length 1 while the spacing of doubles is <= 1).
* Attempts: PTRS uses 1.34 blocks per draw at mean 10, 1.24 at 27, 1.15 at 1e3 and 1.136 from
  1e6 on (measured, 1e6 draws each): it rejects with probability <= 0.255, so 256 rejections
  have probability < 1e-150; inversion retries with probability < 1e-14. On exhaustion (only
  reachable with a lowered ``max_attempts``) the lane returns the mode ``floor(mean)`` and
  ``return_attempts`` reports ``max_attempts + 1``, as the binomial sampler does.
* numpy vs CUDA: ``+ - * /``, ``sqrt`` and ``floor`` are correctly rounded everywhere (no FMA:
  ``compat.cuh``); ``exp`` (inversion start) and ``log`` (exact test: ``log(mean)``,
  ``log(y)``, the hat value, and ``bd0`` outside the series region) may differ by an ulp
  between numpy's SIMD loops, glibc and libdevice. None is multiplied by a large factor (the
  bd0 series carries the amplified part), so a value shifts by < ~1e-14 and a draw can differ
  only when a compared quantity lies that close to its threshold: ~1e-14 per exact test.

Only operations that numpy and cupy share are used (elementwise ufuncs, ``where``,
``nonzero``, integer/boolean indexing, ``astype``); Python loops run over attempts, search
iterations and chunks, never over elements. Imports numpy-free modules only.
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine.binomial_btrs import stirling_tail, transformed_candidate
from oncosweep.gpu_engine.binomial_inversion import BINV_TAIL_SDS, sequential_search
from oncosweep.gpu_engine.lanes import (
    broadcast_lanes,
    is_int,
    keep_first_accepted,
    record_attempt,
    take,
)
from oncosweep.gpu_engine.philox import MASK32, philox4x32_10, uniform_pair, words_to_uniform
from oncosweep.gpu_engine.rng import MAX_ATTEMPTS

INVERSION_MAX_MEAN = 10.0
"""Lanes with ``mean < INVERSION_MAX_MEAN`` use inversion, the others PTRS (valid from 10)."""

MAX_MEAN = 2.0**52
"""Largest mean accepted: every whole quantity (k, k + 1, y - mean, ...) within ~1e4 standard
deviations of it stays below 2**53, hence exact. Accuracy is promised for mean <= 1e15."""

PTRS_FAST_US = 0.07
"""PTRS immediate acceptance needs ``us >= 0.07`` (Hörmann 1993, step 1)."""

PTRS_TAIL_US = 0.013
"""PTRS quick rejection: ``us < 0.013`` and ``V > us`` (Hörmann 1993, step 2)."""

PTRS_HAT_SCALE = 1.01
"""Hörmann's ``inv_alpha`` times 1.01: his hat falls up to 0.58 % below the pmf (module doc)."""

PTRS_SQUEEZE_SCALE = 0.98
"""Hörmann's ``v_r`` times 0.98: his squeeze box pokes up to 0.63 % above the pmf."""

HALF_LOG_2PI = 0.91893853320467274178
"""log(2 pi) / 2, correctly rounded (the same literal in poisson.cuh)."""

BD0_SERIES_MAX_V = 0.1
"""bd0 uses the transcendental-free series where ``|v| = |y - mean| / (y + mean) < 0.1``."""

BD0_SERIES_TERMS = 8
"""Terms ``v**(2j) / (2j + 1)``, j = 1..8, of the bd0 series (Horner, innermost first)."""

NUMPY_CHUNK = 1 << 16
"""Lanes per chunk on numpy (keeps the temporaries in cache); cupy runs in one piece."""

# Retry rounds evaluate up to SPECULATE_MAX attempts per pending lane while that keeps a round
# within SPECULATE_LANES lane-attempts (as binomial.py).
SPECULATE_LANES = 4096
SPECULATE_MAX = 8

__all__ = [
    "BD0_SERIES_MAX_V",
    "BD0_SERIES_TERMS",
    "HALF_LOG_2PI",
    "INVERSION_MAX_MEAN",
    "MAX_MEAN",
    "NUMPY_CHUNK",
    "PTRS_FAST_US",
    "PTRS_HAT_SCALE",
    "PTRS_SQUEEZE_SCALE",
    "PTRS_TAIL_US",
    "bd0",
    "inversion_bound",
    "log_pmf",
    "poisson",
    "ptrs_accept",
    "ptrs_constants",
]


# --------------------------------------------------------------------------------------------
# Inversion (mean < 10)
# --------------------------------------------------------------------------------------------


def inversion_bound(xp: Any, mean: Any) -> Any:
    """Search bound ``floor(mean + BINV_TAIL_SDS * sqrt(mean + 1))`` (BINV's with q = 1)."""
    t = mean + 1.0
    xp.sqrt(t, out=t)
    t *= BINV_TAIL_SDS
    t += mean
    xp.floor(t, out=t)
    return t


def _inversion_trial(xp, key, attempt, slot_base, step, realization, mean):
    """One inversion attempt per lane: (int64 values, mask of lanes within the bound)."""
    r = -mean
    xp.exp(r, out=r)  # r = f(0) = exp(-mean)
    bound = inversion_bound(xp, mean)
    w0, w1, _, _ = philox4x32_10(
        xp, slot_base + attempt, step, realization & MASK32, realization >> 32, *key
    )
    u = words_to_uniform(xp, w0, w1)
    del w0, w1
    return sequential_search(xp, u, r, mean, None, bound)


# --------------------------------------------------------------------------------------------
# PTRS (mean >= 10)
# --------------------------------------------------------------------------------------------


def bd0(xp: Any, y: Any, mean: Any) -> Any:
    """Loader's deviance ``y log(y / mean) + mean - y`` (>= 0) for y >= 1, mean > 0.

    With ``d = y - mean``, ``v = d / (y + mean)``: the series ``d v + 2 y v S``,
    ``S = v^2 (1/3 + v^2 (1/5 + ... + v^2 / 17))``, where ``|v| < BD0_SERIES_MAX_V`` (only
    + - * /: identical on every platform), else ``y log(y / mean) - d``.
    """
    d = y - mean
    v = y + mean
    xp.divide(d, v, out=v)
    v2 = v * v
    s = v2 * (1.0 / 17.0)
    for j in range(BD0_SERIES_TERMS - 1, 0, -1):  # + 1/15, * v2, ..., + 1/3, * v2
        s += 1.0 / (2 * j + 1)
        s *= v2
    w = y * 2.0
    w *= v
    w *= s
    series = d * v
    series += w
    far = y / mean
    xp.log(far, out=far)
    far *= y
    far -= d
    xp.abs(v, out=v)
    return xp.where(v < BD0_SERIES_MAX_V, series, far)


def log_pmf(xp: Any, k: Any, mean: Any) -> Any:
    """log f(k) of Poisson(mean), whole doubles k >= 0, mean > 0, without lgamma::

        log(k + 1) / 2 - (log(mean) + log(2 pi) / 2) - bd0(k + 1, mean) - fc(k)

    evaluated in this order (absolute error ~1e-14 + the fc series error).
    """
    y = k + 1.0
    t = xp.log(y)
    t *= 0.5
    lc = xp.log(mean)
    lc += HALF_LOG_2PI
    t -= lc
    t -= bd0(xp, y, mean)
    t -= stirling_tail(xp, k)
    return t


def ptrs_constants(xp: Any, mean: Any) -> dict[str, Any]:
    """PTRS set-up (Hörmann 1993) for float64 mean >= 10, in this order (no FMA)::

        slam = sqrt(mean); b = slam * 2.53 + 0.931; a = b * 0.02483 - 0.059; a2 = a * 2
        inv_alpha = (1.1328 / (b - 3.4) + 1.1239) * PTRS_HAT_SCALE
        vr = (0.9277 - 3.6224 / (b - 2.0)) * PTRS_SQUEEZE_SCALE
        c = mean + 0.43
    """
    b = xp.sqrt(mean)
    b *= 2.53
    b += 0.931
    a = b * 0.02483
    a -= 0.059
    inv_alpha = b - 3.4
    xp.divide(1.1328, inv_alpha, out=inv_alpha)
    inv_alpha += 1.1239
    inv_alpha *= PTRS_HAT_SCALE
    vr = b - 2.0
    xp.divide(3.6224, vr, out=vr)
    xp.subtract(0.9277, vr, out=vr)
    vr *= PTRS_SQUEEZE_SCALE
    return {"a": a, "a2": a * 2.0, "b": b, "c": mean + 0.43, "vr": vr, "inv_alpha": inv_alpha}


def ptrs_accept(xp: Any, u0: Any, u1: Any, mean: Any, cst: dict[str, Any]) -> tuple:
    """One PTRS trial per lane from uniforms u0, u1 in (0, 1]: returns (k, accepted).

    ``k`` is a float64 candidate (only meaningful where ``accepted``). Consumes ``u0``.
    U = u0 - 1/2, V = u1, us = max(1/2 - |U|, 1e-300); k = floor((2 a / us + b) U + c);
    reject k < 0; accept if us >= 0.07 and V <= v_r; reject if us < 0.013 and V > us;
    otherwise accept iff log(V inv_alpha / (a / us^2 + b)) <= log_pmf(k, mean).
    """
    us, k = transformed_candidate(xp, u0, cst)
    inside = k >= 0.0
    acc = us >= PTRS_FAST_US
    acc &= u1 <= cst["vr"]
    acc &= inside
    inside ^= acc  # k >= 0 and not accepted by the squeeze
    tail = us < PTRS_TAIL_US
    tail &= u1 > us
    inside &= ~tail  # not rejected by the quick rejection: needs the exact test
    (slow,) = xp.nonzero(inside)
    if slow.size:
        uss = us[slow]
        t = uss * uss
        xp.divide(cst["a"][slow], t, out=t)
        t += cst["b"][slow]
        lhs = u1[slow] * cst["inv_alpha"][slow]
        lhs /= t
        xp.log(lhs, out=lhs)
        acc[slow] = lhs <= log_pmf(xp, k[slow], mean[slow])
    return k, acc


def _ptrs_trial(xp, key, attempt, slot_base, step, realization, mean):
    """One PTRS attempt per lane: (int64 values, accepted mask)."""
    cst = ptrs_constants(xp, mean)
    u0, u1 = uniform_pair(xp, key, slot_base + attempt, step, realization)
    k, acc = ptrs_accept(xp, u0, u1, mean, cst)
    return xp.where(acc, k, 0.0).astype(xp.int64), acc


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

_TRIALS = (_inversion_trial, _ptrs_trial)


def _check(xp, mean):
    ok = mean >= 0.0
    ok &= mean <= MAX_MEAN  # also false for NaN; +inf fails the bound
    if not bool(ok.all()):
        raise ValueError(f"mean: must be a finite double in [0, 2**52], got e.g. "
                         f"{mean[~ok][:5].tolist()}")  # fmt: skip


def _attempt(xp, trial, key, attempt, lanes, batch, out, att):
    """Run one attempt on a batch and write every lane's value; return the rejected lanes."""
    x, acc = trial(xp, key, attempt, *batch)
    return record_attempt(xp, lanes, x, acc, attempt, out, att)


def _speculate(xp, trial, key, attempt, width, g, sb, st, re, mm, out, att):
    """Attempts ``attempt .. attempt + width - 1`` of the lanes ``g`` in one round; keeps each
    lane's first accepted attempt and returns the lanes that rejected all of them."""
    if width == 1:
        batch = (sb[g], take(st, g), re[g], mm[g])
        return _attempt(xp, trial, key, attempt, g, batch, out, att)
    size = g.shape[0]
    rep = xp.tile(g, width)
    offset = xp.repeat(xp.arange(attempt, attempt + width, dtype=xp.uint64), size)
    x, acc = trial(xp, key, 0, sb[rep] + offset, take(st, rep), re[rep], mm[rep])
    return keep_first_accepted(xp, g, x, acc, attempt, width, out, att)


def poisson(
    xp: Any,
    key: tuple[int, int],
    slot_base: Any,
    step: Any,
    realization: Any,
    mean: Any,
    *,
    return_attempts: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    chunk: int | None = None,
) -> Any:
    """Exact Poisson(mean) draws, one per lane, from counter-based Philox blocks.

    Parameters
    ----------
    xp : array namespace (numpy or cupy).
    key : (k0, k1), the Philox key ``rng.make_key(seed, point)``.
    slot_base : uint64 array (or int), the attempt-0 slot ``rng.slot(cell_type, event)`` of
        each lane's draw (low 8 bits zero); attempt ``a`` reads slot ``slot_base + a``.
    step : int or uint64 array, the engine step (counter word 1).
    realization : uint64 array (or int), the realization index (counter words 2 and 3).
    mean : float64 array, finite, 0 <= mean <= 2**52 (accuracy promised for mean <= 1e15).
    return_attempts : also return an int64 array of the blocks used per lane: 0 for lanes with
        mean == 0, ``max_attempts + 1`` marking exhaustion (value = the mode floor(mean)).
    max_attempts : attempt budget, 1..256 (``rng.MAX_ATTEMPTS``); only tests lower it.
    chunk : lanes per batch (default ``NUMPY_CHUNK`` on numpy, everything at once
        otherwise); it changes the speed, never the values.

    All per-lane arguments broadcast to one lane shape, which the int64 result has. Raises
    ValueError for a mean outside [0, 2**52] (negative, NaN, infinite) or a bad budget.
    """
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise ValueError(f"max_attempts: must be in [1, {MAX_ATTEMPTS}], got {max_attempts}")
    shape, (sb, re, mm, st) = broadcast_lanes(xp, slot_base, step, realization,
                                            (mean, xp.float64))
    size = mm.shape[0]
    if chunk is None:
        chunk = NUMPY_CHUNK if getattr(xp, "__name__", "") == "numpy" else max(size, 1)
    chunk = max(int(chunk), 1)
    out = xp.zeros(size, dtype=xp.int64)
    att = xp.zeros(size, dtype=xp.int64) if return_attempts else None
    pending: list[list[Any]] = [[], []]
    # Attempt 0, chunk by chunk; the rejected lanes of both methods are gathered for retries.
    for lo in range(0, size, chunk):
        hi = min(lo + chunk, size)
        m_c = mm[lo:hi]
        _check(xp, m_c)
        small = m_c < INVERSION_MAX_MEAN
        active = m_c > 0.0
        for method, sel in ((0, active & small), (1, ~small)):
            (ix,) = xp.nonzero(sel)
            if not ix.size:
                continue
            if ix.shape[0] == hi - lo:  # the whole chunk: no gathers
                lanes: Any = slice(lo, hi)
                batch = (sb[lo:hi], st if is_int(st) else st[lo:hi], re[lo:hi], m_c)
            else:
                lanes = ix + lo
                batch = (sb[lanes], take(st, lanes), re[lanes], m_c[ix])
            rej = _attempt(xp, _TRIALS[method], key, 0, lanes, batch, out, att)
            if rej.size:
                pending[method].append(rej)
    # Retries (12-25 % of PTRS lanes, ~never for inversion), gathered across chunks; speculation
    # never changes a value: each lane keeps its smallest accepted attempt.
    for method in (0, 1):
        if not pending[method]:
            continue
        lanes = xp.concatenate(pending[method])
        attempt = 1
        while attempt < max_attempts and lanes.shape[0]:
            width = min(max_attempts - attempt, SPECULATE_MAX,
                        max(1, SPECULATE_LANES // lanes.shape[0]))  # fmt: skip
            step_len = max(chunk // width, 1)
            batches = [
                _speculate(xp, _TRIALS[method], key, attempt, width, lanes[lo : lo + step_len],
                           sb, st, re, mm, out, att)  # fmt: skip
                for lo in range(0, lanes.shape[0], step_len)
            ]
            lanes = xp.concatenate(batches)
            attempt += width
        if lanes.shape[0]:
            # Exhaustion (probability < 1e-150 with 256 attempts): the mode floor(mean).
            out[lanes] = xp.floor(mm[lanes]).astype(xp.int64)
            if att is not None:
                att[lanes] = max_attempts + 1
    out = out.reshape(shape)
    return (out, att.reshape(shape)) if return_attempts else out
