"""Robustness of treatment strategies across the uncertain (non-strategy) sweep axes.

A *metric* is computed per (strategy, point) from the detected realizations of that point
(conventions of :mod:`oncosweep.analysis._data`): e.g. the RMST of time to progression. Its
values over the points of the uncertain axes (the sweep grid, each point weighted equally)
are summarised per strategy by criteria of robust decision making (:data:`CRITERIA`):

* ``mean``: mean over the points;
* ``worst``: the worst point (minimum if higher is better, maximum otherwise);
* ``cvar``: the conditional value at risk at level ``alpha``, the mean of the worst
  ``alpha`` fraction of points (see :func:`robustness_criteria`);
* ``max_regret`` / ``mean_regret``: the maximum / mean over points of the regret, the best
  strategy's metric at that point minus this strategy's (for a lower-is-better metric: this
  strategy's minus the best's), >= 0, in the metric's units.

Monte Carlo uncertainty: a **paired bootstrap** over realizations. At each point the same
resampled realization indices (drawn with replacement from all realizations of the point)
are used for every strategy, because the strategies of one point share their tumours (common
random numbers); points are resampled independently (independent simulations). Every
standard error reported here is the standard deviation (ddof = 1) of the ``n_boot``
bootstrap replicates of the statistic; no analytic SE is used, since the criteria are
non-linear in the per-point metrics. :func:`rank_strategies` uses the same replicates for
the SE of paired differences.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from oncosweep.analysis import _data

CRITERIA = ("mean", "worst", "cvar", "max_regret", "mean_regret")
_CHUNK_ELEMENTS = 2**24  # booleans per block of bootstrap replicates (memory bound)
# built-in metric -> (higher is better, units, meaning)
METRICS = {
    "rmst_progression": (True, "days", "restricted mean time to progression up to tau "
                                       "(area under the Kaplan-Meier curve)"),
    **{f"rmst_{endpoint}": (True, "days", f"restricted mean time to "
                                          f"{_data.EVENT_NAMES[endpoint]} ({endpoint}) up to "
                                          "tau (area under the Kaplan-Meier curve)")
       for endpoint in _data.ENDPOINTS if endpoint != "progression"},
    "cure": (True, "1", "probability of cure within the horizon"),
    "progression_by": (False, "1", "probability of progression at or before tau"),
}


def robustness_criteria(values: Any, *, alpha: float = 0.25,
                        higher_is_better: bool = True) -> dict[str, np.ndarray]:
    """The criteria of :data:`CRITERIA` for a table of metric values of shape
    ``(..., strategies, points)`` (leading axes, e.g. bootstrap replicates, are kept).

    With ``x`` the metric and ``u = x`` (higher is better) or ``u = -x`` (lower is better),
    the P points sorted from worst, ``u_(1) <= ... <= u_(P)``, each of weight 1/P::

        CVaR_alpha(u) = 1 / (alpha P) * sum_i w_i u_(i),  w_i = min(1, max(0, alpha P - (i - 1)))

    the mean of the worst ``alpha P`` points, the boundary point with the fractional weight
    ``alpha P - floor(alpha P)`` (Rockafellar & Uryasev 2002: equal to
    max_c [c - E(c - u)^+ / alpha] for the uniform distribution on the points). alpha = 1
    gives the mean, alpha <= 1/P the worst point. Reported in the metric's units
    (``cvar = CVaR_alpha(u)`` or ``-CVaR_alpha(u)``). Regret at a point: ``max_s u_s - u``.

    Returns a dict criterion -> array of shape ``(..., strategies)``.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim < 2 or x.shape[-1] == 0 or x.shape[-2] == 0:
        raise ValueError(f"values: must have shape (..., strategies, points) with at least "
                         f"one of each, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("values: metric values must be finite")
    alpha = _check_alpha(alpha)
    sign = 1.0 if _check_bool(higher_is_better, "higher_is_better") else -1.0
    u = sign * x
    points = x.shape[-1]
    k = alpha * points
    weights = np.clip(k - np.arange(points), 0.0, 1.0)
    cvar_u = np.sum(np.sort(u, axis=-1) * weights, axis=-1) / k
    regret = np.max(u, axis=-2, keepdims=True) - u
    # + 0.0 turns the -0.0 of sign flips into 0.0
    return {"mean": x.mean(axis=-1), "worst": sign * u.min(axis=-1) + 0.0,
            "cvar": sign * cvar_u + 0.0, "max_regret": regret.max(axis=-1) + 0.0,
            "mean_regret": regret.mean(axis=-1) + 0.0}


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or \
            not 0.0 < float(alpha) <= 1.0:
        raise ValueError(f"alpha: must be a number in (0, 1], got {alpha!r}")
    return float(alpha)


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: must be True or False, got {value!r}")
    return bool(value)


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")
    return int(value)


def robustness(ds: Any, *, metric: str | Callable[[Any], float],
               strategy_dim: str = "strategy", alpha: float = 0.25,
               higher_is_better: bool | None = None, n_boot: int = 200, seed: int = 0,
               tau: float | None = None) -> Any:
    """Robustness criteria of every strategy across the uncertain sweep axes, with paired
    bootstrap standard errors (see the module docstring).

    Parameters
    ----------
    ds
        A result dataset (:func:`oncosweep.simulate` or a sweep store): ``strategy_dim`` and
        ``realization`` dims; the uncertain axes ("points") are the dims of ``detected``
        other than those two (none: a single point).
    metric
        ``"rmst_progression"``: RMST of time to progression up to ``tau`` days (days, higher
        is better; censoring as in :mod:`~oncosweep.analysis.survival`); ``"rmst_<endpoint>"``
        the same for any endpoint of :data:`oncosweep.analysis._data.ENDPOINTS` (``pfs``,
        ``os``, ``ttf``, ``pfs2``, ...);
        ``"cure"``: P(cured) (higher is better); ``"progression_by"``: P(progressed at or
        before ``tau`` days) (lower is better; death first counts as not progressed); or a
        callable ``metric(ds_point_strategy) -> float`` given the dataset of one strategy and
        point restricted to its detected realizations (``realization`` holds the resampled
        ones, with repeats, in bootstrap replicates).
    alpha
        CVaR level in (0, 1]: the fraction of worst points averaged.
    higher_is_better
        Required for a callable metric; for a built-in one None or its fixed direction.
    n_boot
        Bootstrap replicates (>= 2).
    seed
        Seed of the bootstrap (numpy ``default_rng``); results are deterministic.
    tau
        Days in (0, horizon] for ``"rmst_progression"`` and ``"progression_by"`` (default:
        the horizon); refused for other metrics.

    Returns
    -------
    xarray.Dataset
        Per strategy: each criterion of :data:`CRITERIA` and ``<criterion>_se``; the per-point
        ``metric`` and ``metric_se`` (dims strategy and the point dims); ``bootstrap``
        (criterion, replicate, strategy), the replicates that :func:`rank_strategies` uses.
        Raises ValueError where the metric is not finite (e.g. a point without detected
        realizations), in the estimate or a replicate.
    """
    import xarray as xr  # noqa: PLC0415

    name, higher, units, meaning = _resolve_metric(metric, higher_is_better)
    alpha = _check_alpha(alpha)
    n_boot = _check_int(n_boot, "n_boot", 2)
    seed = _check_int(seed, "seed", 0)
    if strategy_dim not in ds.dims:
        raise ValueError(f"strategy_dim: the dataset has no dimension {strategy_dim!r}")
    _data.require(ds, ["detected"], "robustness")
    if _data.REALIZATION not in ds["detected"].dims:
        raise ValueError("ds: variable 'detected' has no 'realization' dimension")
    point_dims = tuple(d for d in ds["detected"].dims
                       if d not in (_data.REALIZATION, strategy_dim))
    if name.startswith("rmst_") or name == "progression_by":
        horizon = _data.horizon_days(ds)
        tau = horizon if tau is None else _data.check_days(tau, "tau", horizon=horizon)
    elif tau is not None:
        raise ValueError(f"tau: not used by metric {name!r}")
    dims = (strategy_dim, *point_dims)
    n_strategies = ds.sizes[strategy_dim]
    point_shape = tuple(ds.sizes[d] for d in point_dims)
    n_points = int(np.prod(point_shape, dtype=np.int64))
    n_real = ds.sizes[_data.REALIZATION]
    evaluate = _evaluator(ds, metric, dims, n_points, tau)

    rng = np.random.default_rng(seed)
    estimate = np.empty((n_strategies, n_points))
    replicates = np.empty((n_boot, n_strategies, n_points))
    everyone = np.arange(n_real)[None, :]
    for p in range(n_points):
        # one draw per point, shared by all strategies: the paired bootstrap
        indices = rng.integers(0, n_real, size=(n_boot, n_real))
        estimate[:, p] = evaluate(p, everyone)[:, 0]
        replicates[:, :, p] = evaluate(p, indices).T
    _check_finite(estimate, replicates, ds, point_dims, point_shape, strategy_dim)

    point = robustness_criteria(estimate, alpha=alpha, higher_is_better=higher)
    boot = robustness_criteria(replicates, alpha=alpha, higher_is_better=higher)
    coords = _data.group_coords(ds, dims)
    coords["criterion"] = list(CRITERIA)
    variables: dict[str, Any] = {
        "metric": (dims, estimate.reshape((n_strategies, *point_shape)),
                   {"long_name": meaning, "units": units}),
        "metric_se": (dims, replicates.std(axis=0, ddof=1).reshape((n_strategies,
                                                                      *point_shape)),
                      {"long_name": "bootstrap standard error of metric", "units": units}),
    }
    for criterion in CRITERIA:
        variables[criterion] = ((strategy_dim,), point[criterion],
                                {"long_name": f"{criterion} of the metric over the points",
                                 "units": units})
        variables[f"{criterion}_se"] = ((strategy_dim,), boot[criterion].std(axis=0, ddof=1),
                                        {"long_name": f"bootstrap standard error of "
                                                      f"{criterion}", "units": units})
    variables["bootstrap"] = (("criterion", "replicate", strategy_dim),
                              np.stack([boot[c] for c in CRITERIA]),
                              {"long_name": "paired bootstrap replicates of the criteria",
                               "units": units})
    attrs = {"metric": name, "higher_is_better": int(higher), "alpha": alpha,
             "n_boot": n_boot, "seed": seed, "strategy_dim": strategy_dim,
             "point_dims": json.dumps(list(point_dims)), "units": units}
    if tau is not None:
        attrs["tau_days"] = tau
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _resolve_metric(metric: Any, higher_is_better: bool | None) -> tuple[str, bool, str, str]:
    if callable(metric):
        if higher_is_better is None:
            raise ValueError("higher_is_better: must be given (True or False) for a callable "
                             "metric")
        higher = _check_bool(higher_is_better, "higher_is_better")
        name = getattr(metric, "__name__", type(metric).__name__)
        return name, higher, "", f"user metric {name}"
    if metric not in METRICS:
        raise ValueError(f"metric: must be one of {', '.join(map(repr, METRICS))} or a "
                         f"callable, got {metric!r}")
    higher, units, meaning = METRICS[metric]
    if higher_is_better is not None and _check_bool(higher_is_better,
                                                    "higher_is_better") != higher:
        raise ValueError(f"higher_is_better: metric {metric!r} is "
                         f"{'higher' if higher else 'lower'} is better, got "
                         f"{higher_is_better!r}")
    return metric, higher, units, meaning


def _evaluator(ds: Any, metric: Any, dims: tuple[str, ...], n_points: int,
               tau: float | None) -> Callable[[int, np.ndarray], np.ndarray]:
    """A function (point, indices (B, R)) -> metric values (strategies, B) over the detected
    realizations among ``indices`` (with repeats) of each row."""
    n_strategies = ds.sizes[dims[0]]

    def flat(array: np.ndarray) -> np.ndarray:
        return array.reshape((n_strategies, n_points, array.shape[-1]))

    detected = flat(_data.aligned(ds, "detected", dims).astype(bool))

    if metric in ("cure", "progression_by"):
        if metric == "cure":
            _data.require(ds, ["cured"], "metric 'cure'")
            hit = flat(_data.aligned(ds, "cured", dims).astype(bool))
        else:
            _data.require(ds, ["progressed", "time_to_progression"],
                          "metric 'progression_by'")
            ttp = flat(_data.aligned(ds, "time_to_progression", dims).astype(float))
            with np.errstate(invalid="ignore"):
                hit = flat(_data.aligned(ds, "progressed", dims).astype(bool)) & (ttp <= tau)

        def proportion(p: int, indices: np.ndarray) -> np.ndarray:
            out = np.empty((n_strategies, indices.shape[0]))
            rows = max(1, _CHUNK_ELEMENTS // (n_strategies * indices.shape[1]))
            for first in range(0, indices.shape[0], rows):     # bounded memory
                chunk = indices[first:first + rows]
                d = detected[:, p][:, chunk]                   # (S, rows, R)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[:, first:first + rows] = (hit[:, p][:, chunk] & d).sum(-1) / d.sum(-1)
            return out
        return proportion

    if isinstance(metric, str) and metric.startswith("rmst_"):
        data = _data.endpoint_data(ds, metric.removeprefix("rmst_"), dims=dims)
        time, event = flat(data.time), flat(data.event & data.detected)
        observed = flat(data.detected)

        def area(p: int, indices: np.ndarray) -> np.ndarray:
            out = np.empty((n_strategies, indices.shape[0]))
            for s in range(n_strategies):
                for b, rows in enumerate(indices):
                    rows = rows[observed[s, p, rows]]
                    out[s, b] = _rmst_value(time[s, p, rows], event[s, p, rows], tau)
            return out
        return area

    point_dims = dims[1:]
    shape = tuple(ds.sizes[d] for d in point_dims)

    def user(p: int, indices: np.ndarray) -> np.ndarray:
        where = dict(zip(point_dims, np.unravel_index(p, shape), strict=True))
        at_point = ds.isel({dim: int(i) for dim, i in where.items()}).load()
        out = np.empty((n_strategies, indices.shape[0]))
        for s in range(n_strategies):
            one = at_point.isel({dims[0]: s})
            for b, rows in enumerate(indices):
                value = metric(one.isel(realization=rows[detected[s, p, rows]]))
                try:
                    out[s, b] = float(value)
                except (TypeError, ValueError):
                    raise ValueError(f"metric: must return a number, got {value!r}") from None
        return out
    return user


def _rmst_value(time: np.ndarray, event: np.ndarray, tau: float) -> float:
    """Area under the KM curve up to tau (NaN without observations): the value of
    :func:`oncosweep.analysis.survival.rmst` without its band and variance (fast path for
    the bootstrap; tested equal)."""
    from scipy import stats  # noqa: PLC0415

    if time.size == 0:
        return float("nan")
    sf = stats.ecdf(stats.CensoredData.right_censored(time, ~event)).sf
    edges = np.minimum(np.concatenate([[0.0], sf.quantiles, [np.inf]]), tau)
    return float(np.sum(np.concatenate([[1.0], sf.probabilities]) * np.diff(edges)))


def _check_finite(estimate: np.ndarray, replicates: np.ndarray, ds: Any,
                  point_dims: tuple[str, ...], point_shape: tuple[int, ...],
                  strategy_dim: str) -> None:
    for where, values in (("", estimate), (" in a bootstrap replicate", replicates)):
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            s, p = bad[0][-2:]
            at = np.unravel_index(p, point_shape)
            label = ", ".join([f"{strategy_dim} = {_data.labels(ds, strategy_dim)[s]}"] +
                              [f"{d} = {_data.labels(ds, d)[i]}"
                               for d, i in zip(point_dims, at, strict=True)])
            raise ValueError(f"metric: not finite{where} at {label} (no detected "
                             "realizations, or the metric returned NaN)")


def rank_strategies(robust_ds: Any, *, criterion: str = "cvar", z: float = 2.0) -> Any:
    """Rank strategies by one criterion of a :func:`robustness` result, marking ties that
    the Monte Carlo error cannot separate.

    Rule: sort the strategies from best to worst value (higher first for ``mean``, ``worst``
    and ``cvar`` of a higher-is-better metric, lower first otherwise and always for the
    regrets; equal values keep dataset order). The first gets rank 1. Each next strategy is
    compared with the one just above it: with ``d`` the difference of their values and
    ``se`` the standard deviation (ddof = 1) of the difference of their paired bootstrap
    replicates, if ``|d| <= z * se`` it shares the rank of the one above (a tie), else its
    rank is its position (1-based; competition ranking 1, 1, 3). Ties chain: A tied with B
    and B tied with C gives A, B and C one rank even if A and C differ by more.

    Returns a pandas DataFrame sorted best first with columns ``rank``, ``strategy``,
    ``value``, ``se`` (bootstrap SE of the value), ``diff_se`` (SE of the paired difference
    from the strategy above; NaN for the first), ``tied`` and ``tied_with`` (tuple of the
    other strategies of the same rank). ``DataFrame.attrs`` holds criterion, z and metric.
    """
    import pandas as pd  # noqa: PLC0415

    if criterion not in CRITERIA:
        raise ValueError(f"criterion: must be one of {', '.join(map(repr, CRITERIA))}, got "
                         f"{criterion!r}")
    if isinstance(z, bool) or not isinstance(z, (int, float, np.floating)) or \
            not (np.isfinite(z) and z >= 0):
        raise ValueError(f"z: must be a finite number >= 0, got {z!r}")
    missing = [v for v in (criterion, f"{criterion}_se", "bootstrap")
               if v not in robust_ds.variables]
    if missing or "strategy_dim" not in robust_ds.attrs:
        raise ValueError(f"robust_ds: not a robustness() result (missing {missing or 'attrs'})")
    strategy_dim = robust_ds.attrs["strategy_dim"]
    names = _data.labels(robust_ds, strategy_dim)
    values = np.asarray(robust_ds[criterion].values, dtype=float)
    ses = np.asarray(robust_ds[f"{criterion}_se"].values, dtype=float)
    reps = np.asarray(robust_ds["bootstrap"].sel(criterion=criterion)
                      .transpose("replicate", strategy_dim).values, dtype=float)
    higher = bool(robust_ds.attrs["higher_is_better"]) and criterion not in ("max_regret",
                                                                             "mean_regret")
    order = np.argsort(-values if higher else values, kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    diff_se = np.full(len(order), np.nan)
    for position, s in enumerate(order):
        if position == 0:
            ranks[0] = 1
            continue
        above = order[position - 1]
        diff_se[position] = float(np.std(reps[:, above] - reps[:, s], ddof=1))
        tied = abs(values[above] - values[s]) <= z * diff_se[position]
        ranks[position] = ranks[position - 1] if tied else position + 1
    table = pd.DataFrame({"rank": ranks, "strategy": [names[s] for s in order],
                          "value": values[order], "se": ses[order], "diff_se": diff_se})
    table["tied_with"] = [tuple(other for other, r in zip(table["strategy"], ranks,
                                                          strict=True)
                                if r == rank and other != name)
                          for name, rank in zip(table["strategy"], ranks, strict=True)]
    table["tied"] = [bool(t) for t in table["tied_with"]]
    table.attrs.update({"criterion": criterion, "z": float(z),
                        "metric": robust_ds.attrs.get("metric")})
    return table
