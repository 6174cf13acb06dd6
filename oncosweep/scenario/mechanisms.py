"""Resistance mechanisms of a locus: how a mutated locus changes drug and immune effects.

A locus lists its ``mechanisms``; each is a mapping with a ``type`` (a discriminated union).
The factors of all mutated loci of a genotype combine multiplicatively; see
:class:`~oncosweep.scenario.cells.CellType` for the resolved per-drug factors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from oncosweep.scenario._types import Bounds, Fold, Identifier, Number, Probability, ScenarioModel

__all__ = [
    "ApoptosisEvasion",
    "Bypass",
    "Efflux",
    "ImmuneEvasion",
    "Mechanism",
    "Target",
    "mechanism_key",
]


class Target(ScenarioModel):
    """A target alteration: the drug binds less (its IC50 is multiplied by ``ic50_fold``)."""

    type: Literal["target"]
    """``target``."""
    drug: Identifier
    """The drug affected (a name in ``drugs``)."""
    ic50_fold: Fold
    """Multiplies the drug's IC50, >= 1; ``.inf``: the drug no longer binds (no effect)."""


class Bypass(ScenarioModel):
    """A bypass track: drugs that inhibit ``pathway`` keep only part of their effect."""

    type: Literal["bypass"]
    """``bypass``."""
    pathway: Identifier
    """The pathway bypassed (a ``pathway`` of some drug)."""
    effect_factor: Probability
    """Fraction of their effect that the pathway's drugs keep, in [0, 1]."""


class Efflux(ScenarioModel):
    """A drug pump: lowers the effective concentration of the listed drugs."""

    type: Literal["efflux"]
    """``efflux``."""
    drugs: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The drugs pumped out (names in ``drugs``, at least one)."""
    concentration_factor: Annotated[Number, Bounds(gt=0, le=1)]
    """Multiplies the effective concentration of those drugs, in (0, 1]."""


class ApoptosisEvasion(ScenarioModel):
    """Apoptosis evasion: every kill-mode drug kills less."""

    type: Literal["apoptosis_evasion"]
    """``apoptosis_evasion``."""
    kill_factor: Probability
    """Multiplies the effect of every kill-mode drug, in [0, 1]."""


class ImmuneEvasion(ScenarioModel):
    """Immune evasion: the immune system kills less."""

    type: Literal["immune_evasion"]
    """``immune_evasion``."""
    kill_factor: Probability
    """Multiplies the immune kill rate, in [0, 1]."""


#: One mechanism; the ``type`` key selects the model.
Mechanism = Annotated[
    Target | Bypass | Efflux | ApoptosisEvasion | ImmuneEvasion, Field(discriminator="type")
]


def mechanism_key(mechanism: Mechanism) -> list[str]:
    """What a mechanism acts on; two mechanisms of one locus may not share a key."""
    if isinstance(mechanism, Target):
        return [f"target mechanism for drug {mechanism.drug!r}"]
    if isinstance(mechanism, Bypass):
        return [f"bypass mechanism for pathway {mechanism.pathway!r}"]
    if isinstance(mechanism, Efflux):
        return [f"efflux mechanism for drug {drug!r}" for drug in mechanism.drugs]
    return [f"{mechanism.type} mechanism"]
