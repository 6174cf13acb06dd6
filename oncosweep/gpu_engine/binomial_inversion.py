"""BINV, sequential-search inversion, for the binomial sampler.

Part of :mod:`oncosweep.gpu_engine.binomial` (which dispatches to it and re-exports every
public name here): lanes with ``p <= 0.5`` and ``n p < binomial.BINV_MAX_MEAN``
(V. Kachitvichyanukul and B. W. Schmeiser, "Binomial random variate generation", Commun. ACM 31
(1988) 216-222). One uniform per attempt; a lane whose search passes :func:`inversion_bound`
retries with the next attempt. Constants and the error analysis are in ``docs/rng.md``.
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine.philox import MASK32, philox4x32_10, words_to_uniform

BINV_TAIL_SDS = 15.0
"""Inversion search bound: ``bound = min(n, floor(n p + BINV_TAIL_SDS * sqrt(n p q + 1)))``.

For ``n p < 10`` the binomial mass above ``bound`` is below 1.6e-22 (checked against
``scipy.stats.binom.sf`` on a grid of means 1e-6..10 and n up to 1e15 in
``tests/test_binomial.py``; the worst case is near ``n p = 1.3``). With 10 instead of 15 the
mass would reach 2.9e-13 (at ``n p ~ 1.9``), which is why 15 is used.
"""

__all__ = ["BINV_TAIL_SDS", "inversion_bound"]


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
    return sequential_search(xp, u, r, a, s, bound)


def sequential_search(xp: Any, u: Any, r: Any, a: Any, s: Any | None, bound: Any
                      ) -> tuple[Any, Any]:
    """The inversion search of every lane: the first x with ``u <= f(0) + ... + f(x)``,
    where ``f(0) = r`` and ``f(i) = f(i - 1) (a / i - s)`` (BINV; ``s`` None: ``a / i``,
    Poisson's). Returns (int64 values, mask of lanes that stayed within ``bound``); ``u``,
    ``r`` are overwritten."""
    size = u.shape[0]
    res = xp.zeros(size, dtype=xp.int64)
    ok = xp.ones(size, dtype=bool)
    # Sequential search vectorised with an 'alive' mask: a lane stops for good at the first x
    # with u <= r (it is masked from then on); x counts the alive iterations, so x = i for a
    # lane still searching after iteration i. Rows are compressed away once 3/4 have stopped,
    # so the work is ~ the sum of the values, not their maximum.
    x = xp.zeros(size, dtype=xp.int64)
    alive = u > r
    over_any = xp.zeros(size, dtype=bool)
    cur = None  # row -> lane of this batch; None while the rows are the lanes themselves
    min_bound = float(bound.min()) if size else 0.0
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
            u, r, x, a, bound = (v[keep] for v in (u, r, x, a, bound))
            if s is not None:
                s = s[keep]
            alive = xp.ones(u.shape, dtype=bool)
            over_any = xp.zeros(u.shape, dtype=bool)
        i += 1
        u -= r
        f = a / float(i)
        if s is not None:
            f -= s
        r *= f  # r = f(i)
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
