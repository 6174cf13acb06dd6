"""The ``strategies`` section: treatment strategies, each a policy for choosing the regimen
given to each simulated tumour.

A strategy is a mapping whose ``kind`` selects the model (a discriminated union). All times
are days from treatment start (detection); the engine simulates every strategy it is asked
for and compiles it from :class:`StrategyPlan` (:meth:`Strategy.plan`).

* ``continuous``: one regimen throughout (``treatment: {regimen: X}`` is short for this);
* ``intermittent``: ``regimen`` for ``on_days``, then ``off_regimen`` (or nothing) for
  ``off_days``, repeated (e.g. high-dose pulses with low-dose continuous therapy,
  Chmielecki et al. 2011);
* ``sequential``: the ``regimens`` in order, switching to the next at imaging progression;
* ``adaptive``: treat until the observed burden is <= ``frac_off`` x baseline, pause until it
  is >= ``frac_on`` x baseline (Zhang et al. 2017), optionally through ``dose_levels``;
* ``ctdna_switch``: like sequential, but also switching when ctDNA detects a monitored
  variant resistant to the current regimen.

sequential, adaptive and ctdna_switch need a ``monitoring`` section (ctdna_switch with
``monitoring.ctdna``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from oncosweep.scenario._types import Bounds, Days, Identifier, Number, ScenarioModel
from oncosweep.scenario.errors import Loc, Problem, raise_problems
from oncosweep.scenario.simulation import to_steps

__all__ = [
    "KINDS_WITH_MONITORING",
    "MAX_STRATEGIES",
    "Adaptive",
    "Continuous",
    "CtdnaSwitch",
    "Intermittent",
    "Sequential",
    "Strategy",
    "StrategyPlan",
]

#: Strategies per scenario.
MAX_STRATEGIES = 16
#: Kinds that act on the observations of clinic visits (they need a monitoring section).
KINDS_WITH_MONITORING = ("sequential", "adaptive", "ctdna_switch")

_Lines = Annotated[tuple[Identifier, ...], Field(min_length=2)]
_DoseLevel = Annotated[Number, Bounds(gt=0, le=1)]


@dataclass(frozen=True)
class StrategyPlan:
    """A strategy resolved for the engine (steps for time step ``dt``)."""

    name: str
    """Name of the strategy."""
    kind: str
    """continuous, intermittent, sequential, adaptive or ctdna_switch."""
    regimens: tuple[str, ...]
    """The regimen lines: (regimen,) for continuous, intermittent and adaptive; the listed
    regimens, in order, for sequential and ctdna_switch."""
    off_regimen: str | None = None
    """Intermittent: the regimen given during off periods (None: nothing)."""
    on_steps: int = 0
    """Intermittent: steps on per cycle, from treatment start (0 for other kinds)."""
    off_steps: int = 0
    """Intermittent: steps off per cycle (0 for other kinds)."""
    frac_off: float = 0.0
    """Adaptive: step one dose level down at observed <= frac_off x baseline (0 otherwise)."""
    frac_on: float = 0.0
    """Adaptive: step one dose level up at observed >= frac_on x baseline (0 otherwise)."""
    dose_levels: tuple[float, ...] = (1.0,)
    """Adaptive: dose factors, strictly descending in (0, 1], below the last is off; (1.0,)
    for every other kind."""


class _StrategyBase(ScenarioModel):
    name: Identifier
    """Strategy name (unique)."""

    @classmethod
    def kind_name(cls) -> str:
        """The ``kind`` tag of this model."""
        return str(get_args(cls.model_fields["kind"].annotation)[0])

    @classmethod
    def unused_field_message(cls, key: str) -> str | None:
        """The message for a ``key`` of another kind given to this one (None: unknown key);
        :func:`~oncosweep.scenario.errors.errors_from_validation` uses it."""
        if any(key in model.model_fields for model in _MODELS):
            return f"not used by kind {cls.kind_name()!r}"
        return None

    def regimen_refs(self) -> list[tuple[Loc, str]]:
        """Every regimen name the strategy gives, with its location in the strategy."""
        refs: list[tuple[Loc, str]] = []
        if isinstance(regimen := getattr(self, "regimen", None), str):
            refs.append((("regimen",), regimen))
        for k, name in enumerate(getattr(self, "regimens", ())):
            refs.append((("regimens", k), name))
        if isinstance(off := getattr(self, "off_regimen", None), str):
            refs.append((("off_regimen",), off))
        return refs

    def plan(self, dt: float) -> StrategyPlan:
        """The strategy resolved for time step ``dt`` (days)."""
        lines = tuple(name for loc, name in self.regimen_refs() if loc[0] != "off_regimen")
        return StrategyPlan(name=self.name, kind=self.kind_name(), regimens=lines)


class Continuous(_StrategyBase):
    """One regimen from treatment start to the horizon."""

    kind: Literal["continuous"]
    """``continuous``."""
    regimen: Identifier
    """The regimen given (a name in ``regimens``)."""


class Intermittent(_StrategyBase):
    """On/off cycles by time from treatment start: on for on_days, off for off_days, repeat."""

    kind: Literal["intermittent"]
    """``intermittent``."""
    regimen: Identifier
    """The regimen given during on periods (a name in ``regimens``)."""
    off_regimen: Identifier | None = None
    """The regimen given during off periods, e.g. a low-dose one (null: no drug)."""
    on_days: Days
    """Days on per cycle (> 0), a whole multiple of simulation.dt; the first cycle starts on
    at treatment start."""
    off_days: Days
    """Days off per cycle (> 0), a whole multiple of simulation.dt."""

    def plan(self, dt: float) -> StrategyPlan:
        """The strategy resolved for time step ``dt`` (days)."""
        return StrategyPlan(
            name=self.name,
            kind=self.kind,
            regimens=(self.regimen,),
            off_regimen=self.off_regimen,
            on_steps=to_steps(self.on_days, dt),
            off_steps=to_steps(self.off_days, dt),
        )


class Sequential(_StrategyBase):
    """Regimen lines in order; switch to the next line at imaging progression."""

    kind: Literal["sequential"]
    """``sequential``."""
    regimens: _Lines
    """The lines, in order (at least 2 distinct names in ``regimens``)."""


class Adaptive(_StrategyBase):
    """Adaptive therapy (Zhang et al. 2017): treat until the observed burden is <= frac_off x
    baseline, pause until it is >= frac_on x baseline (baseline: the visit at treatment start).

    With several ``dose_levels`` the policy steps one level down (towards off) at <= frac_off
    and one level up at >= frac_on; ``[1.0]`` is pure on/off.
    """

    kind: Literal["adaptive"]
    """``adaptive``."""
    regimen: Identifier
    """The regimen given (a name in ``regimens``), at dose_level x its doses."""
    frac_off: Annotated[Number, Bounds(gt=0, lt=1)] = 0.5
    """Step down at observed burden <= frac_off x baseline, in (0, 1)."""
    frac_on: Annotated[Number, Bounds(gt=0)] = 1.0
    """Step up at observed burden >= frac_on x baseline, > frac_off."""
    dose_levels: Annotated[tuple[_DoseLevel, ...], Field(min_length=1)] = (1.0,)
    """Dose factors of the regimen, strictly descending, in (0, 1]; below the last: off."""

    @model_validator(mode="after")
    def _ordered(self) -> Adaptive:
        out: list[Problem] = []
        if self.frac_on <= self.frac_off:
            message = f"must be > frac_off ({self.frac_off:g}), got {self.frac_on:g}"
            out.append((("frac_on",), message))
        levels = self.dose_levels
        for i in range(1, len(levels)):
            if levels[i] >= levels[i - 1]:
                message = f"must be < {levels[i - 1]:g} (strictly descending), got {levels[i]:g}"
                out.append((("dose_levels", i), message))
        raise_problems(out)
        return self

    def plan(self, dt: float) -> StrategyPlan:
        """The strategy resolved for time step ``dt`` (days)."""
        return StrategyPlan(
            name=self.name,
            kind=self.kind,
            regimens=(self.regimen,),
            frac_off=self.frac_off,
            frac_on=self.frac_on,
            dose_levels=self.dose_levels,
        )


class CtdnaSwitch(_StrategyBase):
    """Like sequential, but also switch to the next line when ctDNA detects a monitored
    variant that is resistant to the current regimen."""

    kind: Literal["ctdna_switch"]
    """``ctdna_switch``."""
    regimens: _Lines
    """The lines, in order (at least 2 distinct names in ``regimens``)."""


_MODELS: tuple[type[_StrategyBase], ...] = (
    Continuous,
    Intermittent,
    Sequential,
    Adaptive,
    CtdnaSwitch,
)

#: One strategy; the ``kind`` key selects the model.
Strategy = Annotated[
    Continuous | Intermittent | Sequential | Adaptive | CtdnaSwitch, Field(discriminator="kind")
]
