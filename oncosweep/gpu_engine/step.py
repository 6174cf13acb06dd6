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
    switch_ranks: tuple[int, ...]
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
            switch_ranks=_switch_ranks(model),
            mutation_rate=tuple(float(u) for u in model.mutation_rate),
        )


def _switch_ranks(model: CompiledModel) -> tuple[int, ...]:
    """Ranks r such that some cell type switches to its r-th phenotype other than its own."""
    ranks = set()
    for t, own in enumerate(model.phenotype):
        for k in np.nonzero(model.p_switch[t] > 0)[0]:
            ranks.add(int(k) - int(k > own))
    return tuple(sorted(ranks))


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

    def draw(event: Any, size: Any, p: Any, pick: Any = None) -> Any:
        """Bin(size, p) for (pair, event); ``pick`` selects the pairs drawn for (repeats allowed);
        ``event`` is an int or a per-pair uint64 array."""
        if counter is not None:
            counter.add(xp, size, p)
        slot_type, lane_real = (type_slot, real) if pick is None else (type_slot[pick], real[pick])
        return _binomial.binomial(
            xp, key, slot_type | (event << rng.ATTEMPT_BITS), step, lane_real, size, p
        )

    births = draw(rng.EVENT_BIRTH, n, dm.p_birth[types])
    deaths = draw(rng.EVENT_DEATH, n - births, dm.p_death[types])
    stay = n - births - deaths
    row = lanes * n_types
    phen = dm.phenotype[types]
    index, value = [], []
    # Switching in increasing target phenotype per cell type (the order of the conditional
    # probabilities): call r draws every pair's r-th phenotype other than its own, so P - 1
    # calls cover all pairs; the slot names the target phenotype, whichever call draws it.
    for rank in dm.switch_ranks:
        target = rank + (phen <= rank)
        moved = draw(rng.EVENT_SWITCH_BASE + target.astype(xp.uint64), stay,
                     dm.p_switch[types, target])
        stay = stay - moved
        index.append(row + types + (target - phen))
        value.append(moved)
    index.append(row + types)
    value.append(stay)

    geno = dm.genotype[types]
    groups = {0: 2 * births}  # new-mutation bit mask -> daughters per pair
    for j, u in enumerate(dm.mutation_rate):
        if u <= 0.0:
            continue
        free = ((geno >> j) & 1) == 0
        # Every group splits at locus j; one call draws all of them (occupied, free pairs).
        split = []
        for new in sorted(groups):
            (pick,) = xp.nonzero((groups[new] > 0) & free)
            if pick.size:
                split.append((new, pick))
        if not split:
            continue
        pick = xp.concatenate([q for _, q in split])
        node = xp.concatenate([xp.full(q.shape, rng.mutation_node(j, new), dtype=xp.uint64)
                               for new, q in split])
        size = xp.concatenate([groups[new][q] for new, q in split])
        mutants = draw(rng.EVENT_MUTATION_BASE + node, size, xp.full(size.shape, u), pick)
        first = 0
        for new, q in split:
            moved = xp.zeros_like(groups[new])
            moved[q] = mutants[first : first + q.shape[0]]
            first += q.shape[0]
            groups[new] = groups[new] - moved
            groups[new | (1 << j)] = moved
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
