"""Resistance mechanisms of a locus: how a mutated locus changes drug and immune effects.

A locus lists its ``mechanisms``; each is a mapping with a ``type`` (a discriminated union).
The factors of all mutated loci of a genotype combine multiplicatively; see
:class:`~oncosweep.scenario.cells.CellType` for the resolved per-drug factors.

Each mechanism type says in one place what it does: :class:`MechanismBase` declares the
methods (neutral defaults: factor 1.0, no references) and every type overrides those that
concern it. :func:`~oncosweep.scenario.cells.resolve_cell_types` and the cross-section checks
only call these methods (``docs/mechanisms.md``, "How a mechanism acts on a cell type").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from oncosweep.scenario._types import Bounds, Fold, Identifier, Number, Probability, ScenarioModel

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario.drugs import Drug

__all__ = [
    "ApoptosisEvasion",
    "Bypass",
    "Efflux",
    "ImmuneEvasion",
    "Mechanism",
    "MechanismBase",
    "Reference",
    "Target",
    "mechanism_key",
]

#: A name that a mechanism refers to: (location of the field within the mechanism, name),
#: e.g. ``(("drugs", 1), "doxorubicin")``.
Reference = tuple[tuple[str | int, ...], str]


class MechanismBase(ScenarioModel):
    """What every resistance mechanism can do to a cell type, with neutral defaults.

    The factor methods return 1.0 unless the mechanism acts on what is asked; a cell type's
    factor is the product (``math.prod``, in mechanism order) over the mechanisms of its
    mutated loci. Subclasses override only what they change.
    """

    if TYPE_CHECKING:  # pragma: no cover
        type: str  # each subclass declares its own Literal field

    def acts_on(self) -> list[str]:
        """What the mechanism acts on; two mechanisms of one locus may not share an entry."""
        return [f"{self.type} mechanism"]

    def drug_references(self) -> list[Reference]:
        """The drug names it lists, with their fields (each must be a name in ``drugs``)."""
        return []

    def pathway_references(self) -> list[Reference]:
        """The pathways it lists, with their fields (each must be a ``pathway`` of a drug)."""
        return []

    def immune_kill_factor(self) -> float:
        """Multiplies the immune kill rate."""
        return 1.0

    def drug_ic50_fold(self, drug: Drug) -> float:
        """Multiplies ``drug``'s IC50 (inf: the drug does not bind)."""
        return 1.0

    def drug_concentration_factor(self, drug: Drug) -> float:
        """Multiplies ``drug``'s effective concentration."""
        return 1.0

    def drug_effect_factor(self, drug: Drug) -> float:
        """Multiplies ``drug``'s effect, whatever its mode."""
        return 1.0

    def kill_drug_factor(self) -> float:
        """Multiplies the effect of every kill-mode drug (a separate product, applied after
        the :meth:`drug_effect_factor` product)."""
        return 1.0


class Target(MechanismBase):
    """A target alteration: the drug binds less (its IC50 is multiplied by ``ic50_fold``)."""

    type: Literal["target"]
    """``target``."""
    drug: Identifier
    """The drug affected (a name in ``drugs``)."""
    ic50_fold: Fold
    """Multiplies the drug's IC50, >= 1; ``.inf``: the drug no longer binds (no effect)."""

    def acts_on(self) -> list[str]:
        return [f"target mechanism for drug {self.drug!r}"]

    def drug_references(self) -> list[Reference]:
        return [(("drug",), self.drug)]

    def drug_ic50_fold(self, drug: Drug) -> float:
        return self.ic50_fold if drug.name == self.drug else 1.0


class Bypass(MechanismBase):
    """A bypass track: drugs that inhibit ``pathway`` keep only part of their effect."""

    type: Literal["bypass"]
    """``bypass``."""
    pathway: Identifier
    """The pathway bypassed (a ``pathway`` of some drug)."""
    effect_factor: Probability
    """Fraction of their effect that the pathway's drugs keep, in [0, 1]."""

    def acts_on(self) -> list[str]:
        return [f"bypass mechanism for pathway {self.pathway!r}"]

    def pathway_references(self) -> list[Reference]:
        return [(("pathway",), self.pathway)]

    def drug_effect_factor(self, drug: Drug) -> float:
        return self.effect_factor if drug.pathway == self.pathway else 1.0


class Efflux(MechanismBase):
    """A drug pump: lowers the effective concentration of the listed drugs."""

    type: Literal["efflux"]
    """``efflux``."""
    drugs: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The drugs pumped out (names in ``drugs``, at least one)."""
    concentration_factor: Annotated[Number, Bounds(gt=0, le=1)]
    """Multiplies the effective concentration of those drugs, in (0, 1]."""

    def acts_on(self) -> list[str]:
        return [f"efflux mechanism for drug {drug!r}" for drug in self.drugs]

    def drug_references(self) -> list[Reference]:
        return [(("drugs", k), drug) for k, drug in enumerate(self.drugs)]

    def drug_concentration_factor(self, drug: Drug) -> float:
        return self.concentration_factor if drug.name in self.drugs else 1.0


class ApoptosisEvasion(MechanismBase):
    """Apoptosis evasion: every kill-mode drug kills less."""

    type: Literal["apoptosis_evasion"]
    """``apoptosis_evasion``."""
    kill_factor: Probability
    """Multiplies the effect of every kill-mode drug, in [0, 1]."""

    def kill_drug_factor(self) -> float:
        return self.kill_factor


class ImmuneEvasion(MechanismBase):
    """Immune evasion: the immune system kills less."""

    type: Literal["immune_evasion"]
    """``immune_evasion``."""
    kill_factor: Probability
    """Multiplies the immune kill rate, in [0, 1]."""

    def immune_kill_factor(self) -> float:
        return self.kill_factor


#: One mechanism; the ``type`` key selects the model.
Mechanism = Annotated[
    Target | Bypass | Efflux | ApoptosisEvasion | ImmuneEvasion, Field(discriminator="type")
]


def mechanism_key(mechanism: Mechanism) -> list[str]:
    """What a mechanism acts on; two mechanisms of one locus may not share a key
    (:meth:`MechanismBase.acts_on`)."""
    return mechanism.acts_on()
