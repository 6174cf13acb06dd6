"""Scenario -> CompiledModel: the explicit high-level -> low-level conversion.

The engine never reads the pydantic scenario; it reads this frozen bundle of dense numpy
arrays, which is also what a CUDA kernel receives. This module imports numpy alone, so a
compiled model can be pickled on one machine and run on a GPU box without pydantic.

Shapes: T cell types, L loci, P phenotypes, C compartments, G competition groups, D drugs,
H = horizon_steps + 1 treatment steps. Rates are per day; per-step probabilities are formed
each step in ``rates.py`` because drugs and crowding make them vary by realization.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from oncosweep.gpu_engine import rng

if TYPE_CHECKING:  # pragma: no cover - typing only; keeps this module numpy-only at run time
    from oncosweep.scenario import Scenario

GROWTH_LAWS = ("exponential", "logistic", "gompertz", "lotka_volterra")
COMBINATIONS = ("bliss", "highest_single_agent")
STRATEGY_KINDS = ("none", "continuous", "intermittent", "sequential", "adaptive", "ctdna_switch")


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Dense, validated, immutable model arrays (see the module docstring for shapes)."""

    labels: tuple[str, ...]
    """Cell-type labels, e.g. ``R1+R2/persister@sanctuary``."""
    genotype: np.ndarray
    """(T,) int64 bit mask of mutated loci."""
    phenotype: np.ndarray
    """(T,) int64 phenotype index."""
    compartment: np.ndarray
    """(T,) int64 compartment index."""
    birth_rate: np.ndarray
    """(T,) drug-free division rate, per day."""
    death_rate: np.ndarray
    """(T,) drug-free death rate, per day."""
    immune_kill: np.ndarray
    """(T,) immune kill rate, per day (added to death)."""
    switch_rate: np.ndarray
    """(T, P) phenotype switching rate without drug, per day (0 on the own phenotype)."""
    switch_rate_on_drug: np.ndarray
    """(T, P) switching rate at full drug activity, per day."""
    migration_rate: np.ndarray
    """(T, C) migration rate to each compartment, per day (0 on the own compartment)."""
    mutation_rate: np.ndarray
    """(L,) probability that a daughter mutates at each locus, per daughter cell."""
    growth_law: str
    """One of GROWTH_LAWS; crowding lowers the birth rate (see docs/model.md)."""
    group: np.ndarray
    """(T,) int64 competition group (0 unless lotka_volterra)."""
    carrying_capacity: np.ndarray
    """(G,) cells; empty for exponential growth."""
    alpha: np.ndarray
    """(G, G) Lotka–Volterra competition coefficients (effect of column group on row group)."""
    drug_names: tuple[str, ...]
    """(D,) drug names."""
    drug_kill: np.ndarray
    """(D,) bool: kill mode (adds to death) or cytostatic (lowers birth)."""
    emax: np.ndarray
    """(D,) maximal effect: per day (kill) or fraction of birth (cytostatic)."""
    hill: np.ndarray
    """(D,) Hill coefficients."""
    half_life: np.ndarray
    """(D,) elimination half-lives, days."""
    conc_factor: np.ndarray
    """(T, D) effective / plasma concentration (penetration x efflux)."""
    ic50: np.ndarray
    """(T, D) IC50 after target mutations, concentration units (inf: no binding)."""
    effect_factor: np.ndarray
    """(T, D) multiplier of the effect (tolerance x bypass x apoptosis evasion)."""
    strategy: str
    """Name of the compiled strategy ("" without treatment)."""
    strategy_kind: str
    """One of STRATEGY_KINDS ("none": natural history after detection)."""
    combination: str
    """One of COMBINATIONS (shared by every regimen of the strategy)."""
    regimen_names: tuple[str, ...]
    """(Rg,) the regimens the strategy can give (its lines, then the off-period regimen)."""
    regimen_bolus: np.ndarray
    """(Rg, H, D) concentration added at each step after the regimen's activation."""
    regimen_infusion: np.ndarray
    """(Rg, D) infusion rate of each regimen, concentration per day."""
    lines: np.ndarray
    """(n_lines,) int64 regimen index of each line (sequential, ctdna_switch; else 1 line)."""
    off_regimen: int
    """Regimen index given during intermittent off periods, or -1."""
    on_steps: int
    """Intermittent: steps on per cycle (0 otherwise)."""
    off_steps: int
    """Intermittent: steps off per cycle."""
    frac_off: float
    """Adaptive: step down (towards off) when observed <= frac_off x baseline."""
    frac_on: float
    """Adaptive: step up when observed >= frac_on x baseline."""
    dose_levels: np.ndarray
    """(L,) adaptive dose factors, descending; level L is off."""
    visit_steps: int
    """Steps between clinic visits (0: no monitoring)."""
    imaging_cv: float
    """Coefficient of variation of the multiplicative imaging noise."""
    detection_limit: float
    """Observed burdens below this are recorded as 0 (cells)."""
    progression_reference: str
    """'nadir' (RECIST) or 'baseline'."""
    progression_factor: float
    """Progression when observed >= factor x reference ..."""
    progression_floor: float
    """... and observed >= floor (cells)."""
    ctdna: bool
    """ctDNA is sampled at visits."""
    shed_per_death: float
    """Tumour genome equivalents per sample per cell dying per day."""
    normal_genomes: float
    """Genome equivalents from normal cells per sample."""
    ctdna_depth: int
    """Reads covering each variant position."""
    ctdna_poisson: bool
    """Poisson read sampling instead of binomial."""
    ctdna_threshold: int
    """Mutant reads for a call."""
    ctdna_loci: np.ndarray
    """(V,) int64 monitored loci."""
    regimen_resists: np.ndarray
    """(Rg, V) bool: the single mutant of each monitored locus grows under the regimen at
    steady exposure (proliferating, first compartment, no crowding)."""
    resistant: np.ndarray
    """(T, D) bool: the type's genotype grows (proliferating, first compartment, no crowding)
    at the drug's steady exposure under its standard dosing."""
    initial_counts: np.ndarray
    """(T,) int64 cells at time 0 and at every restart."""
    detection_size: int
    """Total cells at which the tumour is detected; treatment starts then."""
    lethal_size: int
    """Total cells at which the patient dies; the realization stops."""
    dt: float
    """Time step, days."""
    horizon_steps: int
    """Steps simulated after treatment start."""
    max_detection_steps: int
    """Pre-detection step budget, summed over all restarts of a realization."""
    max_restarts: int
    """Restarts allowed before a realization is given up as undetected."""
    trace_first: int
    """Realizations with global index < trace_first are traced."""
    trace_list: np.ndarray
    """(K,) uint64 further traced global realization indices (sorted, distinct)."""
    trace_every_steps: int
    """Trajectory sampling interval, steps."""

    @property
    def n_types(self) -> int:
        return len(self.labels)

    @property
    def treated(self) -> bool:
        return self.strategy_kind != "none"

    @property
    def n_visits(self) -> int:
        """Visits per realization at 0, visit_steps, ... <= horizon (0 without monitoring)."""
        return self.horizon_steps // self.visit_steps + 1 if self.visit_steps else 0

    @property
    def n_loci(self) -> int:
        return int(self.mutation_rate.shape[0])

    @property
    def n_phenotypes(self) -> int:
        return int(self.switch_rate.shape[1])

    @property
    def n_compartments(self) -> int:
        return int(self.migration_rate.shape[1])

    @property
    def n_drugs(self) -> int:
        return len(self.drug_names)

    @property
    def n_trace_times(self) -> int:
        """Trajectory samples per traced realization: t = 0, every, ..., <= horizon."""
        return self.horizon_steps // self.trace_every_steps + 1

    @property
    def draws_per_type_step(self) -> np.ndarray:
        """(T,) logical binomial draws one cell type makes in one step: birth, death, one per
        possible switch and migration, one per mutation-tree node over free mutable loci."""
        free_mutable = np.array(
            [sum(1 for j in range(self.n_loci)
                 if self.mutation_rate[j] > 0 and not (g >> j) & 1) for g in self.genotype],
            dtype=np.int64,
        )
        switches = ((self.switch_rate > 0) | (self.switch_rate_on_drug > 0)).sum(axis=1)
        return 2 + switches + (self.migration_rate > 0).sum(axis=1) + (2**free_mutable - 1)

    def traced_in(self, start: int, count: int) -> np.ndarray:
        """Global indices of the traced realizations in ``[start, start + count)``, sorted."""
        first = np.arange(start, min(start + count, self.trace_first), dtype=np.int64)
        listed = self.trace_list.astype(np.int64)
        listed = listed[(listed >= start) & (listed < start + count)]
        return np.union1d(first, listed).astype(np.int64)


def compile_scenario(scenario: Scenario, strategy: str | None = None) -> CompiledModel:
    """Compile a validated :class:`oncosweep.Scenario` into engine arrays for one strategy
    (``strategy``: its name; default the first, or none without treatment)."""
    tumour, sim, trace = scenario.tumour, scenario.simulation, scenario.trace
    types = scenario.cell_types()
    n_types = len(types)
    if n_types > rng.MAX_CELL_TYPES:  # the schema caps loci/phenotypes; this is a guard
        raise ValueError(f"tumour: {n_types} cell types exceed {rng.MAX_CELL_TYPES}")
    dt = float(sim.dt)
    horizon_steps = _steps(sim.horizon, dt)
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

    model = CompiledModel(
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
        resistant=np.zeros((n_types, n_drugs), dtype=bool),
        initial_counts=initial,
        detection_size=int(tumour.detection_size),
        lethal_size=int(tumour.lethal_size),
        dt=dt,
        horizon_steps=horizon_steps,
        max_detection_steps=max(1, _steps(sim.max_detection_time, dt)),
        max_restarts=int(sim.max_restarts),
        trace_first=trace_first,
        trace_list=trace_list,
        trace_every_steps=max(1, _steps(every, dt)),
        **_strategy_fields(scenario, strategy, horizon_steps, n_drugs, dt),
        **_monitoring_fields(scenario, dt),
    )
    standard = np.array([d.steady_exposure(float(sim.horizon)) for d in drugs],
                        dtype=np.float64)
    return replace(model, resistant=resistant_genotypes(model, standard),
                   regimen_resists=_regimen_resists(model))


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
    }
    fields["regimen_resists"] = np.zeros((0, len(fields["ctdna_loci"])), dtype=bool)
    return fields


def _net_growth(model: CompiledModel, cell_types: np.ndarray, conc: np.ndarray) -> np.ndarray:
    """Per-step net growth p_birth - p_die of each cell type (reference context: no crowding)
    at plasma concentrations ``conc`` (D,), with the engine's own rates."""
    from oncosweep.gpu_engine.rates import DeviceRates, pair_rates  # noqa: PLC0415 - cycle

    rates = pair_rates(np, DeviceRates.from_model(model, np), np.zeros(len(cell_types),
                       dtype=np.int64), cell_types, conc[None, :], None)
    return rates.p_birth - rates.p_die


def _reference_type(model: CompiledModel, genotype: int) -> int:
    """The proliferating (first phenotype), first-compartment cell type of a genotype."""
    return genotype * model.n_phenotypes * model.n_compartments


def resistant_genotypes(model: CompiledModel, exposure: np.ndarray) -> np.ndarray:
    """(T, D) bool: the cell type's genotype has positive net growth at each drug's steady
    exposure ``exposure`` (D,) given alone (reference context, immune kill included)."""
    out = np.zeros((model.n_types, model.n_drugs), dtype=bool)
    refs = np.array([_reference_type(model, int(g)) for g in model.genotype], dtype=np.int64)
    for d in range(model.n_drugs):
        alone = np.zeros(model.n_drugs)
        alone[d] = exposure[d]
        out[:, d] = _net_growth(model, refs, alone) > 0
    return out


def _regimen_resists(model: CompiledModel) -> np.ndarray:
    """(Rg, V): each monitored locus's single mutant grows under each regimen at its mean
    concentration over the horizon (all its drugs together, the strategy's combination)."""
    horizon_days = max(model.horizon_steps * model.dt, model.dt)
    k = np.log(2.0) / model.half_life
    refs = np.array([_reference_type(model, 1 << int(v)) for v in model.ctdna_loci],
                    dtype=np.int64)
    out = np.zeros((len(model.regimen_names), len(refs)), dtype=bool)
    for r in range(len(model.regimen_names)):
        mean_conc = (model.regimen_bolus[r].sum(axis=0) / (k * horizon_days)
                     + model.regimen_infusion[r] / k)
        if refs.size:
            out[r] = _net_growth(model, refs, mean_conc) > 0
    return out


def _steps(days: float, dt: float) -> int:
    """Whole steps in ``days`` (rounded to nearest when within 1e-9 relative, else down)."""
    ratio = float(days) / dt
    nearest = round(ratio)
    return int(nearest if math.isclose(ratio, nearest, rel_tol=1e-9, abs_tol=1e-9) else ratio)
