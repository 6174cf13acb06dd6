"""Scenario -> CompiledModel: the explicit high-level -> low-level conversion.

The engine never reads the pydantic scenario; it reads this frozen bundle of dense numpy
arrays, which is also what a CUDA kernel receives. This module imports numpy alone, so a
compiled model can be pickled on one machine and run on a GPU box without pydantic.

Per-step probabilities of the discrete-time process (dt in days, rates per day), for a cell of
type t in one step, the competing events are divide (b dt), die (d dt), switch to phenotype k
(s_k dt) or nothing. They are drawn as a chain of conditional binomials, so the engine stores

    p_birth[t]       = b dt
    p_death[t]       = d dt / (1 - b dt)                     (given: did not divide)
    p_switch[t, k]   = s_k dt / (1 - b dt - d dt - sum_{k' < k} s_k' dt)   (given: none before)

which together give the exact multinomial split of the n cells of type t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from oncosweep.gpu_engine import rng

if TYPE_CHECKING:  # pragma: no cover - typing only; keeps this module numpy-only at run time
    from oncosweep.scenario import Scenario


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Dense, validated, immutable model arrays (T cell types, L loci, P phenotypes)."""

    labels: tuple[str, ...]
    """Cell-type labels, e.g. ``R1+R2/persister``; index = genotype * P + phenotype."""
    genotype: np.ndarray
    """(T,) int64 bit mask of mutated loci of each cell type."""
    phenotype: np.ndarray
    """(T,) int64 phenotype index of each cell type."""
    birth_rate: np.ndarray
    """(T,) float64 division rate, per day."""
    death_rate: np.ndarray
    """(T,) float64 death rate, per day."""
    switch_rate: np.ndarray
    """(T, P) float64 phenotype-switching rate to each phenotype, per day (0 on the diagonal)."""
    mutation_rate: np.ndarray
    """(L,) float64 probability that a daughter cell mutates at each locus, per daughter."""
    p_birth: np.ndarray
    """(T,) float64 probability to divide in one step."""
    p_death: np.ndarray
    """(T,) float64 probability to die in one step, given no division."""
    p_switch: np.ndarray
    """(T, P) float64 conditional switching probabilities (see module docstring)."""
    founder: int
    """Cell type of the founder cells."""
    initial_cells: int
    """Founder cells at time 0 and at every restart (cells)."""
    detection_size: int
    """Total cells at which the tumour is detected and the pre-treatment phase ends."""
    lethal_size: int
    """Total cells at which the patient dies; the realization stops (cells)."""
    dt: float
    """Time step (days)."""
    horizon_steps: int
    """Steps simulated after detection."""
    max_detection_steps: int
    """Pre-detection step budget, summed over all restarts of a realization."""
    max_restarts: int
    """Restarts allowed before a realization is given up as undetected."""
    trace_first: int
    """Realizations with global index < trace_first are traced."""
    trace_list: np.ndarray
    """(K,) uint64 further traced global realization indices (sorted, distinct)."""
    trace_every_steps: int
    """Trajectory sampling interval (steps)."""

    @property
    def n_types(self) -> int:
        return len(self.labels)

    @property
    def n_loci(self) -> int:
        return int(self.mutation_rate.shape[0])

    @property
    def n_phenotypes(self) -> int:
        return int(self.p_switch.shape[1])

    @property
    def n_trace_times(self) -> int:
        """Trajectory samples per traced realization: t = 0, every, ..., <= horizon."""
        return self.horizon_steps // self.trace_every_steps + 1

    @property
    def draws_per_type_step(self) -> np.ndarray:
        """(T,) logical binomial draws one cell type makes in one step.

        Birth, death, one per positive switching rate, and one per node of the mutation tree
        over the loci that are free (not yet mutated) and have a positive mutation rate.
        """
        free_mutable = np.array(
            [
                sum(1 for j in range(self.n_loci)
                    if self.mutation_rate[j] > 0 and not (g >> j) & 1)
                for g in self.genotype
            ],
            dtype=np.int64,
        )
        return 2 + (self.switch_rate > 0).sum(axis=1) + (2**free_mutable - 1)

    def traced_in(self, start: int, count: int) -> np.ndarray:
        """Global indices of the traced realizations in ``[start, start + count)``, sorted."""
        first = np.arange(start, min(start + count, self.trace_first), dtype=np.int64)
        listed = self.trace_list.astype(np.int64)
        listed = listed[(listed >= start) & (listed < start + count)]
        return np.union1d(first, listed).astype(np.int64)


def conditional_probabilities(
    birth_rate: np.ndarray, death_rate: np.ndarray, switch_rate: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-step conditional probabilities of the competing events (module docstring)."""
    p_birth = birth_rate * dt
    left = 1.0 - p_birth
    p_death = np.divide(death_rate * dt, left, out=np.zeros_like(left), where=left > 0)
    left = left - death_rate * dt
    p_switch = np.zeros_like(switch_rate)
    for k in range(switch_rate.shape[1]):
        pk = switch_rate[:, k] * dt
        p_switch[:, k] = np.divide(pk, left, out=np.zeros_like(pk), where=left > 0)
        left = left - pk
    # Rounding can push a probability a hair above 1 when an event takes all that is left.
    return np.minimum(p_birth, 1.0), np.minimum(p_death, 1.0), np.minimum(p_switch, 1.0)


def compile_scenario(scenario: Scenario) -> CompiledModel:
    """Compile a validated :class:`oncosweep.Scenario` into engine arrays."""
    tumour, sim, trace = scenario.tumour, scenario.simulation, scenario.trace
    types = scenario.cell_types()
    n_phen = len(tumour.phenotypes)
    if len(types) > rng.MAX_CELL_TYPES:  # the schema caps loci/phenotypes; this is a guard
        raise ValueError(f"tumour: {len(types)} cell types exceed {rng.MAX_CELL_TYPES}")
    birth = np.array([t.birth_rate for t in types], dtype=np.float64)
    death = np.array([t.death_rate for t in types], dtype=np.float64)
    switch = np.array([t.switching for t in types], dtype=np.float64).reshape(len(types), n_phen)
    dt = float(sim.dt)
    p_birth, p_death, p_switch = conditional_probabilities(birth, death, switch, dt)
    every = trace.every if trace.every is not None else dt
    if isinstance(trace.realizations, int):
        trace_first, trace_list = int(trace.realizations), np.zeros(0, dtype=np.uint64)
    else:
        trace_first = 0
        trace_list = np.unique(np.asarray(trace.realizations, dtype=np.uint64))
    return CompiledModel(
        labels=tuple(t.label for t in types),
        genotype=np.array([t.genotype for t in types], dtype=np.int64),
        phenotype=np.array([t.phenotype for t in types], dtype=np.int64),
        birth_rate=birth,
        death_rate=death,
        switch_rate=switch,
        mutation_rate=np.array([locus.mutation_rate for locus in tumour.loci], dtype=np.float64),
        p_birth=p_birth,
        p_death=p_death,
        p_switch=p_switch,
        founder=int(scenario.founder_type_index()),
        initial_cells=int(tumour.initial_cells),
        detection_size=int(tumour.detection_size),
        lethal_size=int(tumour.lethal_size),
        dt=dt,
        horizon_steps=_steps(sim.horizon, dt),
        max_detection_steps=max(1, _steps(sim.max_detection_time, dt)),
        max_restarts=int(sim.max_restarts),
        trace_first=trace_first,
        trace_list=trace_list,
        trace_every_steps=max(1, _steps(every, dt)),
    )


def _steps(days: float, dt: float) -> int:
    """Whole steps in ``days`` (rounded to nearest when within 1e-9 relative, else down)."""
    ratio = float(days) / dt
    nearest = round(ratio)
    return int(nearest if math.isclose(ratio, nearest, rel_tol=1e-9, abs_tol=1e-9) else ratio)
