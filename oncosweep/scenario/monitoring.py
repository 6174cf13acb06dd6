"""The ``monitoring`` section: clinic visits with imaging of the tumour burden and, optionally,
ctDNA sampling of resistance variants in blood.

Visits are at 0, ``visit_every``, 2 ``visit_every``, ... days after treatment start (the visit
at 0 is the baseline). At each visit the observed burden is the true total burden (cells) times
log-normal noise with coefficient of variation ``imaging.cv``, recorded as 0 below
``imaging.detection_limit``. Progression (RECIST-like) is an observed burden >= ``factor`` x the
reference and >= ``floor``. Strategies of kind sequential, adaptive and ctdna_switch act on
these observations; how they are drawn is the engine's business.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from oncosweep.scenario._types import (
    Bounds,
    Days,
    Integer,
    Number,
    PositiveNumber,
    ScenarioModel,
)
from oncosweep.scenario.errors import Problem, raise_problems
from oncosweep.scenario.simulation import Simulation, step_multiple_problems, to_steps
from oncosweep.scenario.tumour import Tumour
from oncosweep.scenario.tumour_checks import listing

__all__ = ["CtDNA", "Imaging", "Monitoring", "Progression", "monitoring_problems"]

_NonNegative = Annotated[Number, Bounds(ge=0)]
_Count = Annotated[Integer, Bounds(ge=1, le=2**31 - 1)]
#: The largest imaging cv: the engine's log-normal sigma is sqrt(log1p(cv**2)), and cv**2 must
#: be a finite double (then sigma <= 26.7, and the noise factor stays finite).
MAX_IMAGING_CV = math.sqrt(sys.float_info.max)


class Imaging(ScenarioModel):
    """How a visit observes the total tumour burden."""

    cv: Annotated[Number, Bounds(ge=0, le=MAX_IMAGING_CV)] = 0.1
    """Coefficient of variation of the multiplicative log-normal noise on the true total
    burden, in [0, 1.34e154] (0: exact; the engine forms ``log1p(cv**2)``, so ``cv**2`` must
    be a finite double)."""
    detection_limit: _NonNegative = 1.0e8
    """Cells, >= 0: an observed burden below it is recorded as 0 (not measurable)."""


class Progression(ScenarioModel):
    """When an observed burden counts as progression: ``observed >= factor x reference`` and
    ``observed >= floor``."""

    reference: Literal["nadir", "baseline"] = "nadir"
    """nadir (RECIST): the smallest observed burden since the current regimen line started;
    baseline: the burden observed at the baseline visit (treatment start)."""
    factor: Annotated[Number, Bounds(gt=1)] = 1.2
    """Multiplies the reference, > 1 (1.2: RECIST's 20% increase)."""
    floor: _NonNegative = 1.0e9
    """Cells, >= 0: smaller observed burdens are never progression."""


class CtDNA(ScenarioModel):
    """ctDNA sampling at every visit: mutant reads of each monitored variant in one blood
    sample."""

    shed_per_death: PositiveNumber = 1.0e-5
    """Tumour genome equivalents in one blood sample per tumour cell dying per day, > 0."""
    normal_genomes: PositiveNumber = 3000.0
    """Genome equivalents from normal cells in one blood sample, > 0."""
    depth: _Count = 1000
    """Reads covering each variant position, an integer >= 1."""
    sampling: Literal["binomial", "poisson"] = "binomial"
    """How mutant reads are drawn: binomial (depth reads) or poisson (mean depth x variant
    fraction)."""
    threshold: _Count = 3
    """Mutant reads needed to call a variant (limit of detection), an integer in [1, depth]."""
    variants: Annotated[tuple[str, ...], Field(min_length=1)] | None = None
    """Locus names monitored, each at most once (null: every locus)."""

    @model_validator(mode="after")
    def _consistent(self) -> CtDNA:
        out: list[Problem] = []
        variants = self.variants or ()
        for i, name in enumerate(variants):
            if name in variants[:i]:
                out.append((("variants", i), f"locus {name!r} is listed twice"))
        if self.threshold > self.depth:
            message = f"must be <= depth ({self.depth}) reads, got {self.threshold}"
            out.append((("threshold",), message))
        raise_problems(out)
        return self


class Monitoring(ScenarioModel):
    """Clinic visits: imaging of the tumour burden and, optionally, ctDNA."""

    visit_every: Days
    """Days between visits (> 0), a whole multiple of simulation.dt; visits at 0,
    visit_every, 2 visit_every, ... days after treatment start (0: the baseline visit)."""
    imaging: Imaging = Imaging()
    """Imaging noise and detection limit (default: cv 0.1, detection_limit 1e8 cells)."""
    progression: Progression = Progression()
    """When the burden has progressed (default: 1.2 x nadir and >= 1e9 cells)."""
    ctdna: CtDNA | None = None
    """ctDNA sampling at visits (null: none); required by strategies of kind ctdna_switch."""

    def visit_steps(self, dt: float) -> int:
        """Time steps between visits for time step ``dt`` (days)."""
        return to_steps(self.visit_every, dt)

    def variant_indices(self, locus_names: Sequence[str]) -> tuple[int, ...]:
        """Indices into ``locus_names`` of the ctDNA variants, in the order listed (every
        locus when ``variants`` is not given; () without ctDNA)."""
        if self.ctdna is None:
            return ()
        if self.ctdna.variants is None:
            return tuple(range(len(locus_names)))
        return tuple(list(locus_names).index(name) for name in self.ctdna.variants)


def monitoring_problems(monitoring: Monitoring, data: Mapping[str, Any]) -> list[Problem]:
    """Problems of a validated ``monitoring`` section with the sections before it in ``data``
    (those that validated), relative to the section."""
    out: list[Problem] = []
    simulation: Simulation | None = data.get("simulation")
    if simulation is not None:
        out += step_multiple_problems(("visit_every",), monitoring.visit_every, simulation.dt)
    tumour: Tumour | None = data.get("tumour")
    ctdna = monitoring.ctdna
    if tumour is None or ctdna is None:
        return out
    loci = tumour.locus_names
    if ctdna.variants is None and not loci:
        out.append((("ctdna",), f"needs at least one locus to monitor {listing('loci', loci)}"))
    for i, name in enumerate(ctdna.variants or ()):
        if name not in loci:
            known = listing("loci", loci)
            out.append((("ctdna", "variants", i), f"unknown locus {name!r} {known}"))
    return out
