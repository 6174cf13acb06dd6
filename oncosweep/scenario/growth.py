"""The ``growth`` section (density dependence) and the ``immune`` section.

Growth laws, for N cells (``growth.carrying_capacities`` K, ``growth.alpha_matrix`` alpha):

* ``exponential``: no density dependence (one group, K = inf);
* ``logistic`` / ``gompertz``: one group with ``carrying_capacity`` K;
* ``lotka_volterra``: genotypes form competition ``groups``, each with its own K, and
  ``alpha[i][j]`` is the competition coefficient of group j on group i.

How a law slows growth is the engine's business; the schema supplies K and alpha.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import model_validator

from oncosweep.scenario._types import (
    Bounds,
    Cells,
    Identifier,
    NonNegativeRate,
    Number,
    ScenarioModel,
)
from oncosweep.scenario.errors import Problem, raise_problems
from oncosweep.scenario.tumour_checks import listing

__all__ = ["CompetitionGroup", "Growth", "Immune"]

Law = Literal["exponential", "logistic", "gompertz", "lotka_volterra"]
_ONE_GROUP = ("logistic", "gompertz")


class CompetitionGroup(ScenarioModel):
    """A Lotka-Volterra competition group of genotypes."""

    name: Identifier
    """Group name."""
    loci: tuple[str, ...] = ()
    """A genotype joins the first listed group whose loci it carries any of; the one group
    with ``loci: []`` collects every other genotype."""
    carrying_capacity: Cells
    """Carrying capacity of the group, cells (> 0)."""


class Growth(ScenarioModel):
    """Density dependence of growth (default: exponential, none)."""

    law: Law = "exponential"
    """exponential, logistic, gompertz or lotka_volterra."""
    carrying_capacity: Cells | None = None
    """Carrying capacity, cells (> 0); logistic and gompertz only (required there)."""
    groups: tuple[CompetitionGroup, ...] | None = None
    """Competition groups; lotka_volterra only (required there, at least one)."""
    alpha: tuple[tuple[Annotated[Number, Bounds(ge=0)], ...], ...] | None = None
    """Competition matrix, one row and column per group, entries >= 0 (``alpha[i][j]``: effect
    of group j on group i); lotka_volterra only (required there)."""

    @model_validator(mode="after")
    def _fits_law(self) -> Growth:
        raise_problems(self._law_problems())
        return self

    def _law_problems(self) -> list[Problem]:
        law, out = self.law, []
        own = {"carrying_capacity": law in _ONE_GROUP, "groups": law == "lotka_volterra"}
        own["alpha"] = own["groups"]
        for key, needed in own.items():
            given = getattr(self, key) is not None
            users = "logistic and gompertz" if key == "carrying_capacity" else "lotka_volterra"
            if given and not needed:
                out.append(((key,), f"is only used by {users} growth, not {law}"))
            elif needed and not given:
                out.append(((key,), f"is required for {law} growth"))
        if out or self.groups is None or self.alpha is None:
            return out
        n = len(self.groups)
        if n == 0:
            return [(("groups",), "must have at least one group")]
        names = [g.name for g in self.groups]
        for i, name in enumerate(names):
            if name in names[:i]:
                out.append((("groups", i, "name"), f"duplicate group name {name!r}"))
        if sum(1 for g in self.groups if not g.loci) != 1:
            message = "exactly one group must have loci: [] (it collects the other genotypes)"
            out.append((("groups",), message))
        if len(self.alpha) != n:
            message = f"must be a {n} x {n} matrix (one row and column per group)"
            out.append((("alpha",), f"{message}, got {len(self.alpha)} rows"))
        else:
            for i, row in enumerate(self.alpha):
                if len(row) != n:
                    message = f"must have {n} entries (one per group), got {len(row)}"
                    out.append((("alpha", i), message))
        return out

    @property
    def n_groups(self) -> int:
        """Competition groups (1 unless lotka_volterra)."""
        return len(self.groups) if self.groups is not None else 1

    @property
    def carrying_capacities(self) -> tuple[float, ...]:
        """Carrying capacity per group, cells: (inf,) for exponential growth, (K,) for
        logistic and gompertz, one per group for lotka_volterra."""
        if self.groups is not None:
            return tuple(g.carrying_capacity for g in self.groups)
        return (math.inf if self.carrying_capacity is None else self.carrying_capacity,)

    @property
    def alpha_matrix(self) -> tuple[tuple[float, ...], ...]:
        """Competition matrix alpha: ((1.0,),) unless lotka_volterra."""
        return self.alpha if self.alpha is not None else ((1.0,),)

    def group_of(self, genotype: int, locus_names: list[str]) -> int:
        """Competition group index of a genotype (bit mask over ``locus_names``)."""
        if self.groups is None:
            return 0
        mutated = {name for j, name in enumerate(locus_names) if genotype >> j & 1}
        for i, group in enumerate(self.groups):
            if mutated & set(group.loci):
                return i
        return next(i for i, group in enumerate(self.groups) if not group.loci)

    def reference_problems(self, locus_names: list[str], detection_size: int) -> list[Problem]:
        """Problems with the tumour section: unknown loci, empty groups, capacities too small."""
        out: list[Problem] = []
        for i, group in enumerate(self.groups or ()):
            for name in group.loci:
                if name not in locus_names:
                    listed = listing("loci", locus_names)
                    out.append((("groups", i, "loci"), f"unknown locus {name!r} {listed}"))
                elif group.loci.count(name) > 1:
                    out.append((("groups", i, "loci"), f"locus {name!r} is listed twice"))
        if out:
            return out
        claimed = {self.group_of(bits, locus_names) for bits in range(2 ** len(locus_names))}
        for i, _ in enumerate(self.groups or ()):
            if i not in claimed:
                message = "no genotype joins this group (earlier groups claim all its loci)"
                out.append((("groups", i, "loci"), message))
        total, never = sum(self.carrying_capacities), "or the tumour is never detected"
        if total <= detection_size and self.groups is not None:
            message = f"the carrying capacities total {total:g} cells, must be > "
            out.append((("groups",), f"{message}tumour.detection_size ({detection_size}) {never}"))
        elif total <= detection_size:
            message = f"must be > tumour.detection_size ({detection_size}) {never}, got {total:g}"
            out.append((("carrying_capacity",), message))
        return out


class Immune(ScenarioModel):
    """Immune killing of tumour cells."""

    kill_rate: NonNegativeRate
    """Immune kill rate, per cell per day (>= 0), added to the death rate; genotypes with
    immune_evasion mechanisms are killed less."""
