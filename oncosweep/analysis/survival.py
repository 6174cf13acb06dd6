"""Survival analysis of treatment outcomes: Kaplan–Meier curves, medians, restricted mean
survival times (RMST) and log-rank tests, on arrays and on result datasets.

The estimators are those of :mod:`scipy.stats` (``ecdf`` of
``CensoredData.right_censored`` data, its log-log confidence band, ``logrank``); this module
adds the median's confidence interval, the RMST and its variance, and the dataset plumbing.
Times are in days (since treatment start for datasets). Dataset conventions (detected
realizations only; censoring at death or the horizon) are those of
:mod:`oncosweep.analysis._data`:

* ``"progression"``: event = ``progressed`` at ``time_to_progression``; otherwise censored
  at ``time_to_death`` if the tumour died, else at the horizon (cured or alive);
* ``"death"``: event = ``died`` at ``time_to_death``; otherwise censored at the horizon;
* ``"pfs"``: progression or death, whichever came first; otherwise censored at the horizon.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from oncosweep.analysis import _data

# S(t) <= 1/2 is tested with this slack so that curves that reach exactly 1/2 in exact
# arithmetic (e.g. 2 events among 4 subjects) are not missed through rounding.
_HALF = 0.5 + 1e-12


@dataclass(frozen=True, eq=False)
class KMCurve:
    """A Kaplan–Meier survival curve with its pointwise confidence band, as a
    right-continuous step function: ``survival[i]`` holds on ``[time[i], time[i + 1])`` and
    the last value beyond ``time[-1]``.

    ``time`` (days) starts with 0 where ``survival`` = 1, followed by every distinct observed
    time (event or censoring; a second entry at 0 if events occur at time 0). ``lower`` and
    ``upper``: the pointwise log-log ("exponential Greenwood") band at ``level``, set to 1
    where the estimate is 1 and to 0 where it is 0 (as lifelines does). ``at_risk``: subjects
    still at risk just before each time; ``event_count``: events at each time (0 for the
    leading t = 0 entry). ``n``: subjects; ``events``: events in all.
    """

    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    event_count: np.ndarray
    n: int
    events: int
    level: float

    def evaluate(self, t: Any) -> np.ndarray:
        """S(t) at times ``t`` (days, >= 0): the right-continuous step function, flat after
        the last observed time."""
        t = np.asarray(t, dtype=float)
        if np.any(~(t >= 0)):
            raise ValueError("t: times must be >= 0 days (and not NaN)")
        return self.survival[np.searchsorted(self.time, t, side="right") - 1]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided confidence interval at ``level``.

    ``lower``/``upper`` are NaN where a bound is not defined (for medians: the band never
    reaches 1/2, "not reached"); ``se`` is the standard error where the method has one
    (None otherwise). Units: those of the estimated quantity (days for medians and RMST).
    """

    value: float
    lower: float
    upper: float
    level: float
    se: float | None = None


@dataclass(frozen=True)
class LogrankResult:
    """Two-sided log-rank test of two survival curves.

    ``statistic``: the chi-square statistic (1 degree of freedom), the square of ``z``, as
    most software (lifelines' ``test_statistic``, R's ``survdiff``) reports it. ``z``: scipy's
    signed statistic, (observed - expected events of group a) / sqrt(variance): z > 0 means
    group a has more events than expected under equal hazards (worse survival). ``pvalue``:
    two-sided. NaN (all three) where neither group has an event (the test is undefined).
    """

    statistic: float
    pvalue: float
    z: float


def _as_censored(time: Any, event: Any, *, time_name: str = "time",
                 event_name: str = "event") -> tuple[np.ndarray, np.ndarray]:
    """Validated 1-D float times (days, finite, >= 0) and boolean event flags."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event)
    if t.ndim != 1:
        raise ValueError(f"{time_name}: must be one-dimensional, got shape {t.shape}")
    if e.shape != t.shape:
        raise ValueError(f"{event_name}: must have the shape of {time_name} {t.shape}, "
                         f"got {e.shape}")
    if t.size == 0:
        raise ValueError(f"{time_name}: no observations")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"{time_name}: times must be finite and >= 0 days")
    if e.dtype != bool:
        if not np.all((e == 0) | (e == 1)):
            raise ValueError(f"{event_name}: must be booleans (or 0/1)")
        e = e.astype(bool)
    return t, e


def _censored_data(t: np.ndarray, e: np.ndarray) -> stats.CensoredData:
    return stats.CensoredData.right_censored(t, ~e)


def km_curve(time: Any, event: Any, *, level: float = 0.95) -> KMCurve:
    """Kaplan–Meier estimate of the survival function of right-censored data.

    Parameters
    ----------
    time
        Event or censoring times (days, finite, >= 0), one per subject.
    event
        True where the event was observed at ``time``, False where the subject was censored.
    level
        Confidence level of the pointwise band, in (0, 1): the log-log band of
        ``scipy.stats.ecdf(...).sf.confidence_interval(method="log-log")`` (Kalbfleisch &
        Prentice's "exponential Greenwood" band, lifelines' default).
    """
    t, e = _as_censored(time, event)
    level = _data.check_level(level)
    sf = stats.ecdf(_censored_data(t, e)).sf
    with warnings.catch_warnings():
        # undefined where S is 0 or 1; set below like lifelines
        warnings.filterwarnings("ignore", "The confidence interval is undefined",
                                RuntimeWarning)
        band = sf.confidence_interval(level, method="log-log")
    times, survival = np.asarray(sf.quantiles, float), np.asarray(sf.probabilities, float)
    lower = np.asarray(band.low.probabilities, float).copy()
    upper = np.asarray(band.high.probabilities, float).copy()
    for edge in (1.0, 0.0):
        lower[survival == edge] = edge
        upper[survival == edge] = edge
    at_risk = t.size - np.searchsorted(np.sort(t), times, side="left")
    event_count = np.bincount(np.searchsorted(times, t[e]), minlength=times.size)
    arrays = [np.concatenate([[first], rest]) for first, rest in
              ((0.0, times), (1.0, survival), (1.0, lower), (1.0, upper), (t.size, at_risk),
               (0, event_count))]
    for array in arrays:
        array.flags.writeable = False
    return KMCurve(*arrays, n=int(t.size), events=int(e.sum()), level=level)


def _first_time_at_or_below_half(time: np.ndarray, curve: np.ndarray) -> float:
    below = np.nonzero(curve <= _HALF)[0]
    return float(time[below[0]]) if below.size else float("nan")


def median_survival(time: Any, event: Any, *, level: float = 0.95) -> Estimate:
    """Kaplan–Meier median survival time (days) with a Brookmeyer–Crowley-type interval.

    The median is the first time where the KM estimate is <= 1/2; the interval bounds are the
    first times where the lower and upper log-log bands of :func:`km_curve` are <= 1/2 (as
    lifelines' ``median_survival_times(kmf.confidence_interval_)``). NaN = not reached: the
    curve (or band) stays above 1/2 over the observed times. ``se`` is None.
    """
    curve = km_curve(time, event, level=level)
    return Estimate(value=_first_time_at_or_below_half(curve.time, curve.survival),
                    lower=_first_time_at_or_below_half(curve.time, curve.lower),
                    upper=_first_time_at_or_below_half(curve.time, curve.upper),
                    level=curve.level)


def rmst(time: Any, event: Any, *, tau: float, level: float = 0.95) -> Estimate:
    """Restricted mean survival time: the area under the Kaplan–Meier curve from 0 to
    ``tau`` days, i.e. the estimated mean of min(T, tau), with its standard error.

    The curve is flat after the last observed time (so ``tau`` beyond it extends the last
    value, as lifelines does). Variance (Greenwood-type, Klein & Moeschberger eq. 4.5.2,
    without small-sample correction; as R's survRM2)::

        Var = sum over event times t_i <= tau of A_i**2 * d_i / (n_i * (n_i - d_i)),
        A_i = integral of S from t_i to tau,

    with d_i events among n_i at risk (a term with n_i = d_i has A_i = 0 and counts 0).
    ``se`` = sqrt(Var); the interval is the normal one, value +- z * se, clipped to [0, tau].
    Note: lifelines' ``restricted_mean_survival_time(..., return_variance=True)`` returns the
    variance of min(T, tau) under the KM distribution, not of the estimator; without
    censoring the two are related by Var = that variance / n.
    """
    t, e = _as_censored(time, event)
    tau = _data.check_days(tau, "tau")
    curve = km_curve(t, e, level=level)
    edges = np.minimum(np.append(curve.time, np.inf), tau)
    area_before = np.concatenate([[0.0], np.cumsum(curve.survival * np.diff(edges))])
    value = float(area_before[-1])
    tail = value - area_before[:-1]                   # A at each curve time
    counted = (curve.event_count > 0) & (curve.time <= tau) & (curve.at_risk > curve.event_count)
    d = curve.event_count[counted].astype(float)
    n = curve.at_risk[counted].astype(float)
    se = float(np.sqrt(np.sum(tail[counted] ** 2 * d / (n * (n - d)))))
    z = float(special.ndtri(0.5 + curve.level / 2))
    return Estimate(value=value, lower=max(value - z * se, 0.0), upper=min(value + z * se, tau),
                    level=curve.level, se=se)


def logrank(time_a: Any, event_a: Any, time_b: Any, event_b: Any) -> LogrankResult:
    """Two-sided log-rank test of equal survival functions of groups a and b
    (``scipy.stats.logrank``, ``alternative="two-sided"``).

    Times in days (finite, >= 0); events True where observed, False where censored. The test
    assumes independent groups; strategies that share common random numbers (realizations of
    one sweep point) are positively correlated, which usually makes it conservative. scipy's
    one-sided alternatives are stated in terms of survival/hazards of ``x`` (a); this
    function reports only the two-sided test and the sign of ``z`` (see
    :class:`LogrankResult`).
    """
    ta, ea = _as_censored(time_a, event_a, time_name="time_a", event_name="event_a")
    tb, eb = _as_censored(time_b, event_b, time_name="time_b", event_name="event_b")
    if not (ea.any() or eb.any()):
        nan = float("nan")
        return LogrankResult(statistic=nan, pvalue=nan, z=nan)
    result = stats.logrank(_censored_data(ta, ea), _censored_data(tb, eb),
                           alternative="two-sided")
    z = float(result.statistic)
    return LogrankResult(statistic=z * z, pvalue=float(result.pvalue), z=z)


# ------------------------------------------------------------------ datasets


@dataclass(frozen=True, eq=False)
class SurvivalCurves(Mapping[tuple[Any, ...], KMCurve]):
    """Kaplan–Meier curves of one endpoint per group of a dataset: a read-only mapping from
    the tuple of group labels (in the order of ``dims``, e.g. ``("continuous", 1e-9)`` for
    dims ``("strategy", "tumour.loci[0].mutation_rate")``; ``()`` for a single group) to a
    :class:`KMCurve`. Groups without detected realizations have no curve.
    ``horizon``: days.
    """

    endpoint: str
    dims: tuple[str, ...]
    curves: dict[tuple[Any, ...], KMCurve]
    horizon: float

    def __getitem__(self, key: tuple[Any, ...]) -> KMCurve:
        return self.curves[key]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.curves)

    def __len__(self) -> int:
        return len(self.curves)

    def to_dataframe(self) -> Any:
        """A tidy pandas DataFrame: one row per curve step, columns ``*dims``, ``time``
        (days), ``survival``, ``lower``, ``upper``, ``at_risk``."""
        import pandas as pd  # noqa: PLC0415

        frames = []
        for key, curve in self.curves.items():
            frame = pd.DataFrame({"time": curve.time, "survival": curve.survival,
                                  "lower": curve.lower, "upper": curve.upper,
                                  "at_risk": curve.at_risk})
            for dim, label in zip(self.dims, key, strict=True):
                frame.insert(len(frame.columns) - 5, dim, label)
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=[*self.dims, "time", "survival", "lower", "upper",
                                         "at_risk"])
        return pd.concat(frames, ignore_index=True)


def survival_curves(ds: Any, *, endpoint: str = "progression",
                    level: float = 0.95) -> SurvivalCurves:
    """Kaplan–Meier curves (with log-log bands at ``level``) of ``endpoint``
    (``"progression"``, ``"death"`` or ``"pfs"``; see the module docstring for the censoring)
    for every strategy and sweep point of a result dataset, over its detected realizations."""
    level = _data.check_level(level)
    data = _data.endpoint_data(ds, endpoint)
    curves = {}
    for index in _data.group_indices(data.shape):
        time, event = data.group(index)
        if time.size:
            curves[_data.group_key(data, index)] = km_curve(time, event, level=level)
    return SurvivalCurves(endpoint=endpoint, dims=data.dims, curves=curves,
                          horizon=data.horizon)


_TABLE_VARIABLES = {
    "n": ("detected realizations analysed", "1"),
    "events": ("events observed", "1"),
    "median": ("Kaplan-Meier median time to the event (NaN: not reached)", "days"),
    "median_lower": ("lower bound of the median's confidence interval (NaN: not reached)",
                     "days"),
    "median_upper": ("upper bound of the median's confidence interval (NaN: not reached)",
                     "days"),
    "rmst": ("restricted mean time to the event up to tau (area under the KM curve)", "days"),
    "rmst_se": ("standard error of rmst (Greenwood-type)", "days"),
    "rmst_lower": ("lower bound of rmst's normal confidence interval", "days"),
    "rmst_upper": ("upper bound of rmst's normal confidence interval", "days"),
}


def survival_table(ds: Any, *, endpoint: str = "progression", tau: float | None = None,
                   level: float = 0.95) -> Any:
    """Per strategy and sweep point: n, events, KM median with its interval and RMST to
    ``tau`` with its standard error and interval, as an ``xarray.Dataset`` over the group
    dims (see :func:`median_survival`, :func:`rmst`).

    ``tau``: days, in (0, horizon]; default the horizon. Groups without detected
    realizations have n = events = 0 and NaN statistics (undefined).
    """
    import xarray as xr  # noqa: PLC0415

    level = _data.check_level(level)
    data = _data.endpoint_data(ds, endpoint)
    tau = data.horizon if tau is None else _data.check_days(tau, "tau", horizon=data.horizon)
    table = {name: np.full(data.shape, np.nan) for name in _TABLE_VARIABLES}
    for index in _data.group_indices(data.shape):
        time, event = data.group(index)
        table["n"][index], table["events"][index] = time.size, event.sum()
        if time.size == 0:
            continue
        median = median_survival(time, event, level=level)
        area = rmst(time, event, tau=tau, level=level)
        for name, value in (("median", median.value), ("median_lower", median.lower),
                            ("median_upper", median.upper), ("rmst", area.value),
                            ("rmst_se", area.se), ("rmst_lower", area.lower),
                            ("rmst_upper", area.upper)):
            table[name][index] = value
    variables = {}
    for name, (meaning, units) in _TABLE_VARIABLES.items():
        values = table[name].astype(np.int64) if name in ("n", "events") else table[name]
        variables[name] = (data.dims, values, {"long_name": meaning, "units": units})
    return xr.Dataset(variables, coords=_data.group_coords(ds, data.dims),
                      attrs={"endpoint": endpoint, "tau_days": tau, "level": level,
                             "horizon_days": data.horizon})


def compare_strategies(ds: Any, *, endpoint: str = "progression",
                       reference: str | None = None) -> Any:
    """Two-sided log-rank test of each strategy against ``reference`` (default: the first
    strategy) at every sweep point, over detected realizations, as an ``xarray.Dataset``
    with dims ``strategy`` (the others) and the sweep axes: ``statistic`` (chi-square, 1 df),
    ``z`` (> 0: the strategy has more events than expected, i.e. does worse than the
    reference) and ``pvalue``; NaN where neither group has an event or one is empty. See
    :func:`logrank` for the caveat on common random numbers.
    """
    import xarray as xr  # noqa: PLC0415

    data = _data.endpoint_data(ds, endpoint)
    if _data.STRATEGY not in data.dims:
        raise ValueError("ds: the dataset has no 'strategy' dimension to compare")
    axis = data.dims.index(_data.STRATEGY)
    names = data.coords[_data.STRATEGY]
    if len(names) < 2:
        raise ValueError(f"ds: needs at least two strategies to compare, got {names}")
    if reference is None:
        reference = names[0]
    if reference not in names:
        raise ValueError(f"reference: must be one of the strategies {names}, got {reference!r}")
    ref = names.index(reference)
    others = [i for i in range(len(names)) if i != ref]
    shape = list(data.shape)
    shape[axis] = len(others)
    results = {name: np.full(shape, np.nan) for name in ("statistic", "z", "pvalue")}
    for index in _data.group_indices(tuple(shape)):
        here = list(index)
        here[axis] = others[index[axis]]
        there = list(index)
        there[axis] = ref
        time_a, event_a = data.group(tuple(here))
        time_b, event_b = data.group(tuple(there))
        if time_a.size == 0 or time_b.size == 0:
            continue
        test = logrank(time_a, event_a, time_b, event_b)
        for name in results:
            results[name][index] = getattr(test, name)
    coords = _data.group_coords(ds, data.dims)
    coords[_data.STRATEGY] = [names[i] for i in others]
    meanings = {"statistic": "log-rank chi-square statistic (1 degree of freedom)",
                "z": "signed log-rank statistic (> 0: more events than expected, worse than "
                     "the reference)",
                "pvalue": "two-sided log-rank p-value"}
    return xr.Dataset({name: (data.dims, values, {"long_name": meanings[name]})
                       for name, values in results.items()}, coords=coords,
                      attrs={"endpoint": endpoint, "reference": reference})
