"""Selecting parts of a result dataset for figures and the report: sweep axes and points,
strategies, traced realizations, and labels of the selected values.

Sweep stores carry their sweep axes in front of every variable (see docs/sweeps.md). A
*point* is a mapping ``{axis name: value}`` that selects one value of some non-strategy sweep
axes, e.g. ``point={"tumour.loci[0].mutation_rate": 1e-9}``; axes with a single value are
selected without being named. Datasets of :func:`oncosweep.simulate` or ``oncosweep run``
have no sweep axes. No plotting here (this module does not import matplotlib).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oncosweep.analysis import _data

__all__ = ["STRATEGY", "axis_index", "by_strategy", "check_strategies", "fmt", "one_point",
           "plain", "scenario_of", "select", "short_name", "strategy_names", "sweep_axes",
           "sweep_points", "traced_at"]

STRATEGY = _data.STRATEGY


def sweep_axes(ds: Any) -> list[str]:
    """Names of the non-strategy sweep axes of a sweep store (``[]`` for a dataset of
    :func:`oncosweep.simulate` or ``oncosweep run``), in the store's order."""
    text = ds.attrs.get("axes")
    if not text:
        return []
    axes = json.loads(text) if isinstance(text, str) else text
    return [str(name) for name, _values, is_strategy in axes
            if not is_strategy and str(name) in ds.dims]


def strategy_names(ds: Any) -> list[str]:
    """The strategies of a dataset: its ``strategy`` labels, else its ``strategy``
    attribute (or ``"treatment"``) for a dataset of a single strategy."""
    if STRATEGY in ds.dims:
        return [str(s) for s in ds[STRATEGY].values]
    return [str(ds.attrs.get("strategy") or "treatment")]


def by_strategy(ds: Any, strategy: str | None) -> list[tuple[str, Any]]:
    """(name, dataset without a strategy dimension) per strategy, or for ``strategy`` alone."""
    names = strategy_names(ds)
    if strategy is not None:
        if str(strategy) not in names:
            raise ValueError(f"strategy: {strategy!r} is not a strategy of the dataset; "
                             f"strategies: {names}")
        names = [str(strategy)]
    if STRATEGY not in ds.dims:
        return [(names[0], ds)]
    return [(name, ds.sel({STRATEGY: name})) for name in names]


def check_strategies(strategies: Sequence[str] | None, names: list[str]) -> list[str]:
    """The strategies to draw: ``strategies`` (each one of ``names``), default all."""
    if strategies is None:
        return names
    if isinstance(strategies, str):
        raise TypeError(f"strategies: must be a list of names, got the string {strategies!r}")
    for name in strategies:
        if str(name) not in names:
            raise ValueError(f"strategies: {name!r} is not a strategy of the dataset; "
                             f"strategies: {names}")
    return [str(name) for name in strategies]


def axis_index(ds: Any, axis: str, value: Any) -> int:
    """Index of ``value`` on sweep axis ``axis`` (floats compared to a relative 1e-9, labels
    as text); ValueError naming ``point[axis]`` and listing the values if absent."""
    coord = ds[axis].values
    if coord.dtype.kind in "fc":
        try:
            hits = np.nonzero(np.isclose(coord, float(value), rtol=1e-9, atol=0.0))[0]
        except (TypeError, ValueError):
            hits = np.array([], dtype=int)
    else:
        hits = np.nonzero(np.array([str(v) == str(value) for v in coord]))[0]
    if hits.size == 0:
        raise ValueError(f"point[{axis!r}]: {value!r} is not a value of the sweep axis; "
                         f"values: {[plain(v) for v in coord]}")
    return int(hits[0])


def plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar (other values unchanged)."""
    return value.item() if isinstance(value, np.generic) else value


def select(ds: Any, point: Mapping[str, Any] | None) -> tuple[Any, list[str], str]:
    """``ds`` at ``point`` (axes of length 1 selected too), the sweep axes left and a label
    of the selected values."""
    axes = sweep_axes(ds)
    if point is not None and not isinstance(point, Mapping):
        raise TypeError(f"point: must be a mapping {{axis: value}}, got {type(point).__name__}")
    point = dict(point or {})
    for name in point:
        if name not in axes:
            raise ValueError(f"point: {name!r} is not a sweep axis of the dataset; sweep axes: "
                             f"{axes or 'none (not a sweep store)'}")
    index = {name: axis_index(ds, name, value) for name, value in point.items()}
    index.update({name: 0 for name in axes if name not in index and ds.sizes[name] == 1})
    chosen = ", ".join(f"{short_name(name)} = {fmt(ds[name].values[index[name]])}"
                       for name in axes if name in index)
    return ds.isel(index), [name for name in axes if name not in index], chosen


def sweep_points(ds: Any, point: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """(label, dataset) per sweep point left after selecting ``point``."""
    ds, left, chosen = select(ds, point)
    out = []
    for index in itertools.product(*(range(ds.sizes[name]) for name in left)):
        one = ds.isel(dict(zip(left, index, strict=True)))
        label = ", ".join(f"{short_name(name)} = {fmt(one[name].values)}" for name in left)
        out.append((", ".join(part for part in (chosen, label) if part), one))
    return out


def one_point(ds: Any, point: Mapping[str, Any] | None) -> tuple[Any, str]:
    """``ds`` at ``point``, which must leave no sweep axis with several values, and a label
    of the selected values."""
    ds, left, chosen = select(ds, point)
    if left:
        raise ValueError(
            f"point: choose one value of the sweep axes {left} (e.g. point={{{left[0]!r}: "
            f"{plain(ds[left[0]].values[0])!r}}})")
    return ds, chosen


def short_name(name: str) -> str:
    """A sweep axis name for labels: the last part of a dotted parameter path."""
    return name.rsplit(".", 1)[-1] if name.count(".") > 1 else name


def fmt(value: Any) -> str:
    """A coordinate value for labels (floats to 3 significant digits)."""
    value = plain(np.asarray(value).reshape(-1)[0] if np.ndim(value) else value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def traced_at(ds: Any, realization: int) -> Any:
    """``ds`` at traced realization ``realization`` (its global index)."""
    if "trajectory" not in ds or "traced_realization" not in ds.dims:
        raise ValueError("the dataset has no traced trajectories (variable 'trajectory')")
    traced = [int(r) for r in ds["traced_realization"].values]
    if isinstance(realization, bool) or not isinstance(realization, int | np.integer):
        raise TypeError(f"realization: must be an integer realization index, got "
                        f"{realization!r}")
    if int(realization) not in traced:
        hint = traced if traced else "none (set trace.realizations in the scenario)"
        raise ValueError(f"realization: {realization} is not a traced realization; traced "
                         f"realizations: {hint}")
    return ds.sel(traced_realization=int(realization))


def scenario_of(ds: Any) -> dict[str, Any]:
    """The scenario from the dataset's attributes (``{}`` if absent or unreadable)."""
    text = ds.attrs.get("scenario")
    if not text:
        return {}
    try:
        import yaml  # noqa: PLC0415

        data = yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - a figure without reference lines is still a figure
        return {}
    return data if isinstance(data, dict) else {}
