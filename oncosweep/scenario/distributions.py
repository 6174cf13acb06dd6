"""Probability distributions in place of numbers: virtual patient populations.

A scalar model parameter may be a distribution, written in YAML as a mapping with a
``distribution`` key instead of a number::

    birth_rate: {distribution: lognormal, median: 0.25, sigma: 0.3}

Each realization draws its own value ``x = Q(u)``, the inverse CDF of the law at a uniform
``u`` in ``(0, 1)`` (``oncosweep.population_math``). Every number of a distribution
carries the unit of the parameter it stands for (a rate in per day, ...), except the
dimensionless ``sigma`` of a lognormal, the ``a``, ``b`` of a beta, the ``shape`` of a gamma
and the probabilities of a choice.

Kinds (``spec()`` parameter order in brackets): lognormal (median, sigma), normal (mean, sd),
truncnormal (mean, sd, low, high), uniform (low, high), loguniform (low, high),
beta (a, b, low, high), gamma (shape, scale), choice (values..., probabilities...).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from oncosweep.scenario._types import (
    Bounds,
    Number,
    PositiveNumber,
    Probability,
    ScenarioModel,
    as_number_or_inf,
)
from oncosweep.scenario.errors import (
    FieldError,
    ScenarioError,
    errors_from_validation,
    raise_problems,
)

__all__ = [
    "DISTRIBUTION_KINDS", "Beta", "Choice", "Distribution", "Gamma", "LogNormal", "LogUniform",
    "Normal", "TruncNormal", "Uniform", "parse_distribution",
]  # fmt: skip

DISTRIBUTION_KINDS: tuple[str, ...] = (
    "lognormal", "normal", "truncnormal", "uniform", "loguniform", "beta", "gamma", "choice"
)  # fmt: skip
#: The most values a choice may list.
MAX_CHOICES = 256
#: How far the probabilities of a choice may sum from 1.
SUM_TOLERANCE = 1e-9
#: The smallest and largest uniform a draw uses (population_math.U_MIN, U_MAX).
_U_EXTREMES = (2.0**-53, 1.0 - 2.0**-53)

_NonNegative = Annotated[Number, Bounds(ge=0)]


def _as_bound(value: Any, infinity: float) -> float:
    """A number, or the one infinity ``infinity`` (``.inf`` or ``-.inf``) allowed."""
    words = "must be a number or " + (".inf" if infinity > 0 else "-.inf")
    if isinstance(value, str) and value.strip().lower() == "-.inf":
        value = "-inf"
    try:
        number = as_number_or_inf(value)
    except PydanticCustomError as exc:
        if exc.type != "number_type":
            raise
        raise PydanticCustomError("number_type", words) from None
    if math.isinf(number) and number != infinity:
        raise PydanticCustomError("number_type", words)
    return number


#: A lower bound: a number or ``-.inf``; an upper bound: a number or ``.inf``.
_Low = Annotated[float, BeforeValidator(lambda value: _as_bound(value, -math.inf))]
_High = Annotated[float, BeforeValidator(lambda value: _as_bound(value, math.inf))]


def _no_default(schema: dict[str, Any]) -> None:
    """JSON has no infinities: the JSON schema leaves an infinite default out."""
    schema.pop("default", None)


def _num(x: float) -> str:
    """``0.25``, ``3``, ``1e-07``, ``-inf``: short and exact."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


class _Law(ScenarioModel):
    """What every distribution offers; subclasses declare the ``distribution`` literal."""

    distribution: str
    #: Fields ``low``, ``high`` checked as ``high > low`` (">"), ``high >= low`` (">="), or none.
    _bounds: ClassVar[str] = ""

    @model_validator(mode="after")
    def _ordered(self) -> _Law:
        if self._bounds:
            low, high = getattr(self, "low"), getattr(self, "high")  # noqa: B009
            if high < low or (self._bounds == ">" and high == low):
                message = f"must be {self._bounds} low ({_num(low)}), got {_num(high)}"
                raise_problems([(("high",), message)])
        return self

    def spec(self) -> tuple[str, tuple[float, ...]]:
        """``(kind, parameters)`` for the engine, parameters in the documented order."""
        names = [n for n in type(self).model_fields if n != "distribution"]
        return self.distribution, tuple(float(getattr(self, n)) for n in names)

    def is_degenerate(self) -> bool:
        """Whether every draw gives the same value."""
        return False

    def reference_value(self) -> float:
        """The median (a degenerate law: its single value, exactly), in the parameter's unit."""
        return self._quantile(0.5)[0]

    def extremes(self) -> tuple[float, float]:
        """The smallest and largest values a draw can take: ``Q(2**-53)``, ``Q(1 - 2**-53)``."""
        low, high = self._quantile(*_U_EXTREMES)
        return low, high

    def describe(self) -> str:
        """E.g. ``lognormal(median=0.25, sigma=0.3)``, ``choice(values=[1, 2])``."""
        parts = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name != "distribution" and value is not None:
                many = isinstance(value, tuple)
                text = f"[{', '.join(map(_num, value))}]" if many else _num(value)
                parts.append(f"{name}={text}")
        return f"{self.distribution}({', '.join(parts)})"

    def _quantile(self, *u: float) -> list[float]:
        from oncosweep.population_math import quantile

        kind, params = self.spec()
        return [float(x) for x in quantile(kind, params, np.array(u, dtype=np.float64))]


class LogNormal(_Law):
    """``median exp(sigma Z)``, Z standard normal."""

    distribution: Literal["lognormal"] = "lognormal"
    median: PositiveNumber
    """The median, > 0 (the parameter's unit)."""
    sigma: _NonNegative
    """Standard deviation of the natural log, >= 0 (0: always the median)."""

    def is_degenerate(self) -> bool:
        return self.sigma == 0

    def reference_value(self) -> float:
        return self.median


class Normal(_Law):
    """``mean + sd Z``, Z standard normal (may be negative: mind the parameter's range)."""

    distribution: Literal["normal"] = "normal"
    mean: Number
    """The mean (the parameter's unit)."""
    sd: _NonNegative
    """The standard deviation, >= 0 (0: always the mean)."""

    def is_degenerate(self) -> bool:
        return self.sd == 0

    def reference_value(self) -> float:
        return self.mean


class TruncNormal(_Law):
    """A normal law restricted to [low, high] (renormalized, not clipped)."""

    distribution: Literal["truncnormal"] = "truncnormal"
    mean: Number
    """The mean of the normal law before truncation (the parameter's unit)."""
    sd: _NonNegative
    """Its standard deviation, >= 0 (0: always the mean, which must be in [low, high])."""
    low: _Low = Field(-math.inf, json_schema_extra=_no_default)
    """The smallest value, a number or -.inf (the default)."""
    high: _High = Field(math.inf, json_schema_extra=_no_default)
    """The largest value, a number or .inf (the default), > low."""

    _bounds = ">"

    @model_validator(mode="after")
    def _mean_inside(self) -> TruncNormal:
        if self.sd == 0 and not self.low <= self.mean <= self.high:
            message = f"must be in [low, high] = [{_num(self.low)}, {_num(self.high)}] when sd is 0"
            raise_problems([(("mean",), f"{message}, got {_num(self.mean)}")])
        return self

    def is_degenerate(self) -> bool:
        return self.sd == 0

    def reference_value(self) -> float:
        return self.mean if self.sd == 0 else super().reference_value()


class Uniform(_Law):
    """Uniform on [low, high]."""

    distribution: Literal["uniform"] = "uniform"
    low: Number
    """The smallest value (the parameter's unit)."""
    high: Number
    """The largest value, >= low (== low: always low)."""

    _bounds = ">="

    def is_degenerate(self) -> bool:
        return self.low == self.high

    def reference_value(self) -> float:
        return self.low if self.low == self.high else self.low + (self.high - self.low) / 2


class LogUniform(_Law):
    """Log-uniform on [low, high]: ``log x`` uniform on [log low, log high]."""

    distribution: Literal["loguniform"] = "loguniform"
    low: PositiveNumber
    """The smallest value, > 0 (the parameter's unit)."""
    high: PositiveNumber
    """The largest value, >= low (== low: always low)."""

    _bounds = ">="

    def is_degenerate(self) -> bool:
        return self.low == self.high

    def reference_value(self) -> float:
        """The geometric mean ``sqrt(low high)``, the median."""
        if self.low == self.high:
            return self.low
        return math.sqrt(self.low) * math.sqrt(self.high)


class Beta(_Law):
    """A beta law scaled to [low, high]: ``low + (high - low) B``, B ~ Beta(a, b)."""

    distribution: Literal["beta"] = "beta"
    a: PositiveNumber
    """First shape parameter, > 0 (dimensionless)."""
    b: PositiveNumber
    """Second shape parameter, > 0 (dimensionless)."""
    low: Number = 0.0
    """The smallest value (default 0; the parameter's unit)."""
    high: Number = 1.0
    """The largest value, > low (default 1)."""

    _bounds = ">"


class Gamma(_Law):
    """A gamma law: density proportional to ``x**(shape - 1) exp(-x / scale)``."""

    distribution: Literal["gamma"] = "gamma"
    shape: PositiveNumber
    """Shape parameter, > 0 (dimensionless; the mean is shape x scale)."""
    scale: PositiveNumber
    """Scale parameter, > 0 (the parameter's unit)."""


class Choice(_Law):
    """One of the listed values, with the listed probabilities (default: equally likely)."""

    distribution: Literal["choice"] = "choice"
    values: Annotated[tuple[Number, ...], Field(min_length=1, max_length=MAX_CHOICES)]
    """The possible values (the parameter's unit), 1 to 256 of them."""
    probabilities: tuple[Probability, ...] | None = None
    """Probability of each value, in [0, 1], summing to 1 (null: equal)."""

    @model_validator(mode="after")
    def _consistent(self) -> Choice:
        p, n = self.probabilities, len(self.values)
        if p is None:
            return self
        if len(p) != n:
            message = f"has {len(p)} entries but values has {n}"
            raise_problems([(("probabilities",), message)])
        total = math.fsum(p)
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise_problems([(("probabilities",), f"must sum to 1, got {total:.12g}")])
        return self

    @property
    def weights(self) -> tuple[float, ...]:
        """The probabilities, given or equal."""
        n = len(self.values)
        return self.probabilities if self.probabilities is not None else (1.0 / n,) * n

    def spec(self) -> tuple[str, tuple[float, ...]]:
        """``("choice", (v_1, ..., v_n, p_1, ..., p_n))``."""
        return "choice", (*self.values, *self.weights)

    def _possible(self) -> list[float]:
        return [v for v, p in zip(self.values, self.weights, strict=True) if p > 0]

    def is_degenerate(self) -> bool:
        return len(set(self._possible())) == 1

    def reference_value(self) -> float:
        """The lower median: the smallest value whose cumulative probability (values in
        increasing order) reaches 1/2."""
        pairs = sorted(zip(self.values, self.weights, strict=True))
        total = math.fsum(self.weights)
        for i, (value, _) in enumerate(pairs):
            if math.fsum(p for _, p in pairs[: i + 1]) / total >= 0.5:
                return value
        return pairs[-1][0]  # pragma: no cover (the last cumulative probability is 1)

    def extremes(self) -> tuple[float, float]:
        possible = self._possible()
        return min(possible), max(possible)


Distribution = Annotated[
    LogNormal | Normal | TruncNormal | Uniform | LogUniform | Beta | Gamma | Choice,
    Field(discriminator="distribution"),
]


class _Holder(ScenarioModel):
    value: Distribution


def parse_distribution(value: Any) -> Distribution:
    """Validate one distribution mapping; raises ScenarioError (paths relative to it)."""
    try:
        return _Holder.model_validate({"value": value}).value
    except ValidationError as exc:
        errors = errors_from_validation(exc, _Holder)
    raise ScenarioError([_relative(e) for e in errors]) from None


def _relative(error: FieldError) -> FieldError:
    """``value.sigma`` -> ``sigma``; ``value`` (not a mapping) -> ``<root>``."""
    path = "<root>" if error.path == "value" else error.path.removeprefix("value.")
    return FieldError(path, error.message)
