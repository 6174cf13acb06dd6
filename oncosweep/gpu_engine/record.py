"""The raw per-realization record both engines fill, and the one function that finishes it
into an :class:`EngineResult`.

The record (:data:`~oncosweep.lowering.declaration.RAW_OUTPUTS`: detection and end
iterations, restarts, exposure, policy outcomes, traces) is what a realization computes;
everything a user reads (days, fractions, resistance at start: the ``RESULTS`` of the
declaration) is formed from it here, once, on the host. The compiled engines write the
record through ``OsOutputs`` (``cuda/model.cuh``); the numpy engine (``realization.py``)
builds the same arrays.
"""

from __future__ import annotations

from dataclasses import field, make_dataclass
from typing import Any

import numpy as np

from oncosweep.gpu_engine.derived import detection_substeps
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import RAW_OUTPUTS, RESULTS

STATUS_MESSAGES = {
    1: "a per-step probability left [0, 1] (e.g. birth_rate x dt > 1); the numpy engine "
       "raises the same error",
    2: "the model exceeds the kernel's compiled capacities",
}

EngineResult = make_dataclass(
    "EngineResult",
    [("realization", np.ndarray),
     *[(r.name, np.ndarray) for r in RESULTS if r.dims[0] == "realization"],
     ("traced", np.ndarray),
     *[(r.name, np.ndarray) for r in RESULTS if r.dims[0] == "traced_realization"],
     ("stats", dict, field(default_factory=dict))])
EngineResult.__module__ = __name__
EngineResult.__doc__ = (
    "Per-realization outputs on the host (numpy), for realizations start .. start + R - 1: "
    "``realization`` (R,) global indices, ``traced`` (K,) global indices of the traced ones, "
    "one array per declared result (oncosweep.lowering.declaration.RESULTS: dtype, dims, "
    "units) and ``stats`` (engine counters).")


def raw_specs(model: CompiledModel, count: int, n_traced: int
              ) -> dict[str, tuple[tuple[int, ...], Any, float]]:
    """name -> (shape, dtype, fill) of every raw output for a chunk of ``count``
    realizations of which ``n_traced`` are traced, in the compiled engines' address order."""
    sizes = {"R": count, "K": n_traced, "T": model.n_types, "D": model.n_drugs,
             "times": model.n_trace_times, "visits": model.n_visits, "V": len(model.ctdna_loci)}
    return {o.name: (tuple(sizes[s] for s in o.shape), np.dtype(o.dtype), o.fill)
            for o in RAW_OUTPUTS}


def allocate_raw(xp: Any, model: CompiledModel, count: int, n_traced: int) -> dict[str, Any]:
    """The raw record of a chunk on ``xp`` (numpy or cupy), filled with the declared fills."""
    return {name: xp.full(shape, fill, dtype=dtype)
            for name, (shape, dtype, fill) in raw_specs(model, count, n_traced).items()}


def trace_rows(model: CompiledModel, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(traced global indices, per-lane trajectory row or -1) of a chunk."""
    traced = model.traced_in(start, count)
    rows = np.full(count, -1, dtype=np.int64)
    rows[traced - start] = np.arange(traced.size)
    return traced, rows


def finish(model: CompiledModel, raw: dict[str, np.ndarray], *, start: int,
           traced: np.ndarray, rows: np.ndarray, stats: dict[str, int],
           substeps: np.ndarray | None = None, resistant: np.ndarray | None = None
           ) -> EngineResult:
    """The EngineResult of a chunk from its raw record (host arrays; ``rows``: each lane's
    trace row or -1; ``substeps`` (lanes) and ``resistant`` (lanes, T, D): each lane's
    detection sub-step count and resistance classification where a population varies them,
    else the model's). A realization whose status is not 0 raises RuntimeError."""
    status = raw["status"]
    bad = np.nonzero(status != 0)[0]
    if bad.size:
        code = int(status[bad[0]])
        raise RuntimeError(f"realization {start + int(bad[0])}: "
                           f"{STATUS_MESSAGES.get(code, f'status {code}')} "
                           f"({bad.size} realizations failed)")
    detect_it, end_it = raw["detect_it"], raw["end_it"]
    cured = raw["cured"].astype(bool)
    trajectory = raw["trajectory"]
    _zero_after_cure(model, cured, detect_it, end_it, rows, trajectory)
    detected = detect_it >= 0
    ended = end_it >= 0
    died = ended & ~cured
    dt = model.dt
    since_start = (end_it - detect_it) * dt
    cells_at_start = np.where(detected[:, None], raw["cells_at_detection"], 0)
    classes = model.resistant[None] if resistant is None else resistant
    resistant_at_start = ((cells_at_start > 0)[:, :, None] & classes).any(axis=1)

    def days(it: np.ndarray) -> np.ndarray:
        return np.where(it >= 0, (it - detect_it) * dt, np.nan)

    steps_after = np.where(ended, end_it - detect_it, model.horizon_steps)
    treated_fraction = np.where(detected & (steps_after > 0),
                                raw["treated_steps"] / np.maximum(steps_after, 1), np.nan)
    ctdna_it, first_pd_it = raw["ctdna_it"], raw["first_pd_it"]
    return EngineResult(
        realization=np.arange(start, start + detected.shape[0], dtype=np.int64),
        detected=detected,
        time_to_detection=np.where(detected, _detection_days(model, raw, detect_it, substeps),
                                   np.nan),
        restarts=raw["restarts"],
        cells_at_detection=raw["cells_at_detection"],
        cells_at_start=cells_at_start,
        resistant_at_start=resistant_at_start,
        cured=cured,
        time_to_cure=np.where(cured, since_start, np.nan),
        died=died,
        time_to_death=np.where(died, since_start, np.nan),
        drug_exposure=raw["auc"],
        progressed=raw["progressed"].astype(bool),
        time_to_progression=days(raw["progression_it"]),
        cells_at_progression=raw["cells_at_pd"],
        regimen_switches=raw["switches"],
        time_to_switch=days(raw["switch_it"]),
        ctdna_detection_time=days(ctdna_it),
        ctdna_lead_time=np.where((ctdna_it >= 0) & (first_pd_it >= 0),
                                 (first_pd_it - ctdna_it) * dt, np.nan),
        treated_fraction=treated_fraction,
        best_response=raw["best_response"],
        time_to_response=raw["response_day"],
        duration_of_response=raw["response_duration"],
        response_ended=raw["response_event"].astype(bool),
        traced=traced,
        trajectory=trajectory,
        concentration=raw["concentration"],
        on_treatment=raw["on_treatment"],
        observed_burden=raw["observed_burden"],
        sum_diameters=raw["sum_diameters"],
        ctdna_vaf=raw["ctdna_vaf"],
        stats=dict(stats),
    )


def _detection_days(model: CompiledModel, raw: dict[str, np.ndarray],
                    detect_it: np.ndarray, substeps: np.ndarray | None) -> np.ndarray:
    """Days from the detecting attempt's start to detection: whole steps of dt and sub-steps of
    dt / detection_substeps (exact scheme near the detection size)."""
    sub = raw["detect_substeps"]
    m = detection_substeps(model)[0] if substeps is None else substeps
    return ((detect_it - raw["attempt_start"] - sub) + sub / m) * model.dt


def _zero_after_cure(model: CompiledModel, cured: np.ndarray, detect_it: np.ndarray,
                     end_it: np.ndarray, rows: np.ndarray, trajectory: np.ndarray) -> None:
    """A cured tumour has 0 cells from then on: known values, not missing ones (NaN stays
    after death, where the simulation stopped)."""
    (lanes,) = np.nonzero(cured & (rows >= 0))
    if lanes.size == 0:
        return
    traced_rows = rows[lanes]
    first = (end_it[lanes] - detect_it[lanes]) // model.trace_every_steps + 1
    later = np.arange(model.n_trace_times)[None, :] >= first[:, None]
    trajectory[traced_rows] = np.where(later[:, :, None], 0.0, trajectory[traced_rows])


def result_sizes(model: CompiledModel, realizations: int, traced: int) -> dict[str, int]:
    """The length of every result dimension for ``realizations`` realizations of which
    ``traced`` are traced."""
    return {"realization": realizations, "cell_type": model.n_types, "drug": model.n_drugs,
            "traced_realization": traced, "time": model.n_trace_times,
            "visit": model.n_visits, "variant": len(model.ctdna_loci)}


def empty_result(model: CompiledModel, traced: np.ndarray) -> EngineResult:
    """A result of no realizations (every declared variable with its dtype and the model's
    sizes), with ``traced`` traced realizations of no values: the structure of a dataset
    without running one realization (the sweep store's template)."""
    sizes = result_sizes(model, 0, len(traced))
    arrays = {r.name: np.zeros(tuple(sizes[d] for d in r.dims), dtype=r.dtype)
              for r in RESULTS}
    return EngineResult(realization=np.zeros(0, dtype=np.int64),
                        traced=np.asarray(traced, dtype=np.int64), **arrays)


def concatenate_results(parts: list[EngineResult]) -> EngineResult:
    """One result from consecutive chunks: arrays joined, stats summed ("iterations": max)."""
    if len(parts) == 1:
        return parts[0]
    names = [name for name in EngineResult.__dataclass_fields__ if name != "stats"]
    merged = {name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    stats: dict[str, int] = {}
    for part in parts:
        for name, value in part.stats.items():
            stats[name] = max(stats.get(name, 0), value) if name == "iterations" else (
                stats.get(name, 0) + value)
    return EngineResult(**merged, stats=stats)
