"""Compartments (e.g. bulk tumour and a drug sanctuary), migration, and the initial population.

Cell types are genotype x phenotype x compartment; a compartment changes only the drug
concentration its cells see (``drug_penetration``). Cells move between compartments at the
``migration`` rates, as they switch phenotypes at the ``switching`` rates.
"""

from __future__ import annotations

from pydantic import Field

from oncosweep.scenario._types import (
    CellCountOrZero,
    Identifier,
    NonNegativeRate,
    Probability,
    ScenarioModel,
)

__all__ = ["Compartment", "Migration", "PopulationEntry"]


class Compartment(ScenarioModel):
    """A spatial compartment of the tumour."""

    name: Identifier
    """Compartment name (appended to cell-type labels as ``@name`` when there are several)."""
    drug_penetration: Probability = 1.0
    """Drug concentration in the compartment / plasma concentration, in [0, 1]."""


class Migration(ScenarioModel):
    """Migration of cells from one compartment to another."""

    from_: str = Field(alias="from")
    """Compartment migrated from."""
    to: str
    """Compartment migrated to."""
    rate: NonNegativeRate
    """Migration rate, per cell per day (same for every genotype and phenotype)."""


class PopulationEntry(ScenarioModel):
    """Cells of one cell type in the initial population."""

    cell_type: str
    """Cell-type label as in ``cell_types()``, e.g. ``wt/proliferating`` or
    ``R1/persister@sanctuary`` (with two or more compartments)."""
    cells: CellCountOrZero
    """Cells of that type at time 0 (and at every restart), a whole number >= 0."""
