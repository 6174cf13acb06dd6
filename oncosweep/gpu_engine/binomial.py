"""Exact binomial sampler on counter-based uniforms, for an array namespace ``xp``.

Every lane draws ``X ~ Binomial(n, p)`` with ``0 <= n <= 2**53`` (we promise ``n <= 1e15``)
and ``p`` in [0, 1] from Philox blocks addressed as fixed in :mod:`oncosweep.gpu_engine.rng`:
attempt ``a`` of a lane reads the block at counter ``(slot_base + a, step, realization lo,
realization hi)``, ``0 <= a < rng.MAX_ATTEMPTS`` (256). A lane's value therefore depends only on
its own counter and ``(n, p)``, never on the other lanes of the call, their order or the chunk
size.

Algorithms (details, constants and the error analysis are in ``docs/rng.md``):

* trivial lanes: ``n == 0`` or ``p == 0`` give 0 and ``p == 1`` gives ``n``, without drawing;
* mirroring: for ``p > 0.5`` draw ``Y ~ Binomial(n, 1 - p)`` (``1 - p`` is exact by Sterbenz's
  lemma) and return ``n - Y``; below, ``p <= 0.5``;
* ``n p < BINV_MAX_MEAN`` (= 10): sequential-search inversion BINV (V. Kachitvichyanukul and
  B. W. Schmeiser, "Binomial random variate generation", Commun. ACM 31 (1988) 216-222), one
  uniform per attempt;
* ``n p >= 10``: transformed rejection with squeeze BTRS (W. Hörmann, "The generation of
  binomial random variates", J. Stat. Comput. Simul. 46 (1993) 101-110), one block (two
  uniforms) per attempt, with a cancellation-free Stirling form of ``log f(k)/f(m)`` so that it
  stays accurate to ~1e-9 for n up to 1e15 (lgamma differences would lose everything there).

Only operations that numpy and cupy share are used (elementwise ufuncs, ``where``, ``nonzero``,
integer/boolean indexing, ``astype``); Python loops run over attempts, search iterations and
chunks, never over elements. On numpy the lanes are processed in chunks of ``NUMPY_CHUNK`` so
that the temporaries stay in cache; on other namespaces (cupy) in one piece.

Layout: this module holds the dispatcher (trivial lanes, mirroring, the choice of method, the
attempt and retry driver) and every public name; the two methods live in
:mod:`oncosweep.gpu_engine.binomial_inversion` (BINV) and :mod:`oncosweep.gpu_engine.binomial_btrs`
(BTRS), whose public names are re-exported here.
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine.binomial_btrs import _US_MIN as _US_MIN
from oncosweep.gpu_engine.binomial_btrs import BTRS_FAST_US as BTRS_FAST_US
from oncosweep.gpu_engine.binomial_btrs import (
    FC_TABLE,
    _btrs_trial,
    btrs_accept,
    btrs_constants,
    log_pmf_ratio,
    stirling_tail,
)
from oncosweep.gpu_engine.binomial_inversion import (
    BINV_TAIL_SDS,
    _inversion_trial,
    inversion_bound,
)
from oncosweep.gpu_engine.lanes import (
    broadcast_lanes,
    is_int,
    keep_first_accepted,
    record_attempt,
    take,
)
from oncosweep.gpu_engine.rng import MAX_ATTEMPTS

BINV_MAX_MEAN = 10.0
"""Lanes with ``n p < BINV_MAX_MEAN`` (after mirroring) use inversion, the others BTRS."""

MAX_EXACT_N = 2**53
"""Largest ``n`` accepted. n + 1, n - k + 1, (m - k) ... are exact doubles for n <= 2**53 - 2;
at 2**53 they may round by one unit (harmless: results stay in [0, n]). We promise n <= 1e15.
"""

NUMPY_CHUNK = 1 << 16
"""Lanes per chunk on numpy (keeps the ~20 live temporaries in L2); cupy runs in one piece."""

# Retry rounds evaluate up to SPECULATE_MAX attempts per pending lane while that keeps a round
# within SPECULATE_LANES lane-attempts (below that size a round's cost is its fixed overhead).
SPECULATE_LANES = 4096
SPECULATE_MAX = 8

__all__ = [
    "BINV_MAX_MEAN",
    "BINV_TAIL_SDS",
    "FC_TABLE",
    "MAX_EXACT_N",
    "NUMPY_CHUNK",
    "binomial",
    "binomial_btrs",
    "binomial_inversion",
    "btrs_accept",
    "btrs_constants",
    "inversion_bound",
    "log_pmf_ratio",
    "stirling_tail",
]


# --------------------------------------------------------------------------------------------
# One attempt for a batch of lanes: float64 n >= 1, 0 < p <= 0.5, uint64 slot_base/realization
# --------------------------------------------------------------------------------------------


def _speculate(xp, trial, key, attempt, width, g, sb, st, re, nn, pp, auto, out, att):
    """Attempts ``attempt .. attempt + width - 1`` of the lanes ``g`` in one round.

    Writes the value of each lane's first accepted attempt; returns the lanes that rejected
    all of them (the next round starts at ``attempt + width``).
    """
    if width == 1:
        p_g, n_g = pp[g], nn[g]
        flip = p_g > 0.5 if auto else None
        pm = xp.where(flip, 1.0 - p_g, p_g) if auto else p_g
        batch = (sb[g], take(st, g), re[g], n_g.astype(xp.float64), pm)
        return _attempt(xp, trial, key, attempt, g, batch, n_g, flip, out, att)
    size = g.shape[0]
    rep = xp.tile(g, width)
    offset = xp.repeat(xp.arange(attempt, attempt + width, dtype=xp.uint64), size)
    p_g, n_g = pp[rep], nn[rep]
    pm = xp.where(p_g > 0.5, 1.0 - p_g, p_g) if auto else p_g
    batch = (sb[rep] + offset, take(st, rep), re[rep], n_g.astype(xp.float64), pm)
    x, acc = trial(xp, key, 0, *batch)

    def mirror(x: Any) -> Any:
        return xp.where(pp[g] > 0.5, nn[g] - x, x)

    return keep_first_accepted(xp, g, x, acc, attempt, width, out, att,
                               mirror if auto else None)


def _attempt(xp, trial, key, attempt, lanes, batch, n_int, flip, out, att):
    """Run one attempt on a batch and write every lane's value (mirrored where ``flip``).

    Rejected lanes get a placeholder that a later attempt (or the exhaustion rule) overwrites;
    writing all lanes avoids compressing the accepted ones. ``lanes`` is a slice of ``out``
    or an index array; returns the (global) indices of the rejected lanes.
    """
    x, acc = trial(xp, key, attempt, *batch)
    if flip is not None:
        x = xp.where(flip, n_int - x, x)
    return record_attempt(xp, lanes, x, acc, attempt, out, att)


# --------------------------------------------------------------------------------------------
# Driver and public entry points
# --------------------------------------------------------------------------------------------

_TRIALS = (_inversion_trial, _btrs_trial)
_AUTO, _INVERSION, _BTRS = -1, 0, 1


def _check(xp, n, p, force):
    bad = n < 0
    bad |= n > MAX_EXACT_N
    if bool(bad.any()):
        raise ValueError(f"n: must lie in [0, 2**53], got e.g. {n[bad][:5].tolist()}")
    ok = p >= 0.0
    ok &= p <= (1.0 if force == _AUTO else 0.5)
    if not bool(ok.all()):
        lim = "[0, 1]" if force == _AUTO else "[0, 0.5] (use binomial() above 0.5)"
        raise ValueError(f"p: must lie in {lim}, got e.g. {p[~ok][:5].tolist()}")


def _sample(
    xp, key, slot_base, step, realization, n, p, force, return_attempts, max_attempts, chunk
):
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise ValueError(f"max_attempts: must be in [1, {MAX_ATTEMPTS}], got {max_attempts}")
    shape, (sb, re, nn, pp, st) = broadcast_lanes(xp, slot_base, step, realization,
                                                    (n, xp.int64), (p, xp.float64))
    size = nn.shape[0]
    if chunk is None:
        chunk = NUMPY_CHUNK if getattr(xp, "__name__", "") == "numpy" else max(size, 1)
    chunk = max(int(chunk), 1)
    auto = force == _AUTO
    out = xp.empty(size, dtype=xp.int64)
    att = xp.zeros(size, dtype=xp.int64) if return_attempts else None
    pending: list[list[Any]] = [[], []]
    # Attempt 0, chunk by chunk over the raw lanes (classification, compression and draws all
    # stay in cache); the rejected lanes of both methods are collected for the retries.
    for lo in range(0, size, chunk):
        hi = min(lo + chunk, size)
        n_c, p_c = nn[lo:hi], pp[lo:hi]
        _check(xp, n_c, p_c, force)
        flip = p_c > 0.5 if auto else None
        # lanes that draw nothing: 0, or n where p == 1 (mirrored p' == 0)
        out[lo:hi] = 0 if flip is None else xp.where(flip, n_c, 0)
        pm = xp.where(flip, 1.0 - p_c, p_c) if auto else p_c  # 1 - p exact (Sterbenz)
        nf = n_c.astype(xp.float64)
        active = n_c > 0
        active &= pm > 0.0
        if auto:
            small = nf * pm
            small = small < BINV_MAX_MEAN
            sels = ((_INVERSION, active & small), (_BTRS, active & ~small))
        else:
            sels = ((force, active),)
        for method, sel in sels:
            (ix,) = xp.nonzero(sel)
            if not ix.size:
                continue
            if ix.shape[0] == hi - lo:  # the whole chunk: no gathers
                lanes: Any = slice(lo, hi)
                st_c = st if is_int(st) else st[lo:hi]
                batch = (sb[lo:hi], st_c, re[lo:hi], nf, pm)
                n_i, fl = n_c, flip
            else:
                lanes = ix + lo
                st_c = st if is_int(st) else st[lanes]
                batch = (sb[lanes], st_c, re[lanes], nf[ix], pm[ix])
                n_i, fl = n_c[ix], (None if flip is None else flip[ix])
            rej = _attempt(xp, _TRIALS[method], key, 0, lanes, batch, n_i, fl, out, att)
            if rej.size:
                pending[method].append(rej)
    # Retries: the ~13-30 % (BTRS) or ~0 % (inversion) rejected lanes, gathered across chunks.
    for method in (_INVERSION, _BTRS):
        if not pending[method]:
            continue
        lanes = xp.concatenate(pending[method])
        attempt = 1
        while attempt < max_attempts and lanes.shape[0]:
            # Speculation: with few pending lanes a round costs its fixed overhead, not its
            # lanes, so evaluate `width` attempts of every pending lane at once and keep the
            # first accepted one. The value is that of the smallest accepted attempt whatever
            # the width, so results never depend on it.
            width = min(max_attempts - attempt, SPECULATE_MAX,
                        max(1, SPECULATE_LANES // lanes.shape[0]))
            batches = []
            step_len = max(chunk // width, 1)
            for lo in range(0, lanes.shape[0], step_len):
                g = lanes[lo : lo + step_len]
                batches.append(_speculate(xp, _TRIALS[method], key, attempt, width, g,
                                          sb, st, re, nn, pp, auto, out, att))
            lanes = xp.concatenate(batches)
            attempt += width
        if lanes.shape[0]:
            # Exhaustion (probability < 1e-70 with 256 attempts): the mode floor((n + 1) p').
            p_g, n_g = pp[lanes], nn[lanes]
            pm = xp.where(p_g > 0.5, 1.0 - p_g, p_g) if auto else p_g
            m = n_g.astype(xp.float64)
            m += 1.0
            m *= pm
            xp.floor(m, out=m)
            m = m.astype(xp.int64)
            out[lanes] = xp.where(p_g > 0.5, n_g - m, m) if auto else m
            if att is not None:
                att[lanes] = max_attempts + 1
    out = out.reshape(shape)
    return (out, att.reshape(shape)) if return_attempts else out


def binomial_inversion(
    xp: Any,
    key: tuple[int, int],
    slot_base: Any,
    step: Any,
    realization: Any,
    n: Any,
    p: Any,
    *,
    return_attempts: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    chunk: int | None = None,
) -> Any:
    """Binomial(n, p) by BINV sequential-search inversion, for p <= 0.5 (meant for n p < 10).

    Attempt ``a`` uses u = u0 of the block at slot ``slot_base + a``; with q = 1 - p,
    s = p / q, a = (n + 1) s, r = exp(n log1p(-p)), x = 0: while u > r: u -= r; x += 1;
    r *= a / x - s. A lane whose x passes ``inversion_bound`` (mass beyond < 1.6e-22) retries
    with the next attempt. Exact up to double rounding while ``exp(n log1p(-p))`` does not
    underflow (n p < ~700); slow for large n p (the work grows with x).

    Arguments as for :func:`binomial` (but p must be <= 0.5). Returns an int64 array of the
    broadcast lane shape, or ``(values, attempts)`` with ``return_attempts``.
    """
    return _sample(
        xp,
        key,
        slot_base,
        step,
        realization,
        n,
        p,
        _INVERSION,
        return_attempts,
        max_attempts,
        chunk,
    )


def binomial_btrs(
    xp: Any,
    key: tuple[int, int],
    slot_base: Any,
    step: Any,
    realization: Any,
    n: Any,
    p: Any,
    *,
    return_attempts: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    chunk: int | None = None,
) -> Any:
    """Binomial(n, p) by Hörmann's BTRS, for p <= 0.5 and n p >= 10 (its validity range).

    Attempt ``a`` uses (u0, u1) of the block at slot ``slot_base + a``; see
    :func:`btrs_accept` for the trial and :func:`log_pmf_ratio` for the exact test.
    Arguments and return value as for :func:`binomial_inversion`.
    """
    return _sample(
        xp, key, slot_base, step, realization, n, p, _BTRS, return_attempts, max_attempts, chunk
    )


def binomial(
    xp: Any,
    key: tuple[int, int],
    slot_base: Any,
    step: Any,
    realization: Any,
    n: Any,
    p: Any,
    *,
    return_attempts: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    chunk: int | None = None,
) -> Any:
    """Exact Binomial(n, p) draws, one per lane, from counter-based Philox blocks.

    Parameters
    ----------
    xp : array namespace (numpy or cupy).
    key : (k0, k1), the Philox key ``rng.make_key(seed, point)``.
    slot_base : uint64 array (or int), the attempt-0 slot ``rng.slot(cell_type, event)`` of
        each lane's draw (low 8 bits zero); attempt ``a`` reads slot ``slot_base + a``.
    step : int or uint64 array, the engine step (counter word 1).
    realization : uint64 array (or int), the realization index (counter words 2 and 3).
    n : int64 array, 0 <= n <= 2**53 (accuracy promised for n <= 1e15).
    p : float64 array in [0, 1].
    return_attempts : also return an int64 array of the blocks used per lane: 0 for lanes
        that draw nothing, ``max_attempts + 1`` marking exhaustion (value = the mode).
    max_attempts : attempt budget, 1..256 (``rng.MAX_ATTEMPTS``); only tests lower it.
    chunk : lanes per batch (default ``NUMPY_CHUNK`` on numpy, everything at once
        otherwise); it changes the speed, never the values.

    All per-lane arguments broadcast to one lane shape, which the int64 result has.
    Lanes with n == 0 or p == 0 give 0 and p == 1 gives n, drawing nothing; p > 0.5 is
    mirrored (n - Binomial(n, 1 - p)); then n p < ``BINV_MAX_MEAN`` uses inversion and the
    rest BTRS. Only the non-trivial lanes are drawn (compressed, then scattered back).
    """
    return _sample(
        xp, key, slot_base, step, realization, n, p, _AUTO, return_attempts, max_attempts, chunk
    )
