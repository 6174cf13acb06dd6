"""Lesions measured at clinic visits and evaluated by RECIST 1.1 (the twin of
``cuda/lesions.cuh``; the rules themselves are ``recist.py``).

**Lesions.** Each compartment is a lesion (one lesion without compartments). Its cells N give a
volume V = N / cells_per_cm3 (cm^3) and the diameter of a sphere of that volume,
d = 10 cbrt(6 V / pi) mm, measured as d + noise_mm Z (Z standard normal: Box–Muller from one
Philox block at slot (reserved cell type, ``EVENT_LESION_BASE`` + compartment), the visit's
step). A lesion with fewer cells than ``detection_limit`` (or none) is not seen: 0 mm; one seen
but measured under 5 mm counts as 5 mm (RECIST 1.1 section 4.3.2).

**Evaluation** (:class:`RecistLanes`). At the first visit of a treatment line the lesions
measured at >= ``measurable_mm`` are its target lesions and the other lesions seen its non-target
lesions (bit masks over compartments). At every visit the sum of the target lesions'
diameters, ``all_gone`` (every lesion seen at baseline is gone; never for a tumour without
any) and ``new_lesion`` (a lesion not seen at baseline is seen) go to ``recist.recist_visit``;
a line without a target lesion (measurable disease) cannot have a PR, its PR becomes SD
(RECIST's non-CR/non-PD).
Non-target lesions only count for CR (unequivocal progression of non-target disease is not
modelled). A switch of treatment line takes a new baseline at the switching visit. The best
overall response is accumulated over the first line only (its visits up to and including the
visit that ends it).

Floating point: every expression is the CUDA twin's, in the same order (no FMA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from oncosweep.gpu_engine import recist, rng
from oncosweep.gpu_engine.philox import uniform_pair
from oncosweep.lowering.compiled import CompiledModel

#: slot events of the reserved cell type: + compartment index (at most 8 compartments)
EVENT_LESION_BASE = 40
#: RECIST 1.1 section 4.3.2: a lesion seen but too small to measure counts as 5 mm
SMALLEST_MM = 5.0


def lesion_cells(xp: ModuleType, model: CompiledModel, counts: Any) -> Any:
    """(A, C) float64 cells of each compartment (lesion) of each lane; ``counts`` (A, T)."""
    n_comp = int(model.n_compartments)
    onehot = xp.asarray(model.compartment)[:, None] == xp.arange(n_comp)[None, :]
    return counts.astype(xp.float64) @ onehot.astype(xp.float64)


def measure(xp: ModuleType, model: CompiledModel, key: tuple[int, int], step: int,
            realization: Any, cells: Any) -> Any:
    """(A, C) measured diameters (mm; 0: not seen) of the lesions with ``cells`` (A, C) of the
    lanes ``realization`` (A,) at engine step ``step``."""
    n_lanes, n_comp = cells.shape
    events = xp.arange(n_comp, dtype=xp.uint64) + xp.uint64(EVENT_LESION_BASE)
    slot = (xp.uint64(rng.slot(rng.RESERVED_CELL_TYPE, 0)) | (events << xp.uint64(
        rng.ATTEMPT_BITS)))[None, :] + xp.zeros((n_lanes, 1), dtype=xp.uint64)
    real = xp.broadcast_to(realization[:, None], (n_lanes, n_comp))
    u0, u1 = uniform_pair(xp, key, slot.reshape(-1), step, real.reshape(-1))
    z = (xp.sqrt(-2.0 * xp.log(u0)) * xp.cos(2.0 * math.pi * u1)).reshape(n_lanes, n_comp)
    volume = cells / model.cells_per_cm3
    diameter = 10.0 * xp.cbrt(6.0 * volume / math.pi)
    measured = diameter + model.lesion_noise_mm * z
    measured = xp.where(measured < SMALLEST_MM, SMALLEST_MM, measured)
    seen = (cells > 0.0) & (cells >= model.detection_limit)
    return xp.where(seen, measured, 0.0)


def _mask(xp: ModuleType, flags: Any) -> Any:
    """(A,) int64 bit masks of the (A, C) booleans ``flags``."""
    weights = xp.left_shift(xp.int64(1), xp.arange(flags.shape[1], dtype=xp.int64))
    return (flags.astype(xp.int64) * weights[None, :]).sum(axis=1)


@dataclass
class RecistLanes:
    """RECIST state of every lane of a chunk."""

    state: recist.RecistState
    best: recist.RecistBest
    target: Any  # (R,) int64 bit mask of the current line's target lesions
    present: Any  # (R,) int64 bit mask of the lesions seen at the current line's baseline

    @classmethod
    def empty(cls, xp: ModuleType, n: int) -> RecistLanes:
        return cls(state=recist.RecistState.empty(xp, n), best=recist.RecistBest.empty(xp, n),
                   target=xp.zeros(n, dtype=xp.int64), present=xp.zeros(n, dtype=xp.int64))


def evaluate(xp: ModuleType, model: CompiledModel, lanes_state: RecistLanes, lanes: Any,
             measured: Any) -> tuple[Any, Any]:
    """Time point response codes (A,) of ``lanes`` at a visit with ``measured`` (A, C), and
    their sums of target diameters (mm); a lane's first visit of a line sets its target and
    non-target lesions."""
    rl = lanes_state
    first = rl.state.visits[lanes] == 0
    target = xp.where(first, _mask(xp, measured >= model.measurable_mm), rl.target[lanes])
    present = xp.where(first, _mask(xp, measured > 0.0), rl.present[lanes])
    rl.target[lanes] = target
    rl.present[lanes] = present
    bits = xp.left_shift(xp.int64(1), xp.arange(measured.shape[1], dtype=xp.int64))[None, :]
    in_target = (target[:, None] & bits) != 0
    in_present = (present[:, None] & bits) != 0
    seen = measured > 0.0
    total = xp.zeros(measured.shape[0])
    for c in range(measured.shape[1]):  # in compartment order, as the CUDA loop adds
        total = total + xp.where(in_target[:, c], measured[:, c], 0.0)
    all_gone = (present != 0) & ~(in_present & seen).any(axis=1)
    new_lesion = (~in_present & seen).any(axis=1)
    code = recist.recist_visit(xp, rl.state, total, new_lesion, all_gone, lanes)
    # without a target lesion the sum rule does not apply: no PR (non-CR/non-PD is SD here)
    code = xp.where((target == 0) & (code == recist.PR), recist.SD, code)
    return code, total


def rebaseline(xp: ModuleType, model: CompiledModel, lanes_state: RecistLanes, lanes: Any,
               measured: Any) -> None:
    """A new treatment line for ``lanes``: its baseline is this visit (``measured``)."""
    rl = lanes_state
    rl.state.visits[lanes] = 0
    rl.state.progressed[lanes] = 0
    evaluate(xp, model, rl, lanes, measured)
