"""A resolved regimen: per drug, what is given when, in steps from the regimen's start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oncosweep.scenario.drugs import Drug, Regimen, Treatment
from oncosweep.scenario.simulation import to_steps
from oncosweep.scenario.tumour_checks import listing

__all__ = ["TreatmentSchedule", "build_schedule"]


@dataclass(frozen=True)
class TreatmentSchedule:
    """A regimen resolved per drug (tuples in ``drugs`` order).

    Step indices count from the start of the regimen (for the first regimen of a strategy,
    treatment start = detection), step 0 = the first step after it. A drug outside the
    regimen has dose 0, every_steps 0, times_steps () and infusion 0.
    """

    regimen: str
    """Name of the regimen."""
    combination: str
    """``bliss`` or ``highest_single_agent``."""
    dose: tuple[float, ...]
    """Concentration added per bolus, conc (standard dose x dose_factor; 0 if no boluses)."""
    every_steps: tuple[int, ...]
    """Steps between boluses, the first at step 0 (0: not periodic)."""
    times_steps: tuple[tuple[int, ...], ...]
    """Steps of the listed bolus times (empty unless dosed at ``times``)."""
    infusion: tuple[float, ...]
    """Infusion rate, conc per day (standard rate x dose_factor; 0 if none)."""


def build_schedule(
    regimen: str | Treatment, regimens: Sequence[Regimen], drugs: Sequence[Drug], dt: float
) -> TreatmentSchedule:
    """Resolve the validated regimen named ``regimen`` (or a treatment's regimen): its drugs
    exist and their dosing times fit ``dt``. Raises ValueError for an unknown name."""
    name = regimen.regimen if isinstance(regimen, Treatment) else regimen
    found = next((r for r in regimens if r.name == name), None)
    if found is None:
        names = [r.name for r in regimens]
        raise ValueError(f"unknown regimen {name!r} {listing('regimens', names)}")
    factors = {entry.drug: entry.dose_factor for entry in found.drugs}
    dose, every, times, infusion = [], [], [], []
    for drug in drugs:
        factor, dosing = factors.get(drug.name), drug.dosing
        if factor is None:  # not in the regimen
            dose.append(0.0)
            every.append(0)
            times.append(())
            infusion.append(0.0)
            continue
        dose.append(factor * dosing.dose if dosing.dose is not None else 0.0)
        every.append(to_steps(dosing.every, dt) if dosing.every is not None else 0)
        times.append(tuple(to_steps(t, dt) for t in dosing.times or ()))
        infusion.append(factor * dosing.infusion if dosing.infusion is not None else 0.0)
    return TreatmentSchedule(
        regimen=found.name,
        combination=found.combination,
        dose=tuple(dose),
        every_steps=tuple(every),
        times_steps=tuple(times),
        infusion=tuple(infusion),
    )
