"""The numpy reference engine: realizations from the first cells to detection, then therapy
(the twin of ``cuda/realization.cuh``, which runs one realization per thread).

Every realization advances one step per loop iteration ``it``; ``it`` is also the ``step`` word
of its random-number counter and keeps counting across restarts, so a restarted tumour draws
from a fresh stream and a realization's result depends only on (seed, point, realization).

Phases of a realization, checked at the start of each iteration before the step:

* growing (pre-treatment): total >= detection_size -> detected, treatment starts
  (time_to_detection = days since the current attempt started); total == 0 -> restart from the
  initial population (``restarts`` += 1), or give up after ``max_restarts``; pre-detection
  budget exhausted -> give up. Given-up realizations have ``detected = False``.
* treated (from detection): boluses due at this step are added to the drug concentrations;
  traced realizations are sampled every ``trace_every_steps``; total == 0 -> cured;
  total >= lethal_size -> died; ``horizon_steps`` reached -> done. Times are days since
  treatment start. Between steps the concentrations follow the exact one-compartment solution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np

from oncosweep.gpu_engine import clinic, lesions, recist, rng
from oncosweep.gpu_engine import pharmacology as pk
from oncosweep.gpu_engine.allocator import tune_allocator
from oncosweep.gpu_engine.derived import detection_substeps
from oncosweep.gpu_engine.kendall_step import kendall_step
from oncosweep.gpu_engine.record import EngineResult, allocate_raw, finish, trace_rows
from oncosweep.gpu_engine.step import DeviceModel, DrawCounter, branching_step
from oncosweep.gpu_engine.xp import to_host
from oncosweep.lowering.compiled import CompiledModel

GROWING, TREATED, FINISHED = 0, 1, 2


@dataclass
class _Lanes:
    """Mutable per-realization state of one chunk, on the device."""

    counts: Any
    phase: Any
    attempt_start: Any
    restarts: Any
    detect_it: Any
    substeps: Any  # sub-step iterations of the current attempt (exact scheme)
    substeps_all: Any  # sub-step iterations of all attempts (the pre-detection budget)
    detect_substeps: Any
    end_it: Any
    cured: Any
    cells_at_detection: Any
    cells_at_pd: Any  # (R, T) cells at the first imaging progression
    conc: Any
    auc: Any
    policy: clinic.PolicyLanes
    recist: lesions.RecistLanes


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

    A model carrying a population (``model.population``) runs each realization on its drawn
    parameters (:mod:`oncosweep.gpu_engine.population`).

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
    if model.population is not None:  # each run of equal draws on its own model
        from oncosweep.gpu_engine.population import run_by_values  # noqa: PLC0415

        return run_by_values(run_engine, model, realizations=realizations, seed=seed,
                             start=start, point=point, xp=xp, on_iteration=on_iteration,
                             count_draws=count_draws)
    if xp is np:
        tune_allocator()
    dm = DeviceModel.from_model(model, xp)
    substeps, near = detection_substeps(model)
    dm_sub = replace(dm, rates=replace(dm.rates, dt=model.dt / substeps))
    n_real, n_types, n_drugs = realizations, model.n_types, model.n_drugs
    real = xp.arange(start, start + n_real, dtype=xp.uint64)
    initial = xp.asarray(model.initial_counts)
    state = _Lanes(
        counts=xp.tile(initial, (n_real, 1)),
        phase=xp.zeros(n_real, dtype=xp.int8),
        attempt_start=xp.zeros(n_real, dtype=xp.int64),
        restarts=xp.zeros(n_real, dtype=xp.int64),
        detect_it=xp.full(n_real, -1, dtype=xp.int64),
        substeps=xp.zeros(n_real, dtype=xp.int64),
        substeps_all=xp.zeros(n_real, dtype=xp.int64),
        detect_substeps=xp.zeros(n_real, dtype=xp.int64),
        end_it=xp.full(n_real, -1, dtype=xp.int64),
        cured=xp.zeros(n_real, dtype=bool),
        cells_at_detection=xp.zeros((n_real, n_types), dtype=xp.int64),
        cells_at_pd=xp.zeros((n_real, n_types), dtype=xp.int64),
        conc=xp.zeros((n_real, n_drugs)),
        auc=xp.zeros((n_real, n_drugs)),
        policy=clinic.PolicyLanes.empty(xp, n_real),
        recist=lesions.RecistLanes.empty(xp, n_real),
    )
    decay = pk.StepDecay.from_half_lives(model.half_life, model.dt)
    bolus = xp.asarray(model.regimen_bolus)
    infusion = xp.asarray(model.regimen_infusion)
    resists = xp.asarray(model.regimen_resists)
    lines = xp.asarray(model.lines)
    group_of = xp.asarray(np.eye(max(len(model.carrying_capacity), 1), dtype=np.int64)[
        model.group]) if model.growth_law != "exponential" else None

    traced, host_rows = trace_rows(model, start, n_real)
    trace_row = xp.asarray(host_rows)
    raw = allocate_raw(xp, model, n_real, traced.size)
    trajectory, conc_trace = raw["trajectory"], raw["concentration"]
    dose_trace, observed_trace = raw["on_treatment"], raw["observed_burden"]
    diameter_trace, vaf_trace = raw["sum_diameters"], raw["ctdna_vaf"]

    counter = DrawCounter() if count_draws else None
    lane_steps = 0
    draws_per_lane_step = int(model.draws_per_type_step.sum())
    it = 0
    while True:
        total = _bookkeep(xp, model, state, it, initial, substeps)
        treated = state.phase == TREATED
        since = it - state.detect_it
        (rows,) = xp.nonzero(treated)
        plan = state.policy
        if model.treated and rows.size:
            clinic.start(xp, model, plan, rows[since[rows] == 0], it)
            clinic.tick(xp, model, plan, rows, since[rows], it)
        if model.visit_steps and rows.size:
            (visiting,) = xp.nonzero(treated & (since % model.visit_steps == 0))
            if visiting.size:
                observed, diameters, vaf = _visit(xp, model, dm, state, visiting, since, total,
                                                  key, it, real, resists, lines, group_of)
                rows_traced = trace_row[visiting]
                keep = rows_traced >= 0
                at = (rows_traced[keep], since[visiting][keep] // model.visit_steps)
                observed_trace[at] = observed[keep]
                if diameters is not None:
                    diameter_trace[at] = diameters[keep]
                if vaf is not None:
                    vaf_trace[at] = vaf[keep]
        dosed = rows[plan.regimen[rows] >= 0] if model.treated else rows[:0]
        if dosed.size:
            state.conc[dosed] += bolus[plan.regimen[dosed], it - plan.activated[dosed]] * (
                plan.dose[dosed][:, None])
        sample = treated & (trace_row >= 0) & (since % model.trace_every_steps == 0)
        if bool(sample.any()):
            slot = (trace_row[sample], since[sample] // model.trace_every_steps)
            trajectory[slot] = state.counts[sample]
            conc_trace[slot] = state.conc[sample]
            dose_trace[slot] = xp.where(plan.regimen[sample] >= 0, plan.dose[sample], 0.0)
        cured = treated & (total == 0)
        dies = treated & (total >= model.lethal_size)
        ends = cured | dies | (treated & (since >= model.horizon_steps))
        state.cured |= cured
        state.end_it = xp.where(cured | dies, it, state.end_it)
        state.phase[ends] = FINISHED

        (active,) = xp.nonzero(state.phase != FINISHED)
        if active.size == 0:
            break
        if it >= rng.MAX_STEPS:  # the schema keeps step counts far below this
            raise RuntimeError("step counter exhausted (2**32 steps)")
        on = state.phase[active] == TREATED
        plan.treated_steps[active] += on & (plan.regimen[active] >= 0)
        lane_conc = lane_infusion = None
        if model.treated and bool(on.any()):
            lane_infusion = _infusion(xp, plan, infusion, active, n_drugs)
            lane_conc = pk.midpoint(xp, state.conc[active], lane_infusion, decay)
        crowd = _crowding(xp, model, state.counts[active], group_of)
        if model.scheme == "exact":
            close = (state.phase[active] == GROWING) & (
                total[active].astype(xp.float64) * near >= float(model.detection_size))
            state.counts[active] = _exact_step(
                xp, dm, dm_sub, state.counts[active], real[active], key, it,
                None if lane_conc is None else state.conc[active], lane_infusion, crowd,
                counter, on, close if substeps > 1 and bool(close.any()) else None)
            if substeps > 1:
                state.substeps[active] += close
                state.substeps_all[active] += close
        else:
            state.counts[active] = branching_step(xp, dm, state.counts[active], real[active],
                                                  key, it, lane_conc, crowd, counter)
        if lane_conc is not None:
            state.conc[active], exposure = pk.advance(xp, state.conc[active], lane_infusion,
                                                      decay)
            state.auc[active] += exposure
        lane_steps += int(active.size)
        it += 1
        if on_iteration is not None:
            on_iteration(it, int(active.size))
    plan = state.policy
    raw.update(attempt_start=state.attempt_start, restarts=state.restarts,
               detect_it=state.detect_it, detect_substeps=state.detect_substeps,
               end_it=state.end_it,
               cured=state.cured.astype(xp.int64), cells_at_detection=state.cells_at_detection,
               cells_at_pd=state.cells_at_pd,
               auc=state.auc, progressed=plan.progressed.astype(xp.int64),
               progression_it=plan.progression_it, first_pd_it=plan.first_pd_it,
               ctdna_it=plan.ctdna_it, switches=plan.switches, switch_it=plan.switch_it,
               treated_steps=plan.treated_steps, **_response_outputs(xp, state.recist.best))
    return finish(model, {name: to_host(value) for name, value in raw.items()}, start=start,
                  traced=traced, rows=host_rows, stats={
        "iterations": it,
        "lane_steps": lane_steps,
        "logical_draws": lane_steps * draws_per_lane_step,
        **({"nontrivial_draws": counter.nontrivial} if counter is not None else {}),
    })


def _exact_step(xp, dm, dm_sub, counts, real, key, it, conc, infusion, crowd, counter, on,
                close) -> Any:
    """The exact step of the active lanes; the ``close`` ones (growing, near the detection
    size; None: no lane) take a sub-step of dt / detection_substeps (``dm_sub``) instead."""
    if close is None:
        return kendall_step(xp, dm, counts, real, key, it, conc, infusion, crowd, counter,
                            treated=on)
    (far,) = xp.nonzero(~close)
    (near,) = xp.nonzero(close)
    out = xp.empty_like(counts)

    def rows(x: Any, picked: Any) -> Any:
        return None if x is None else x[picked]

    out[far] = kendall_step(xp, dm, counts[far], real[far], key, it, rows(conc, far),
                            rows(infusion, far), rows(crowd, far), counter, treated=on[far])
    out[near] = kendall_step(xp, dm_sub, counts[near], real[near], key, it, None, None,
                             rows(crowd, near), counter)
    return out


def _bookkeep(xp: ModuleType, model: CompiledModel, state: _Lanes, it: int, initial: Any,
              m: int) -> Any:
    """Detection, extinction before detection (restart or give up); returns the totals.
    ``m``: the model's detection sub-steps per step."""
    total = state.counts.sum(axis=1)
    growing = state.phase == GROWING
    found = growing & (total >= model.detection_size)
    extinct = growing & (total == 0)
    state.restarts += extinct
    # the budget counts a sub-step as 1 / m of a step: (it - s) + s / m >= budget
    spent = (it - state.substeps_all) * m + state.substeps_all
    give_up = (extinct & (state.restarts > model.max_restarts)) | (
        growing & ~found & ~extinct & (spent >= model.max_detection_steps * m)
    )
    relaunch = extinct & ~give_up
    state.counts[relaunch] = initial
    state.attempt_start = xp.where(relaunch, it, state.attempt_start)
    state.substeps[relaunch] = 0
    state.detect_substeps = xp.where(found, state.substeps, state.detect_substeps)
    state.phase[give_up] = FINISHED
    state.phase[found] = TREATED
    state.detect_it = xp.where(found, it, state.detect_it)
    state.cells_at_detection[found] = state.counts[found]
    # an undetected realization keeps the state it was given up in
    state.cells_at_detection[give_up] = state.counts[give_up]
    return total


def _infusion(xp, plan, infusion, lanes, n_drugs) -> Any:
    """(A, D) infusion rate of each lane's active regimen times its dose factor (0: none)."""
    regimen = plan.regimen[lanes]
    given = regimen >= 0
    if infusion.shape[0] == 0:
        return xp.zeros((lanes.shape[0], n_drugs))
    rate = infusion[xp.maximum(regimen, 0)] * plan.dose[lanes][:, None]
    return xp.where(given[:, None], rate, 0.0)


def _visit(xp, model, dm, state, visiting, since, total, key, it, real, resists, lines,
           group_of) -> Any:
    """Imaging (and ctDNA) at a visit of the lanes ``visiting``; the policy decides."""
    observed = clinic.imaging(xp, model, key, it, real[visiting], total[visiting])
    resisting = vaf = None
    if model.ctdna:
        counts = state.counts[visiting]
        conc = state.conc[visiting] if model.treated else None
        flux, variant_flux = clinic.death_flux(xp, model, dm.rates, counts, conc,
                                               _crowding(xp, model, counts, group_of))
        reads = clinic.ctdna_reads(xp, model, key, it, real[visiting], flux, variant_flux)
        detected = reads >= model.ctdna_threshold
        vaf = reads.astype(xp.float64) / float(model.ctdna_depth)
        if model.treated:
            current = lines[state.policy.line[visiting]]
            resisting = (detected & resists[current]).any(axis=1)
        else:
            resisting = detected.any(axis=1)
    if not model.recist:
        clinic.visit(xp, model, state.policy, visiting, since[visiting] == 0, observed,
                     resisting, it)
        _record_first_pd(state, visiting, it)
        return observed, None, vaf
    rl = state.recist
    measured = lesions.measure(xp, model, key, it, real[visiting],
                               lesions.lesion_cells(xp, model, state.counts[visiting]))
    line_before = state.policy.line[visiting].copy()
    code, total = lesions.evaluate(xp, model, rl, visiting, measured)
    first_line = line_before == 0
    recist.recist_best_update(xp, rl.best, code[first_line],
                              since[visiting][first_line] * model.dt, model.confirm_days,
                              model.min_sd_days, lanes=visiting[first_line])
    clinic.visit(xp, model, state.policy, visiting, since[visiting] == 0, observed, resisting,
                 it, recist_pd=code == recist.PD)
    switched = state.policy.line[visiting] != line_before
    lesions.rebaseline(xp, model, rl, visiting[switched], measured[switched])
    _record_first_pd(state, visiting, it)
    return observed, total, vaf


def _record_first_pd(state: Any, visiting: Any, it: int) -> None:
    """The cells of the lanes whose first imaging progression is this visit."""
    newly = visiting[state.policy.first_pd_it[visiting] == it]
    state.cells_at_pd[newly] = state.counts[newly]


def _response_outputs(xp: ModuleType, best: recist.RecistBest) -> dict[str, Any]:
    """The raw best-response outputs of the first line (zeros / NaN without RECIST)."""
    done = recist.recist_best_finish(xp, best)
    return {"best_response": done.response, "response_day": done.response_day,
            "response_duration": done.duration, "response_event": done.event}


def _crowding(xp: ModuleType, model: CompiledModel, counts: Any, group_of: Any) -> Any | None:
    """(A, G) crowding of each lane for the birth-rate reduction, or None (exponential)."""
    law = model.growth_law
    if law == "exponential":
        return None
    capacity = xp.asarray(model.carrying_capacity)
    if law == "lotka_volterra":
        sizes = (counts @ group_of).astype(xp.float64)
        return (sizes @ xp.asarray(model.alpha).T) / capacity
    total = counts.sum(axis=1).astype(xp.float64)[:, None]
    if law == "logistic":
        return total / capacity
    # Gompertz: ln N / ln K (occupied lanes have N >= 1)
    return xp.log(xp.maximum(total, 1.0)) / xp.log(capacity)
