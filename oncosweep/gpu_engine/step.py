"""One step of the discrete-time multi-type branching process, vectorised over realizations.

For every occupied (realization, cell type) pair with n cells, in one step of dt days, with
the conditional probabilities of ``rates.py``:

    births   B ~ Bin(n, p_birth)                each division replaces 1 cell by 2 daughters
    deaths   D ~ Bin(n - B, p_death)
    switches S_k ~ Bin(n - B - D - ..., .)      to each other phenotype (increasing index)
    moves    M_c ~ Bin(... , .)                 to each other compartment (increasing index)
    stay     the rest

The 2B daughters keep the parent's phenotype and compartment; each mutates at every free
locus j independently with probability u_j. They are split exactly over the subsets of new
mutations by a binary tree of binomials (locus by locus: every group so far splits into
mutated / not mutated at locus j), one call per locus. All contributions are summed into the
new counts with one bincount.

Empty pairs are never touched (``nonzero`` selects occupied pairs) and draws with n = 0 or
p in {0, 1} take no random numbers, so empty cell types cost next to nothing. Every draw is
addressed by (cell type, event, step, realization): skipping one never shifts another.
Cell type index = (genotype * P + phenotype) * C + compartment.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from oncosweep.gpu_engine import binomial as _binomial
from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.derived import parameter_values
from oncosweep.gpu_engine.device import on_device
from oncosweep.gpu_engine.rates import DeviceRates, conditional, pair_rates
from oncosweep.lowering.compiled import CompiledModel

TYPE_SHIFT = rng.EVENT_BITS + rng.ATTEMPT_BITS  # slot = (type << TYPE_SHIFT) | (event << 8)


@dataclass(frozen=True)
class DeviceModel:
    """What the step reads, on the array module's device: declared parameters filled by
    name (:func:`oncosweep.gpu_engine.device.on_device`) and the step's own rank tables."""

    n_types: int
    n_phenotypes: int
    n_compartments: int
    genotype: Any
    phenotype: Any
    compartment: Any
    switch_ranks: tuple[int, ...]
    migrate_ranks: tuple[int, ...]
    mutation_rate: tuple[float, ...]
    rates: DeviceRates
    scheme: str
    mutation_any: Any
    mutation_first: Any
    pk_node_decay: Any
    pk_node_infusion: Any
    kendall_pieces: int

    @classmethod
    def from_model(cls, model: CompiledModel, xp: ModuleType) -> DeviceModel:
        can_switch = (model.switch_rate > 0) | (model.switch_rate_on_drug > 0)
        values = parameter_values(model)
        return on_device(cls, model, xp, values,
                         switch_ranks=_ranks(can_switch, model.phenotype),
                         migrate_ranks=_ranks(model.migration_rate > 0, model.compartment),
                         rates=DeviceRates.from_model(model, xp, values))


def _ranks(possible: np.ndarray, own: np.ndarray) -> tuple[int, ...]:
    """Ranks r such that some type moves to its r-th target other than its own index."""
    ranks = {int(k) - int(k > own[t]) for t in range(possible.shape[0])
             for k in np.nonzero(possible[t])[0]}
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
    conc: Any | None = None,
    crowd: Any | None = None,
    counter: DrawCounter | None = None,
) -> Any:
    """Counts after one step. ``counts``: (A, T) int64; ``realization``: (A,) uint64;
    ``conc``: (A, D) midpoint drug concentrations or None; ``crowd``: (A, G) or None."""
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

    rates = pair_rates(xp, dm.rates, lanes, types, conc, crowd)
    births = draw(rng.EVENT_BIRTH, n, rates.p_birth)
    deaths = draw(rng.EVENT_DEATH, n - births, rates.p_death)
    stay = n - births - deaths
    row = lanes * n_types
    phen = dm.phenotype[types]
    comp = dm.compartment[types]
    n_comp = dm.n_compartments
    left = rates.left
    index, value = [], []
    pair = xp.arange(types.shape[0])

    def move(ranks: tuple[int, ...], own: Any, rate: Any, stride: int, event_base: int) -> None:
        """Switching (or migration) in increasing target index per cell type, the order of the
        conditional probabilities: call r draws every pair's r-th target other than its own,
        so P - 1 (C - 1) calls cover all pairs; the slot names the target."""
        nonlocal stay, left
        for rank in ranks:
            target = rank + (own <= rank)
            p, left = conditional(xp, rate[pair, target], left, dm.rates.dt)
            moved = draw(event_base + target.astype(xp.uint64), stay, p)
            stay = stay - moved
            index.append(row + types + (target - own) * stride)
            value.append(moved)

    move(dm.switch_ranks, phen, rates.switch, n_comp, rng.EVENT_SWITCH_BASE)
    move(dm.migrate_ranks, comp, rates.migration, 1, rng.EVENT_MIGRATE_BASE)
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
        index.append(row + ((geno | new) * dm.n_phenotypes + phen) * n_comp + comp)
        value.append(size)

    # Float64 sums are exact: every count and partial sum is a whole number below 2**53.
    summed = xp.bincount(
        xp.concatenate(index),
        weights=xp.concatenate(value).astype(xp.float64),
        minlength=n_lanes * n_types,
    )
    return summed.astype(xp.int64).reshape(n_lanes, n_types)
