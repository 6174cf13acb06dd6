"""The ``sweep`` section: a cartesian grid of scenario variants, each simulated for the same
number of realizations.

Each axis of the grid is one of

* a parameter: ``axes: {tumour.loci[0].mutation_rate: [1.0e-9, 1.0e-8]}``, any scalar field of
  the scenario by its path (:mod:`~oncosweep.scenario.params`), named by the path;
* the strategy: ``axes: {strategy: [continuous, adaptive]}``, names of the scenario's
  strategies; every strategy of one biology point sees the same tumours;
* a zip group: ``zip: [{name: potency, values: {drugs[0].emax: [...], drugs[0].ic50: [...]}}]``,
  several parameters that move together (lists of one length), named by ``name``.

Axes are in the order given, ``axes`` first, then the ``zip`` groups. Here only the section's
own shape is checked; whether the paths exist and the values are valid at the grid points is
checked against the rest of the scenario by :mod:`~oncosweep.scenario.sweep_checks`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from oncosweep.scenario._types import (
    Bounds,
    Identifier,
    Integer,
    JsonExtra,
    ScenarioModel,
    as_integer,
)
from oncosweep.scenario.errors import Problem, raise_problems, short_repr
from oncosweep.scenario.params import PATH_EXAMPLE, parse_path

__all__ = [
    "MAX_GRID_POINTS",
    "STRATEGY_AXIS",
    "FrozenDict",
    "Sweep",
    "SweepAxis",
    "ZipGroup",
]

#: Grid points per sweep (the product of the axis lengths, the strategy axis included).
MAX_GRID_POINTS = 10**6
#: The axis path that selects a strategy by name.
STRATEGY_AXIS = "strategy"
_MAX_SEED = 2**32 - 1
_SCALARS = (bool, int, float, str)


class FrozenDict(dict[str, Any]):
    """A dict that cannot be changed (and so can be hashed), for the mappings of the frozen
    models; it compares, prints, copies and pickles like a plain dict."""

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a sweep mapping cannot be changed")

    __setitem__ = __delitem__ = _immutable
    clear = pop = popitem = setdefault = update = _immutable  # type: ignore[assignment]
    __ior__ = _immutable  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


@dataclass(frozen=True)
class SweepAxis:
    """One dimension of the sweep grid."""

    name: str
    """The axis name: the parameter path, ``strategy``, or the zip group's name."""
    values: tuple[Any, ...]
    """Coordinate labels along the axis: the values (a parameter axis), the strategy names
    (the strategy axis), or 0 .. n-1 (a zip group)."""
    parameters: FrozenDict
    """Parameter path -> its values along the axis (one entry unless a zip group; the strategy
    axis has ``{'strategy': names}``)."""
    is_strategy: bool
    """True for the strategy axis (it does not change the simulated biology)."""


def _value_problems(values: Any, *, distinct: bool) -> list[Problem]:
    """Problems of one list of axis values (relative to the list)."""
    if not isinstance(values, list | tuple):
        return [((), f"must be a list of values, got {short_repr(values)}")]
    if not values:
        return [((), "must list at least one value")]
    out: list[Problem] = []
    seen: dict[tuple[bool, Any], int] = {}
    for i, value in enumerate(values):
        if value is not None and not isinstance(value, _SCALARS):
            message = f"must be a number, a string, true/false or null, got {short_repr(value)}"
            out.append(((i,), message))
        elif distinct and not (isinstance(value, float) and math.isnan(value)):
            first = seen.setdefault((isinstance(value, bool), value), i)
            if first != i:
                message = f"duplicate value {short_repr(value)} (already given at index {first})"
                out.append(((i,), message))
    return out


def _value_lists(value: Any, *, distinct: bool, zipped: bool) -> dict[str, tuple[Any, ...]]:
    """Check a mapping of parameter path -> list of values; raise its problems."""
    if not isinstance(value, Mapping):
        raise PydanticCustomError("dict_type", "must be a mapping")
    if zipped and not value:
        raise PydanticCustomError("empty_zip", "must give at least one parameter path")
    out: list[Problem] = []
    for key, values in value.items():
        if key == STRATEGY_AXIS and zipped:
            message = "the strategy axis cannot be zipped with parameters (give it under axes)"
            out.append(((key,), message))
        elif key != STRATEGY_AXIS and parse_path(key) is None:
            message = f"not a parameter path (like {PATH_EXAMPLE}), got {short_repr(key)}"
            out.append(((str(key),), message))
        out += [((str(key), *loc), m) for loc, m in _value_problems(values, distinct=distinct)]
    raise_problems(out)
    return {str(k): tuple(v) for k, v in value.items()}


def _axes(value: Any) -> dict[str, tuple[Any, ...]]:
    return _value_lists(value, distinct=True, zipped=False)


def _zipped(value: Any) -> dict[str, tuple[Any, ...]]:
    return _value_lists(value, distinct=False, zipped=True)


def _seed(value: int) -> int:
    if not 0 <= value <= _MAX_SEED:
        raise PydanticCustomError("out_of_range", "must be in [0, 2**32 - 1]")
    return value


_VALUE_SCHEMA = JsonExtra({"type": ["number", "string", "boolean", "null"]})
_ValueLists = dict[str, tuple[Annotated[Any, _VALUE_SCHEMA], ...]]
_Count = Annotated[Integer, Bounds(ge=1, le=2**31 - 1)]


class ZipGroup(ScenarioModel):
    """Parameters that move together: one axis, the i-th value of every list at index i."""

    name: Identifier
    """The axis name."""
    values: Annotated[_ValueLists, BeforeValidator(_zipped), AfterValidator(FrozenDict)]
    """Parameter path -> its values along the axis; all lists have the same length."""

    @model_validator(mode="after")
    def _same_length(self) -> ZipGroup:
        (first, length), *rest = ((k, len(v)) for k, v in self.values.items())
        out: list[Problem] = []
        for key, n in rest:
            if n != length:
                message = (
                    f"has {n} value{'' if n == 1 else 's'}, but {first} has {length} (the "
                    "lists of a zip group move together and must have the same length)"
                )
                out.append((("values", key), message))
        raise_problems(out)
        seen: dict[tuple[tuple[bool, Any], ...], int] = {}
        for i, point in enumerate(zip(*self.values.values(), strict=True)):
            first_at = seen.setdefault(tuple((isinstance(v, bool), v) for v in point), i)
            if first_at != i:
                message = f"duplicate point: the same values as at index {first_at}"
                out.append((("values", first, i), message))
        raise_problems(out)
        return self

    @property
    def length(self) -> int:
        """The number of points along the axis."""
        return len(next(iter(self.values.values())))


class Sweep(ScenarioModel):
    """A parameter sweep: the grid, and the realizations simulated at each point."""

    realizations: _Count
    """Realizations (simulated tumours) per grid point, an integer >= 1."""
    chunk: _Count = 1000
    """Realizations per unit of work, an integer >= 1 (default: min(realizations, 1000)); the
    last unit of a point is shorter when it does not divide realizations."""
    seed: Annotated[
        Integer, AfterValidator(_seed), JsonExtra({"minimum": 0, "maximum": _MAX_SEED})
    ] = 0
    """Root seed of the sweep's random streams, an integer in [0, 2**32 - 1]."""
    axes: Annotated[_ValueLists, BeforeValidator(_axes), AfterValidator(FrozenDict)] = Field(
        default_factory=FrozenDict
    )
    """Axis path -> its values (distinct), in grid order: a parameter path such as
    ``tumour.loci[0].mutation_rate`` (any scalar field, list items by [i]) or ``strategy``
    (names of the scenario's strategies)."""
    zip_: tuple[ZipGroup, ...] = Field(default=(), alias="zip")
    """Groups of parameters that move together, each one axis after ``axes``."""

    @model_validator(mode="before")
    @classmethod
    def _default_chunk(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "chunk" not in data:
            try:
                realizations = Bounds(ge=1).check(as_integer(data.get("realizations")))
            except PydanticCustomError:
                return data  # reported as a problem of realizations
            return {**data, "chunk": min(realizations, 1000)}
        return data

    @model_validator(mode="after")
    def _distinct_axes(self) -> Sweep:
        out: list[Problem] = []
        names = set(self.axes)
        swept = {path: path for path in self.axes}
        for k, group in enumerate(self.zip_):
            if group.name == STRATEGY_AXIS:
                message = f"{STRATEGY_AXIS!r} is the name of the strategy axis; choose another"
                out.append((("zip", k, "name"), message))
            elif group.name in names:
                message = f"duplicate axis name {group.name!r} (already an axis)"
                out.append((("zip", k, "name"), message))
            names.add(group.name)
            for path in group.values:
                if path in swept:
                    message = f"parameter {path} is already swept by axis {swept[path]!r}"
                    out.append((("zip", k, "values", path), message))
                swept.setdefault(path, group.name)
        raise_problems(out)
        shape = self.shape()
        if math.prod(shape) > MAX_GRID_POINTS:
            sizes = " x ".join(str(n) for n in shape)
            message = (
                f"the grid has {sizes} = {math.prod(shape)} points, "
                f"at most {MAX_GRID_POINTS} (10**6) are supported"
            )
            raise_problems([((), message)])
        return self

    def shape(self) -> tuple[int, ...]:
        """Points along each axis, in grid order."""
        return tuple(len(v) for v in self.axes.values()) + tuple(g.length for g in self.zip_)

    def grid_axes(self) -> tuple[SweepAxis, ...]:
        """The axes of the grid, in order (see :class:`SweepAxis`)."""
        axes = [
            SweepAxis(path, values, FrozenDict({path: values}), path == STRATEGY_AXIS)
            for path, values in self.axes.items()
        ]
        for group in self.zip_:
            labels = tuple(range(group.length))
            axes.append(SweepAxis(group.name, labels, FrozenDict(group.values), False))
        return tuple(axes)
