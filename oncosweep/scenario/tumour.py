"""The ``tumour`` section: loci, genotypes, phenotypes, compartments, the initial population.

Genotypes are bit masks over the loci (bit j set = locus j mutated, loci in YAML order). Cell
types are genotype x phenotype x compartment, indexed
``(genotype * n_phenotypes + phenotype) * n_compartments + compartment``;
:func:`~oncosweep.scenario.cells.resolve_cell_types` is the single source of truth for their
rates (:meth:`Tumour.cell_types` gives them without drugs, immune kill or competition groups).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from oncosweep.scenario._types import (
    MAX_COMPARTMENTS,
    MAX_LOCI,
    MAX_PHENOTYPES,
    WILD_TYPE,
    CellCount,
    Factor,
    Fraction,
    Identifier,
    LocusName,
    NonNegativeRate,
    Probability,
    Rate,
    ScenarioModel,
)
from oncosweep.scenario.cells import CellType, growth_rate, resolve_cell_types
from oncosweep.scenario.compartments import Compartment, Migration, PopulationEntry
from oncosweep.scenario.errors import raise_problems
from oncosweep.scenario.mechanisms import Mechanism
from oncosweep.scenario.tumour_checks import tumour_problems

__all__ = ["CellType", "Epistasis", "Founder", "Locus", "Phenotype", "Switching", "Tumour"]


class Locus(ScenarioModel):
    """A resistance locus."""

    name: LocusName
    """Locus name (a letter, then letters, digits, '_', '.', '-'; not 'wt')."""
    mutation_rate: Probability
    """Probability that the locus mutates, per daughter cell, in [0, 1]."""
    fitness_cost: Fraction = 0.0
    """Fraction in [0, 1): a mutated locus multiplies the birth rate by (1 - fitness_cost)."""
    mechanisms: tuple[Mechanism, ...] = ()
    """How the mutated locus changes drug and immune effects (factors of all mutated loci
    multiply): target, bypass, efflux, apoptosis_evasion, immune_evasion."""


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
    drug_effect_factor: Probability = 1.0
    """Multiplies the effect of every drug (drug tolerance), in [0, 1]."""


class Switching(ScenarioModel):
    """Phenotype switching from one phenotype to another."""

    from_: str = Field(alias="from")
    """Phenotype switched from."""
    to: str
    """Phenotype switched to."""
    rate: NonNegativeRate
    """Switching rate without drugs, per cell per day."""
    rate_on_drug: NonNegativeRate | None = None
    """Switching rate at full drug activity, per cell per day (null: same as rate)."""

    @property
    def on_drug(self) -> float:
        """Switching rate at full drug activity, per cell per day."""
        return self.rate if self.rate_on_drug is None else self.rate_on_drug


class Founder(ScenarioModel):
    """The cell type of the initial population."""

    genotype: tuple[str, ...] = ()
    """Mutated locus names ([] = wild type)."""
    phenotype: str | None = None
    """Phenotype name (null: the first phenotype)."""
    compartment: str | None = None
    """Compartment name (null: the first compartment)."""


class Tumour(ScenarioModel):
    """The tumour: initial cells, sizes, rates, loci, epistasis, phenotypes, compartments."""

    initial_cells: CellCount = 1
    """Cells of the founder cell type at time 0 (and at every restart)."""
    founder: Founder = Founder()
    """Founder cell type (default: wild type, first phenotype, first compartment)."""
    initial_population: tuple[PopulationEntry, ...] | None = None
    """Cells per cell type at time 0 and at every restart; replaces founder and initial_cells
    (null: initial_cells founder cells)."""
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
    compartments: tuple[Compartment, ...] = (Compartment(name="bulk"),)
    """Spatial compartments (at most 8); the first is the default."""
    migration: tuple[Migration, ...] = ()
    """Migration rates between compartments."""

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

    @field_validator("compartments")
    @classmethod
    def _few_compartments(cls, comps: tuple[Compartment, ...]) -> tuple[Compartment, ...]:
        if not comps:
            raise PydanticCustomError("too_short", "at least one compartment is required")
        if len(comps) > MAX_COMPARTMENTS:
            raise PydanticCustomError(
                "too_long",
                f"at most {MAX_COMPARTMENTS} compartments are supported, got {len(comps)}",
            )
        return comps

    @model_validator(mode="after")
    def _consistent(self) -> Tumour:
        raise_problems(tumour_problems(self))
        return self

    @property
    def locus_names(self) -> list[str]:
        """Locus names in YAML (bit) order."""
        return [locus.name for locus in self.loci]

    @property
    def phenotype_names(self) -> list[str]:
        """Phenotype names in YAML (index) order."""
        return [phenotype.name for phenotype in self.phenotypes]

    @property
    def compartment_names(self) -> list[str]:
        """Compartment names in YAML (index) order."""
        return [compartment.name for compartment in self.compartments]

    def genotype_bits(self, names: Iterable[str]) -> int:
        """Bit mask of a genotype given as locus names."""
        return sum(1 << self.locus_names.index(name) for name in set(names))

    def genotype_label(self, bits: int) -> str:
        """``wt`` or the mutated locus names joined with '+', in locus order."""
        names = [name for j, name in enumerate(self.locus_names) if bits >> j & 1]
        return "+".join(names) or WILD_TYPE

    def cell_type_labels(self) -> list[str]:
        """The labels of all cell types, ordered by index (see :meth:`cell_types`)."""
        comps = (
            [f"@{name}" for name in self.compartment_names] if len(self.compartments) > 1 else [""]
        )
        return [
            f"{self.genotype_label(bits)}/{phen}{comp}"
            for bits in range(2 ** len(self.loci))
            for phen in self.phenotype_names
            for comp in comps
        ]

    def cell_types(self) -> list[CellType]:
        """All cell types, ordered by index, without drugs, immune kill or growth groups
        (``Scenario.cell_types()`` resolves those)."""
        return resolve_cell_types(self)

    def founder_type_index(self) -> int:
        """Index into :meth:`cell_types` of the founder cell type."""
        phenotype, compartment = self.founder.phenotype, self.founder.compartment
        p = 0 if phenotype is None else self.phenotype_names.index(phenotype)
        c = 0 if compartment is None else self.compartment_names.index(compartment)
        bits = self.genotype_bits(self.founder.genotype)
        return (bits * len(self.phenotypes) + p) * len(self.compartments) + c

    def initial_counts(self) -> dict[int, int]:
        """Cell type index -> cells at time 0 and at every restart (types with cells > 0)."""
        if self.initial_population is None:
            return {self.founder_type_index(): self.initial_cells}
        index = {label: i for i, label in enumerate(self.cell_type_labels())}
        return {index[e.cell_type]: e.cells for e in self.initial_population if e.cells > 0}

    def founder_growth_rate(self, types: list[CellType] | None = None) -> float:
        """Net growth rate of the initial population, per day (mutations and drugs ignored).

        The largest :func:`~oncosweep.scenario.cells.growth_rate` of the initially occupied
        cell types, from ``types`` (default: :meth:`cell_types`).
        """
        types = self.cell_types() if types is None else types
        return max(growth_rate(types, index) for index in self.initial_counts())
