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
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine.philox import MASK32, philox4x32_10, uniform_pair, words_to_uniform
from oncosweep.gpu_engine.rng import MAX_ATTEMPTS

BINV_MAX_MEAN = 10.0
"""Lanes with ``n p < BINV_MAX_MEAN`` (after mirroring) use inversion, the others BTRS."""

BINV_TAIL_SDS = 15.0
"""Inversion search bound: ``bound = min(n, floor(n p + BINV_TAIL_SDS * sqrt(n p q + 1)))``.

For ``n p < 10`` the binomial mass above ``bound`` is below 1.6e-22 (checked against
``scipy.stats.binom.sf`` on a grid of means 1e-6..10 and n up to 1e15 in
``tests/test_binomial.py``; the worst case is near ``n p = 1.3``). With 10 instead of 15 the
mass would reach 2.9e-13 (at ``n p ~ 1.9``), which is why 15 is used.
"""

BTRS_FAST_US = 0.07
"""BTRS immediate acceptance needs ``us >= 0.07`` (Hörmann 1993, step 2)."""

MAX_EXACT_N = 2**53
"""Largest ``n`` accepted. n + 1, n - k + 1, (m - k) ... are exact doubles for n <= 2**53 - 2;
at 2**53 they may round by one unit (harmless: results stay in [0, n]). We promise n <= 1e15.
"""

NUMPY_CHUNK = 1 << 16
# Retry rounds evaluate up to SPECULATE_MAX attempts per pending lane while that keeps a round
# within SPECULATE_LANES lane-attempts (below that size a round's cost is its fixed overhead).
SPECULATE_LANES = 4096
SPECULATE_MAX = 8
"""Lanes per chunk on numpy (keeps the ~20 live temporaries in L2); cupy runs in one piece."""

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
# Stable pieces
# --------------------------------------------------------------------------------------------


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


def inversion_bound(xp: Any, n: Any, p: Any) -> Any:
    """Search bound of BINV: ``min(n, floor(n p + BINV_TAIL_SDS * sqrt(n p q + 1)))``."""
    np_ = n * p
    t = np_ * (1.0 - p)
    t += 1.0
    xp.sqrt(t, out=t)
    t *= BINV_TAIL_SDS
    t += np_
    xp.floor(t, out=t)
    return xp.minimum(n, t)


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


def btrs_accept(xp: Any, u0: Any, u1: Any, n: Any, p: Any, cst: dict[str, Any]) -> tuple:
    """One BTRS trial per lane from uniforms u0, u1 in (0, 1]: returns (k, accepted).

    ``k`` is a float64 candidate (only meaningful where ``accepted``). Consumes ``u0``.
    U = u0 - 1/2, V = u1, us = 1/2 - |U|; k = floor((2 a / us + b) U + c); reject k < 0 or
    k > n (and us == 0, i.e. u0 == 1: clamped to 1e-300 it sends k far above n); accept if
    us >= 0.07 and V <= v_r; otherwise accept iff
    log(V alpha / (a / us^2 + b)) <= log f(k) / f(m), m = floor((n + 1) p).
    """
    u0 -= 0.5  # U
    us = xp.abs(u0)
    xp.subtract(0.5, us, out=us)
    xp.maximum(us, _US_MIN, out=us)
    k = cst["a2"] / us
    k += cst["b"]
    k *= u0
    k += cst["c"]
    xp.floor(k, out=k)
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


# --------------------------------------------------------------------------------------------
# One attempt for a batch of lanes: float64 n >= 1, 0 < p <= 0.5, uint64 slot_base/realization
# --------------------------------------------------------------------------------------------


def _btrs_trial(xp, key, attempt, slot_base, step, realization, n, p):
    """One BTRS attempt per lane: (int64 values, accepted mask)."""
    cst = btrs_constants(xp, n, p)
    u0, u1 = uniform_pair(xp, key, slot_base + attempt, step, realization)
    k, acc = btrs_accept(xp, u0, u1, n, p, cst)
    return xp.where(acc, k, 0.0).astype(xp.int64), acc


def _inversion_trial(xp, key, attempt, slot_base, step, realization, n, p):
    """One BINV attempt per lane: (int64 values, mask of lanes that stayed within the bound)."""
    s = 1.0 - p
    xp.divide(p, s, out=s)  # s = p / q
    a = n + 1.0
    a *= s  # a = (n + 1) s
    r = xp.log1p(-p)
    r *= n
    xp.exp(r, out=r)  # r = f(0) = q^n
    bound = inversion_bound(xp, n, p)
    w0, w1, _, _ = philox4x32_10(
        xp, slot_base + attempt, step, realization & MASK32, realization >> 32, *key
    )
    u = words_to_uniform(xp, w0, w1)
    del w0, w1
    size = u.shape[0]
    res = xp.zeros(size, dtype=xp.int64)
    ok = xp.ones(size, dtype=bool)
    # Sequential search vectorised with an 'alive' mask: a lane stops for good at the first x
    # with u <= r (it is masked from then on); x counts the alive iterations, so x = i for a
    # lane still searching after iteration i. Rows are compressed away once 3/4 have stopped.
    x = xp.zeros(size, dtype=xp.int64)
    alive = u > r
    over_any = xp.zeros(size, dtype=bool)
    cur = None  # row -> lane of this batch; None while the rows are the lanes themselves
    min_bound = float(bound.min())
    i = 0
    n_alive = int(xp.count_nonzero(alive))
    while n_alive:
        if 4 * n_alive < alive.shape[0] and alive.shape[0] > 1024:
            (keep,) = xp.nonzero(alive)
            if cur is None:
                res[:] = x
                ok[over_any] = False
                cur = keep
            else:
                (stop,) = xp.nonzero(~alive)
                res[cur[stop]] = x[stop]
                ok[cur[over_any]] = False
                cur = cur[keep]
            u, r, x, a, s, bound = (v[keep] for v in (u, r, x, a, s, bound))
            alive = xp.ones(u.shape, dtype=bool)
            over_any = xp.zeros(u.shape, dtype=bool)
        i += 1
        u -= r
        f = a / float(i)
        f -= s
        r *= f  # r = f(i) = f(i - 1) (a / i - s)
        x += alive
        if i > min_bound:
            over = bound < i
            over &= alive
            over_any |= over
            alive ^= over  # x passed the bound: retry with the next attempt
        alive &= u > r
        n_alive = int(xp.count_nonzero(alive))
    if cur is None:
        res = x
        ok &= ~over_any
    else:
        res[cur] = x
        ok[cur[over_any]] = False
    return res, ok


def _speculate(xp, trial, key, attempt, width, g, sb, st, re, nn, pp, auto, out, att):
    """Attempts ``attempt .. attempt + width - 1`` of the lanes ``g`` in one round.

    Writes the value of each lane's first accepted attempt; returns the lanes that rejected
    all of them (the next round starts at ``attempt + width``).
    """
    if width == 1:
        p_g, n_g = pp[g], nn[g]
        flip = p_g > 0.5 if auto else None
        pm = xp.where(flip, 1.0 - p_g, p_g) if auto else p_g
        batch = (sb[g], _take(st, g), re[g], n_g.astype(xp.float64), pm)
        return _attempt(xp, trial, key, attempt, g, batch, n_g, flip, out, att)
    size = g.shape[0]
    rep = xp.tile(g, width)
    offset = xp.repeat(xp.arange(attempt, attempt + width, dtype=xp.uint64), size)
    p_g, n_g = pp[rep], nn[rep]
    pm = xp.where(p_g > 0.5, 1.0 - p_g, p_g) if auto else p_g
    batch = (sb[rep] + offset, _take(st, rep), re[rep], n_g.astype(xp.float64), pm)
    x, acc = trial(xp, key, 0, *batch)
    acc = acc.reshape(width, size)
    first = xp.argmax(acc, axis=0)  # the first accepted attempt (0 where none accepted)
    done = acc.any(axis=0)
    x = x.reshape(width, size)[first, xp.arange(size)]
    if auto:
        p_g, n_g = pp[g], nn[g]
        x = xp.where(p_g > 0.5, n_g - x, x)
    (hit,) = xp.nonzero(done)
    out[g[hit]] = x[hit]
    if att is not None:
        att[g[hit]] = attempt + first[hit] + 1
    (miss,) = xp.nonzero(~done)
    return g[miss]


def _attempt(xp, trial, key, attempt, lanes, batch, n_int, flip, out, att):
    """Run one attempt on a batch and write every lane's value (mirrored where ``flip``).

    Rejected lanes get a placeholder that a later attempt (or the exhaustion rule) overwrites;
    writing all lanes avoids compressing the accepted ones. ``lanes`` is a slice of ``out``
    or an index array; returns the (global) indices of the rejected lanes.
    """
    x, acc = trial(xp, key, attempt, *batch)
    if flip is not None:
        x = xp.where(flip, n_int - x, x)
    out[lanes] = x
    if att is not None:
        att[lanes] = attempt + 1
    (rej,) = xp.nonzero(~acc)
    if isinstance(lanes, slice):
        return rej + lanes.start
    return lanes[rej]


# --------------------------------------------------------------------------------------------
# Driver and public entry points
# --------------------------------------------------------------------------------------------

_TRIALS = (_inversion_trial, _btrs_trial)
_AUTO, _INVERSION, _BTRS = -1, 0, 1


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _take(v: Any, idx: Any) -> Any:
    return v if _is_int(v) else v[idx]


def _lanes(xp, slot_base, step, realization, n, p):
    """Broadcast the per-lane inputs to one shape; return it and the 1-D lanes."""
    arrays = [
        xp.asarray(slot_base, dtype=xp.uint64),
        xp.asarray(realization, dtype=xp.uint64),
        xp.asarray(n, dtype=xp.int64),
        xp.asarray(p, dtype=xp.float64),
    ]
    if not _is_int(step):
        arrays.append(xp.asarray(step, dtype=xp.uint64))
    arrays = xp.broadcast_arrays(*arrays)
    shape = arrays[0].shape
    flat = [v.reshape(-1) for v in arrays]
    if _is_int(step):
        flat.append(int(step))
    return shape, flat


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
    shape, (sb, re, nn, pp, st) = _lanes(xp, slot_base, step, realization, n, p)
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
                st_c = st if _is_int(st) else st[lo:hi]
                batch = (sb[lo:hi], st_c, re[lo:hi], nf, pm)
                n_i, fl = n_c, flip
            else:
                lanes = ix + lo
                st_c = st if _is_int(st) else st[lanes]
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
