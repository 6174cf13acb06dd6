"""Figures of result datasets (matplotlib, Agg backend): survival curves, Muller plots of clone
composition, heatmaps over sweep axes, ctDNA lead times and burden trajectories.

Every function takes a result dataset — one written by ``oncosweep run`` / returned by
:func:`oncosweep.simulate`, or a sweep store opened with :func:`oncosweep.open_results` —
and returns a :class:`matplotlib.figure.Figure`. Options are keyword-only.

Sweep stores carry their sweep axes in front of every variable (see docs/sweeps.md). A
*point* is a mapping ``{axis name: value}`` that selects one value of some non-strategy sweep
axes, e.g. ``point={"tumour.loci[0].mutation_rate": 1e-9}``; axes with a single value are
selected without being named. Figures of one realization (:func:`plot_muller`,
:func:`plot_burden`) need one value of every axis; :func:`plot_survival` and
:func:`plot_ctdna_lead` draw one panel per remaining sweep point.

Times are days since treatment start (detection), cell numbers are cells.

This module draws; what it draws comes from :mod:`~oncosweep.analysis.selection` (sweep
points, strategies, traced realizations), :mod:`~oncosweep.analysis.muller` (clones and their
nesting) and :mod:`~oncosweep.analysis.metrics` (the heatmap metrics); ``sweep_axes``,
``axis_index``, ``clone_cells``, ``heatmap_metric`` and ``HEATMAP_METRICS`` are importable
from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from oncosweep.analysis import _data, muller  # noqa: E402
from oncosweep.analysis.metrics import HEATMAP_METRICS, heatmap_metric  # noqa: E402
from oncosweep.analysis.muller import WILD_TYPE, clone_cells  # noqa: E402
from oncosweep.analysis.selection import (  # noqa: E402
    STRATEGY,
    axis_index,
    by_strategy,
    check_strategies,
    fmt,
    one_point,
    plain,
    scenario_of,
    strategy_names,
    sweep_axes,
    sweep_points,
    traced_at,
)
from oncosweep.analysis.survival import survival_curves  # noqa: E402

__all__ = ["HEATMAP_METRICS", "axis_index", "clone_cells", "heatmap_metric", "plot_burden",
           "plot_ctdna_lead", "plot_heatmap", "plot_muller", "plot_survival", "sweep_axes"]

#: colour of the wild type in Muller and burden plots
WT_COLOUR = "#c8c8c8"


def _grid(n: int, *, ax: Axes | None, width: float = 4.6, height: float = 3.4,
          sharey: bool = True, sharex: bool = False) -> tuple[Figure, list[Axes]]:
    """A figure with ``n`` panels (at most 3 a row), or ``ax``'s figure when ``n == 1``."""
    if ax is not None:
        if n != 1:
            raise ValueError(f"ax: this figure has {n} panels; pass ax only for a single "
                             "panel (select a strategy or a sweep point)")
        return ax.figure, [ax]
    cols = 2 if n == 4 else min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             sharey=sharey, sharex=sharex, layout="constrained")
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.set_visible(False)
    return fig, flat[:n]


def _colours(names: Sequence[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {name: cmap(i % 10) for i, name in enumerate(names)}


# ----------------------------------------------------------------------------- Muller

def _genotype_colours(genotypes: Sequence[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    mutants = [g for g in genotypes if g != WILD_TYPE]
    colours = {g: cmap(i % 10) for i, g in enumerate(mutants)}
    colours[WILD_TYPE] = WT_COLOUR
    return colours


def plot_muller(ds: Any, *, realization: int, strategy: str | None = None,
                point: Mapping[str, Any] | None = None, ax: Axes | None = None) -> Figure:
    """Muller plot: clone composition over time of one traced realization.

    Clones are genotypes (cell types grouped by the label before ``/``, so phenotypes and
    compartments of one genotype form one clone; ``wt`` is the wild type). At each trace time
    the plot stacks the clones' *relative frequencies* (cells of the clone / all cells, from
    0 to 1 on the y axis) in nested order: a clone is drawn inside the band of its parent
    (the genotype with one resistance mutation fewer that was most abundant when the clone
    appeared), split in two halves around its descendants, so a new clone emerges from the
    middle of the clone it arose in. Clones that never had a cell are left out. Frequencies
    are unweighted by tumour size: a clone of 1e3 cells in 1e9 is invisible, and the stack
    is blank where there are no cells (after cure) or no data (after death: the trajectory
    is NaN); a dashed line marks that moment.

    One panel per strategy (or only ``strategy``); ``point`` selects the sweep point
    (required when a sweep axis has several values). ``realization`` is the realization's
    index (a value of ``traced_realization``). x axis: days since treatment start.
    """
    ds, where = one_point(ds, point)
    ds = traced_at(ds, realization)
    runs = by_strategy(ds, strategy)
    genotypes = list(dict.fromkeys(muller.genotype(str(c)) for c in ds["cell_type"].values))
    colours = _genotype_colours(genotypes)
    fig, axes = _grid(len(runs), ax=ax, width=5.0, height=3.2)
    time = np.asarray(ds["time"].values, dtype=float)
    shown_any: set[str] = set()
    for axis, (name, run) in zip(axes, runs, strict=True):
        genotypes, cells = clone_cells(run["trajectory"].load())
        total = cells.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            freq = np.where(total[:, None] > 0, cells / total[:, None], np.nan)
        shown = {g for i, g in enumerate(genotypes) if np.nansum(cells[:, i]) > 0}
        shown_any |= shown
        nesting = muller.parents(genotypes, cells)
        for g, lower, upper in muller.muller_layout(genotypes, nesting, freq):
            if g in shown:
                axis.fill_between(time, lower, upper, color=colours[g], linewidth=0)
        fate = muller.fate(time, total)
        if fate is not None:
            axis.axvline(fate[1], color="k", linestyle="--", linewidth=1)
            axis.annotate(fate[0], (fate[1], 0.5), xytext=(3, 0), textcoords="offset points",
                          rotation=90, va="center", fontsize=8)
        axis.set_xlim(time[0], time[-1])
        axis.set_ylim(0, 1)
        axis.set_title(f"{name}: realization {realization}", fontsize=10)
        axis.set_xlabel("time since treatment start (days)")
        axis.set_ylabel("clone frequency (fraction of cells)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[g]) for g in genotypes if g in shown_any]
    _finish(fig, axes, handles, [g for g in genotypes if g in shown_any], where,
            title="clone (genotype)")
    return fig


# ----------------------------------------------------------------------------- burden

def _on_intervals(time: np.ndarray, dose: np.ndarray) -> list[tuple[float, float, float]]:
    """(start, end, dose factor) of maximal runs of trace samples with the same positive dose
    factor (a sample holds until the next one)."""
    out = []
    ends = np.append(time[1:], time[-1] + (time[-1] - time[-2] if time.size > 1 else 1.0))
    for i, (t, factor) in enumerate(zip(time, dose, strict=True)):
        if not np.isfinite(factor) or factor <= 0:
            continue
        if out and out[-1][2] == factor and out[-1][1] == t:
            out[-1] = (out[-1][0], float(ends[i]), float(factor))
        else:
            out.append((float(t), float(ends[i]), float(factor)))
    return out


def plot_burden(ds: Any, *, realization: int, strategy: str | None = None,
                point: Mapping[str, Any] | None = None, clones: bool = True,
                ax: Axes | None = None) -> Figure:
    """Tumour burden of one traced realization over time, one panel per strategy.

    Black line: all cells (log y axis, cells); thin coloured lines (``clones=True``): cells
    per clone (genotype, as in :func:`plot_muller`); dots: the imaged burden
    ``observed_burden`` at each clinic visit (when the scenario has monitoring), with visits
    below the imaging detection limit (recorded as 0) drawn as triangles at the limit;
    shading: times a regimen was given (``on_treatment`` > 0, darker for a larger dose
    factor; at the trace resolution, so drug holidays shorter than ``trace.every`` may be
    missed); grey lines: the scenario's detection (imaging) limit and lethal size. The
    trajectory ends at death (NaN after it). x axis: days since treatment start.
    """
    ds, where = one_point(ds, point)
    ds = traced_at(ds, realization)
    runs = by_strategy(ds, strategy)
    scenario = scenario_of(ds)
    lethal = (scenario.get("tumour") or {}).get("lethal_size")
    imaging = ((scenario.get("monitoring") or {}).get("imaging") or {})
    limit = imaging.get("detection_limit", 1e8 if scenario.get("monitoring") else None)
    time = np.asarray(ds["time"].values, dtype=float)
    fig, axes = _grid(len(runs), ax=ax, width=5.0, height=3.4)
    genotypes = list(dict.fromkeys(muller.genotype(str(c)) for c in ds["cell_type"].values))
    colours = _genotype_colours(genotypes)
    for axis, (name, run) in zip(axes, runs, strict=True):
        genotypes, cells = clone_cells(run["trajectory"].load())
        total = cells.sum(axis=1)
        total = np.where(np.isnan(cells).all(axis=1), np.nan, total)
        if "on_treatment" in run:
            dose = np.asarray(run["on_treatment"].values, dtype=float)
            top = np.nanmax(dose) if np.isfinite(dose).any() and np.nanmax(dose) > 0 else 1.0
            for i, (start, end, factor) in enumerate(_on_intervals(time, dose)):
                axis.axvspan(start, end, color="tab:orange", linewidth=0,
                             alpha=0.12 + 0.23 * min(factor / top, 1.0),
                             label="regimen given" if i == 0 else None)
        if clones:
            for i, g in enumerate(genotypes):
                values = np.where(cells[:, i] > 0, cells[:, i], np.nan)
                if np.isfinite(values).any():
                    axis.plot(time, values, color=colours[g], linewidth=1, label=g)
        axis.plot(time, np.where(total > 0, total, np.nan), color="k", linewidth=1.8,
                  label="all cells")
        if "observed_burden" in run and run.sizes.get("visit", 0):
            visit = np.asarray(run["visit"].values, dtype=float)
            seen = np.asarray(run["observed_burden"].values, dtype=float)
            above = np.isfinite(seen) & (seen > 0)
            below = np.isfinite(seen) & (seen == 0)
            axis.plot(visit[above], seen[above], "o", color="tab:blue", markersize=3.5,
                      label="imaged burden")
            if below.any() and limit:
                axis.plot(visit[below], np.full(int(below.sum()), float(limit)), "v",
                          color="tab:blue", markersize=3.5, mfc="none",
                          label="below detection limit")
        for level, text in ((limit, "detection limit"), (lethal, "lethal size")):
            if level:
                axis.axhline(float(level), color="0.5", linewidth=0.8, linestyle=":")
                axis.annotate(text, (time[0], float(level)), xytext=(2, 2), fontsize=7,
                              textcoords="offset points", color="0.4")
        axis.set_yscale("log")
        axis.set_xlim(time[0], time[-1])
        axis.set_title(f"{name}: realization {realization}", fontsize=10)
        axis.set_xlabel("time since treatment start (days)")
        axis.set_ylabel("tumour burden (cells)")
    handles, labels = _unique_legend(axes)
    _finish(fig, axes, handles, labels, where)
    return fig


def _finish(fig: Figure, axes: Sequence[Axes], handles: list[Any], labels: list[str],
            where: str, *, title: str | None = None) -> None:
    """Legend and sweep-point label: on the axes for a single panel (which may be the
    caller's ``ax``), else for the whole figure."""
    if len(axes) == 1:
        axes[0].legend(handles, labels, fontsize=7, title=title, title_fontsize=7,
                       loc="best")
        if where:
            axes[0].set_title(f"{axes[0].get_title()}\n{where}", fontsize=9)
        return
    fig.legend(handles, labels, loc="outside right upper", fontsize=8, title=title)
    if where:
        fig.suptitle(where, fontsize=9)


def _unique_legend(axes: Sequence[Axes]) -> tuple[list[Any], list[str]]:
    seen: dict[str, Any] = {}
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    return list(seen.values()), list(seen)


# ----------------------------------------------------------------------------- ctDNA lead

def plot_ctdna_lead(ds: Any, *, point: Mapping[str, Any] | None = None,
                    strategies: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Distribution of the ctDNA lead time, one panel per sweep point.

    ``ctdna_lead_time`` (days) is the first imaging progression minus the first ctDNA call
    of a resistant variant; positive values mean ctDNA called resistance first. Per strategy
    (or the listed ``strategies``) the empirical cumulative distribution (ECDF) over the
    realizations where it is defined, with the number of realizations where it is undefined
    (no ctDNA call, or no imaging progression, or no ctDNA monitoring) in the legend.
    """
    if "ctdna_lead_time" not in ds:
        raise ValueError("the dataset has no variable 'ctdna_lead_time'")
    names = strategy_names(ds)
    chosen = check_strategies(strategies, names)
    colours = _colours(names)
    panels = sweep_points(ds, point)
    fig, axes = _grid(len(panels), ax=ax, sharey=True)
    for axis, (label, one) in zip(axes, panels, strict=True):
        any_defined = False
        for name, run in by_strategy(one, None):
            if name not in chosen:
                continue
            lead = np.asarray(run["ctdna_lead_time"].values, dtype=float).ravel()
            defined = lead[np.isfinite(lead)]
            text = f"{name} (n = {defined.size}; undefined {lead.size - defined.size})"
            if defined.size:
                any_defined = True
                axis.ecdf(defined, color=colours[name], label=text)
            else:
                axis.plot([], [], color=colours[name], label=text)
        if not any_defined:
            axis.text(0.5, 0.5, "no realization with both a ctDNA call\nand an imaging "
                      "progression", transform=axis.transAxes, ha="center", va="center",
                      fontsize=9)
        axis.axvline(0, color="0.5", linewidth=0.8, linestyle=":")
        axis.set_xlabel("ctDNA lead time (days before imaging progression)")
        axis.set_ylabel("fraction of realizations with a lead time")
        axis.set_ylim(0, 1.02)
        axis.legend(fontsize=7, loc="lower right")
        if label:
            axis.set_title(label, fontsize=9)
    return fig


# ----------------------------------------------------------------------------- survival

def plot_survival(ds: Any, *, endpoint: str = "progression",
                  point: Mapping[str, Any] | None = None, level: float = 0.95,
                  strategies: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Kaplan–Meier curves per strategy with pointwise confidence bands, one panel per sweep
    point left after selecting ``point``.

    Curves and bands are those of :func:`oncosweep.analysis.survival.survival_curves`
    (detected realizations; ``endpoint`` ``"progression"``: progression censored at death
    or the horizon; ``"death"``: death censored at the horizon; ``"pfs"``: progression or
    death, censored at the horizon; log-log bands at ``level``).
    y axis: probability that the event has not happened yet; x axis: days since treatment
    start. The legend gives events / realizations per strategy.
    """
    _data.check_endpoint(endpoint)
    names = strategy_names(ds)
    chosen = check_strategies(strategies, names)
    colours = _colours(names)
    panels = sweep_points(ds, point)
    fig, axes = _grid(len(panels), ax=ax, sharey=True)
    for axis, (label, one) in zip(axes, panels, strict=True):
        curves = survival_curves(one, endpoint=endpoint, level=level)
        where = curves.dims.index(STRATEGY) if STRATEGY in curves.dims else None
        drawn = 0
        for key, curve in curves.items():
            name = str(key[where]) if where is not None else names[0]
            if name not in chosen:
                continue
            t = np.append(curve.time, curves.horizon)
            last = (curve.survival[-1], curve.lower[-1], curve.upper[-1])
            surv, lower, upper = (np.append(a, b) for a, b in zip(
                (curve.survival, curve.lower, curve.upper), last, strict=True))
            axis.step(t, surv, where="post", color=colours[name],
                      label=f"{name} ({curve.events}/{curve.n} events)")
            axis.fill_between(t, lower, upper, step="post", color=colours[name], alpha=0.2,
                              linewidth=0)
            drawn += 1
        if not drawn:
            axis.text(0.5, 0.5, "no detected realizations", transform=axis.transAxes,
                      ha="center", va="center")
        axis.set_ylim(0, 1.02)
        axis.set_xlim(0, curves.horizon)
        axis.set_xlabel("time since treatment start (days)")
        axis.set_ylabel(f"P(no {_data.EVENT_NAMES[endpoint]} yet)")
        if drawn:
            axis.legend(fontsize=7, loc="best")
        axis.set_title(label or f"Kaplan–Meier: {_data.EVENT_NAMES[endpoint]}", fontsize=9)
    return fig


# ----------------------------------------------------------------------------- heatmap

def plot_heatmap(ds: Any, *, metric: str | Any, x: str, y: str,
                 point: Mapping[str, Any] | None = None, tau: float | None = None,
                 level: float = 0.95, cmap: str = "viridis", annotate: bool = True,
                 ax: Axes | None = None) -> Figure:
    """A metric over two sweep axes as a heatmap with annotated values.

    ``metric``: a name of :data:`HEATMAP_METRICS` (computed by :func:`heatmap_metric`; days
    for times, 1 for probabilities) or any ``xarray.DataArray`` over ``strategy`` and the
    sweep axes, e.g. the per-point ``metric`` of a
    :func:`~oncosweep.analysis.robustness.robustness` result. ``x`` and ``y``: two
    different dims of it (sweep axes, or ``"strategy"``). When neither is ``strategy``,
    one panel per strategy, all with one colour scale; when one is, a single panel. Other
    sweep axes must be fixed by ``point`` unless they have one value. Cells are annotated
    with their value; NaN cells (e.g. a median not reached: "NR") are grey.
    """
    import xarray as xr  # noqa: PLC0415

    if isinstance(metric, xr.DataArray):
        values = metric
    elif isinstance(metric, str):
        values = heatmap_metric(ds, metric=metric, tau=tau, level=level)
    else:
        raise TypeError(f"metric: must be a metric name or an xarray.DataArray, got "
                        f"{type(metric).__name__}")
    name = str(values.name or "metric")
    allowed = [d for d in values.dims]
    for label, dim in (("x", x), ("y", y)):
        if dim not in allowed:
            raise ValueError(f"{label}: {dim!r} is not a dimension of the metric; choose a "
                             f"sweep axis or 'strategy' among {allowed}")
    if x == y:
        raise ValueError(f"y: must differ from x, both are {x!r}")
    point = dict(point or {})
    for key in point:
        if key not in values.dims or key in (x, y):
            raise ValueError(f"point: {key!r} is not a sweep axis left to fix; axes: "
                             f"{[d for d in values.dims if d not in (x, y, STRATEGY)]}")
        values = values.isel({key: axis_index(values.to_dataset(name="v"), key, point[key])})
    rest = [d for d in values.dims if d not in (x, y, STRATEGY)]
    for dim in rest:
        if values.sizes[dim] != 1:
            raise ValueError(f"point: fix the sweep axis {dim!r} (values "
                             f"{[plain(v) for v in values[dim].values]}) to draw {x!r} x "
                             f"{y!r}")
    values = values.isel(dict.fromkeys(rest, 0))
    if STRATEGY in (x, y) or STRATEGY not in values.dims:
        panels = [("", values)]
    else:
        panels = [(str(s), values.sel({STRATEGY: s})) for s in values[STRATEGY].values]
    finite = np.asarray(values.values, dtype=float)
    finite = finite[np.isfinite(finite)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    units = values.attrs.get("units", "")
    fig, axes = _grid(len(panels), ax=ax, width=4.2, height=3.2, sharey=False)
    image = None
    colormap = plt.get_cmap(cmap).with_extremes(bad="0.85")
    for axis, (title, panel) in zip(axes, panels, strict=True):
        grid = np.asarray(panel.transpose(y, x).values, dtype=float)
        image = axis.imshow(np.ma.masked_invalid(grid), aspect="auto",
                            origin="upper" if y == STRATEGY else "lower",
                            cmap=colormap, vmin=vmin, vmax=vmax)
        axis.set_xticks(range(grid.shape[1]), [fmt(v) for v in panel[x].values],
                        rotation=30 if grid.shape[1] > 3 else 0)
        axis.set_yticks(range(grid.shape[0]), [fmt(v) for v in panel[y].values])
        axis.set_xlabel(_axis_label(panel, x))
        axis.set_ylabel(_axis_label(panel, y))
        if title:
            axis.set_title(title, fontsize=10)
        if annotate:
            _annotate(axis, grid, image, units=units, median=name.startswith("median"))
    label = values.attrs.get("long_name", name)
    colorbar = fig.colorbar(image, ax=axes, shrink=0.9)
    colorbar.set_label(f"{label} ({units})" if units and units != "1" else str(label),
                       fontsize=8)
    return fig


def _axis_label(da: Any, dim: str) -> str:
    if dim == STRATEGY:
        return "strategy"
    units = da[dim].attrs.get("units") if dim in da.coords else None
    return f"{dim} ({units})" if units else dim


def _annotate(axis: Axes, grid: np.ndarray, image: Any, *, units: str, median: bool) -> None:
    for (row, col), value in np.ndenumerate(grid):
        if np.isfinite(value):
            text = f"{value:.0f}" if units == "days" else f"{value:.3g}"
            red, green, blue, _ = image.cmap(image.norm(value))
            colour = "k" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "w"
        else:
            text, colour = ("NR" if median else "–"), "k"
        axis.text(col, row, text, ha="center", va="center", fontsize=8, color=colour)
