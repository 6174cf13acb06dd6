"""The methods of :class:`~oncosweep.scenario.model.Scenario` for parameter sweeps: the grid
of its ``sweep`` section, the scenario at a grid point, and parameter updates by path.

A grid index is one integer per axis (in :meth:`SweepMethods.sweep_axes` order); a scenario
without a ``sweep`` section (or with no axes) is the single point ``()``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from oncosweep.scenario.errors import FieldError, ScenarioError, short_repr
from oncosweep.scenario.params import PATH_EXAMPLE, parse_path, path_problem, plain_data, set_values
from oncosweep.scenario.population import inline_population
from oncosweep.scenario.sweep import SweepAxis

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario.model import Scenario

__all__ = ["SweepMethods"]


class SweepMethods:
    """Mixed into :class:`~oncosweep.scenario.model.Scenario` (which holds ``sweep``)."""

    def sweep_axes(self: Scenario) -> tuple[SweepAxis, ...]:
        """The axes of the sweep grid, in order: ``sweep.axes`` then the ``sweep.zip`` groups
        (see :class:`~oncosweep.scenario.sweep.SweepAxis`); () without a sweep."""
        return self.sweep.grid_axes() if self.sweep is not None else ()

    def grid_shape(self: Scenario) -> tuple[int, ...]:
        """Points along each axis of the sweep grid; () without a sweep (one point)."""
        return tuple(len(axis.values) for axis in self.sweep_axes())

    def at_point(self: Scenario, index: Sequence[int]) -> tuple[Scenario, str | None]:
        """The scenario at grid point ``index`` (one index per axis): the point's parameter
        values set and validated again, without the ``sweep`` section; and the strategy name
        the strategy axis selects (None without one: simulate every strategy).

        IndexError for an index outside the grid; ScenarioError for values that are invalid
        only together (grids larger than the ones checked at every point when read).
        """
        axes = self.sweep_axes()
        point = _checked_index(index, tuple(len(axis.values) for axis in axes))
        updates: dict[str, Any] = {}
        strategy: str | None = None
        for axis, i in zip(axes, point, strict=True):
            if axis.is_strategy:
                strategy = axis.values[i]
            else:
                updates.update({path: values[i] for path, values in axis.parameters.items()})
        scenario = self.model_copy(update={"sweep": None}) if self.sweep is not None else self
        return (scenario.with_parameters(updates) if updates else scenario), strategy

    def biology_point_id(self: Scenario, index: Sequence[int]) -> int:
        """The flat (C-order) index of grid point ``index`` over the axes other than the
        strategy axis, so every strategy of one biology point shares its random streams; 0
        without such axes. IndexError for an index outside the grid."""
        axes = self.sweep_axes()
        point = _checked_index(index, tuple(len(axis.values) for axis in axes))
        flat = 0
        for axis, i in zip(axes, point, strict=True):
            if not axis.is_strategy:
                flat = flat * len(axis.values) + i
        return flat

    def with_parameters(self: Scenario, updates: Mapping[str, Any]) -> Scenario:
        """A copy with the scalar fields at the given paths set (``{'drugs[0].dosing.dose':
        20, 'simulation.dt': 0.05}``; YAML names, list items by [i]) and validated again, like
        the edited YAML file. Every problem is a ScenarioError: an unknown or non-scalar path
        at that path, an invalid value at the field it breaks."""
        data = inline_population(plain_data(self))
        values = {}
        problems: list[FieldError] = []
        for path, value in updates.items():
            loc = parse_path(path)
            if loc is None:
                message = f"not a parameter path (like {PATH_EXAMPLE}), got {short_repr(path)}"
                problems.append(FieldError(str(path), message))
            elif (problem := path_problem(data, loc)) is not None:
                problems.append(FieldError(path, problem))
            else:
                values[loc] = value
        if problems:
            raise ScenarioError(problems)
        return type(self).from_dict(set_values(data, values))


def _checked_index(index: Sequence[int], shape: tuple[int, ...]) -> tuple[int, ...]:
    """``index`` as a tuple of ints, if it is a point of a grid of ``shape`` (IndexError)."""
    try:
        point = tuple(index)
    except TypeError:
        point = None
    if (
        point is None
        or len(point) != len(shape)
        or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in point)
        or not all(0 <= i < n for i, n in zip(point, shape, strict=True))
    ):
        raise IndexError(f"grid index {index!r} is not a point of the sweep grid {shape}")
    return tuple(int(i) for i in point)
