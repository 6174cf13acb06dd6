"""Named metrics of a result dataset per strategy and sweep point, the values that
:func:`oncosweep.analysis.plots.plot_heatmap` draws over two sweep axes.

Each metric is an ``xarray.DataArray`` with ``long_name`` and ``units`` attributes (days for
times, 1 for probabilities), computed by :mod:`oncosweep.analysis.survival` and
:mod:`oncosweep.analysis.probability`.
"""

from __future__ import annotations

from typing import Any

from oncosweep.analysis._data import ENDPOINTS, EVENT_NAMES
from oncosweep.analysis.probability import probabilities
from oncosweep.analysis.survival import survival_table

__all__ = ["HEATMAP_METRICS", "heatmap_metric"]

#: metric name -> (meaning, units): the named metrics of :func:`heatmap_metric`
HEATMAP_METRICS = {
    "median_progression": ("median time to progression (Kaplan–Meier)", "days"),
    "median_death": ("median time to death (Kaplan–Meier)", "days"),
    "rmst_progression": ("restricted mean time to progression up to tau", "days"),
    "rmst_death": ("restricted mean time to death up to tau", "days"),
    **{f"{kind}_{endpoint}": (f"{'median' if kind == 'median' else 'restricted mean'} time to "
                              f"{EVENT_NAMES[endpoint]} ({endpoint})"
                              + (" (Kaplan–Meier)" if kind == "median" else " up to tau"),
                              "days")
       for endpoint in ENDPOINTS if endpoint not in ("progression", "death")
       for kind in ("median", "rmst")},
    "cure": ("probability of cure within the horizon", "1"),
    "resistant_at_start": ("probability of resistance at treatment start", "1"),
    "progression_by": ("probability of progression by tau", "1"),
}


def heatmap_metric(ds: Any, *, metric: str, tau: float | None = None,
                   level: float = 0.95) -> Any:
    """A named metric of :data:`HEATMAP_METRICS` per strategy and sweep point, as an
    ``xarray.DataArray`` with ``long_name`` and ``units`` attributes.

    ``median_*`` and ``rmst_*`` come from :func:`oncosweep.analysis.survival.survival_table`
    (``tau``: days, default the horizon; a median that is not reached is NaN); ``cure``,
    ``resistant_at_start`` and ``progression_by`` (by ``tau`` days) are the estimates of
    :func:`oncosweep.analysis.probability.probabilities`. ``rmst_progression``, ``cure``
    and ``progression_by`` equal the per-point ``metric`` of
    :func:`oncosweep.analysis.robustness.robustness` for the same name."""
    if metric not in HEATMAP_METRICS:
        raise ValueError(f"metric: must be one of {', '.join(map(repr, HEATMAP_METRICS))} or "
                         f"an xarray.DataArray, got {metric!r}")
    meaning, units = HEATMAP_METRICS[metric]
    if metric.startswith(("median_", "rmst_")):
        kind, endpoint = metric.split("_", 1)
        table = survival_table(ds, endpoint=endpoint, tau=tau, level=level)
        values = table[kind]
        if kind == "rmst":
            meaning += f" = {table.attrs['tau_days']:g} days"
    else:
        outcome = "cured" if metric == "cure" else metric
        table = probabilities(ds, by_time=tau, level=level)
        values = table["estimate"].sel(outcome=outcome, drop=True)
        if metric == "progression_by":
            meaning += f" = {table.attrs['by_time_days']:g} days"
    return values.rename(metric).assign_attrs(long_name=meaning, units=units)
