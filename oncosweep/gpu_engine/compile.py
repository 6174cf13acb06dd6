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
from oncosweep.gpu_engine.pharmacology import occupancy

if TYPE_CHECKING:  # pragma: no cover - typing only; keeps this module numpy-only at run time
    from oncosweep.scenario import Scenario

GROWTH_LAWS = ("exponential", "logistic", "gompertz", "lotka_volterra")
COMBINATIONS = ("bliss", "highest_single_agent")


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
    treated: bool
    """A regimen is given from treatment start (detection) to the horizon."""
    combination: str
    """One of COMBINATIONS."""
    bolus: np.ndarray
    """(H, D) concentration added at each step after treatment start."""
    infusion: np.ndarray
    """(D,) infusion rate, concentration per day."""
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


def compile_scenario(scenario: Scenario) -> CompiledModel:
    """Compile a validated :class:`oncosweep.Scenario` into engine arrays."""
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

    schedule = scenario.treatment_schedule()
    bolus = np.zeros((horizon_steps + 1, n_drugs))
    infusion = np.zeros(n_drugs)
    if schedule is not None:
        for d in range(n_drugs):
            steps: list[int] = list(schedule.times_steps[d])
            if schedule.every_steps[d] > 0:
                steps += list(range(0, horizon_steps + 1, schedule.every_steps[d]))
            for s in steps:
                if s <= horizon_steps:
                    bolus[s, d] += schedule.dose[d]
            infusion[d] = schedule.infusion[d]

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
        treated=schedule is not None,
        combination=schedule.combination if schedule is not None else "bliss",
        bolus=bolus,
        infusion=infusion,
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
    )
    exposure = np.array([d.steady_exposure(float(sim.horizon)) for d in drugs], dtype=np.float64)
    return replace(model, resistant=resistant_genotypes(model, exposure))


def resistant_genotypes(model: CompiledModel, exposure: np.ndarray) -> np.ndarray:
    """(T, D) bool: the cell type's genotype has positive net growth at each drug's steady
    exposure ``exposure`` (D,), evaluated in the reference context (first phenotype, first
    compartment, no crowding, immune kill included, that drug alone)."""
    out = np.zeros((model.n_types, model.n_drugs), dtype=bool)
    stride = model.n_phenotypes * model.n_compartments
    for t in range(model.n_types):
        ref = int(model.genotype[t]) * stride  # phenotype 0, compartment 0 of this genotype
        for d in range(model.n_drugs):
            conc = np.array([exposure[d] * model.conc_factor[ref, d]])
            effect = (model.emax[d] * model.effect_factor[ref, d]
                      * occupancy(np, conc, np.array([model.ic50[ref, d]]), model.hill[d])[0])
            birth = model.birth_rate[ref] * (1.0 if model.drug_kill[d] else 1.0 - effect)
            death = (model.death_rate[ref] + model.immune_kill[ref]
                     + (effect if model.drug_kill[d] else 0.0))
            out[t, d] = birth - death > 0
    return out


def _steps(days: float, dt: float) -> int:
    """Whole steps in ``days`` (rounded to nearest when within 1e-9 relative, else down)."""
    ratio = float(days) / dt
    nearest = round(ratio)
    return int(nearest if math.isclose(ratio, nearest, rel_tol=1e-9, abs_tol=1e-9) else ratio)
