"""Resolved cell types: genotype x phenotype x compartment, with every rate and drug factor.

:func:`resolve_cell_types` is the single source of truth for what the engine simulates.
Drug effects are left to the engine (they depend on the concentration over time); for drug d,
plasma concentration C_d(t) and a cell type ``ct``::

    c      = C_d(t) * ct.drug_concentration_factor[d]              (conc)
    a      = c**h / (c**h + ct.drug_ic50[d]**h)                    (0 if drug_ic50 is inf)
    effect = emax_d * a * ct.drug_effect_factor[d]
    kill-mode drug:       death rate + effect        (per day)
    cytostatic drug:      birth rate x (1 - effect)

``birth_rate`` and ``death_rate`` are drug-free; the immune kill is ``immune_kill``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario.drugs import Drug
    from oncosweep.scenario.growth import Growth, Immune
    from oncosweep.scenario.tumour import Tumour

__all__ = ["CellType", "growth_rate", "resolve_cell_types", "step_rate"]


@dataclass(frozen=True)
class CellType:
    """One resolved cell type (genotype x phenotype x compartment) with its rates."""

    index: int
    """Position in ``cell_types()``:
    ``(genotype * n_phenotypes + phenotype) * n_compartments + compartment``."""
    label: str
    """``wt/proliferating``, ``R1+R2/persister``, ...; with two or more compartments
    ``@compartment`` is appended: ``R1+R2/persister@sanctuary``."""
    genotype: int
    """Bit mask of the mutated loci (bit j = locus j)."""
    phenotype: int
    """Index into ``tumour.phenotypes``."""
    birth_rate: float
    """Division rate without drugs, per day."""
    death_rate: float
    """Death rate without drugs or immune kill, per day."""
    switching: tuple[float, ...]
    """Switching rate to each phenotype index without drugs, per cell per day (0.0 for its
    own phenotype)."""
    compartment: int
    """Index into ``tumour.compartments``."""
    switching_on_drug: tuple[float, ...]
    """Switching rate to each phenotype index at full drug activity, per cell per day
    (``rate_on_drug``, or ``rate`` where not given; 0.0 for its own phenotype)."""
    migration: tuple[float, ...]
    """Migration rate to each compartment index, per cell per day (0.0 for its own)."""
    immune_kill: float
    """Immune kill rate, per day: ``immune.kill_rate`` x the genotype's immune-evasion
    kill factors (0.0 without an ``immune`` section)."""
    group: int
    """Competition group index in ``growth.groups`` (0 unless lotka_volterra growth)."""
    drug_concentration_factor: tuple[float, ...]
    """Per drug (``drugs`` order): effective / plasma concentration = the compartment's
    drug_penetration x the genotype's efflux concentration factors for that drug."""
    drug_ic50: tuple[float, ...]
    """Per drug: IC50 in conc = the drug's ic50 x the genotype's target ic50 folds for that
    drug (inf: the drug does not bind)."""
    drug_effect_factor: tuple[float, ...]
    """Per drug: multiplies the drug's effect = the phenotype's drug_effect_factor x the
    genotype's bypass effect factors for the drug's pathway x (kill-mode drugs only) the
    genotype's apoptosis-evasion kill factors."""


def resolve_cell_types(
    tumour: Tumour,
    growth: Growth | None = None,
    immune: Immune | None = None,
    drugs: Sequence[Drug] = (),
) -> list[CellType]:
    """All ``2**n_loci * n_phenotypes * n_compartments`` cell types, ordered by index."""
    overrides = {tumour.genotype_bits(e.genotype): e for e in tumour.epistasis}
    names, comps = tumour.phenotype_names, tumour.compartment_names
    n_phen, n_comp = len(names), len(comps)
    switch, on_drug = np.zeros((n_phen, n_phen)), np.zeros((n_phen, n_phen))
    for s in tumour.switching:
        switch[names.index(s.from_), names.index(s.to)] = s.rate
        on_drug[names.index(s.from_), names.index(s.to)] = s.on_drug
    migrate = np.zeros((n_comp, n_comp))
    for m in tumour.migration:
        migrate[comps.index(m.from_), comps.index(m.to)] = m.rate
    switch_rows, on_drug_rows, migrate_rows = (
        [tuple(float(x) for x in row) for row in matrix] for matrix in (switch, on_drug, migrate)
    )
    labels, result = tumour.cell_type_labels(), []
    for bits in range(2 ** len(tumour.loci)):
        mutated = [locus for j, locus in enumerate(tumour.loci) if bits >> j & 1]
        birth = tumour.birth_rate * math.prod(1.0 - locus.fitness_cost for locus in mutated)
        death = tumour.death_rate
        override = overrides.get(bits)
        if override is not None:
            birth = birth if override.birth_rate is None else override.birth_rate
            death = death if override.death_rate is None else override.death_rate
        # Each mechanism says what it changes (MechanismBase); the neutral 1.0 of the others
        # leaves every product exact, so only the mechanisms that act count.
        mechs = [m for locus in mutated for m in locus.mechanisms]
        evasion = [m.immune_kill_factor() for m in mechs]
        kill = 0.0 if immune is None else immune.kill_rate * math.prod(evasion)
        apoptosis = math.prod(m.kill_drug_factor() for m in mechs)
        ic50, efflux, effect = [], [], []
        for d in drugs:
            ic50.append(d.ic50 * math.prod(m.drug_ic50_fold(d) for m in mechs))
            efflux.append(math.prod(m.drug_concentration_factor(d) for m in mechs))
            kill_only = apoptosis if d.mode == "kill" else 1.0
            effect.append(math.prod(m.drug_effect_factor(d) for m in mechs) * kill_only)
        group = 0 if growth is None else growth.group_of(bits, tumour.locus_names)
        for p, phen in enumerate(tumour.phenotypes):
            for c, comp in enumerate(tumour.compartments):
                index = (bits * n_phen + p) * n_comp + c
                result.append(
                    CellType(
                        index=index,
                        label=labels[index],
                        genotype=bits,
                        phenotype=p,
                        birth_rate=birth * phen.birth_factor,
                        death_rate=death * phen.death_factor,
                        switching=switch_rows[p],
                        compartment=c,
                        switching_on_drug=on_drug_rows[p],
                        migration=migrate_rows[c],
                        immune_kill=kill,
                        group=group,
                        drug_concentration_factor=tuple(comp.drug_penetration * e for e in efflux),
                        drug_ic50=tuple(ic50),
                        drug_effect_factor=tuple(phen.drug_effect_factor * e for e in effect),
                    )
                )
    return result


def growth_rate(types: Sequence[CellType], start: int) -> float:
    """Dominant eigenvalue of the mean-rate matrix of ``start``'s genotype, per day.

    Over the phenotype x compartment states of the genotype that ``start`` reaches by switching
    and migration (drug-free rates; mutations ignored): ``A[i, i] = b_i - d_i - immune_i -
    sum of i's switching and migration rates`` and ``A[k, i] += rate i -> k``.
    """
    n_phen, n_comp = len(types[start].switching), len(types[start].migration)
    first = start - start % (n_phen * n_comp)
    block = types[first : first + n_phen * n_comp]

    def moves(i: int) -> list[tuple[int, float]]:
        p, c = divmod(i, n_comp)
        switches = [(k * n_comp + c, s) for k, s in enumerate(block[i].switching) if s > 0]
        return switches + [(p * n_comp + m, r) for m, r in enumerate(block[i].migration) if r > 0]

    reach = {start - first}
    while new := {k for i in reach for k, _ in moves(i)} - reach:
        reach |= new
    order = sorted(reach)
    a = np.zeros((len(order), len(order)))
    for col, i in enumerate(order):
        ct = block[i]
        a[col, col] += ct.birth_rate - ct.death_rate - ct.immune_kill
        for k, rate in moves(i):
            a[col, col] -= rate
            a[order.index(k), col] += rate
    if not np.all(np.isfinite(a)):
        return math.inf  # absurd rates: the time-step check reports them
    return float(np.max(np.linalg.eigvals(a).real))


def step_rate(ct: CellType, drugs: Sequence[Drug]) -> float:
    """The largest total event rate of a cell type, per day: drug-free rates + immune kill +
    kill-mode drugs at emax (where they can act) + switching (the larger of the drug-free and
    on-drug rates) + migration."""
    drug_kill = sum(
        d.emax * ct.drug_effect_factor[i]
        for i, d in enumerate(drugs)
        if d.mode == "kill" and math.isfinite(ct.drug_ic50[i]) and ct.drug_concentration_factor[i]
    )
    switching = sum(map(max, ct.switching, ct.switching_on_drug))
    moves = switching + sum(ct.migration)
    return ct.birth_rate + ct.death_rate + ct.immune_kill + drug_kill + moves
