"""The ``simulation`` section (time stepping and budgets) and the ``trace`` section."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, model_validator
from pydantic_core import PydanticCustomError

from oncosweep import limits
from oncosweep.scenario._types import (
    Days,
    JsonExtra,
    NonNegativeDays,
    NonNegativeInt,
    ScenarioModel,
    as_integer,
)
from oncosweep.scenario.errors import Loc, Problem, raise_problems, short_repr

__all__ = [
    "MAX_STEPS",
    "Simulation",
    "Trace",
    "round_3_digits",
    "step_count_problems",
    "step_multiple_problems",
    "to_steps",
    "whole_steps",
]

#: Pre-detection plus post-detection steps must stay below this (32-bit step counters).
MAX_STEPS = 2**31
#: Realization indices: the RNG counter has 64 bits for them, the engines signed 64-bit words.
MAX_REALIZATION = limits.MAX_REALIZATION_INDEX
_EVERY_RTOL = 1e-9
_INDEX_SCHEMA = {"type": "integer", "minimum": 0}
_REALIZATIONS_SCHEMA = {
    "anyOf": [_INDEX_SCHEMA, {"type": "array", "items": _INDEX_SCHEMA, "uniqueItems": True}]
}


def round_3_digits(x: float, *, up: bool, ok: Callable[[float], bool]) -> str:
    """``x`` rounded (up or down) to 3 significant digits, nudged until ``ok(float(result))``.

    Used for suggested fixes, so that the printed value itself passes the check.
    """
    value = Decimal(repr(float(x)))
    quantum = Decimal(1).scaleb(value.adjusted() - 2)
    result = value.quantize(quantum, rounding=ROUND_CEILING if up else ROUND_FLOOR)
    for _ in range(1000):
        if ok(float(result)) and result > 0:
            break
        result += quantum if up else -quantum
    result = result.normalize()
    return format(result, "f") if -4 <= result.adjusted() < 9 else format(result, "e")


class Simulation(ScenarioModel):
    """Time stepping and the time budgets."""

    dt: Days
    """Time step, days (> 0)."""
    scheme: Literal["exact", "euler"] = "exact"
    """How a step turns rates into cell counts. ``exact``: each cell type's birth and death
    over the step follow Kendall's exact law of the linear birth–death process (drug effects
    integrated over the step), with mutation, switching and migration to second order in dt;
    ``euler``: per-step probabilities rate x dt (first order in dt; kept for comparison).
    See docs/model.md, "Time stepping"."""
    horizon: NonNegativeDays = 0.0
    """Days simulated after detection (treatment start), >= 0."""
    max_detection_time: Days = 36500.0
    """Pre-detection time budget, days, summed over all restarts."""
    max_restarts: NonNegativeInt = 10000
    """A realization whose tumour dies out before detection restarts from a founder population
    at most this many times."""

    @model_validator(mode="after")
    def _steps_fit(self) -> Simulation:
        raise_problems(self.step_problems())
        return self

    def step_problems(self) -> list[Problem]:
        """A problem at ``dt`` when the step count would overflow the engine's counters."""
        total = self.max_detection_time + self.horizon
        if total / self.dt < MAX_STEPS:
            return []
        fix = round_3_digits(total / MAX_STEPS, up=True, ok=lambda dt: total / dt < MAX_STEPS)
        return [
            (
                ("dt",),
                f"(max_detection_time + horizon) / dt = {total / self.dt:.3g} steps, "
                f"must be < 2**31; increase dt to >= {fix} days "
                "or shorten max_detection_time or horizon",
            )
        ]


def _realizations(value: Any) -> int | tuple[int, ...]:
    """Validate ``trace.realizations``: a count N (indices 0..N-1) or a list of indices."""
    if isinstance(value, list | tuple):
        indices: list[int] = []
        problems: list[Problem] = []
        for i, item in enumerate(value):
            try:
                index = as_integer(item)
            except PydanticCustomError as exc:
                problems.append(((i,), f"{exc.message()}, got {short_repr(item)}"))
                continue
            if not 0 <= index <= MAX_REALIZATION:
                problems.append(((i,), f"must be in [0, 2**63 - 1], got {short_repr(item)}"))
            elif index in indices:
                problems.append(((i,), f"duplicate realization index {index}"))
            indices.append(index)
        raise_problems(problems)
        return tuple(indices)
    if isinstance(value, dict) or value is None:
        raise PydanticCustomError(
            "realizations_type", "must be a number of realizations or a list of indices"
        )
    count = as_integer(value)
    if count < 0:
        raise PydanticCustomError("out_of_range", "must be >= 0")
    if count > MAX_REALIZATION + 1:
        raise PydanticCustomError("out_of_range", "must be <= 2**63")
    return count


class Trace(ScenarioModel):
    """Which realizations record full trajectories, and how often."""

    realizations: Annotated[
        int | tuple[int, ...], BeforeValidator(_realizations), JsonExtra(_REALIZATIONS_SCHEMA)
    ] = 0
    """N (global realization indices 0..N-1) or a list of distinct indices >= 0."""
    every: Days | None = None
    """Sampling interval, days: a whole multiple of dt (null: every step)."""

    def indices(self) -> tuple[int, ...]:
        """The traced global realization indices."""
        if isinstance(self.realizations, int):
            return tuple(range(self.realizations))
        return self.realizations

    def stride(self, dt: float) -> int:
        """Steps between two trace samples for time step ``dt`` (days)."""
        return 1 if self.every is None else max(1, to_steps(self.every, dt))

    def every_problems(self, dt: float) -> list[Problem]:
        """A problem at ``every`` unless it is a whole multiple (>= 1) of ``dt`` that the
        engine's step counter can hold."""
        every = self.every
        if every is not None and (too_long := step_count_problems(("every",), every, dt)):
            return too_long
        if every is None or whole_steps(every, dt) not in (None, 0):
            return []
        if every < dt:
            return [(("every",), f"must be >= dt ({dt:g} days), got {every:g}")]
        low = math.floor(every / dt)
        return [
            (
                ("every",),
                f"must be a whole multiple of dt ({dt:g} days), e.g. {low * dt:.6g} or "
                f"{(low + 1) * dt:.6g}, got {every:g}",
            )
        ]


def step_count_problems(loc: Loc, days: float, dt: float) -> list[Problem]:
    """A problem at ``loc`` when ``days`` is more time steps of ``dt`` than the engine's 32-bit
    step word holds (``limits.MAX_STEPS``): such a time can never be reached, and its step
    count would overflow the engine's integer parameters."""
    if days / dt <= limits.MAX_STEPS:
        return []
    bound = limits.MAX_STEPS * dt
    return [(loc, f"must be at most {bound:.6g} days ((2**32 - 1) x simulation.dt: the engine "
                  f"counts steps in 32 bits), got {days:g}")]


def whole_steps(days: float, dt: float) -> int | None:
    """``n`` if ``days`` is ``n * dt`` for a whole ``n >= 0`` (to 1e-9 relative), else None."""
    steps = days / dt + 0.5
    if not math.isfinite(steps):
        return None
    n = math.floor(steps)
    return n if abs(days - n * dt) <= _EVERY_RTOL * days else None


def to_steps(days: float, dt: float) -> int:
    """Whole time steps in ``days``: the one days-to-steps rule of oncosweep.

    ``n`` when ``days`` is ``n * dt`` to 1e-9 relative (dosing times, visits, strategy
    periods and ``trace.every`` are validated to be such multiples); any other time (a
    ``horizon`` or ``max_detection_time`` that is no multiple of ``dt``) is rounded down, so
    that the simulation never runs beyond the time given."""
    steps = whole_steps(days, dt)
    return math.floor(days / dt) if steps is None else steps


def step_multiple_problems(loc: Loc, days: float, dt: float) -> list[Problem]:
    """A problem at ``loc`` unless ``days`` is a whole multiple (>= 1) of ``dt``:
    ``must be >= simulation.dt (0.1 days), got 0.05`` or ``must be a whole multiple of ...``,
    or at most ``limits.MAX_STEPS`` steps (:func:`step_count_problems`)."""
    if too_long := step_count_problems(loc, days, dt):
        return too_long
    if whole_steps(days, dt) not in (None, 0):
        return []
    relation = "be >= " if days < dt else "be a whole multiple of "
    return [(loc, f"must {relation}simulation.dt ({dt:g} days), got {days:g}")]
