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

__all__ = ["CtDNA", "CtDNAAssay", "Imaging", "Monitoring", "Progression", "Recist",
           "monitoring_problems"]

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


class Recist(ScenarioModel):
    """Lesions measured by imaging and evaluated by RECIST 1.1 (Eisenhauer et al., Eur J Cancer
    2009;45:228-247; gpu_engine/lesions.py and recist.py). Each compartment is a lesion (one
    lesion without compartments): its cells give a volume (``cells_per_cm3``) and the diameter
    of a sphere of that volume, measured with normal noise of ``noise_mm``; a lesion below
    ``imaging.detection_limit`` cells is not seen (0 mm), one seen but measured under 5 mm
    counts as 5 mm (section 4.3.2). At the first visit of a treatment line the lesions of at
    least ``measurable_mm`` are the target lesions (their sum of diameters is evaluated), the
    others seen are non-target lesions, and a lesion not seen then that is seen later is a new
    lesion. Progression is then RECIST progressive disease (PD: a new lesion, or a sum >= 1.2 x
    the nadir and >= 5 mm above it), which replaces the ``progression`` rule; a switch of line
    takes a new baseline. The first line's best overall response (confirmed CR or PR after
    ``confirm_days``, SD after ``min_sd_days``) and duration of response are recorded."""

    cells_per_cm3: PositiveNumber = 1.0e9
    """Tumour cells per cm^3 of lesion volume, > 0 (the classical 1e9; Del Monte, Cell Cycle
    2009;8:505-506 argues for nearer 1e8 once stroma is counted)."""
    noise_mm: _NonNegative = 2.0
    """Millimetres, >= 0: standard deviation of one lesion's measured diameter (repeat CT of
    lung lesions: Oxnard et al., J Clin Oncol 2011;29:3114-3119)."""
    measurable_mm: Annotated[Number, Bounds(ge=5)] = 10.0
    """Millimetres, >= 5: smallest target lesion at baseline (RECIST 1.1: 10 mm by CT)."""
    confirm_days: _NonNegative = 28.0
    """Days, >= 0: a CR or PR counts once a later visit at least this long after its first
    visit confirms it (0: no confirmation)."""
    min_sd_days: _NonNegative = 42.0
    """Days, >= 0: stable disease needs a visit without PD at least this long after the
    baseline."""


class CtDNAAssay(ScenarioModel):
    """A ctDNA assay (gpu_engine/ctdna_assay.py): tumour DNA shed into plasma by dying cells
    and cleared with a half-life (quasi-steady state: the half-life is minutes, visits are
    weeks apart), a tube of plasma with Poisson numbers of variant and wild-type copies,
    sequencing reads with a per-read error rate, and clonal haematopoiesis.

    The defaults follow Avanzini et al., "A mathematical model of ctDNA shedding predicts tumor
    detection size", Sci Adv 2020;6:eabc4308 (shedding per cell death of lung tumours 1.4e-4
    haploid genome equivalents; cell-free DNA half-life 30 min; plasma 3 l; normal cell-free
    DNA 1500 genome equivalents per ml; 15 ml of blood, about 8 ml of plasma, per sample is
    their design, 4 ml here: one 10 ml tube), with an error-suppressed sequencing error
    rate of 1e-5 per read (Newman et al., Nat Biotechnol 2016;34:547-555: 'integrated digital
    error suppression' to ~1e-5)."""

    shedding: PositiveNumber = 1.4e-4
    """Haploid genome equivalents released into plasma per tumour cell death, > 0."""
    half_life: PositiveNumber = 30.0 / 1440.0
    """Days, > 0: half-life of cell-free DNA in plasma (30 min)."""
    plasma_volume: PositiveNumber = 3000.0
    """Millilitres of plasma in the patient, > 0."""
    normal_cfdna: PositiveNumber = 1500.0
    """Haploid genome equivalents per ml of plasma from normal cells, > 0."""
    tube: PositiveNumber = 4.0
    """Millilitres of plasma analysed per sample, > 0."""
    error_rate: Annotated[Number, Bounds(ge=0, le=0.5)] = 1.0e-5
    """Probability that a read shows the other allele at the variant position, in [0, 0.5]."""
    ch_vaf: Annotated[Number, Bounds(ge=0, lt=1)] = 0.0
    """Allele fraction of the variant in normal cell-free DNA (clonal haematopoiesis carrying
    the same variant), in [0, 1): 0, none."""

    def copies_per_death(self) -> float:
        """Haploid genome equivalents per ml of plasma per tumour cell dying per day at steady
        state: shedding / (clearance rate ln 2 / half_life x plasma volume)."""
        return self.shedding * self.half_life / (math.log(2.0) * self.plasma_volume)


class CtDNA(ScenarioModel):
    """ctDNA sampling at every visit: mutant reads of each monitored variant in one blood
    sample. With ``assay`` the reads come from the assay model (copies in a tube, reads with
    errors); without it, from the simple read model of ``shed_per_death``, ``normal_genomes``
    and ``sampling``, which ``assay`` replaces (they may not be set to other values than their
    defaults with it)."""

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
    assay: CtDNAAssay | None = None
    """The assay model (null: the simple read model)."""

    @model_validator(mode="after")
    def _consistent(self) -> CtDNA:
        out: list[Problem] = []
        if self.assay is not None:
            for name in ("shed_per_death", "normal_genomes", "sampling"):
                if getattr(self, name) != type(self).model_fields[name].default:
                    out.append(((name,), "belongs to the simple read model, which assay "
                                "replaces: use assay.shedding / assay.normal_cfdna instead"))
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
    recist: Recist | None = None
    """Lesions and RECIST 1.1 response evaluation (null: progression by ``progression``)."""

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
