"""Checks of the ``sweep`` section against the sections before it: strategy names, parameter
paths, and the scenario validated again at the grid points.

A point's scenario is the plain data of the other sections with the point's values set,
validated like a file (so every rule of the schema applies to swept values). First each axis
is checked on its own: every value of one axis with the other axes at their first values,
which reports each bad value at ``sweep.axes['<path>'][i]`` and gives the values as the schema
reads them (``"1e-7"`` -> 1e-07) for the coordinate labels. Then, for grids of at most
:data:`MAX_CHECKED_POINTS` biology points, every point is checked, which finds the values that
are only bad together (``frac_on`` <= ``frac_off``); larger grids report such a point when it
is simulated (:meth:`~oncosweep.scenario.model.Scenario.at_point` validates it again).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from oncosweep.scenario.errors import FieldError, Loc, Problem, ScenarioError, short_repr
from oncosweep.scenario.params import get_value, parse_path, path_problem, plain_data, set_values
from oncosweep.scenario.population import inline_population
from oncosweep.scenario.sweep import STRATEGY_AXIS, FrozenDict, Sweep
from oncosweep.scenario.tumour_checks import listing

__all__ = ["MAX_CHECKED_POINTS", "check_sweep", "strategy_names"]

#: Grids with at most this many biology points (the strategy axis left out) are validated at
#: every point when read; larger ones at every value of each axis.
MAX_CHECKED_POINTS = 1024

Validate = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class _Axis:
    """A parameter axis (a plain one or a zip group) as the checks see it."""

    where: Loc
    """Location of its value lists in the sweep section: ("axes",) or ("zip", k, "values")."""
    parameters: Mapping[str, tuple[Any, ...]]
    """Parameter path -> its values along the axis."""

    @property
    def length(self) -> int:
        return len(next(iter(self.parameters.values())))

    def values_at(self, i: int) -> dict[Loc, Any]:
        return {_loc(path): values[i] for path, values in self.parameters.items()}


def strategy_names(data: Mapping[str, Any]) -> list[str] | None:
    """Names of the strategies of validated sections ``data`` (the treatment shorthand is one
    strategy named after its regimen); None if they did not validate."""
    if "strategies" not in data or "treatment" not in data:
        return None
    if data["strategies"]:
        return [strategy.name for strategy in data["strategies"]]
    treatment = data["treatment"]
    return [treatment.regimen] if treatment is not None else []


def check_sweep(
    sweep: Sweep, data: Mapping[str, Any], sections: Iterable[str], validate: Validate
) -> tuple[Sweep, list[Problem]]:
    """The sweep with its values as the schema reads them, and its problems relative to the
    section. ``data`` holds the validated ``sections`` before it (those that did not validate
    are absent and the checks that need them are skipped); ``validate`` reads a scenario from
    plain data, raising :class:`ScenarioError`."""
    out = _strategy_problems(sweep, data)
    if any(name not in data for name in sections):
        return sweep, out
    base = inline_population(plain_data({name: data[name] for name in sections}))
    axes = [_Axis(("axes",), {p: v}) for p, v in sweep.axes.items() if p != STRATEGY_AXIS]
    axes += [_Axis(("zip", k, "values"), g.values) for k, g in enumerate(sweep.zip_)]
    paths: list[Problem] = []
    for axis in axes:
        for path in axis.parameters:
            problem = path_problem(base, _loc(path))
            if _loc(path)[0] == "sweep":
                problem = "unknown parameter (the sweep section itself cannot be swept)"
            if problem is not None:
                paths.append(((*axis.where, path), problem))
    out += paths
    if paths or not axes:
        return sweep, out
    grid = _Grid(base, axes, validate)
    out += grid.axis_problems()
    if out:
        return sweep, out
    sweep = _read_values(sweep, grid)
    out += _duplicate_problems(sweep)
    if not out and math.prod(axis.length for axis in axes) <= MAX_CHECKED_POINTS:
        out += grid.point_problems()
    return sweep, out


def _loc(path: str) -> Loc:
    loc = parse_path(path)
    assert loc is not None  # the sweep section checked the paths
    return loc


def _strategy_problems(sweep: Sweep, data: Mapping[str, Any]) -> list[Problem]:
    names = strategy_names(data)
    values = sweep.axes.get(STRATEGY_AXIS)
    if values is None or names is None:
        return []
    if not names:
        message = "the scenario has no strategies to sweep (give a strategies section)"
        return [(("axes", STRATEGY_AXIS), message)]
    known = listing("strategies", names)
    return [
        (("axes", STRATEGY_AXIS, i), f"unknown strategy {short_repr(name)} {known}")
        for i, name in enumerate(values)
        if name not in names
    ]


class _Grid:
    """Validates the scenario at grid points of the parameter axes (memoized)."""

    def __init__(self, base: Any, axes: list[_Axis], validate: Validate) -> None:
        self.base, self.axes, self.validate = base, axes, validate
        self.results: dict[tuple[int, ...], Any] = {}

    def result(self, point: tuple[int, ...], *, keep: bool = True) -> Any:
        """The scenario at ``point``, or the ScenarioError it raised (remembered if ``keep``)."""
        if point in self.results:
            return self.results[point]
        values: dict[Loc, Any] = {}
        for axis, i in zip(self.axes, point, strict=True):
            values.update(axis.values_at(i))
        try:
            result = self.validate(set_values(self.base, values))
        except ScenarioError as exc:
            result = exc
        if keep:
            self.results[point] = result
        return result

    def axis_points(self, a: int) -> list[tuple[int, ...]]:
        """The points with axis ``a`` at each of its values and the others at their first."""
        origin = (0,) * len(self.axes)
        return [(*origin[:a], i, *origin[a + 1 :]) for i in range(self.axes[a].length)]

    def axis_problems(self) -> list[Problem]:
        """The problems of every bad point with at most one axis off its first value, each at
        the value it is about, in axis and value order."""
        order = {
            (*axis.where, path): a for a, axis in enumerate(self.axes) for path in axis.parameters
        }
        found: dict[Problem, None] = {}
        for a in range(len(self.axes)):
            for point in self.axis_points(a):
                found.update(dict.fromkeys(self.problems(point, a)))
        return sorted(found, key=lambda problem: (order[problem[0][:-1]], problem[0][-1]))

    def point_problems(self) -> list[Problem]:
        """The problems of the first bad point of the whole grid (C order), if any."""
        for point in itertools.product(*(range(axis.length) for axis in self.axes)):
            if isinstance(self.result(point, keep=False), ScenarioError):
                moved = [a for a, i in enumerate(point) if i > 0]
                return self.problems(point, moved[-1] if moved else 0)
        return []

    def problems(self, point: tuple[int, ...], varying: int) -> list[Problem]:
        """The problems of ``point`` (none if valid): each error that names a swept parameter
        at that parameter's value; the others at the value of axis ``varying``, with the
        values of the other parameters."""
        error = self.result(point)
        if not isinstance(error, ScenarioError):
            return []
        out: list[Problem] = []
        others: list[FieldError] = []
        for field_error in error.errors:
            named = self.named(field_error.path)
            if named is None:
                others.append(field_error)
            else:
                a, path = named
                out.append(((*self.axes[a].where, path, point[a]), str(field_error)))
        if others:
            path = next(iter(self.axes[varying].parameters))
            values = [
                f"{other} = {short_repr(values[point[b]])}"
                for b, axis in enumerate(self.axes)
                for other, values in axis.parameters.items()
                if other != path
            ]
            message = str(others[0]) + (f" (with {', '.join(values)})" if values else "")
            if len(others) > 1:
                message += f" (and {len(others) - 1} more problems)"
            out.append(((*self.axes[varying].where, path, point[varying]), message))
        return out

    def named(self, error_path: str) -> tuple[int, str] | None:
        """The axis and parameter that an error at ``error_path`` is about (the parameter at
        that path, else one inside it or containing it), if any."""
        found = parse_path(error_path)
        if found is None:
            return None
        named = [
            (a, path)
            for a, axis in enumerate(self.axes)
            for path in axis.parameters
            if _overlap(_loc(path), found)
        ]
        exact = [(a, path) for a, path in named if _loc(path) == found]
        return (exact or named or [None])[0]

    def read_values(self, a: int) -> dict[str, tuple[Any, ...]]:
        """The values of axis ``a`` as the validated scenarios hold them (axis points valid)."""
        data = [inline_population(plain_data(self.result(point)))
                for point in self.axis_points(a)]
        return {
            path: tuple(get_value(d, _loc(path)) for d in data) for path in self.axes[a].parameters
        }


def _overlap(a: Loc, b: Loc) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _read_values(sweep: Sweep, grid: _Grid) -> Sweep:
    """``sweep`` with the values of its parameter axes as the schema reads them."""
    read: dict[str, tuple[Any, ...]] = {}
    for a in range(len(grid.axes)):
        read.update(grid.read_values(a))
    axes = FrozenDict({path: read.get(path, values) for path, values in sweep.axes.items()})
    groups = tuple(
        group.model_copy(update={"values": FrozenDict({p: read[p] for p in group.values})})
        for group in sweep.zip_
    )
    return sweep.model_copy(update={"axes": axes, "zip_": groups})


def _duplicate_problems(sweep: Sweep) -> list[Problem]:
    """Values that differ as written but not as read (``1e-7`` and ``1.0e-7``)."""
    out: list[Problem] = []
    lists = [(("axes", path), (values,)) for path, values in sweep.axes.items()]
    lists += [(("zip", k, "values", next(iter(g.values))), tuple(g.values.values()))
              for k, g in enumerate(sweep.zip_)]
    for where, columns in lists:
        seen: dict[tuple[Any, ...], int] = {}
        for i, point in enumerate(zip(*columns, strict=True)):
            first = seen.setdefault(tuple((isinstance(v, bool), v) for v in point), i)
            if first != i:
                message = (
                    f"duplicate value {short_repr(point[0])} (already given at index {first})"
                    if len(point) == 1
                    else f"duplicate point: the same values as at index {first}"
                )
                out.append(((*where, i), message))
    return out
