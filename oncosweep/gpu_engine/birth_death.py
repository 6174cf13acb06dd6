"""Cells after one exact step of a linear birth–death process: Kendall's law sampled with the
exact binomial, negative binomial, gamma and Poisson samplers (the birth–death part of the
exact step scheme, ``kendall_step.py``).

From ``n`` cells whose lines each go extinct over the step with probability ``alpha`` and
otherwise hold a geometric number ``K >= 1`` of cells with odds ``beta / (1 - beta)``
(:mod:`oncosweep.gpu_engine.kendall`):

    S ~ Binomial(n, 1 - alpha)              surviving lines    (event rng.EVENT_LINES)
    E ~ NegBin(S, 1 - beta)                 extra cells
    N = S + E

since the sum of S independent ``K - 1`` is NegBin(S, 1 - beta). E is drawn

* by inversion (NBINV, :mod:`oncosweep.gpu_engine.negative_binomial`: one uniform) where
  ``S odds < 10`` and ``odds <= 1``, in event ``rng.EVENT_OFFSPRING_POISSON``;
* elsewhere as the gamma–Poisson mixture ``G ~ Gamma(S, 1)`` (``rng.EVENT_OFFSPRING_GAMMA``),
  ``E ~ Poisson(odds * G)`` (``rng.EVENT_OFFSPRING_POISSON``).

Each draw has its own slot range of the cell type's channel (:mod:`oncosweep.gpu_engine.rng`),
so a lane's result depends only on (seed, point, realization, step, cell type) and its
arguments. Lanes with n = 0, alpha = 1 or S = 0 draw nothing beyond what decides that. The
three events are ``event``, ``event + 1`` and ``event + 2`` (default: rng.EVENT_LINES ...), so
one cell type can make several independent draws in a step.
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.binomial import binomial
from oncosweep.gpu_engine.gamma import standard_gamma
from oncosweep.gpu_engine.negative_binomial import negative_binomial_inversion, uses_inversion
from oncosweep.gpu_engine.poisson import poisson


def birth_death_step(xp: Any, key: tuple[int, int], cell_type: Any, step: Any,
                     realization: Any, n: Any, survive: Any, odds: Any,
                     event: int = rng.EVENT_LINES, counter: Any = None) -> Any:
    """Cells (int64) after one exact step from ``n`` cells of ``cell_type`` (per lane), given
    the step's Kendall ``survive`` = 1 - alpha and ``odds``. ``counter`` (a
    ``step.DrawCounter``) counts the draws that took random numbers."""
    cell_type = xp.asarray(cell_type, dtype=xp.uint64)
    if counter is not None:
        counter.add(xp, n, survive)
    survivors = binomial(xp, key, rng.slot(cell_type, event), step, realization, n, survive)
    extra = xp.zeros_like(survivors)
    odds = xp.broadcast_to(xp.asarray(odds, dtype=xp.float64), survivors.shape)
    small = uses_inversion(xp, survivors.astype(xp.float64), odds)
    (lanes,) = xp.nonzero((survivors > 0) & small)
    if lanes.size:
        if counter is not None:
            counter.nontrivial += int(lanes.size)
        take = _taker(xp, lanes)
        extra[lanes] = negative_binomial_inversion(
            xp, key, rng.slot(take(cell_type), event + 2), take(step), take(realization),
            survivors[lanes], odds[lanes])
    (lanes,) = xp.nonzero((survivors > 0) & (odds > 0) & ~small)
    if lanes.size:
        if counter is not None:
            counter.nontrivial += 2 * int(lanes.size)
        take = _taker(xp, lanes)
        mixing = standard_gamma(xp, key, rng.slot(take(cell_type), event + 1), take(step),
                                take(realization), survivors[lanes].astype(xp.float64))
        extra[lanes] = poisson(xp, key, rng.slot(take(cell_type), event + 2), take(step),
                               take(realization), odds[lanes] * mixing)
    return survivors + extra


def _taker(xp: Any, lanes: Any) -> Any:
    def take(value: Any) -> Any:
        array = xp.asarray(value)
        return array if array.ndim == 0 else array[lanes]
    return take
