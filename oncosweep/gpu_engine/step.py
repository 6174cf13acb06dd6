"""One step of the discrete-time multi-type branching process, vectorised over realizations.

For every occupied (realization, cell type) pair with n cells, in one step of dt days:

    births  B ~ Bin(n, b dt)                      each division replaces 1 cell by 2 daughters
    deaths  D ~ Bin(n - B, d dt / (1 - b dt))
    switch  S_k ~ Bin(n - B - D - sum_{k'<k} S_k', p_switch[k])   to phenotype k
    stay    n - B - D - sum S_k

The 2B daughters keep the parent's phenotype; each mutates at every free locus j
independently with probability u_j. They are split exactly over the subsets of new mutations
by a binary tree of binomials (locus by locus: every group so far splits into mutated /
not mutated at locus j), which costs one non-trivial draw per locus in the common case where
mutant groups are empty. All contributions are summed into the new counts with one bincount.

Empty pairs are never touched (``nonzero`` selects occupied pairs) and draws with n = 0 or
p in {0, 1} take no random numbers, so empty cell types cost next to nothing. Every draw is
addressed by (cell type, event, step, realization): skipping one never shifts another.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from oncosweep.gpu_engine import binomial as _binomial
from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.compile import CompiledModel

TYPE_SHIFT = rng.EVENT_BITS + rng.ATTEMPT_BITS  # slot = (type << TYPE_SHIFT) | (event << 8)


@dataclass(frozen=True)
class DeviceModel:
    """The per-type arrays the step reads, on the array module's device."""

    n_types: int
    n_phenotypes: int
    genotype: Any
    phenotype: Any
    p_birth: Any
    p_death: Any
    p_switch: Any
    switch_targets: tuple[int, ...]
    mutation_rate: tuple[float, ...]

    @classmethod
    def from_model(cls, model: CompiledModel, xp: ModuleType) -> DeviceModel:
        return cls(
            n_types=model.n_types,
            n_phenotypes=model.n_phenotypes,
            genotype=xp.asarray(model.genotype),
            phenotype=xp.asarray(model.phenotype),
            p_birth=xp.asarray(model.p_birth),
            p_death=xp.asarray(model.p_death),
            p_switch=xp.asarray(model.p_switch),
            switch_targets=tuple(int(k) for k in np.nonzero(model.p_switch.any(axis=0))[0]),
            mutation_rate=tuple(float(u) for u in model.mutation_rate),
        )


class DrawCounter:
    """Counts binomial draws that needed random numbers (n > 0 and 0 < p < 1)."""

    def __init__(self) -> None:
        self.nontrivial = 0

    def add(self, xp: ModuleType, n: Any, p: Any) -> None:
        self.nontrivial += int(xp.count_nonzero((n > 0) & (p > 0) & (p < 1)))


def branching_step(
    xp: ModuleType,
    dm: DeviceModel,
    counts: Any,
    realization: Any,
    key: tuple[int, int],
    step: int,
    counter: DrawCounter | None = None,
) -> Any:
    """Counts after one step. ``counts``: (A, T) int64; ``realization``: (A,) uint64."""
    lanes, types = xp.nonzero(counts > 0)
    n_lanes, n_types = counts.shape
    if lanes.size == 0:
        return counts.copy()
    n = counts[lanes, types]
    real = realization[lanes]
    type_slot = types.astype(xp.uint64) << TYPE_SHIFT

    def draw(event: int, size: Any, p: Any) -> Any:
        if counter is not None:
            counter.add(xp, size, p)
        slot = type_slot | (event << rng.ATTEMPT_BITS)
        return _binomial.binomial(xp, key, slot, step, real, size, p)

    births = draw(rng.EVENT_BIRTH, n, dm.p_birth[types])
    deaths = draw(rng.EVENT_DEATH, n - births, dm.p_death[types])
    stay = n - births - deaths
    row = lanes * n_types
    phen = dm.phenotype[types]
    index, value = [], []
    for k in dm.switch_targets:
        moved = draw(rng.EVENT_SWITCH_BASE + k, stay, dm.p_switch[types, k])
        stay = stay - moved
        index.append(row + types + (k - phen))
        value.append(moved)
    index.append(row + types)
    value.append(stay)

    geno = dm.genotype[types]
    groups = {0: 2 * births}  # new-mutation bit mask -> daughters per pair
    for j, u in enumerate(dm.mutation_rate):
        if u <= 0.0:
            continue
        p_mut = xp.where(((geno >> j) & 1) == 1, 0.0, u)
        for new in sorted(groups):
            size = groups[new]
            if not bool(size.any()):
                continue
            mutants = draw(rng.EVENT_MUTATION_BASE + rng.mutation_node(j, new), size, p_mut)
            groups[new] = size - mutants
            groups[new | (1 << j)] = mutants
    for new, size in groups.items():
        index.append(row + (geno | new) * dm.n_phenotypes + phen)
        value.append(size)

    # Float64 sums are exact: every count and partial sum is a whole number below 2**53.
    summed = xp.bincount(
        xp.concatenate(index),
        weights=xp.concatenate(value).astype(xp.float64),
        minlength=n_lanes * n_types,
    )
    return summed.astype(xp.int64).reshape(n_lanes, n_types)
