"""The CPU reference engine: realizations from the first cell to detection, then the horizon.

Every realization advances one step per loop iteration ``it``; ``it`` is also the ``step`` word
of its random-number counter and keeps counting across restarts, so a restarted tumour draws
from a fresh stream and a realization's result depends only on (seed, point, realization).

Phases of a realization, checked at the start of each iteration before the step:

* growing (pre-treatment): total >= detection_size -> detected (time_to_detection = days since
  the current attempt started); total == 0 -> restart from ``initial_cells`` founder cells
  (``restarts`` += 1), or give up after ``max_restarts``; pre-detection budget exhausted -> give
  up. Given-up realizations have ``detected = False``.
* after detection: traced realizations are sampled every ``trace_every_steps``; total >=
  lethal_size -> died (time_to_death = days since detection); ``horizon_steps`` reached -> done.

Later issues add therapy to the after-detection phase; this module stays the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.allocator import tune_allocator
from oncosweep.gpu_engine.compile import CompiledModel
from oncosweep.gpu_engine.step import DeviceModel, DrawCounter, branching_step
from oncosweep.gpu_engine.xp import to_host

GROWING, TREATED, FINISHED = 0, 1, 2


@dataclass
class EngineResult:
    """Per-realization outputs on the host (numpy), for realizations start .. start + R - 1."""

    realization: np.ndarray  # (R,) int64 global indices
    detected: np.ndarray  # (R,) bool
    time_to_detection: np.ndarray  # (R,) float64 days; NaN where not detected
    restarts: np.ndarray  # (R,) int64
    cells_at_detection: np.ndarray  # (R, T) int64 cells (state when given up if undetected)
    died: np.ndarray  # (R,) bool
    time_to_death: np.ndarray  # (R,) float64 days since detection; NaN where not died
    traced: np.ndarray  # (K,) int64 global indices of traced realizations
    trajectory: np.ndarray  # (K, n_times, T) float64 cells; NaN where not simulated
    stats: dict[str, int] = field(default_factory=dict)


def run_engine(
    model: CompiledModel,
    *,
    realizations: int,
    seed: int,
    start: int = 0,
    point: int = 0,
    xp: ModuleType = np,
    on_iteration: Callable[[int, int], None] | None = None,
    count_draws: bool = False,
) -> EngineResult:
    """Simulate realizations ``start .. start + realizations - 1`` of ``model``.

    ``on_iteration(it, active)`` is called after every iteration (progress reporting).
    ``count_draws`` also counts the draws that needed random numbers (benchmarks; it costs a
    reduction per draw). ``stats["logical_draws"]`` counts every (realization, step, cell type,
    event) draw the model defines, occupied or not.
    """
    if realizations < 1:
        raise ValueError(f"realizations: must be >= 1, got {realizations}")
    if start < 0 or start + realizations > 2**64:
        raise ValueError(f"start: must be in [0, 2**64 - realizations], got {start}")
    key = rng.make_key(seed, point)
    if xp is np:
        tune_allocator()
    dm = DeviceModel.from_model(model, xp)
    n_real, n_types = realizations, model.n_types
    real = xp.arange(start, start + n_real, dtype=xp.uint64)

    counts = xp.zeros((n_real, n_types), dtype=xp.int64)
    counts[:, model.founder] = model.initial_cells
    phase = xp.zeros(n_real, dtype=xp.int8)
    attempt_start = xp.zeros(n_real, dtype=xp.int64)
    restarts = xp.zeros(n_real, dtype=xp.int64)
    detect_it = xp.full(n_real, -1, dtype=xp.int64)
    death_it = xp.full(n_real, -1, dtype=xp.int64)
    cells_at_detection = xp.zeros((n_real, n_types), dtype=xp.int64)

    traced = model.traced_in(start, n_real)
    trace_row = np.full(n_real, -1, dtype=np.int64)
    trace_row[traced - start] = np.arange(traced.size)
    trace_row = xp.asarray(trace_row)
    trajectory = xp.full((traced.size, model.n_trace_times, n_types), xp.nan)

    counter = DrawCounter() if count_draws else None
    lane_steps = 0
    draws_per_lane_step = int(model.draws_per_type_step.sum())
    it = 0
    while True:
        total = counts.sum(axis=1)
        growing = phase == GROWING
        found = growing & (total >= model.detection_size)
        extinct = growing & (total == 0)
        restarts += extinct
        give_up = (extinct & (restarts > model.max_restarts)) | (
            growing & ~found & ~extinct & (it >= model.max_detection_steps)
        )
        relaunch = extinct & ~give_up
        counts[relaunch, model.founder] = model.initial_cells
        attempt_start = xp.where(relaunch, it, attempt_start)
        phase[give_up] = FINISHED
        phase[found] = TREATED
        detect_it = xp.where(found, it, detect_it)
        cells_at_detection[found] = counts[found]
        # an undetected realization keeps the state it was given up in
        cells_at_detection[give_up] = counts[give_up]

        after = phase == TREATED
        since = it - detect_it
        sample = after & (trace_row >= 0) & (since % model.trace_every_steps == 0)
        if bool(sample.any()):
            trajectory[trace_row[sample], since[sample] // model.trace_every_steps] = counts[
                sample
            ]
        dies = after & (total >= model.lethal_size)
        death_it = xp.where(dies, it, death_it)
        phase[dies | (after & (since >= model.horizon_steps))] = FINISHED

        active = xp.nonzero(phase != FINISHED)[0]
        if active.size == 0:
            break
        if it >= rng.MAX_STEPS:  # the schema keeps step counts far below this
            raise RuntimeError("step counter exhausted (2**32 steps)")
        counts[active] = branching_step(xp, dm, counts[active], real[active], key, it, counter)
        lane_steps += int(active.size)
        it += 1
        if on_iteration is not None:
            on_iteration(it, int(active.size))

    detected = detect_it >= 0
    died = death_it >= 0
    dt = model.dt
    return EngineResult(
        realization=np.arange(start, start + n_real, dtype=np.int64),
        detected=to_host(detected),
        time_to_detection=to_host(xp.where(detected, (detect_it - attempt_start) * dt, xp.nan)),
        restarts=to_host(restarts),
        cells_at_detection=to_host(cells_at_detection),
        died=to_host(died),
        time_to_death=to_host(xp.where(died, (death_it - detect_it) * dt, xp.nan)),
        traced=traced,
        trajectory=to_host(trajectory),
        stats={
            "iterations": it,
            "lane_steps": lane_steps,
            "logical_draws": lane_steps * draws_per_lane_step,
            **({"nontrivial_draws": counter.nontrivial} if counter is not None else {}),
        },
    )
