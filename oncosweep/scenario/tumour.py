"""The ``tumour`` section: loci, genotypes, phenotypes and the resolved cell types.

Genotypes are bit masks over the loci (bit j set = locus j mutated, loci in YAML order). Cell
types are genotype x phenotype, indexed ``genotype * n_phenotypes + phenotype``;
:meth:`Tumour.cell_types` is the single source of truth for their rates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from oncosweep.scenario._types import (
    MAX_LOCI,
    MAX_PHENOTYPES,
    WILD_TYPE,
    CellCount,
    CellType,
    Factor,
    Fraction,
    Identifier,
    LocusName,
    NonNegativeRate,
    Probability,
    Rate,
    ScenarioModel,
)
from oncosweep.scenario.errors import Loc, Problem, raise_problems

__all__ = ["CellType", "Epistasis", "Founder", "Locus", "Phenotype", "Switching", "Tumour"]


class Locus(ScenarioModel):
    """A resistance locus."""

    name: LocusName
    """Locus name (a letter, then letters, digits, '_', '.', '-'; not 'wt')."""
    mutation_rate: Probability
    """Probability that the locus mutates, per daughter cell, in [0, 1]."""
    fitness_cost: Fraction = 0.0
    """Fraction in [0, 1): a mutated locus multiplies the birth rate by (1 - fitness_cost)."""


class Epistasis(ScenarioModel):
    """Rates of one genotype that replace the computed ones."""

    genotype: tuple[str, ...]
    """Mutated locus names (a set: order irrelevant; [] is the wild type)."""
    birth_rate: NonNegativeRate | None = None
    """Birth rate of the genotype, per day (null: computed from the fitness costs)."""
    death_rate: NonNegativeRate | None = None
    """Death rate of the genotype, per day (null: tumour.death_rate)."""

    @model_validator(mode="after")
    def _has_a_rate(self) -> Epistasis:
        if self.birth_rate is None and self.death_rate is None:
            raise PydanticCustomError("model_rule", "give birth_rate, death_rate or both")
        return self


class Phenotype(ScenarioModel):
    """A phenotypic state (e.g. proliferating, persister)."""

    name: Identifier
    """Phenotype name."""
    birth_factor: Factor = 1.0
    """Multiplies the genotype's birth rate, >= 0."""
    death_factor: Factor = 1.0
    """Multiplies the genotype's death rate, >= 0."""


class Switching(ScenarioModel):
    """Phenotype switching from one phenotype to another."""

    from_: str = Field(alias="from")
    """Phenotype switched from."""
    to: str
    """Phenotype switched to."""
    rate: NonNegativeRate
    """Switching rate, per cell per day."""


class Founder(ScenarioModel):
    """The cell type of the initial population."""

    genotype: tuple[str, ...] = ()
    """Mutated locus names ([] = wild type)."""
    phenotype: str | None = None
    """Phenotype name (null: the first phenotype)."""


class Tumour(ScenarioModel):
    """The tumour: founder population, sizes, rates, loci, epistasis, phenotypes."""

    initial_cells: CellCount = 1
    """Cells of the founder cell type at time 0 (and at every restart)."""
    founder: Founder = Founder()
    """Founder cell type (default: wild type in the first phenotype)."""
    detection_size: CellCount
    """Tumour size at detection, when treatment starts, in cells."""
    lethal_size: CellCount = 10**12
    """Tumour size that kills the patient, in cells."""
    birth_rate: Rate
    """Division rate of wild-type cells of the first phenotype, per day."""
    death_rate: NonNegativeRate
    """Death rate of wild-type cells, per day."""
    loci: tuple[Locus, ...] = ()
    """Resistance loci (at most 8)."""
    epistasis: tuple[Epistasis, ...] = ()
    """Genotype-specific rate overrides."""
    phenotypes: tuple[Phenotype, ...] = (Phenotype(name="proliferating"),)
    """Phenotypes (at most 8); the first is the default."""
    switching: tuple[Switching, ...] = ()
    """Phenotype switching rates."""

    @field_validator("loci")
    @classmethod
    def _few_loci(cls, loci: tuple[Locus, ...]) -> tuple[Locus, ...]:
        if len(loci) > MAX_LOCI:
            raise PydanticCustomError(
                "too_long", f"at most {MAX_LOCI} loci are supported, got {len(loci)}"
            )
        return loci

    @field_validator("phenotypes")
    @classmethod
    def _few_phenotypes(cls, phenotypes: tuple[Phenotype, ...]) -> tuple[Phenotype, ...]:
        if not phenotypes:
            raise PydanticCustomError("too_short", "at least one phenotype is required")
        if len(phenotypes) > MAX_PHENOTYPES:
            raise PydanticCustomError(
                "too_long",
                f"at most {MAX_PHENOTYPES} phenotypes are supported, got {len(phenotypes)}",
            )
        return phenotypes

    @model_validator(mode="after")
    def _consistent(self) -> Tumour:
        raise_problems(_problems(self))
        return self

    @property
    def locus_names(self) -> list[str]:
        """Locus names in YAML (bit) order."""
        return [locus.name for locus in self.loci]

    @property
    def phenotype_names(self) -> list[str]:
        """Phenotype names in YAML (index) order."""
        return [phenotype.name for phenotype in self.phenotypes]

    def genotype_bits(self, names: Iterable[str]) -> int:
        """Bit mask of a genotype given as locus names."""
        return sum(1 << self.locus_names.index(name) for name in set(names))

    def genotype_label(self, bits: int) -> str:
        """``wt`` or the mutated locus names joined with '+', in locus order."""
        names = [name for j, name in enumerate(self.locus_names) if bits >> j & 1]
        return "+".join(names) or WILD_TYPE

    def cell_types(self) -> list[CellType]:
        """All ``2**n_loci * n_phenotypes`` cell types, ordered by index."""
        overrides = {self.genotype_bits(e.genotype): e for e in self.epistasis}
        n_phen = len(self.phenotypes)
        switch = np.zeros((n_phen, n_phen))
        for s in self.switching:
            switch[self.phenotype_names.index(s.from_), self.phenotype_names.index(s.to)] = s.rate
        result = []
        for bits in range(2 ** len(self.loci)):
            birth = self.birth_rate * math.prod(
                1.0 - locus.fitness_cost for j, locus in enumerate(self.loci) if bits >> j & 1
            )
            death = self.death_rate
            override = overrides.get(bits)
            if override is not None:
                birth = birth if override.birth_rate is None else override.birth_rate
                death = death if override.death_rate is None else override.death_rate
            for p, phen in enumerate(self.phenotypes):
                result.append(
                    CellType(
                        index=bits * n_phen + p,
                        label=f"{self.genotype_label(bits)}/{phen.name}",
                        genotype=bits,
                        phenotype=p,
                        birth_rate=birth * phen.birth_factor,
                        death_rate=death * phen.death_factor,
                        switching=tuple(float(x) for x in switch[p]),
                    )
                )
        return result

    def founder_type_index(self) -> int:
        """Index into :meth:`cell_types` of the founder cell type."""
        phenotype = self.founder.phenotype
        p = 0 if phenotype is None else self.phenotype_names.index(phenotype)
        return self.genotype_bits(self.founder.genotype) * len(self.phenotypes) + p

    def founder_growth_rate(self) -> float:
        """Dominant eigenvalue of the founder's mean-rate matrix, per day (mutations ignored).

        Over the phenotypes of the founder genotype that the founder phenotype can reach by
        switching: ``A[i, i] = b_i - d_i - sum_k s_ik`` and ``A[k, i] += s_ik``.
        """
        n_phen = len(self.phenotypes)
        founder = self.founder_type_index()
        block = self.cell_types()[founder - founder % n_phen :][:n_phen]
        reach = {founder % n_phen}
        while new := {k for i in reach for k, s in enumerate(block[i].switching) if s > 0} - reach:
            reach |= new
        a = np.zeros((n_phen, n_phen))
        for i in reach:
            a[i, i] = block[i].birth_rate - block[i].death_rate - sum(block[i].switching)
            for k in reach:
                a[k, i] += block[i].switching[k]
        a = a[np.ix_(sorted(reach), sorted(reach))]
        if not np.all(np.isfinite(a)):
            return math.inf  # absurd rates: the time-step check reports them
        return float(np.max(np.linalg.eigvals(a).real))


def _listing(kind: str, names: list[str]) -> str:
    return f"({kind}: {', '.join(names)})" if names else f"(no {kind} are defined)"


def _problems(t: Tumour) -> list[Problem]:
    """Cross-field problems of a structurally valid tumour section."""
    out: list[Problem] = []
    loci, phens = t.locus_names, t.phenotype_names
    for kind, noun, names in (("loci", "locus", loci), ("phenotypes", "phenotype", phens)):
        for i, name in enumerate(names):
            if name in names[:i]:
                out.append(((kind, i, "name"), f"duplicate {noun} name {name!r}"))

    def genotype(loc: Loc, names: tuple[str, ...]) -> None:
        for i, name in enumerate(names):
            if name not in loci:
                out.append((loc, f"unknown locus {name!r} {_listing('loci', loci)}"))
            elif name in names[:i]:
                out.append((loc, f"locus {name!r} is listed twice"))

    def phenotype(loc: Loc, name: str | None) -> None:
        if name is not None and name not in phens:
            out.append((loc, f"unknown phenotype {name!r} {_listing('phenotypes', phens)}"))

    genotype(("founder", "genotype"), t.founder.genotype)
    phenotype(("founder", "phenotype"), t.founder.phenotype)
    seen: dict[frozenset[str], int] = {}
    for i, entry in enumerate(t.epistasis):
        genotype(("epistasis", i, "genotype"), entry.genotype)
        first = seen.setdefault(frozenset(entry.genotype), i)
        if first != i:
            label = "+".join(sorted(set(entry.genotype))) or WILD_TYPE
            again = f"(already given in tumour.epistasis[{first}])"
            out.append((("epistasis", i, "genotype"), f"duplicate genotype {label} {again}"))
    pairs: dict[tuple[str, str], int] = {}
    for i, sw in enumerate(t.switching):
        phenotype(("switching", i, "from"), sw.from_)
        phenotype(("switching", i, "to"), sw.to)
        first = pairs.setdefault((sw.from_, sw.to), i)
        if sw.from_ == sw.to:
            out.append((("switching", i, "to"), f"must differ from 'from' ({sw.from_})"))
        elif first != i:
            again = f"(already given in tumour.switching[{first}])"
            out.append((("switching", i), f"duplicate switch {sw.from_} -> {sw.to} {again}"))
    names_resolve = not out  # the founder type and all cell types are well defined
    if t.detection_size < t.initial_cells:
        got = f"got {t.detection_size}"
        out.append((("detection_size",), f"must be >= initial_cells ({t.initial_cells}), {got}"))
    if t.lethal_size <= t.detection_size:
        got = f"got {t.lethal_size}"
        out.append((("lethal_size",), f"must be > detection_size ({t.detection_size}), {got}"))
    growth = t.founder_growth_rate() + 0.0 if names_resolve else 1.0  # + 0.0: no "-0"
    if growth <= 0:
        label = t.cell_types()[t.founder_type_index()].label
        message = (
            f"the founder cell type {label!r} cannot grow (net growth rate {growth:.3g} per day "
            "<= 0), so the tumour never reaches detection_size"
        )
        out.append((("birth_rate",), message))
    return out
