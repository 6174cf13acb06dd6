"""Treatment strategies: per-realization policy state, decided at clinic visits.

Each realization carries its own state (arrays over lanes): the active regimen (-1: none),
when it was activated (its bolus schedule restarts then), its dose factor, the regimen line,
the adaptive dose level, the baseline and nadir of the observed burden, and its outcomes.

* ``continuous``: the regimen throughout.
* ``intermittent``: on for ``on_steps``, off for ``off_steps``, repeated from treatment start;
  an optional off-period regimen (high-dose pulses plus low-dose continuous dosing).
* ``sequential``: regimens in order; imaging progression switches to the next line.
* ``adaptive`` (Zhang et al. 2017): at each visit, observed <= frac_off x baseline steps one
  dose level down (the last step is off), observed >= frac_on x baseline one level up.
* ``ctdna_switch``: as sequential, and also switches when ctDNA detects a monitored variant
  that resists the current regimen.

Progression (RECIST-like): observed >= factor x reference and >= floor, the reference being
the nadir of the current line (or the baseline). A progression the strategy cannot answer by
switching is the strategy's failure: ``progressed`` and ``time_to_progression``. Treatment then
goes on unchanged until death, cure or the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from oncosweep.gpu_engine.compile import CompiledModel


@dataclass
class PolicyLanes:
    """Policy state and outcomes of every lane of a chunk (device arrays)."""

    regimen: Any  # (R,) int64 active regimen index, -1 none
    activated: Any  # (R,) int64 iteration of the regimen's activation
    dose: Any  # (R,) float64 dose factor
    line: Any  # (R,) int64 line of sequential / ctdna_switch
    level: Any  # (R,) int64 adaptive dose level (len(dose_levels) = off)
    baseline: Any  # (R,) float64 observed burden at the baseline visit
    nadir: Any  # (R,) float64 smallest observed burden of the current line
    progressed: Any  # (R,) bool
    progression_it: Any  # (R,) int64 iteration of the strategy's failure, -1
    first_pd_it: Any  # (R,) int64 first imaging progression (any line), -1
    ctdna_it: Any  # (R,) int64 first ctDNA detection of a resisting variant, -1
    switches: Any  # (R,) int64 regimen switches
    treated_steps: Any  # (R,) int64 steps with a regimen given

    @classmethod
    def empty(cls, xp: ModuleType, n: int) -> PolicyLanes:
        def full(value: float, dtype: Any) -> Any:
            return xp.full(n, value, dtype=dtype)

        return cls(regimen=full(-1, xp.int64), activated=full(0, xp.int64),
                   dose=full(1.0, xp.float64), line=full(0, xp.int64), level=full(0, xp.int64),
                   baseline=full(0.0, xp.float64), nadir=full(0.0, xp.float64),
                   progressed=full(False, bool), progression_it=full(-1, xp.int64),
                   first_pd_it=full(-1, xp.int64), ctdna_it=full(-1, xp.int64),
                   switches=full(0, xp.int64), treated_steps=full(0, xp.int64))


def _activate(xp: ModuleType, state: PolicyLanes, lanes: Any, regimen: Any, it: int) -> None:
    """Give ``regimen`` (per lane, -1: none) from iteration ``it`` on; a regimen that is
    already running keeps its schedule."""
    changed = state.regimen[lanes] != regimen
    state.activated[lanes] = xp.where(changed, it, state.activated[lanes])
    state.regimen[lanes] = regimen


def start(xp: ModuleType, model: CompiledModel, state: PolicyLanes, lanes: Any,
          it: int) -> None:
    """Treatment starts for ``lanes`` (indices) at iteration ``it``."""
    if model.strategy_kind == "none" or lanes.size == 0:
        return
    _activate(xp, state, lanes, xp.full(lanes.shape, int(model.lines[0]), dtype=xp.int64), it)
    state.dose[lanes] = float(model.dose_levels[0]) if model.strategy_kind == "adaptive" else 1.0


def tick(xp: ModuleType, model: CompiledModel, state: PolicyLanes, lanes: Any, since: Any,
         it: int) -> None:
    """Time-driven changes at the start of a step (intermittent on/off cycles)."""
    if model.strategy_kind != "intermittent" or lanes.size == 0:
        return
    position = since % (model.on_steps + model.off_steps)
    on = position < model.on_steps
    regimen = xp.where(on, int(model.lines[0]), int(model.off_regimen))
    _activate(xp, state, lanes, regimen, it)


def visit(xp: ModuleType, model: CompiledModel, state: PolicyLanes, lanes: Any,
          baseline_visit: Any, observed: Any, resisting_variant: Any | None, it: int) -> None:
    """Decisions at a visit of ``lanes`` with imaging ``observed`` (cells) and, with ctDNA,
    ``resisting_variant`` (a monitored variant that resists the current regimen detected)."""
    if lanes.size == 0:
        return
    first = baseline_visit
    state.baseline[lanes] = xp.where(first, observed, state.baseline[lanes])
    state.nadir[lanes] = xp.where(first, observed, state.nadir[lanes])
    if resisting_variant is not None:
        seen = resisting_variant & (state.ctdna_it[lanes] < 0)
        state.ctdna_it[lanes] = xp.where(seen, it, state.ctdna_it[lanes])
    if model.strategy_kind == "none":
        return
    reference = state.nadir[lanes] if model.progression_reference == "nadir" else (
        state.baseline[lanes])
    progression = (~first & (observed > 0) & (observed >= model.progression_factor * reference)
                   & (observed >= model.progression_floor))
    state.first_pd_it[lanes] = xp.where(progression & (state.first_pd_it[lanes] < 0), it,
                                        state.first_pd_it[lanes])
    failed = progression
    if model.strategy_kind in ("sequential", "ctdna_switch"):
        more = state.line[lanes] < len(model.lines) - 1
        trigger = progression
        if model.strategy_kind == "ctdna_switch" and resisting_variant is not None:
            trigger = trigger | resisting_variant
        switch = trigger & more
        failed = progression & ~more
        line = state.line[lanes] + switch
        state.line[lanes] = line
        state.switches[lanes] += switch
        _activate(xp, state, lanes, xp.asarray(model.lines)[line], it)
        state.nadir[lanes] = xp.where(switch, observed, state.nadir[lanes])
    newly = failed & ~state.progressed[lanes]
    state.progressed[lanes] |= newly
    state.progression_it[lanes] = xp.where(newly, it, state.progression_it[lanes])
    state.nadir[lanes] = xp.minimum(state.nadir[lanes], observed)
    if model.strategy_kind == "adaptive":
        _adapt(xp, model, state, lanes, first, observed, it)


def _adapt(xp, model, state, lanes, first, observed, it) -> None:
    """Adaptive therapy: one dose level down at <= frac_off x baseline, one up at >=
    frac_on x baseline; level len(dose_levels) is off."""
    off = len(model.dose_levels)
    baseline = state.baseline[lanes]
    down = ~first & (observed <= model.frac_off * baseline)
    up = ~first & ~down & (observed >= model.frac_on * baseline)
    level = xp.clip(state.level[lanes] + down.astype(xp.int64) - up.astype(xp.int64), 0, off)
    state.level[lanes] = level
    on = level < off
    levels = xp.asarray(model.dose_levels)
    state.dose[lanes] = xp.where(on, levels[xp.minimum(level, off - 1)], 0.0)
    _activate(xp, state, lanes, xp.where(on, int(model.lines[0]), -1), it)
