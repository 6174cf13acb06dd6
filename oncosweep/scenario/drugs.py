"""The therapy sections: ``drugs`` (pharmacology and standard dosing), ``regimens``
(named combinations) and ``treatment`` (the regimen given from detection to the horizon).

Units: days, per day, and one concentration unit "conc" of the user's choice (doses, infusion
rates and IC50s must all use it). Each drug has one-compartment first-order elimination,
``k = ln 2 / half_life``: a bolus adds ``dose`` to the plasma concentration, an infusion adds
``infusion`` conc per day.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from oncosweep.scenario._types import (
    _IDENTIFIER,
    Concentration,
    Days,
    Identifier,
    NonNegativeDays,
    PositiveNumber,
    Rate,
    ScenarioModel,
)
from oncosweep.scenario.errors import Problem, raise_problems

__all__ = ["Dosing", "Drug", "Regimen", "RegimenDrug", "Treatment"]


class Dosing(ScenarioModel):
    """A dosing schedule: exactly one of ``every``, ``times``, ``infusion``."""

    dose: Concentration | None = None
    """Concentration added per bolus, conc (> 0); required with every and times."""
    every: Days | None = None
    """Days between boluses, the first at treatment start; a whole multiple of simulation.dt."""
    times: tuple[NonNegativeDays, ...] | None = None
    """Bolus times, days from treatment start: sorted, distinct, whole multiples of
    simulation.dt."""
    infusion: Concentration | None = None
    """Continuous infusion from treatment start, conc per day (> 0)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Dosing:
        if sum(x is not None for x in (self.every, self.times, self.infusion)) != 1:
            raise PydanticCustomError("model_rule", "give exactly one of every, times, infusion")
        out: list[Problem] = []
        if self.infusion is None and self.dose is None:
            out.append((("dose",), f"required with {self.kind} (conc per bolus)"))
        if self.infusion is not None and self.dose is not None:
            out.append((("dose",), "not used with infusion (give infusion in conc per day)"))
        times = self.times or ()
        if self.times == ():
            out.append((("times",), "must have at least one time"))
        for i in range(1, len(times)):
            if times[i] == times[i - 1]:
                out.append((("times", i), f"duplicate time {times[i]:g}"))
            elif times[i] < times[i - 1]:
                message = f"must be sorted (after {times[i - 1]:g}), got {times[i]:g}"
                out.append((("times", i), message))
        raise_problems(out)
        return self

    @property
    def kind(self) -> Literal["every", "times", "infusion"]:
        """Which schedule: ``every``, ``times`` or ``infusion``."""
        if self.every is not None:
            return "every"
        return "times" if self.times is not None else "infusion"


class Drug(ScenarioModel):
    """A drug: its effect (Hill curve), elimination and standard (maximum tolerated) dosing."""

    name: Identifier
    """Drug name (unique)."""
    pathway: Identifier
    """The signalling pathway the drug inhibits (default: the drug's name); bypass mechanisms
    act per pathway."""
    mode: Literal["kill", "cytostatic"]
    """kill: the effect adds to the death rate; cytostatic: the effect is the fraction of the
    birth rate removed."""
    emax: Rate
    """Maximum effect: kill, per day (> 0); cytostatic, a fraction in (0, 1]."""
    ic50: Concentration
    """Concentration of half-maximal effect, conc (> 0)."""
    hill: PositiveNumber = 1.0
    """Hill coefficient (> 0)."""
    half_life: Days
    """Elimination half-life, days (> 0)."""
    dosing: Dosing
    """The standard schedule (used at ``dose_factor`` 1 by regimens)."""

    @model_validator(mode="before")
    @classmethod
    def _pathway_defaults_to_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "pathway" not in data:
            name = data.get("name")
            if isinstance(name, str) and _IDENTIFIER.fullmatch(name):
                return {**data, "pathway": name}
        return data

    @model_validator(mode="after")
    def _fraction_if_cytostatic(self) -> Drug:
        if self.mode == "cytostatic" and self.emax > 1:
            message = f"must be in (0, 1] for a cytostatic drug (a fraction), got {self.emax:g}"
            raise_problems([(("emax",), message)])
        return self

    @property
    def elimination_rate(self) -> float:
        """k = ln 2 / half_life, per day."""
        return math.log(2) / self.half_life

    def steady_exposure(self, horizon_days: float) -> float:
        """Long-run mean plasma concentration of the standard dosing, conc.

        every: ``dose / (k every)``; infusion: ``infusion / k``; times: the total dose of the
        boluses given before the horizon / (k horizon) -- when ``horizon_days`` is 0, all boluses
        over the time of the last one (or over the half-life if that is 0 too).
        """
        if horizon_days < 0:
            raise ValueError(f"horizon_days: must be >= 0, got {horizon_days}")
        k, dosing = self.elimination_rate, self.dosing
        if dosing.infusion is not None:
            return dosing.infusion / k
        assert dosing.dose is not None
        if dosing.every is not None:
            return dosing.dose / (k * dosing.every)
        times = dosing.times or ()
        if horizon_days > 0:
            given = sum(1 for t in times if t < horizon_days)
            return given * dosing.dose / (k * horizon_days)
        window = max(times) if times and max(times) > 0 else self.half_life
        return len(times) * dosing.dose / (k * window)


def _drug_entry(value: Any) -> Any:
    return {"drug": value} if isinstance(value, str) else value


class RegimenDrug(ScenarioModel):
    """A drug of a regimen (a plain name in YAML means ``dose_factor: 1``)."""

    drug: Identifier
    """The drug (a name in ``drugs``)."""
    dose_factor: PositiveNumber = 1.0
    """Multiplies the drug's standard dose and infusion rate (> 0)."""


class Regimen(ScenarioModel):
    """A named combination of drugs given together, each at its standard schedule."""

    name: Identifier
    """Regimen name (unique)."""
    drugs: Annotated[
        tuple[Annotated[RegimenDrug, BeforeValidator(_drug_entry)], ...], Field(min_length=1)
    ]
    """Drug names, or ``{drug, dose_factor}`` mappings; each drug at most once."""
    combination: Literal["bliss", "highest_single_agent"] = "bliss"
    """bliss: the drugs act independently (per-step survival probabilities and birth fractions
    multiply); highest_single_agent: only the strongest drug acts."""


class Treatment(ScenarioModel):
    """One fixed regimen, from detection (treatment start) to the horizon."""

    regimen: Identifier
    """The regimen given (a name in ``regimens``)."""
