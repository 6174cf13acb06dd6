"""Survival analysis (oncosweep.analysis.survival): hand-computed cases, lifelines on the same
data, and the dataset conventions (detected only; censoring at death or the horizon).

Deterministic (fixed seeds). Tolerances: 1e-12 absolute on hand-computed values; 1e-10
relative against lifelines, except lifelines' RMST "variance", which is a different quantity
(see test_rmst_variance_without_censoring_is_the_variance_of_the_mean) integrated with quad.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time
from scipy import special

import oncosweep.analysis.accessor  # noqa: F401 - registers ds.oncosweep
from oncosweep.analysis import survival as sv
from oncosweep.analysis.summary import km_median

Z95 = special.ndtri(0.975)
STORE = Path(__file__).resolve().parents[1] / "results" / "quickstart_sweep.zarr"


def censored_sample(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exponential event times censored by exponential times, rounded to 0.1 day (ties)."""
    rng = np.random.default_rng(seed)
    event_time = np.round(rng.exponential(100.0, n), 1) + 0.1
    censor_time = np.round(rng.exponential(150.0, n), 1) + 0.1
    return np.minimum(event_time, censor_time), event_time <= censor_time


def lifelines_fit(time: np.ndarray, event: np.ndarray) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(time, event, alpha=0.05)


def nan_for_inf(value: float) -> float:
    return float("nan") if np.isinf(value) else float(value)


# ------------------------------------------------------------------ hand-computed cases

HAND_TIME = np.array([2.0, 3.0, 3.0, 5.0, 8.0])
HAND_EVENT = np.array([True, True, False, True, False])


def test_km_curve_on_five_subjects_computed_by_hand() -> None:
    curve = sv.km_curve(HAND_TIME, HAND_EVENT)
    # at 2: 5 at risk, 1 event; at 3: 4 at risk, 1 event (+1 censored); at 5: 2 at risk, 1
    # event; at 8: 1 censored
    np.testing.assert_array_equal(curve.time, [0, 2, 3, 5, 8])
    np.testing.assert_allclose(curve.survival, [1, 4 / 5, 3 / 5, 3 / 10, 3 / 10], atol=1e-12)
    np.testing.assert_array_equal(curve.at_risk, [5, 5, 4, 2, 1])
    np.testing.assert_array_equal(curve.event_count, [0, 1, 1, 1, 0])
    assert (curve.n, curve.events, curve.level) == (5, 3, 0.95)
    # log-log band: exp(-exp(log(-log S) +- z * sqrt(greenwood) / |log S|))
    greenwood = np.cumsum([0, 1 / (5 * 4), 1 / (4 * 3), 1 / (2 * 1), 0])
    s = curve.survival[1:]
    se = np.sqrt(greenwood[1:]) / np.abs(np.log(s))
    np.testing.assert_allclose(curve.lower[1:], np.exp(-np.exp(np.log(-np.log(s)) + Z95 * se)),
                               rtol=1e-12)
    np.testing.assert_allclose(curve.upper[1:], np.exp(-np.exp(np.log(-np.log(s)) - Z95 * se)),
                               rtol=1e-12)
    assert curve.lower[0] == curve.upper[0] == 1.0
    # right-continuous step function, flat after the last time
    np.testing.assert_allclose(curve.evaluate([0, 1.99, 2, 4.5, 5, 100]),
                               [1, 1, 0.8, 0.6, 0.3, 0.3], atol=1e-12)
    with pytest.raises(ValueError, match="t: times must be >= 0"):
        curve.evaluate(-1)
    with pytest.raises(ValueError):
        curve.survival[0] = 0.5  # read-only


def test_median_and_rmst_computed_by_hand() -> None:
    median = sv.median_survival(HAND_TIME, HAND_EVENT)
    assert median.value == 5.0 and median.se is None
    curve = sv.km_curve(HAND_TIME, HAND_EVENT)
    # the bounds are the first times where the band is <= 1/2 (NaN: never)
    first = [float(curve.time[np.nonzero(band <= 0.5)[0][0]]) if (band <= 0.5).any()
             else np.nan for band in (curve.lower, curve.upper)]
    np.testing.assert_equal([median.lower, median.upper], first)
    assert median.lower == 2.0 and np.isnan(median.upper)     # upper band stays above 1/2
    area = sv.rmst(HAND_TIME, HAND_EVENT, tau=6.0)
    # 2 * 1 + 1 * 0.8 + 2 * 0.6 + 1 * 0.3
    assert area.value == pytest.approx(4.3, abs=1e-12)
    # A_i = integral of S from t_i to 6: 2.3 (t = 2), 1.5 (t = 3), 0.3 (t = 5)
    variance = 2.3**2 / (5 * 4) + 1.5**2 / (4 * 3) + 0.3**2 / (2 * 1)
    assert area.se == pytest.approx(np.sqrt(variance), abs=1e-12)
    assert area.lower == pytest.approx(4.3 - Z95 * area.se, abs=1e-12)
    assert area.upper == pytest.approx(min(4.3 + Z95 * area.se, 6.0), abs=1e-12)
    # tau beyond the last time: the last value extends (2 more days at 0.3)
    assert sv.rmst(HAND_TIME, HAND_EVENT, tau=10.0).value == pytest.approx(
        2 + 0.8 + 1.2 + 0.9 + 2 * 0.3, abs=1e-12)


def test_median_exactly_one_half_is_reached() -> None:
    # S = 3/4, 1/2, 1/4, 0: the median is the first time with S <= 1/2, despite rounding
    median = sv.median_survival([1.0, 2.0, 3.0, 4.0], [True] * 4)
    assert median.value == 2.0


def test_curve_edges_no_events_and_all_events() -> None:
    none = sv.km_curve([1.0, 2.0, 3.0], [False] * 3)
    np.testing.assert_array_equal(none.survival, 1.0)
    np.testing.assert_array_equal(none.lower, 1.0)
    np.testing.assert_array_equal(none.upper, 1.0)
    assert np.isnan(sv.median_survival([1.0, 2.0], [0, 0]).value)
    everyone = sv.km_curve([1.0, 2.0], [1, 1])
    assert everyone.survival[-1] == everyone.lower[-1] == everyone.upper[-1] == 0.0
    area = sv.rmst([1.0, 2.0], [1, 1], tau=5.0)
    # mean of min(T, 5) = 1.5; without censoring Var = population variance / n = 0.25 / 2
    assert area.value == pytest.approx(1.5) and area.se == pytest.approx(np.sqrt(0.125))


def test_logrank_computed_by_hand() -> None:
    time_a, event_a = np.array([1.0, 3, 4, 6]), np.array([1, 1, 0, 1], bool)
    time_b, event_b = np.array([2.0, 3, 5, 7, 8]), np.array([1, 0, 1, 1, 0], bool)
    observed = expected = variance = 0.0
    for t in np.unique(np.concatenate([time_a[event_a], time_b[event_b]])):
        n_a, n_b = (time_a >= t).sum(), (time_b >= t).sum()
        d_a = ((time_a == t) & event_a).sum()
        d = d_a + ((time_b == t) & event_b).sum()
        n = n_a + n_b
        observed += d_a
        expected += d * n_a / n
        variance += d * (n_a / n) * (n_b / n) * (n - d) / max(n - 1, 1)
    z = (observed - expected) / np.sqrt(variance)
    result = sv.logrank(time_a, event_a, time_b, event_b)
    assert result.z == pytest.approx(z, rel=1e-12)
    assert result.statistic == pytest.approx(z * z, rel=1e-12)
    assert result.pvalue == pytest.approx(2 * special.ndtr(-abs(z)), rel=1e-10)
    nothing = sv.logrank([1.0, 2.0], [0, 0], [3.0], [0])
    assert np.isnan(nothing.statistic) and np.isnan(nothing.pvalue)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: sv.km_curve([], []), "time: no observations"),
    (lambda: sv.km_curve([1.0, -1.0], [1, 0]), "time: times must be finite and >= 0"),
    (lambda: sv.km_curve([1.0, np.nan], [1, 0]), "time: times must be finite"),
    (lambda: sv.km_curve([1.0, 2.0], [1, 2]), "event: must be booleans"),
    (lambda: sv.km_curve([1.0, 2.0], [1]), "event: must have the shape"),
    (lambda: sv.km_curve([1.0], [1], level=1.0), "level: must be in"),
    (lambda: sv.rmst([1.0], [1], tau=0.0), "tau: must be a finite number of days > 0"),
    (lambda: sv.logrank([1.0], [1], [2.0], [3]), "event_b: must be booleans"),
])
def test_bad_arguments_are_refused(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# ------------------------------------------------------------------ against lifelines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_km_curve_and_band_match_lifelines(seed: int) -> None:
    time, event = censored_sample(seed, 80)
    curve = sv.km_curve(time, event)
    fit = lifelines_fit(time, event)
    np.testing.assert_array_equal(curve.time, fit.survival_function_.index.values)
    np.testing.assert_allclose(curve.survival, fit.survival_function_.iloc[:, 0].values,
                               rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(curve.lower, fit.confidence_interval_.iloc[:, 0].values,
                               rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(curve.upper, fit.confidence_interval_.iloc[:, 1].values,
                               rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(curve.at_risk, fit.event_table["at_risk"].values)


@pytest.mark.parametrize(("seed", "level"), [(1, 0.95), (2, 0.9), (4, 0.95), (5, 0.8)])
def test_median_and_its_interval_match_lifelines(seed: int, level: float) -> None:
    time, event = censored_sample(seed, 60)
    median = sv.median_survival(time, event, level=level)
    fit = KaplanMeierFitter().fit(time, event, alpha=1 - level)
    bounds = median_survival_times(fit.confidence_interval_).iloc[0].values
    assert median.value == pytest.approx(nan_for_inf(fit.median_survival_time_), rel=1e-10)
    np.testing.assert_allclose([median.lower, median.upper], [nan_for_inf(b) for b in bounds],
                               rtol=1e-10)
    assert np.isfinite(median.value) and np.isfinite(median.lower)


@pytest.mark.parametrize(("seed", "tau"), [(1, 50.0), (2, 150.0), (3, 400.0)])
def test_rmst_matches_lifelines(seed: int, tau: float) -> None:
    time, event = censored_sample(seed, 70)
    area = sv.rmst(time, event, tau=tau)
    expected = restricted_mean_survival_time(lifelines_fit(time, event), t=tau)
    assert area.value == pytest.approx(expected, rel=1e-10)


def test_rmst_variance_without_censoring_is_the_variance_of_the_mean() -> None:
    """Without censoring the KM is the empirical distribution: RMST = mean of min(T, tau)
    and the Greenwood-type variance is its population variance / n. lifelines'
    ``return_variance`` is that population variance (of min(T, tau), not of the estimator),
    integrated by quad over a step function (IntegrationWarning): agreement to 1e-3."""
    rng = np.random.default_rng(7)
    time = np.round(rng.exponential(50.0, 8), 2)
    event = np.ones(time.size, bool)
    area = sv.rmst(time, event, tau=60.0)
    truncated = np.minimum(time, 60.0)
    assert area.value == pytest.approx(truncated.mean(), rel=1e-12)
    assert area.se**2 == pytest.approx(truncated.var() / time.size, rel=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean, variance = restricted_mean_survival_time(lifelines_fit(time, event), t=60.0,
                                                        return_variance=True)
    assert mean == pytest.approx(area.value, rel=1e-10)
    assert variance / time.size == pytest.approx(area.se**2, rel=1e-3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_logrank_matches_lifelines(seed: int) -> None:
    time_a, event_a = censored_sample(seed, 50)
    time_b, event_b = censored_sample(seed + 100, 40)
    time_b = time_b * 1.4
    result = sv.logrank(time_a, event_a, time_b, event_b)
    expected = logrank_test(time_a, time_b, event_a, event_b)
    assert result.statistic == pytest.approx(expected.test_statistic, rel=1e-10)
    assert result.pvalue == pytest.approx(expected.p_value, rel=1e-10)


# ------------------------------------------------------------------ datasets

HORIZON = 50.0


def hand_dataset() -> xr.Dataset:
    """2 strategies x 2 sweep points x 6 realizations; realization 5 is not detected and
    must be ignored (its values would change every statistic)."""
    progressed = np.zeros((2, 2, 6), bool)
    ttp = np.full((2, 2, 6), np.nan)
    died = np.zeros((2, 2, 6), bool)
    ttd = np.full((2, 2, 6), np.nan)
    cured = np.zeros((2, 2, 6), bool)
    # group (a, 1.0): r0 progresses at 10; r1 dies at 15 without progression; r2 is cured;
    # r3 progresses at 20 and dies at 30; r4 is alive at the horizon; r5 (undetected)
    # would progress at 1
    progressed[0, 0, [0, 3, 5]] = True
    ttp[0, 0, [0, 3, 5]] = [10.0, 20.0, 1.0]
    died[0, 0, [1, 3]] = True
    ttd[0, 0, [1, 3]] = [15.0, 30.0]
    cured[0, 0, 2] = True
    # the other groups: everything progresses at (g + 1) * (r + 1) days, no deaths
    for s, p in [(0, 1), (1, 0), (1, 1)]:
        g = 2 * s + p
        progressed[s, p] = True
        ttp[s, p] = (g + 1) * (np.arange(6) + 1.0)
    dims = ("strategy", "dose", "realization")
    return xr.Dataset(
        {"detected": ("realization", np.array([True] * 5 + [False])),
         "progressed": (dims, progressed), "time_to_progression": (dims, ttp),
         "died": (dims, died), "time_to_death": (dims, ttd), "cured": (dims, cured)},
        coords={"strategy": ["a", "b"], "dose": [1.0, 2.0], "realization": np.arange(6)},
        attrs={"scenario": yaml.safe_dump({"simulation": {"horizon": HORIZON}})})


def test_dataset_conventions_by_hand() -> None:
    ds = hand_dataset()
    table = sv.survival_table(ds, endpoint="progression")
    one = table.sel(strategy="a", dose=1.0)
    # times [10, 15+, 50+, 20, 50+]: S = 0.8 from 10, 0.8 * 2/3 from 20
    assert int(one.n) == 5 and int(one.events) == 2
    assert np.isnan(one["median"])                   # not reached
    assert float(one.rmst) == pytest.approx(10 + 10 * 0.8 + 30 * 0.8 * 2 / 3, abs=1e-12)
    assert table.attrs["tau_days"] == HORIZON
    curve = sv.survival_curves(ds)[("a", 1.0)]
    np.testing.assert_array_equal(curve.time, [0, 10, 15, 20, 50])
    np.testing.assert_allclose(curve.survival, [1, 0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3])
    death = sv.survival_table(ds, endpoint="death").sel(strategy="a", dose=1.0)
    # times [50+, 15, 50+, 30, 50+]: S = 0.8 from 15, 0.8 * 3/4 from 30
    assert int(death.events) == 2
    assert float(death.rmst) == pytest.approx(15 + 15 * 0.8 + 20 * 0.6, abs=1e-12)
    pfs = sv.survival_table(ds, endpoint="pfs").sel(strategy="a", dose=1.0)
    # progression or death, whichever first: times [10, 15, 50+ (cured), 20 (progressed at
    # 20, died at 30), 50+]: S = 0.8 from 10, 0.6 from 15, 0.4 from 20; median 20
    assert int(pfs.n) == 5 and int(pfs.events) == 3
    assert float(pfs["median"]) == 20.0
    assert float(pfs.rmst) == pytest.approx(10 + 5 * 0.8 + 5 * 0.6 + 30 * 0.4, abs=1e-12)
    # another group equals the array functions on its detected realizations
    times = 4.0 * np.arange(1, 6)
    other = table.sel(strategy="b", dose=2.0)
    assert float(other["median"]) == sv.median_survival(times, np.ones(5, bool)).value == 12.0
    assert float(other.rmst) == pytest.approx(sv.rmst(times, np.ones(5, bool), tau=HORIZON)
                                              .value, rel=1e-12)
    tau = sv.survival_table(ds, tau=12.0).sel(strategy="b", dose=2.0)
    assert float(tau.rmst) == pytest.approx(4 + 4 * 0.8 + 4 * 0.6, abs=1e-12)


def test_dataset_groups_without_detected_realizations_and_errors() -> None:
    ds = hand_dataset()
    ds["detected"] = ds["detected"] & False
    table = sv.survival_table(ds)
    assert (table.n == 0).all() and table.rmst.isnull().all()
    assert len(sv.survival_curves(ds)) == 0
    good = hand_dataset()
    with pytest.raises(ValueError, match="endpoint: must be one of"):
        sv.survival_table(good, endpoint="cure")
    with pytest.raises(ValueError, match=r"tau: must be <= the horizon \(50 days\)"):
        sv.survival_table(good, tau=60.0)
    with pytest.raises(ValueError, match="reference: must be one of the strategies"):
        sv.compare_strategies(good, reference="c")
    with pytest.raises(ValueError, match="has no variable 'time_to_death'"):
        sv.survival_table(good.drop_vars("time_to_death"))
    no_attrs = good.copy()
    no_attrs.attrs = {}
    with pytest.raises(ValueError, match="no 'scenario' attribute"):
        sv.survival_table(no_attrs)
    broken = good.copy(deep=True)
    broken["time_to_progression"][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="'time_to_progression' must lie in"):
        sv.survival_table(broken)


@pytest.fixture(scope="module")
def simulated() -> xr.Dataset:
    """strategy_continuous (BRAF monotherapy vs BRAF + MEK) with a 400-day horizon: about
    2 s of CPU for 30 realizations."""
    from oncosweep import Scenario, simulate

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "configs" /
                             "strategy_continuous.yaml").read_text())
    config["simulation"]["horizon"] = 400
    return simulate(Scenario.from_dict(config), realizations=30, seed=11)


def expected_censored(ds: xr.Dataset, endpoint: str) -> tuple[np.ndarray, np.ndarray]:
    """The convention written out again: (time, event) per strategy, detected only."""
    detected = ds["detected"].values
    if endpoint == "progression":
        end = np.where(ds["died"].values, ds["time_to_death"].values, 400.0)
        time = np.where(ds["progressed"].values, ds["time_to_progression"].values, end)
        return time[:, detected], ds["progressed"].values[:, detected]
    if endpoint == "pfs":
        progressed, died = ds["progressed"].values, ds["died"].values
        time = np.fmin(np.where(progressed, ds["time_to_progression"].values, np.inf),
                       np.where(died, ds["time_to_death"].values, np.inf))
        time = np.where(progressed | died, time, 400.0)
        return time[:, detected], (progressed | died)[:, detected]
    time = np.where(ds["died"].values, ds["time_to_death"].values, 400.0)
    return time[:, detected], ds["died"].values[:, detected]


@pytest.mark.parametrize("endpoint", ["progression", "death", "pfs"])
def test_simulated_table_matches_lifelines(simulated: xr.Dataset, endpoint: str) -> None:
    table = sv.survival_table(simulated, endpoint=endpoint, tau=300.0)
    curves = simulated.oncosweep.survival_curves(endpoint=endpoint)
    assert curves.dims == ("strategy",) and set(curves) == {("mtd_single",),
                                                            ("mtd_combination",)}
    times, events = expected_censored(simulated, endpoint)
    for s, name in enumerate(simulated["strategy"].values):
        row = table.sel(strategy=name)
        fit = lifelines_fit(times[s], events[s])
        assert int(row.n) == times.shape[1] and int(row.events) == events[s].sum()
        assert float(row.rmst) == pytest.approx(
            restricted_mean_survival_time(fit, t=300.0), rel=1e-10)
        np.testing.assert_allclose(float(row["median"]),
                                   nan_for_inf(fit.median_survival_time_), rtol=1e-10)
        bounds = median_survival_times(fit.confidence_interval_).iloc[0].values
        np.testing.assert_allclose([float(row.median_lower), float(row.median_upper)],
                                   [nan_for_inf(b) for b in bounds], rtol=1e-10)
        np.testing.assert_allclose(curves[(str(name),)].survival,
                                   fit.survival_function_.iloc[:, 0].values, rtol=1e-10)
    # monotherapy: every tumour progresses and dies; the combination progresses in part
    assert int(table.events.sel(strategy="mtd_single")) == times.shape[1]
    if endpoint == "progression":
        assert 0 < int(table.events.sel(strategy="mtd_combination")) < times.shape[1]
    accessor = simulated.oncosweep.survival_table(endpoint=endpoint, tau=300.0)
    xr.testing.assert_identical(accessor, table)


def test_simulated_median_agrees_with_summary(simulated: xr.Dataset) -> None:
    table = sv.survival_table(simulated)
    detected = simulated["detected"].values
    for name in simulated["strategy"].values:
        one = simulated.sel(strategy=name)
        end = np.where(one["died"].values, one["time_to_death"].values, np.inf)[detected]
        expected = km_median(one["time_to_progression"].values[detected],
                             one["progressed"].values[detected], end)
        np.testing.assert_equal(float(table["median"].sel(strategy=name)), expected)


def test_simulated_compare_strategies_matches_lifelines(simulated: xr.Dataset) -> None:
    result = simulated.oncosweep.compare_strategies(endpoint="progression")
    assert result.statistic.dims == ("strategy",)
    result = result.squeeze("strategy")
    assert str(result.strategy.values) == "mtd_combination"
    assert result.attrs["reference"] == "mtd_single"
    times, events = expected_censored(simulated, "progression")
    expected = logrank_test(times[1], times[0], events[1], events[0])
    assert float(result.statistic) == pytest.approx(expected.test_statistic, rel=1e-10)
    assert float(result.pvalue) == pytest.approx(expected.p_value, rel=1e-10)
    assert float(result.z) < 0   # the combination progresses less than monotherapy
    swapped = sv.compare_strategies(simulated, reference="mtd_combination").squeeze("strategy")
    assert str(swapped.strategy.values) == "mtd_single"
    assert float(swapped.statistic) == pytest.approx(float(result.statistic), rel=1e-12)
    assert float(swapped.z) == pytest.approx(-float(result.z), rel=1e-12)


def test_curves_to_dataframe_is_tidy() -> None:
    frame = sv.survival_curves(hand_dataset()).to_dataframe()
    assert list(frame.columns) == ["strategy", "dose", "time", "survival", "lower", "upper",
                                   "at_risk"]
    one = frame[(frame.strategy == "a") & (frame.dose == 1.0)]
    np.testing.assert_array_equal(one.time, [0, 10, 15, 20, 50])


@pytest.mark.skipif(not STORE.exists(), reason="results/quickstart_sweep.zarr not built")
def test_sweep_store_groups_match_the_array_functions() -> None:
    from oncosweep import open_results

    ds = open_results(STORE)
    axis = next(d for d in ds["detected"].dims if d not in ("strategy", "realization"))
    table = ds.oncosweep.survival_table(endpoint="progression", tau=365.0)
    assert table.rmst.dims == ("strategy", axis)
    one = ds.isel({axis: 1}).sel(strategy="continuous")[
        ["detected", "progressed", "time_to_progression", "died", "time_to_death"]].load()
    detected = one["detected"].values
    horizon = yaml.safe_load(ds.attrs["scenario"])["simulation"]["horizon"]
    end = np.where(one["died"].values, one["time_to_death"].values, horizon)
    time = np.where(one["progressed"].values, one["time_to_progression"].values, end)[detected]
    event = one["progressed"].values[detected]
    row = table.sel(strategy="continuous").isel({axis: 1})
    assert float(row.rmst) == pytest.approx(sv.rmst(time, event, tau=365.0).value, rel=1e-12)
    assert float(row["median"]) == sv.median_survival(time, event).value
    tests = ds.oncosweep.compare_strategies()
    assert tests.statistic.dims == ("strategy", axis)
    assert list(tests.strategy.values) == ["pulsed", "sequential", "ctdna_switch"]
