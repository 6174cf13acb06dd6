"""Binomial proportions (oncosweep.analysis.probability): formulas by hand, scipy's binomtest
on the same counts, edge cases, and the dataset-level probabilities.

Tolerances: Wilson 1e-12 relative against scipy (same closed form); Clopper–Pearson 1e-12
absolute against scipy, whose "exact" interval is found by root finding (bracketing
tolerance ~1e-12), and 1e-10 relative on its defining tail probabilities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from scipy import special, stats

import oncosweep.analysis.accessor  # noqa: F401 - registers ds.oncosweep
from oncosweep.analysis.probability import probabilities, proportion_ci

STORE = Path(__file__).resolve().parents[1] / "results" / "quickstart_sweep.zarr"
COUNTS = [(k, n) for n in (1, 2, 5, 10, 37, 200, 1000)
          for k in sorted({0, 1, n // 3, n // 2, n - 1, n})]


def test_wilson_three_of_ten_by_hand() -> None:
    z = special.ndtri(0.975)
    center = (3 + z**2 / 2) / (10 + z**2)
    half = z / (10 + z**2) * np.sqrt(3 * 7 / 10 + z**2 / 4)
    estimate, lower, upper = proportion_ci(3, 10)
    assert isinstance(estimate, float) and estimate == 0.3
    assert lower == pytest.approx(center - half, rel=1e-12)
    assert upper == pytest.approx(center + half, rel=1e-12)
    assert (lower, upper) == pytest.approx((0.1078, 0.6032), abs=1e-4)   # published value


def test_clopper_pearson_three_of_ten_by_hand() -> None:
    _, lower, upper = proportion_ci(3, 10, method="clopper-pearson")
    assert (lower, upper) == pytest.approx((0.0667, 0.6525), abs=1e-4)   # published value
    # defining property: each tail of the binomial at the bound has probability alpha / 2
    assert stats.binom.sf(2, 10, lower) == pytest.approx(0.025, rel=1e-10)
    assert stats.binom.cdf(3, 10, upper) == pytest.approx(0.025, rel=1e-10)


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
@pytest.mark.parametrize(("method", "scipy_method"), [("wilson", "wilson"),
                                                      ("clopper-pearson", "exact")])
def test_matches_scipy_binomtest(level: float, method: str, scipy_method: str) -> None:
    k, n = np.array(COUNTS).T
    estimate, lower, upper = proportion_ci(k, n, level=level, method=method)
    reference = [stats.binomtest(int(a), int(b)).proportion_ci(confidence_level=level,
                                                               method=scipy_method)
                 for a, b in COUNTS]
    np.testing.assert_array_equal(estimate, k / n)
    expected_lower = np.array([r.low for r in reference])
    expected_upper = np.array([r.high for r in reference])
    if method == "wilson":
        np.testing.assert_allclose(lower, expected_lower, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(upper, expected_upper, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_allclose(lower, expected_lower, rtol=0, atol=1e-12)
        np.testing.assert_allclose(upper, expected_upper, rtol=0, atol=1e-12)
    assert np.all((lower <= estimate) & (estimate <= upper))


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_edges_and_broadcasting(method: str) -> None:
    estimate, lower, upper = proportion_ci([0, 7], [7, 7], method=method)
    assert lower[0] == 0.0 and estimate[0] == 0.0 and upper[0] > 0
    assert upper[1] == 1.0 and estimate[1] == 1.0 and lower[1] < 1
    empty = proportion_ci(0, 0, method=method)
    assert all(np.isnan(x) for x in empty)                  # undefined: NaN, documented
    k = np.array([[0], [1], [2]])
    n = np.array([[2, 3, 4]])
    estimate, lower, upper = proportion_ci(k, n, method=method)
    assert estimate.shape == lower.shape == upper.shape == (3, 3)
    for i in range(3):
        for j in range(3):
            one = proportion_ci(int(k[i, 0]), int(n[0, j]), method=method)
            assert (estimate[i, j], lower[i, j], upper[i, j]) == pytest.approx(one, rel=1e-14)
    mixed = proportion_ci([0, 1], [0, 2], method=method)
    assert np.isnan(mixed.estimate[0]) and mixed.estimate[1] == 0.5
    wider = proportion_ci(30, 100, level=0.99, method=method)
    narrower = proportion_ci(30, 100, level=0.9, method=method)
    assert wider.lower < narrower.lower < narrower.upper < wider.upper


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"successes": 5, "trials": 4}, "successes: must be <= trials"),
    ({"successes": -1, "trials": 4}, "successes: must be non-negative integer counts"),
    ({"successes": 1.5, "trials": 4}, "successes: must be non-negative integer counts"),
    ({"successes": True, "trials": 4}, "successes: must be non-negative integer counts"),
    ({"successes": 1, "trials": np.nan}, "trials: must be non-negative integer counts"),
    ({"successes": [1, 2], "trials": [3, 4, 5]}, "shapes"),
    ({"successes": 1, "trials": 4, "method": "exact"}, "method: must be one of"),
    ({"successes": 1, "trials": 4, "level": 95}, "level: must be in"),
])
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        proportion_ci(**kwargs)


def hand_dataset() -> xr.Dataset:
    """2 strategies x 2 doses x 8 realizations; realization 7 is not detected.
    Pre-treatment variables lack the strategy dim (as in oncosweep.simulate)."""
    rng = np.random.default_rng(3)
    shape = (2, 2, 8)
    cured = rng.random(shape) < 0.4
    progressed = ~cured & (rng.random(shape) < 0.7)
    ttp = np.where(progressed, rng.uniform(0, 100, shape).round(), np.nan)
    resistant = np.zeros((2, 8, 3), bool)   # (dose, realization, drug)
    resistant[0, [0, 1], 0] = True
    resistant[0, 1, 2] = True               # counted once (any drug)
    resistant[1, [2, 7], 1] = True          # realization 7 is not detected
    dims = ("strategy", "dose", "realization")
    return xr.Dataset(
        {"detected": ("realization", np.arange(8) < 7),
         "cured": (dims, cured), "progressed": (dims, progressed),
         "time_to_progression": (dims, ttp),
         "resistant_at_start": (("dose", "realization", "drug"), resistant)},
        coords={"strategy": ["a", "b"], "dose": [1.0, 2.0], "realization": np.arange(8),
                "drug": ["x", "y", "z"]},
        attrs={"scenario": yaml.safe_dump({"simulation": {"horizon": 100.0}})})


def test_dataset_probabilities_by_hand() -> None:
    ds = hand_dataset()
    result = probabilities(ds, by_time=50.0)
    assert result.estimate.dims == ("strategy", "dose", "outcome")
    assert list(result.outcome.values) == ["cured", "resistant_at_start", "progressed_by"]
    assert (result.trials == 7).all()
    detected = np.arange(8) < 7
    cured = ds.cured.values[..., detected].sum(-1)
    progressed = (ds.progressed.values & (ds.time_to_progression.values <= 50.0))[
        ..., detected].sum(-1)
    np.testing.assert_array_equal(result.successes.sel(outcome="cured"), cured)
    np.testing.assert_array_equal(result.successes.sel(outcome="progressed_by"), progressed)
    # resistant: dose 1.0 -> realizations 0 and 1; dose 2.0 -> realization 2 (7 undetected)
    np.testing.assert_array_equal(result.successes.sel(outcome="resistant_at_start"),
                                  [[2, 1], [2, 1]])
    expected = proportion_ci(result.successes.values, result.trials.values)
    np.testing.assert_array_equal(result.estimate.values, expected.estimate)
    np.testing.assert_array_equal(result.lower.values, expected.lower)
    np.testing.assert_array_equal(result.upper.values, expected.upper)
    # default by_time: the horizon, i.e. every progression
    everything = probabilities(ds).successes.sel(outcome="progressed_by")
    np.testing.assert_array_equal(everything, ds.progressed.values[..., detected].sum(-1))
    assert probabilities(ds).attrs["by_time_days"] == 100.0
    accessor = ds.oncosweep.probabilities(by_time=50.0, method="clopper-pearson")
    exact = proportion_ci(result.successes.values, result.trials.values,
                          method="clopper-pearson")
    np.testing.assert_array_equal(accessor.lower.values, exact.lower)


def test_dataset_without_detected_realizations_and_errors() -> None:
    ds = hand_dataset()
    ds["detected"] = ds["detected"] & False
    result = probabilities(ds)
    assert (result.trials == 0).all() and result.estimate.isnull().all()
    good = hand_dataset()
    with pytest.raises(ValueError, match=r"by_time: must be <= the horizon \(100 days\)"):
        probabilities(good, by_time=101.0)
    with pytest.raises(ValueError, match="by_time: must be a finite number of days > 0"):
        probabilities(good, by_time=-1.0)
    with pytest.raises(ValueError, match="has no variable 'cured'"):
        probabilities(good.drop_vars("cured"))
    with pytest.raises(ValueError, match="method: must be one of"):
        probabilities(good, method="exact")


@pytest.mark.skipif(not STORE.exists(), reason="results/quickstart_sweep.zarr not built")
def test_sweep_store_probabilities_are_the_counts() -> None:
    from oncosweep import open_results

    ds = open_results(STORE)
    result = ds.oncosweep.probabilities(by_time=365.0)
    axis = next(d for d in ds["detected"].dims if d not in ("strategy", "realization"))
    assert result.estimate.dims == ("strategy", axis, "outcome")
    part = ds[["detected", "cured", "progressed", "time_to_progression",
               "resistant_at_start"]].load()
    detected = part.detected.values
    cured = (part.cured.values & detected).sum(-1)
    np.testing.assert_array_equal(result.successes.sel(outcome="cured"), cured)
    np.testing.assert_array_equal(result.trials.sel(outcome="cured"), detected.sum(-1))
    by_year = part.progressed.values & (part.time_to_progression.values <= 365.0) & detected
    np.testing.assert_array_equal(result.successes.sel(outcome="progressed_by"),
                                  by_year.sum(-1))
    # resistance at start is pre-treatment: the same under every strategy of a point
    resistant = result.estimate.sel(outcome="resistant_at_start")
    assert (resistant == resistant.isel(strategy=0)).all()
    # and it does not fall as the tumour at diagnosis grows (larger: more room for mutants)
    assert (resistant.isel(strategy=0).diff(axis) >= 0).all()
