"""Outcome by patient characteristics: survival by quantile strata of a drawn (per-patient)
parameter, and the benefit of one strategy over another as a function of it.

**Drawn parameters.** In a virtual patient population, scalar model parameters vary from
realization to realization. A result dataset then carries, per varying parameter, a data
variable ``drawn_<slug>`` (slug: the scenario path with every run of non-alphanumeric
characters replaced by ``_``, stripped of ``_`` at both ends: ``tumour.birth_rate`` ->
``drawn_tumour_birth_rate``, ``drugs[0].ic50`` -> ``drawn_drugs_0_ic50``) with the dims of the
pre-treatment outputs (sweep axes, then ``realization``; no ``strategy``: a realization index
is the same virtual patient under every strategy) and the attributes ``parameter`` (the
scenario path), ``units``, ``distribution`` and ``long_name``.

**Strata** (:func:`stratified_survival`, bins of :func:`benefit_by_parameter`): at each sweep
point, the drawn values of the analysed (detected) realizations are cut at their empirical
quantiles ``b_k = numpy.quantile(x, k / q)`` (linear interpolation), k = 0..q; stratum k
(1-based, 1 = lowest values) holds ``b_(k-1) <= x < b_k``, the last one also ``x = b_q``. The
strata partition the analysed realizations; tied values never straddle an edge, so with
many ties a stratum may be empty (n = 0, NaN statistics). Per stratum, the estimators are
those of :func:`~oncosweep.analysis.survival.survival_table` and
:func:`~oncosweep.analysis.probability.proportion_ci` (Wilson) on that subset.

**Benefit** (:func:`benefit_by_parameter`): per bin, the difference strategy - reference of
the RMST to ``tau`` (days; :func:`~oncosweep.analysis.survival.rmst`) or of the cure
probability. Its uncertainty is a **paired bootstrap** over the realizations of the bin:
``n_boot`` (default 1000) replicates, each resampling the bin's realizations with
replacement (numpy ``default_rng(seed)``, default seed 0, drawn in order of sweep point then
bin: deterministic), the same resample for both strategies (the same patients). Why a
bootstrap and paired: the two strategies' outcomes of one realization are strongly
correlated (same patient, common random numbers), so the SE of the difference is far below
the independent-samples SE, and the RMST difference of two Kaplan-Meier curves on the same
censored subjects has no simple analytic covariance. The band is the pointwise percentile
interval at ``level``; ``se`` is the replicates' standard deviation. RMST replicates use a
vectorised product-limit computation on the bootstrap case weights (the same curve as the
layer's estimator on the resampled data; tests check them equal). Heterogeneity: Cochran's
Q = sum_k w_k (d_k - d_w)^2 over the non-empty bins, w_k = 1/se_k^2, d_w the w-weighted mean,
chi-square with (bins - 1) degrees of freedom (bins hold disjoint, independent realizations);
a bin whose replicates do not vary (se_k = 0: e.g. every patient of the bin has the same
outcome under both strategies) gets the pooled SE sqrt(v / n_k), v = sum n_k^2 se_k^2 /
sum n_k over the bins that vary, rather than an infinite weight; undefined (NaN, df 0) when
no bin varies. Q and df are summed over sweep points (independent simulations) for the
overall test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from oncosweep.analysis import _data
from oncosweep.analysis.probability import proportion_ci
from oncosweep.analysis.selection import check_strategies, strategy_names, sweep_points
from oncosweep.analysis.survival import rmst, survival_table
from oncosweep.population_math import DRAWN_PREFIX, drawn_name

__all__ = ["BENEFIT_METRICS", "benefit_by_parameter", "drawn_parameters", "plot_benefit",
           "stratified_survival"]

STRATUM = "stratum"
BIN = "bin"
#: metric -> (units, meaning) of :func:`benefit_by_parameter`
BENEFIT_METRICS = {
    "rmst": ("days", "restricted mean time to the event up to tau"),
    "cure": ("1", "probability of cure within the horizon"),
}
_OUTCOMES = ("detected", "progressed", "time_to_progression", "died", "time_to_death", "cured")


def drawn_parameters(ds: Any) -> list[str]:
    """Names of the drawn-parameter variables (``drawn_*`` data variables over
    ``realization``) of a result dataset, in dataset order; ``[]`` without a population."""
    return [str(name) for name, var in ds.data_vars.items()
            if str(name).startswith(DRAWN_PREFIX) and _data.REALIZATION in var.dims]


def _describe(ds: Any, name: str) -> str:
    path = ds[name].attrs.get("parameter")
    return f"{name} ({path})" if path else name


def _resolve(ds: Any, parameter: Any) -> str:
    """The drawn variable named by ``parameter``: its variable name or scenario path."""
    names = drawn_parameters(ds)
    if not names:
        raise ValueError("ds: the dataset has no drawn parameters (no 'drawn_*' variables: "
                         "every realization has the same model parameters)")
    if not isinstance(parameter, str):
        raise ValueError(f"parameter: must be a drawn variable name or scenario path, got "
                         f"{parameter!r}")
    if parameter in names:
        return parameter
    for name in names:
        if ds[name].attrs.get("parameter") == parameter:
            return name
    if drawn_name(parameter) in names:
        return drawn_name(parameter)
    raise ValueError(f"parameter: {parameter!r} is not a drawn parameter of the dataset; "
                     f"drawn: {', '.join(_describe(ds, n) for n in names)}")


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")
    return int(value)


def _load(ds: Any, name: str) -> Any:
    """The variables needed here (loaded), with the drawn variable free of ``strategy``."""
    _data.require(ds, list(_OUTCOMES), "outcome by patient characteristics")
    base = ds[[*_OUTCOMES, name]].load()
    values = base[name]
    if _data.STRATEGY in values.dims:
        first = values.isel({_data.STRATEGY: 0})
        if not all(np.array_equal(first.values, values.isel({_data.STRATEGY: s}).values,
                                  equal_nan=True) for s in range(values.sizes[_data.STRATEGY])):
            raise ValueError(f"ds: drawn variable {name!r} differs between strategies (every "
                             "strategy must see the same patients)")
        base[name] = first
    if values.dtype.kind not in "iuf":
        raise ValueError(f"ds: drawn variable {name!r} must be numeric, got dtype "
                         f"{values.dtype}")
    return base


@dataclass(frozen=True, eq=False)
class _Strata:
    """Quantile strata of a drawn parameter at every sweep point (arrays: point shape first)."""

    dims: tuple[str, ...]      # the sweep (point) dims
    which: np.ndarray          # (*points, realization): stratum index 0..q-1, -1 not analysed
    lower: np.ndarray          # (*points, q): b_(k-1)
    upper: np.ndarray          # (*points, q): b_k
    middle: np.ndarray         # (*points, q): median drawn value of the stratum
    values: np.ndarray         # (*points, realization): the drawn values


def _strata(base: Any, name: str, dims: tuple[str, ...], q: int) -> _Strata:
    detected = base["detected"]
    if _data.STRATEGY in detected.dims:
        detected = detected.any(_data.STRATEGY)
    work = base.assign({"_drawn": base[name].astype(float), "_analysed": detected})
    values = _data.aligned(work, "_drawn", dims)
    analysed = _data.aligned(work, "_analysed", dims).astype(bool)
    shape = values.shape[:-1]
    which = np.full(values.shape, -1, dtype=np.int64)
    lower, upper, middle = (np.full((*shape, q), np.nan) for _ in range(3))
    for index in np.ndindex(shape):
        x = values[index][analysed[index]]
        if not np.all(np.isfinite(x)):
            raise ValueError(f"ds: drawn variable {name!r} is not finite for an analysed "
                             "(detected) realization")
        if x.size == 0:
            continue
        edges = np.quantile(x, np.linspace(0.0, 1.0, q + 1))
        lower[index], upper[index] = edges[:-1], edges[1:]
        groups = np.searchsorted(edges[1:-1], values[index], side="right")
        which[index] = np.where(analysed[index], groups, -1)
        for k in range(q):
            members = x[groups[analysed[index]] == k]
            if members.size:
                middle[index + (k,)] = np.median(members)
    return _Strata(dims=dims, which=which, lower=lower, upper=upper, middle=middle,
                   values=values)


def _bound_coords(ds: Any, name: str, strata: _Strata, dim: str) -> dict[str, Any]:
    attrs = ds[name].attrs
    units = {"units": attrs["units"]} if "units" in attrs else {}
    path = attrs.get("parameter", name)
    dims = (dim, *strata.dims)
    return {f"{dim}_lower": (dims, np.moveaxis(strata.lower, -1, 0),
                             {"long_name": f"lower bound of {path} in the {dim}", **units}),
            f"{dim}_upper": (dims, np.moveaxis(strata.upper, -1, 0),
                             {"long_name": f"upper bound of {path} in the {dim}", **units}),
            f"{dim}_median": (dims, np.moveaxis(strata.middle, -1, 0),
                              {"long_name": f"median of {path} over the {dim}'s analysed "
                                            "realizations", **units})}


def _parameter_attrs(ds: Any, name: str) -> dict[str, Any]:
    attrs = ds[name].attrs
    return {"variable": name, "parameter": str(attrs.get("parameter", name)),
            "parameter_units": str(attrs.get("units", "")),
            "distribution": str(attrs.get("distribution", ""))}


def stratified_survival(ds: Any, parameter: str, *, quantiles: int = 4,
                        endpoint: str = "progression", tau: float | None = None,
                        level: float = 0.95) -> Any:
    """Survival and cure per quantile stratum of a drawn parameter, per strategy and sweep
    point (strata: see the module docstring; detected realizations only).

    ``parameter``: the drawn variable (``"drawn_tumour_birth_rate"``) or its scenario path
    (``"tumour.birth_rate"``). ``quantiles``: the number of strata (>= 2). ``endpoint``,
    ``tau`` (days, default the horizon) and ``level``: as in
    :func:`~oncosweep.analysis.survival.survival_table`.

    Returns an ``xarray.Dataset`` with dims (``strategy``, ``stratum``, sweep axes...):
    the variables of :func:`~oncosweep.analysis.survival.survival_table` (``n``, ``events``,
    ``median`` and its interval, ``rmst`` with SE and interval) on each stratum's
    realizations, and ``cure``, ``cure_lower``, ``cure_upper`` (cured within the horizon,
    Wilson interval); coordinates ``stratum`` (1 = lowest values), ``stratum_lower``,
    ``stratum_upper`` and ``stratum_median`` (in the parameter's units).
    """
    import xarray as xr  # noqa: PLC0415

    name = _resolve(ds, parameter)
    q = _check_int(quantiles, "quantiles", 2)
    _data.check_endpoint(endpoint)
    level = _data.check_level(level)
    base = _load(ds, name)
    group = _data.group_dims(base, "progressed" if endpoint == "progression" else "died")
    dims = tuple(d for d in group if d != _data.STRATEGY)
    strata = _strata(base, name, dims, q)
    membership = xr.DataArray(strata.which, dims=(*dims, _data.REALIZATION))
    tables = []
    for k in range(q):
        sub = base.assign(detected=base["detected"] & (membership == k))
        table = survival_table(sub, endpoint=endpoint, tau=tau, level=level)
        analysed = _data.aligned(sub, "detected", group).astype(bool)
        cured = _data.aligned(sub, "cured", group).astype(bool) & analysed
        cure = proportion_ci(cured.sum(axis=-1), analysed.sum(axis=-1), level=level)
        for suffix, values in (("", cure.estimate), ("_lower", cure.lower),
                               ("_upper", cure.upper)):
            meaning = ("proportion of the stratum's tumours cured within the horizon"
                       if not suffix else f"{suffix[1:]} bound of cure (Wilson, level {level})")
            table[f"cure{suffix}"] = (group, np.asarray(values, dtype=float),
                                      {"long_name": meaning, "units": "1"})
        tables.append(table)
    out = xr.concat(tables, dim=STRATUM, combine_attrs="override")
    out = out.assign_coords({STRATUM: np.arange(1, q + 1),
                             **_bound_coords(base, name, strata, STRATUM)})
    order = [d for d in (_data.STRATEGY, STRATUM) if d in out.dims]
    out = out.transpose(*order, *(d for d in out.dims if d not in order))
    out.attrs.update(_parameter_attrs(base, name), quantiles=q,
                     strata="stratum k: quantile (k-1)/q <= value < quantile k/q of the "
                            "analysed realizations' drawn values (the last one closed)")
    return out


def _bootstrap_weights(rng: np.random.Generator, m: int, n_boot: int) -> np.ndarray:
    """(n_boot, m) case counts of resampling m realizations with replacement."""
    draws = rng.integers(0, m, size=(n_boot, m)) + m * np.arange(n_boot)[:, None]
    return np.bincount(draws.ravel(), minlength=n_boot * m).reshape(n_boot, m).astype(float)


def _rmst_replicates(time: np.ndarray, event: np.ndarray, weights: np.ndarray,
                     tau: float) -> np.ndarray:
    """Area to ``tau`` under the product-limit curve of (time, event) with case weights
    (replicates, subjects): for integer weights, the Kaplan-Meier RMST of the resampled data
    (flat after the last time with weight), as :func:`~oncosweep.analysis.survival.rmst`."""
    order = np.argsort(time, kind="stable")
    t, e, w = time[order], event[order].astype(float), weights[:, order]
    distinct, first = np.unique(t, return_index=True)
    before = np.concatenate([np.zeros((w.shape[0], 1)), np.cumsum(w, axis=1)], axis=1)
    at_risk = before[:, -1:] - before[:, first]
    events = np.add.reduceat(w * e, first, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - events / at_risk, 1.0)
    steps = np.concatenate([np.ones((w.shape[0], 1)), np.cumprod(factor, axis=1)], axis=1)
    edges = np.minimum(np.concatenate([[0.0], distinct, [np.inf]]), tau)
    return steps @ np.diff(edges)


def _heterogeneity(diff: np.ndarray, se: np.ndarray, n: np.ndarray) -> tuple[float, int]:
    """Cochran's Q over the bins with a difference, and its df (NaN, 0: undefined). A bin
    whose replicates do not vary (se = 0) gets the pooled SE sqrt(v / n_k), v the mean over
    the varying bins of n_k se_k^2 weighted by n_k, instead of an infinite weight."""
    ok = np.isfinite(diff) & np.isfinite(se) & (n > 0)
    varying = ok & (se > 0)
    if ok.sum() < 2 or not varying.any():
        return float("nan"), 0
    pooled = np.sum(n[varying] ** 2 * se[varying] ** 2) / np.sum(n[varying])
    weight = 1.0 / np.where(se[ok] > 0, se[ok] ** 2, pooled / n[ok])
    mean = np.sum(weight * diff[ok]) / np.sum(weight)
    return float(np.sum(weight * (diff[ok] - mean) ** 2)), int(ok.sum() - 1)


def benefit_by_parameter(ds: Any, parameter: str, *, reference: str, strategy: str,
                         metric: str = "rmst", bins: int = 5, endpoint: str = "progression",
                         tau: float | None = None, level: float = 0.95, n_boot: int = 1000,
                         seed: int = 0) -> Any:
    """The benefit of ``strategy`` over ``reference`` (difference strategy - reference) as a
    function of a drawn parameter: per quantile bin of the parameter and sweep point, with a
    paired-bootstrap band and a test of heterogeneity (method: the module docstring).

    ``metric``: ``"rmst"`` (RMST of ``endpoint`` to ``tau`` days, default the horizon; days)
    or ``"cure"`` (probability of cure within the horizon; 1). ``bins``: quantile bins
    (>= 2). ``level``: of the band. ``n_boot`` (>= 2) and ``seed`` (>= 0): the bootstrap.

    Returns an ``xarray.Dataset`` with dims (``bin``, sweep axes...): ``difference``,
    ``lower``, ``upper`` (percentile band), ``se``, ``n`` (realizations in the bin),
    ``strategy_value`` and ``reference_value``; per sweep point ``heterogeneity_chi2``,
    ``heterogeneity_df`` and ``heterogeneity_pvalue``; coordinates ``bin`` (1 = lowest),
    ``bin_lower``, ``bin_upper``, ``bin_median`` (parameter units). ``attrs``: the overall
    test (``heterogeneity_chi2``, ``heterogeneity_df``, ``heterogeneity_pvalue``: Q summed
    over sweep points; NaN with df 0 where no bin varies), ``units``, ``metric``,
    ``reference``, ``strategy``, ``n_boot``, ``seed``, ``level``, ``method``.
    """
    import xarray as xr  # noqa: PLC0415

    name = _resolve(ds, parameter)
    if metric not in BENEFIT_METRICS:
        raise ValueError(f"metric: must be one of {', '.join(map(repr, BENEFIT_METRICS))}, "
                         f"got {metric!r}")
    n_bins = _check_int(bins, "bins", 2)
    n_boot = _check_int(n_boot, "n_boot", 2)
    seed = _check_int(seed, "seed", 0)
    level = _data.check_level(level)
    _data.check_endpoint(endpoint)
    if _data.STRATEGY not in ds.dims:
        raise ValueError("ds: the dataset has no 'strategy' dimension to compare")
    names = [str(s) for s in _data.labels(ds, _data.STRATEGY)]
    for label, value in (("reference", reference), ("strategy", strategy)):
        if value not in names:
            raise ValueError(f"{label}: must be one of the strategies {names}, got {value!r}")
    if reference == strategy:
        raise ValueError(f"strategy: must differ from reference, both are {strategy!r}")
    base = _load(ds, name)
    horizon = _data.horizon_days(base)
    tau = horizon if tau is None else _data.check_days(tau, "tau", horizon=horizon)
    group = _data.group_dims(base, "progressed" if endpoint == "progression" else "died")
    dims = tuple(d for d in group if d != _data.STRATEGY)
    data = _data.endpoint_data(base, endpoint, dims=(_data.STRATEGY, *dims))
    cured = _data.aligned(base, "cured", data.dims).astype(float)
    strata = _strata(base, name, dims, n_bins)
    pair = (names.index(strategy), names.index(reference))
    shape = strata.which.shape[:-1]
    out = {v: np.full((*shape, n_bins), np.nan) for v in
           ("difference", "lower", "upper", "se", "n", "strategy_value", "reference_value")}
    rng = np.random.default_rng(seed)
    for index in np.ndindex(shape):
        both = data.detected[(pair[0], *index)] & data.detected[(pair[1], *index)]
        for b in range(n_bins):
            rows = np.nonzero(both & (strata.which[index] == b))[0]
            at = (*index, b)
            out["n"][at] = rows.size
            if rows.size == 0:
                continue
            weights = _bootstrap_weights(rng, rows.size, n_boot)
            values, replicates = [], []
            for s in pair:
                if metric == "rmst":
                    time, event = data.time[(s, *index)][rows], data.event[(s, *index)][rows]
                    values.append(rmst(time, event, tau=tau, level=level).value)
                    replicates.append(_rmst_replicates(time, event, weights, tau))
                else:
                    hit = cured[(s, *index)][rows]
                    values.append(proportion_ci(hit.sum(), rows.size).estimate)
                    replicates.append(weights @ hit / rows.size)
            difference = replicates[0] - replicates[1]
            out["strategy_value"][at], out["reference_value"][at] = values
            out["difference"][at] = values[0] - values[1]
            out["lower"][at], out["upper"][at] = np.quantile(
                difference, [(1 - level) / 2, (1 + level) / 2])
            out["se"][at] = np.std(difference, ddof=1)
    chi2, df = np.full(shape, np.nan), np.zeros(shape, dtype=np.int64)
    for index in np.ndindex(shape):
        chi2[index], df[index] = _heterogeneity(out["difference"][index], out["se"][index],
                                                out["n"][index])
    with np.errstate(invalid="ignore"):
        pvalue = np.where(df > 0, stats.chi2.sf(chi2, np.maximum(df, 1)), np.nan)
    total_df = int(df.sum())
    total_chi2 = float(np.nansum(chi2)) if total_df else float("nan")
    units, meaning = BENEFIT_METRICS[metric]
    what = f"{meaning} ({endpoint})" if metric == "rmst" else meaning
    bin_dims = (BIN, *dims)
    long_names = {
        "difference": f"{strategy} - {reference}: {what}",
        "lower": f"lower bound of the difference (paired bootstrap percentile, level {level})",
        "upper": f"upper bound of the difference (paired bootstrap percentile, level {level})",
        "se": "paired bootstrap standard error of the difference",
        "n": "analysed realizations in the bin",
        "strategy_value": f"{what} under {strategy}",
        "reference_value": f"{what} under {reference}"}
    variables: dict[str, Any] = {
        key: (bin_dims, np.moveaxis(values, -1, 0) if key != "n"
              else np.moveaxis(values, -1, 0).astype(np.int64),
              {"long_name": long_names[key], "units": "1" if key == "n" else units})
        for key, values in out.items()}
    variables["heterogeneity_chi2"] = (dims, chi2, {"long_name": "Cochran's Q of the bins"})
    variables["heterogeneity_df"] = (dims, df, {"long_name": "degrees of freedom of Q"})
    variables["heterogeneity_pvalue"] = (dims, pvalue, {
        "long_name": "p-value of equal differences in every bin (chi-square)"})
    coords = {**_data.group_coords(base, dims), BIN: np.arange(1, n_bins + 1),
              **_bound_coords(base, name, strata, BIN)}
    attrs = {**_parameter_attrs(base, name), "metric": metric, "units": units,
             "endpoint": endpoint, "reference": reference, "strategy": strategy,
             "bins": n_bins, "level": level, "n_boot": n_boot, "seed": seed,
             "method": "paired bootstrap over the realizations of each bin (percentile band); "
                       "heterogeneity: Cochran's Q, chi-square",
             "heterogeneity_chi2": total_chi2, "heterogeneity_df": total_df,
             "heterogeneity_pvalue": float(stats.chi2.sf(total_chi2, total_df))
             if total_df else float("nan")}
    if metric == "rmst":
        attrs["tau_days"] = tau
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def plot_benefit(ds: Any, parameter: str, *, reference: str | None = None,
                 strategies: Sequence[str] | None = None, metric: str = "rmst",
                 bins: int = 5, endpoint: str = "progression", tau: float | None = None,
                 level: float = 0.95, n_boot: int = 1000, seed: int = 0,
                 point: Mapping[str, Any] | None = None, ax: Any = None) -> Any:
    """The benefit of each strategy over ``reference`` (default: the first strategy) against
    a drawn parameter: :func:`benefit_by_parameter` of every other strategy (or of
    ``strategies``), drawn at each bin's median parameter value with its shaded band; dotted
    vertical lines: the inner bin edges; the legend gives each strategy's heterogeneity
    p-value. One panel per sweep point left after ``point``. The x axis is logarithmic when
    the drawn values span more than a factor 10; units on both axes. Returns a matplotlib
    ``Figure``."""
    from matplotlib.ticker import NullFormatter  # noqa: PLC0415

    from oncosweep.analysis import plots  # noqa: PLC0415 - matplotlib (Agg) on first use

    name = _resolve(ds, parameter)
    names = strategy_names(ds)
    if _data.STRATEGY not in ds.dims or len(names) < 2:
        raise ValueError(f"ds: needs at least two strategies to compare, got {names}")
    reference = names[0] if reference is None else reference
    if reference not in names:
        raise ValueError(f"reference: must be one of the strategies {names}, got {reference!r}")
    chosen = [s for s in names if s != reference] if strategies is None else \
        check_strategies(strategies, names)
    colours = plots._colours(names)
    panels = sweep_points(ds, point)
    fig, axes = plots._grid(len(panels), ax=ax, sharey=True)
    attrs = ds[name].attrs
    path, p_units = attrs.get("parameter", name), attrs.get("units", "")
    units = BENEFIT_METRICS.get(metric, ("",))[0]
    for axis, (label, one) in zip(axes, panels, strict=True):
        benefit = None
        for strategy in chosen:
            benefit = benefit_by_parameter(one, name, reference=reference, strategy=strategy,
                                           metric=metric, bins=bins, endpoint=endpoint,
                                           tau=tau, level=level, n_boot=n_boot, seed=seed)
            x = benefit["bin_median"].values
            axis.fill_between(x, benefit["lower"].values, benefit["upper"].values,
                              color=colours[strategy], alpha=0.2, linewidth=0)
            p = benefit.attrs["heterogeneity_pvalue"]
            test = f"heterogeneity p = {p:.2g}" if np.isfinite(p) else "no variation"
            axis.plot(x, benefit["difference"].values, "o-", color=colours[strategy],
                      label=f"{strategy} ({test})")
        if benefit is not None:
            for edge in benefit["bin_upper"].values[:-1]:
                axis.axvline(edge, color="0.8", linewidth=0.8, linestyle=":")
        axis.axhline(0.0, color="0.4", linewidth=0.8)
        drawn = np.asarray(one[name].values, dtype=float)
        drawn = drawn[np.isfinite(drawn)]
        if drawn.size and drawn.min() > 0 and drawn.max() > 10 * drawn.min():
            axis.set_xscale("log")
            axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel(f"{path} ({p_units})" if p_units else str(path))
        what = f"RMST of {endpoint}" if metric == "rmst" else "cure probability"
        axis.set_ylabel(f"{what}:\ndifference from {reference}"
                        + (f" ({units})" if units != "1" else ""))
        axis.legend(fontsize=7, loc="best")
        axis.set_title(label or f"benefit over {reference} by {path}", fontsize=9)
    return fig
