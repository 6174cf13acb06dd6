"""Checks across sections that involve drugs: references to drugs and pathways, dosing times
that fit the time step, and the time step that keeps every per-step probability <= 1."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from oncosweep.scenario.cells import resolve_cell_types, step_rate
from oncosweep.scenario.drugs import Drug, Regimen
from oncosweep.scenario.errors import Loc, Problem
from oncosweep.scenario.growth import Immune
from oncosweep.scenario.simulation import (
    Simulation,
    round_3_digits,
    step_count_problems,
    step_multiple_problems,
    whole_steps,
)
from oncosweep.scenario.tumour import Tumour
from oncosweep.scenario.tumour_checks import listing

__all__ = ["drug_problems", "regimen_problems", "time_step_problems"]


def drug_problems(drugs: Sequence[Drug], data: Mapping[str, Any]) -> list[Problem]:
    """Problems of a validated ``drugs`` section with the sections before it in ``data``
    (those that validated), with absolute locations."""
    out: list[Problem] = []
    names = [d.name for d in drugs]
    for i, name in enumerate(names):
        if name in names[:i]:
            out.append((("drugs", i, "name"), f"duplicate drug name {name!r}"))
    simulation: Simulation | None = data.get("simulation")
    if simulation is not None:
        for i, drug in enumerate(drugs):
            out += _dosing_problems(("drugs", i, "dosing"), drug, simulation.dt)
        if not out:
            for i, drug in enumerate(drugs):
                out += _exposure_problems(("drugs", i, "dosing"), drug, simulation)
    tumour: Tumour | None = data.get("tumour")
    if tumour is not None:
        out += _mechanism_problems(tumour, drugs)
    if not out and tumour is not None and simulation is not None and "immune" in data:
        out += time_step_problems(tumour, simulation, data["immune"], drugs)
    return out


def _dosing_problems(loc: Loc, drug: Drug, dt: float) -> list[Problem]:
    out: list[Problem] = []
    every, times = drug.dosing.every, drug.dosing.times or ()
    dt_text = f"simulation.dt ({dt:g} days)"
    if every is not None:
        out += step_multiple_problems((*loc, "every"), every, dt)
    for k, time in enumerate(times):
        if too_long := step_count_problems((*loc, "times", k), time, dt):
            out += too_long
        elif whole_steps(time, dt) is None:
            message = f"must be a whole multiple of {dt_text}, got {time:g}"
            out.append(((*loc, "times", k), message))
    return out


#: The largest concentration (conc) and drug exposure (conc x days) a schedule may reach:
#: half the largest double, so that the engine's sums of two such values (midpoint and
#: quadrature forms) and its exposure, a sum of per-step increments each <= concentration x
#: dt, stay finite.
MAX_EXPOSURE = sys.float_info.max / 2


def unit_exposure(drug: Drug, simulation: Simulation) -> float:
    """An upper bound of the exposure (AUC, conc x days), and of the concentration x
    max(horizon, dt, 1 day), of ``drug`` over the treatment per conc of its dose (per conc per
    day of its infusion): elimination only lowers the concentration, so it never exceeds every
    dose given (or the infusion rate x the days), and the exposure never exceeds that x the
    days."""
    days = max(simulation.horizon, simulation.dt)
    dosing = drug.dosing
    if dosing.infusion is not None:
        given = days
    else:
        given = len(dosing.times or ()) if dosing.every is None else (
            math.floor(days / dosing.every) + 1)
    return given * max(days, 1.0)


def _dose(drug: Drug) -> tuple[str, float]:
    """The field (``dose`` or ``infusion``) that scales the drug's schedule, and its value."""
    if drug.dosing.infusion is not None:
        return "infusion", drug.dosing.infusion
    assert drug.dosing.dose is not None
    return "dose", drug.dosing.dose


def _exposure_problems(loc: Loc, drug: Drug, simulation: Simulation) -> list[Problem]:
    field, value = _dose(drug)
    unit = unit_exposure(drug, simulation)
    if value * unit <= MAX_EXPOSURE:
        return []
    per = "conc per day" if field == "infusion" else "conc"
    return [((*loc, field), f"must be at most {MAX_EXPOSURE / unit:.3g} {per} (every dose "
             f"given over the horizon x the days must stay below {MAX_EXPOSURE:.3g}, the "
             f"largest drug exposure the engine's doubles hold), got {value:g}")]


def _mechanism_problems(tumour: Tumour, drugs: Sequence[Drug]) -> list[Problem]:
    names = [d.name for d in drugs]
    pathways = list(dict.fromkeys(d.pathway for d in drugs))
    out: list[Problem] = []

    def drug(loc: Loc, name: str) -> None:
        if name not in names:
            out.append((loc, f"unknown drug {name!r} {listing('drugs', names)}"))

    for j, locus in enumerate(tumour.loci):
        for i, mechanism in enumerate(locus.mechanisms):
            loc = ("tumour", "loci", j, "mechanisms", i)
            for field, name in mechanism.drug_references():
                drug((*loc, *field), name)
            for field, name in mechanism.pathway_references():
                if name not in pathways:
                    known = listing("pathways", pathways)
                    out.append(((*loc, *field), f"unknown pathway {name!r} {known}"))
    return out


def regimen_problems(regimens: Sequence[Regimen], drugs: Sequence[Drug],
                     simulation: Simulation | None = None) -> list[Problem]:
    """Problems of a validated ``regimens`` section, relative to it."""
    out: list[Problem] = []
    by_name = {d.name: d for d in drugs}
    for i, regimen in enumerate(regimens):
        for k, entry in enumerate(regimen.drugs):
            drug = by_name.get(entry.drug)
            if drug is None or simulation is None:
                continue
            dose = _dose(drug)[1] * unit_exposure(drug, simulation)
            if entry.dose_factor * dose > MAX_EXPOSURE:
                largest = MAX_EXPOSURE / dose
                out.append(((i, "drugs", k, "dose_factor"), f"must be at most {largest:.3g} "
                            f"(the drug's doses x dose_factor over the horizon must keep its "
                            f"exposure below {MAX_EXPOSURE:.3g}), got {entry.dose_factor:g}"))
    names, regimen_names = [d.name for d in drugs], [r.name for r in regimens]
    for i, regimen in enumerate(regimens):
        if regimen.name in regimen_names[:i]:
            out.append(((i, "name"), f"duplicate regimen name {regimen.name!r}"))
        given = [entry.drug for entry in regimen.drugs]
        for k, name in enumerate(given):
            if name not in names:
                out.append(((i, "drugs", k), f"unknown drug {name!r} {listing('drugs', names)}"))
            elif name in given[:k]:
                out.append(((i, "drugs", k), f"duplicate drug {name!r}"))
    return out


def time_step_problems(
    tumour: Tumour,
    simulation: Simulation,
    immune: Immune | None = None,
    drugs: Sequence[Drug] = (),
) -> list[Problem]:
    """A problem at ``simulation.dt`` when some cell type's event probabilities in one step
    could exceed 1 (all rates at their largest: every kill-mode drug at emax).

    Only the ``euler`` scheme forms such probabilities (rate x dt); the ``exact`` scheme's
    probabilities (Kendall's law, competing-risk thinning) lie in [0, 1] at every dt."""
    if simulation.scheme != "euler":
        return []
    types = resolve_cell_types(tumour, None, immune, drugs)
    total, worst = max(((step_rate(ct, drugs), ct) for ct in types), key=lambda pair: pair[0])
    dt = simulation.dt
    if total * dt <= 1:
        return []
    loc = ("simulation", "dt")
    if not math.isfinite(total) or not math.isfinite(1 / total) or 1 / total == 0:
        return [(loc, f"the rates of cell type {worst.label!r} are too large")]
    shown = next(text for digits in range(3, 18) if float(text := f"{total * dt:.{digits}g}") > 1)
    fix = round_3_digits(1 / total, up=False, ok=lambda step: total * step <= 1)
    terms = ["birth", "death"]
    terms += ["immune kill"] if immune is not None else []
    terms += ["drug kill at emax"] if any(d.mode == "kill" for d in drugs) else []
    terms += ["switching"] + (["migration"] if len(tumour.compartments) > 1 else [])
    return [
        (
            loc,
            f"({' + '.join(terms)}) * dt = {shown} > 1 for cell type {worst.label!r}; "
            f"reduce dt to <= {fix} days",
        )
    ]
