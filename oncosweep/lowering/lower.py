"""Scenario -> CompiledModel: the explicit high-level -> low-level conversion.

Cell types (``Scenario.cell_types``), dosing schedules, the chosen strategy's plan, clinic
visits and ctDNA assays become the dense arrays of :class:`CompiledModel` (declared in
:mod:`oncosweep.lowering.declaration`). Every time is converted to steps by the one rule
:func:`oncosweep.scenario.simulation.to_steps` (a whole multiple of ``dt`` to 1e-9 relative
counts exactly; any other time is rounded down: never beyond the time the user gave).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from oncosweep.limits import MAX_CELL_TYPES
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.scenario.simulation import to_steps

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario import Scenario


def lower(scenario: Scenario, strategy: str | None = None) -> CompiledModel:
    """Lower a validated :class:`oncosweep.Scenario` to the model arrays of one strategy
    (``strategy``: its name; default the first, or none without treatment).

    The resistance classification (``resistant``, ``regimen_resists``) is left False: it is
    defined by the engine's own rates, so the engine completes it
    (:func:`oncosweep.gpu_engine.compile.compile_scenario`)."""
    tumour, sim, trace = scenario.tumour, scenario.simulation, scenario.trace
    types = scenario.cell_types()
    n_types = len(types)
    if n_types > MAX_CELL_TYPES:  # the schema caps loci/phenotypes; this is a guard
        raise ValueError(f"tumour: {n_types} cell types exceed {MAX_CELL_TYPES}")
    dt = float(sim.dt)
    horizon_steps = to_steps(sim.horizon, dt)
    drugs = tuple(scenario.drugs)
    n_drugs = len(drugs)

    def per_type(field: str) -> np.ndarray:
        return np.array([getattr(t, field) for t in types], dtype=np.float64)

    def per_type_drug(field: str) -> np.ndarray:
        return np.array([getattr(t, field) for t in types], dtype=np.float64).reshape(
            n_types, n_drugs)

    growth = scenario.growth
    law = str(growth.law)
    capacity = np.array(growth.carrying_capacities if law != "exponential" else (),
                        dtype=np.float64)
    alpha = np.array(growth.alpha_matrix if law != "exponential" else np.zeros((0, 0)),
                     dtype=np.float64).reshape(len(capacity), len(capacity))

    initial = np.zeros(n_types, dtype=np.int64)
    for index, cells in scenario.initial_counts().items():
        initial[index] = cells

    every = trace.every if trace.every is not None else dt
    if isinstance(trace.realizations, int):
        trace_first, trace_list = int(trace.realizations), np.zeros(0, dtype=np.uint64)
    else:
        trace_first = 0
        trace_list = np.unique(np.asarray(trace.realizations, dtype=np.uint64))

    values = dict(
        labels=tuple(t.label for t in types),
        genotype=np.array([t.genotype for t in types], dtype=np.int64),
        phenotype=np.array([t.phenotype for t in types], dtype=np.int64),
        compartment=np.array([t.compartment for t in types], dtype=np.int64),
        birth_rate=per_type("birth_rate"),
        death_rate=per_type("death_rate"),
        immune_kill=per_type("immune_kill"),
        switch_rate=np.array([t.switching for t in types], dtype=np.float64),
        switch_rate_on_drug=np.array([t.switching_on_drug for t in types], dtype=np.float64),
        migration_rate=np.array([t.migration for t in types], dtype=np.float64),
        mutation_rate=np.array([locus.mutation_rate for locus in tumour.loci], dtype=np.float64),
        growth_law=law,
        group=np.array([t.group for t in types], dtype=np.int64),
        carrying_capacity=capacity,
        alpha=alpha,
        drug_names=tuple(d.name for d in drugs),
        drug_kill=np.array([d.mode == "kill" for d in drugs], dtype=bool),
        emax=np.array([d.emax for d in drugs], dtype=np.float64),
        hill=np.array([d.hill for d in drugs], dtype=np.float64),
        half_life=np.array([d.half_life for d in drugs], dtype=np.float64),
        conc_factor=per_type_drug("drug_concentration_factor"),
        ic50=per_type_drug("drug_ic50"),
        effect_factor=per_type_drug("drug_effect_factor"),
        steady_exposure=np.array([d.steady_exposure(float(sim.horizon)) for d in drugs],
                                 dtype=np.float64),
        initial_counts=initial,
        detection_size=int(tumour.detection_size),
        lethal_size=int(tumour.lethal_size),
        dt=dt,
        scheme=sim.scheme,
        horizon_steps=horizon_steps,
        max_detection_steps=max(1, to_steps(sim.max_detection_time, dt)),
        max_restarts=int(sim.max_restarts),
        trace_first=trace_first,
        trace_list=trace_list,
        trace_every_steps=max(1, to_steps(every, dt)),
        **_strategy_fields(scenario, strategy, horizon_steps, n_drugs, dt),
        **_monitoring_fields(scenario, dt),
    )
    # the resistance classification is the engine's (its own rates): all False here
    values["resistant"] = np.zeros((n_types, n_drugs), dtype=bool)
    values["regimen_resists"] = np.zeros((len(values["regimen_names"]),
                                          len(values["ctdna_loci"])), dtype=bool)
    return CompiledModel.from_fields(**values)


def _strategy_fields(scenario: Scenario, strategy: str | None, horizon_steps: int,
                     n_drugs: int, dt: float) -> dict:
    plans = scenario.strategy_plans()
    if not plans:
        return {"strategy": "", "strategy_kind": "none", "combination": "bliss",
                "regimen_names": (), "regimen_bolus": np.zeros((0, horizon_steps + 1, n_drugs)),
                "regimen_infusion": np.zeros((0, n_drugs)), "lines": np.zeros(0, dtype=np.int64),
                "off_regimen": -1, "on_steps": 0, "off_steps": 0, "frac_off": 0.0,
                "frac_on": 0.0, "dose_levels": np.ones(1)}
    names = [p.name for p in plans]
    if strategy is None:
        plan = plans[0]
    elif strategy in names:
        plan = plans[names.index(strategy)]
    else:
        raise ValueError(f"strategy: unknown strategy {strategy!r} (strategies: "
                         f"{', '.join(names)})")
    regimens = list(dict.fromkeys([*plan.regimens, *([plan.off_regimen] if plan.off_regimen
                                                      else [])]))
    schedules = [scenario.regimen_schedule(name) for name in regimens]
    combinations = {s.combination for s in schedules}
    if len(combinations) > 1:
        raise ValueError(f"strategies: the regimens of {plan.name!r} combine drugs differently "
                         f"({', '.join(sorted(combinations))}); use one combination rule")
    bolus = np.zeros((len(regimens), horizon_steps + 1, n_drugs))
    infusion = np.zeros((len(regimens), n_drugs))
    for r, schedule in enumerate(schedules):
        for d in range(n_drugs):
            steps = list(schedule.times_steps[d])
            if schedule.every_steps[d] > 0:
                steps += list(range(0, horizon_steps + 1, schedule.every_steps[d]))
            for s in steps:
                if s <= horizon_steps:
                    bolus[r, s, d] += schedule.dose[d]
            infusion[r, d] = schedule.infusion[d]
    return {
        "strategy": plan.name, "strategy_kind": plan.kind, "combination": combinations.pop(),
        "regimen_names": tuple(regimens), "regimen_bolus": bolus, "regimen_infusion": infusion,
        "lines": np.array([regimens.index(r) for r in plan.regimens], dtype=np.int64),
        "off_regimen": regimens.index(plan.off_regimen) if plan.off_regimen else -1,
        "on_steps": int(plan.on_steps), "off_steps": int(plan.off_steps),
        "frac_off": float(plan.frac_off), "frac_on": float(plan.frac_on),
        "dose_levels": np.array(plan.dose_levels, dtype=np.float64),
    }


def _recist_fields(rec: Any) -> dict:
    """Lesions and RECIST 1.1 (gpu_engine/lesions.py); neutral values without them."""
    return {
        "recist": rec is not None,
        "cells_per_cm3": float(rec.cells_per_cm3) if rec else 1.0,
        "lesion_noise_mm": float(rec.noise_mm) if rec else 0.0,
        "measurable_mm": float(rec.measurable_mm) if rec else 10.0,
        "confirm_days": float(rec.confirm_days) if rec else 0.0,
        "min_sd_days": float(rec.min_sd_days) if rec else 0.0,
    }


def _assay_fields(assay: Any) -> dict:
    """The ctDNA assay's entries (gpu_engine/ctdna_assay.py); neutral values without one."""
    return {
        "ctdna_assay": assay is not None,
        "assay_shed": float(assay.copies_per_death()) if assay else 0.0,
        "assay_normal": float(assay.normal_cfdna) if assay else 0.0,
        "assay_tube": float(assay.tube) if assay else 0.0,
        "assay_error": float(assay.error_rate) if assay else 0.0,
        "assay_ch_vaf": float(assay.ch_vaf) if assay else 0.0,
    }


def _monitoring_fields(scenario: Scenario, dt: float) -> dict:
    monitoring = scenario.monitoring
    ctdna = monitoring.ctdna if monitoring is not None else None
    fields = {
        "visit_steps": monitoring.visit_steps(dt) if monitoring is not None else 0,
        "imaging_cv": float(monitoring.imaging.cv) if monitoring is not None else 0.0,
        "detection_limit": float(monitoring.imaging.detection_limit) if monitoring else 0.0,
        "progression_reference": str(monitoring.progression.reference) if monitoring
        else "nadir",
        "progression_factor": float(monitoring.progression.factor) if monitoring else 1.2,
        "progression_floor": float(monitoring.progression.floor) if monitoring else 0.0,
        "ctdna": ctdna is not None,
        "shed_per_death": float(ctdna.shed_per_death) if ctdna else 0.0,
        "normal_genomes": float(ctdna.normal_genomes) if ctdna else 1.0,
        "ctdna_depth": int(ctdna.depth) if ctdna else 0,
        "ctdna_poisson": bool(ctdna is not None and ctdna.sampling == "poisson"),
        "ctdna_threshold": int(ctdna.threshold) if ctdna else 1,
        "ctdna_loci": np.array(scenario.ctdna_variant_indices(), dtype=np.int64),
        "ctdna_names": tuple(scenario.tumour.locus_names[i]
                             for i in scenario.ctdna_variant_indices()),
        **_assay_fields(ctdna.assay if ctdna else None),
        **_recist_fields(monitoring.recist if monitoring is not None else None),
    }
    return fields

