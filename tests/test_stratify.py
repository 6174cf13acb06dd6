"""Outcome by patient characteristics (oncosweep.analysis.stratify): survival by quantile
strata of a drawn parameter and the benefit of a strategy as a function of it.

Datasets are built without the engine's virtual populations: a small simulate() result (the
tiny scenario of tests/test_plots.py, 60 realizations, two strategies) with drawn-parameter
variables attached by hand (one built from the time to progression, so its strata differ, and
one unrelated), and synthetic datasets with known answers (a strategy that helps only
patients with a high parameter value; a constant benefit; a strategy copied under a second
name). Everything is seeded and deterministic.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
import xarray as xr
import yaml
from scipy import stats
from test_plots import config_file
from test_report import Page

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import oncosweep.analysis as analysis  # noqa: E402
from oncosweep import simulate  # noqa: E402
from oncosweep.analysis import stratify  # noqa: E402
from oncosweep.analysis.probability import proportion_ci  # noqa: E402
from oncosweep.analysis.report import build_report  # noqa: E402
from oncosweep.analysis.survival import median_survival, rmst, survival_table  # noqa: E402
from oncosweep.distributed.store import write_dataset  # noqa: E402
from oncosweep.population_math import drawn_name  # noqa: E402

RATE = "tumour.birth_rate"
IC50 = "drugs[0].ic50"
AXIS = "drugs[0].emax"
HORIZON = 100.0
HEADING = "Outcome by patient characteristics"


def attach(ds: xr.Dataset, path: str, values: np.ndarray, units: str,
           distribution: str = "test", dims: tuple[str, ...] = ("realization",)) -> None:
    """A drawn-parameter variable in the format the engine writes."""
    ds[drawn_name(path)] = (dims, values, {
        "parameter": path, "units": units, "distribution": distribution,
        "long_name": f"{path} drawn per realization"})


@pytest.fixture(scope="module")
def plain_ds(tmp_path_factory: pytest.TempPathFactory) -> xr.Dataset:
    """The tiny two-strategy scenario of test_plots, 60 realizations (well under 1 s)."""
    return simulate(config_file(tmp_path_factory.mktemp("stratify")), realizations=60,
                    seed=1).load()


@pytest.fixture(scope="module")
def simulated(plain_ds: xr.Dataset) -> xr.Dataset:
    """plain_ds with a birth rate made from the time to progression under 'cont' (so its
    strata differ) and an unrelated IC50 spanning more than a factor 10."""
    ds = plain_ds.copy()
    rng = np.random.default_rng(5)
    ttp = ds["time_to_progression"].sel(strategy="cont").fillna(20.0).values
    attach(ds, RATE, 0.2 + 0.01 * ttp + rng.normal(0.0, 0.01, ttp.size), "per day",
           "lognormal(median=0.25, sigma=0.3)")
    attach(ds, IC50, rng.lognormal(0.0, 2.0, ttp.size), "multiples of IC50")
    return ds


def censored(ds: xr.Dataset, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """Progression (time, event) of one strategy, the layer's convention written out again."""
    one = ds.sel(strategy=strategy)
    horizon = yaml.safe_load(ds.attrs["scenario"])["simulation"]["horizon"]
    end = np.where(one["died"].values, one["time_to_death"].values, horizon)
    time = np.where(one["progressed"].values, one["time_to_progression"].values, end)
    return time, one["progressed"].values.astype(bool)


def synthetic(effect: Any, *, n: int = 400, seed: int = 0, cure_effect: float = 0.0,
              cure_above: float = 1.0, points: int = 0, copy: bool = False) -> xr.Dataset:
    """Strategies A and B (and C = a copy of B with ``copy``) on the same patients, a drawn
    parameter x (log-uniform on [0.1, 10]): under A, time to progression exponential (mean
    40 days), 10 % cured; under B the same patients progress ``effect(x)`` days later and a
    further ``cure_effect`` of those with x > ``cure_above`` are cured. No deaths; 5 % undetected.
    ``points`` > 0: a sweep axis of that many points (independent patients), with
    ``detected`` over strategy too, as in a sweep store."""
    rng = np.random.default_rng(seed)
    shape = (points or 1, n)
    x = np.exp(rng.uniform(np.log(0.1), np.log(10.0), shape))
    base = rng.exponential(40.0, shape)
    cured_a = rng.random(shape) < 0.1
    cured_b = cured_a | ((x > cure_above) & (rng.random(shape) < cure_effect))
    detected = rng.random(shape) > 0.05
    arms = [(base, cured_a), (base + effect(x), cured_b)]
    if copy:
        arms.append(arms[1])
    progressed = np.stack([~c & (t <= HORIZON) for t, c in arms])
    ttp = np.where(progressed, np.stack([t for t, _ in arms]), np.nan)
    cured = np.stack([c for _, c in arms])
    names = ["A", "B", "C"][:len(arms)]
    dims: tuple[str, ...] = ("strategy", "realization")
    coords: dict[str, Any] = {"strategy": names, "realization": np.arange(n)}
    if points:
        dims = ("strategy", AXIS, "realization")
        coords[AXIS] = np.arange(1.0, points + 1.0)
        found = (dims, np.broadcast_to(detected, (len(names), *shape)).copy())
    else:
        progressed, ttp, cured, x, detected = (a.reshape(a.shape[:-2] + (n,)) for a in
                                               (progressed, ttp, cured, x, detected))
        found = (("realization",), detected)
    ds = xr.Dataset({"detected": found, "progressed": (dims, progressed),
                     "time_to_progression": (dims, ttp), "cured": (dims, cured),
                     "died": (dims, np.zeros(progressed.shape, bool)),
                     "time_to_death": (dims, np.full(progressed.shape, np.nan))},
                    coords=coords,
                    attrs={"scenario": yaml.safe_dump({"simulation": {"horizon": HORIZON}})})
    attach(ds, RATE, x, "per day", dims=dims[1:])
    return ds


# ------------------------------------------------------------------ drawn parameters

def test_drawn_parameters_and_names(simulated: xr.Dataset, plain_ds: xr.Dataset) -> None:
    assert drawn_name("tumour.birth_rate") == "drawn_tumour_birth_rate"
    assert drawn_name("drugs[0].ic50") == "drawn_drugs_0_ic50"
    assert drawn_name("tumour.loci[1].mutation_rate") == \
        "drawn_tumour_loci_1_mutation_rate"
    assert analysis.drawn_parameters(simulated) == ["drawn_tumour_birth_rate",
                                                    "drawn_drugs_0_ic50"]
    assert analysis.drawn_parameters(plain_ds) == []
    by_path = analysis.stratified_survival(simulated, RATE)
    by_name = analysis.stratified_survival(simulated, "drawn_tumour_birth_rate")
    xr.testing.assert_identical(by_path, by_name)
    xr.testing.assert_identical(by_path, simulated.oncosweep.stratified_survival(RATE))
    assert by_path.attrs["parameter"] == RATE and by_path.attrs["parameter_units"] == "per day"
    assert by_path["stratum_lower"].attrs["units"] == "per day"
    assert by_path.attrs["distribution"] == "lognormal(median=0.25, sigma=0.3)"


# ------------------------------------------------------------------ stratified survival

def test_strata_partition_at_the_empirical_quantiles(simulated: xr.Dataset) -> None:
    table = analysis.stratified_survival(simulated, RATE, quantiles=4)
    assert table["n"].dims == ("strategy", "stratum")
    assert list(table["stratum"].values) == [1, 2, 3, 4]
    detected = simulated["detected"].values
    values = simulated["drawn_tumour_birth_rate"].values
    edges = np.quantile(values[detected], [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(table["stratum_lower"].values, edges[:-1])
    np.testing.assert_array_equal(table["stratum_upper"].values, edges[1:])
    whole = survival_table(simulated)
    np.testing.assert_array_equal(table["n"].sum("stratum").values, whole["n"].values)
    members = [(values >= lo) & ((values < hi) | (k == 3)) & detected
               for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))]
    assert np.array_equal(np.sum(members, axis=0), detected.astype(int))   # a partition
    np.testing.assert_array_equal(table["n"].sel(strategy="cont").values,
                                  [m.sum() for m in members])
    np.testing.assert_allclose(table["stratum_median"].values,
                               [np.median(values[m]) for m in members])
    # the birth rate was built from the time to progression: the strata differ
    assert np.all(np.diff(table["rmst"].sel(strategy="cont").values) > 0)


def test_stratum_estimates_are_the_layers_estimators(simulated: xr.Dataset) -> None:
    table = analysis.stratified_survival(simulated, RATE, quantiles=3, tau=15.0, level=0.9)
    values = simulated["drawn_tumour_birth_rate"].values
    detected = simulated["detected"].values
    for strategy in ("cont", "pulse"):
        time, event = censored(simulated, strategy)
        cured = simulated["cured"].sel(strategy=strategy).values
        for k in range(3):
            row = table.sel(strategy=strategy).isel(stratum=k)
            subset = detected & (values >= float(row["stratum_lower"])) & \
                ((values < float(row["stratum_upper"])) | (k == 2))
            median = median_survival(time[subset], event[subset], level=0.9)
            np.testing.assert_array_equal(
                [row["median"], row["median_lower"], row["median_upper"]],
                [median.value, median.lower, median.upper])
            area = rmst(time[subset], event[subset], tau=15.0, level=0.9)
            np.testing.assert_allclose([row["rmst"], row["rmst_se"]], [area.value, area.se],
                                       rtol=1e-12)
            assert int(row["events"]) == event[subset].sum()
            cure = proportion_ci(cured[subset].sum(), subset.sum(), level=0.9)
            np.testing.assert_allclose([row["cure"], row["cure_lower"], row["cure_upper"]],
                                       list(cure), rtol=1e-12)


def test_sweep_dims_and_strategy_free_patients() -> None:
    ds = synthetic(lambda x: 20.0 * (x > 1), points=2, n=200)
    table = analysis.stratified_survival(ds, RATE, quantiles=4)
    assert table["n"].dims == ("strategy", "stratum", AXIS)
    assert table["stratum_lower"].dims == ("stratum", AXIS)
    for p in range(2):       # quantiles per sweep point
        x = ds["drawn_tumour_birth_rate"].values[p][ds["detected"].values[0, p]]
        np.testing.assert_array_equal(table["stratum_lower"].isel({AXIS: p}).values,
                                      np.quantile(x, [0, 0.25, 0.5, 0.75]))
        assert int(table["n"].isel({AXIS: p}).sum("stratum")[0]) == x.size
    benefit = analysis.benefit_by_parameter(ds, RATE, reference="A", strategy="B", n_boot=200)
    assert benefit["difference"].dims == ("bin", AXIS)
    assert benefit["heterogeneity_pvalue"].dims == (AXIS,)
    chi2 = float(benefit["heterogeneity_chi2"].sum())
    assert benefit.attrs["heterogeneity_df"] == int(benefit["heterogeneity_df"].sum()) == 8
    assert benefit.attrs["heterogeneity_pvalue"] == pytest.approx(stats.chi2.sf(chi2, 8))
    # a drawn variable written with a strategy axis (as a sweep store may) but equal across it
    same = ds.copy()
    same["drawn_tumour_birth_rate"] = ds["drawn_tumour_birth_rate"].expand_dims(
        strategy=ds["strategy"].values).copy()
    xr.testing.assert_identical(analysis.stratified_survival(same, RATE), table)
    same["drawn_tumour_birth_rate"][1, 0, 0] += 1.0
    with pytest.raises(ValueError, match="differs between strategies"):
        analysis.stratified_survival(same, RATE)


# ------------------------------------------------------------------ benefit

def test_bootstrap_replicates_are_the_km_rmst_of_the_resample(simulated: xr.Dataset) -> None:
    time, event = censored(simulated, "pulse")
    rng = np.random.default_rng(2)
    weights = stratify._bootstrap_weights(rng, time.size, 30)
    assert np.all(weights.sum(axis=1) == time.size)
    replicates = stratify._rmst_replicates(time, event, weights, 12.5)
    for b in range(30):
        rows = np.repeat(np.arange(time.size), weights[b].astype(int))
        assert replicates[b] == pytest.approx(rmst(time[rows], event[rows], tau=12.5).value,
                                              rel=1e-12)
    one = stratify._rmst_replicates(time, event, np.ones((1, time.size)), 20.0)
    assert one[0] == pytest.approx(rmst(time, event, tau=20.0).value, rel=1e-12)


def test_benefit_of_a_constructed_dependence_is_found() -> None:
    ds = synthetic(lambda x: np.where(x > 1, 40.0, 0.0), cure_effect=0.5)
    benefit = analysis.benefit_by_parameter(ds, RATE, reference="A", strategy="B", bins=4)
    assert benefit.attrs["heterogeneity_pvalue"] < 1e-3
    low, high = benefit.isel(bin=0), benefit.isel(bin=-1)   # x < 0.32 and x > 3.2
    assert float(low["difference"]) == 0.0 and float(low["upper"]) == 0.0
    assert float(high["lower"]) > 15.0
    assert np.all(benefit["lower"] <= benefit["difference"])
    assert np.all(benefit["difference"] <= benefit["upper"])
    x = ds["drawn_tumour_birth_rate"].values[ds["detected"].values]
    np.testing.assert_array_equal(benefit["bin_lower"], np.quantile(x, [0, .25, .5, .75]))
    assert int(benefit["n"].sum()) == x.size
    cure = analysis.benefit_by_parameter(ds, RATE, reference="A", strategy="B", bins=4,
                                         metric="cure")
    assert cure.attrs["heterogeneity_pvalue"] < 1e-3 and cure.attrs["units"] == "1"
    assert float(cure["difference"].isel(bin=0)) == 0.0
    rows = (x > 3.2)
    assert float(cure["lower"].isel(bin=-1)) > 0.2 and rows.sum() > 0
    # the point estimate is the difference of the per-strategy estimates
    np.testing.assert_allclose(cure["difference"], cure["strategy_value"]
                               - cure["reference_value"])


@pytest.mark.parametrize("metric", ["rmst", "cure"])
def test_heterogeneity_test_is_calibrated_without_dependence(metric: str) -> None:
    # B: 15 days later for everyone and 30 % more cures, whatever x: equal benefit in all bins
    p_values = np.array([analysis.benefit_by_parameter(
        synthetic(lambda x: np.full_like(x, 15.0), seed=seed, cure_effect=0.3,
                  cure_above=0.0), RATE, reference="A", strategy="B", metric=metric,
        n_boot=200).attrs["heterogeneity_pvalue"] for seed in range(60)])
    # a rejection rate near 5 % (about 6-7 % in 400 such datasets), p-values spread on (0, 1)
    assert np.mean(p_values < 0.05) <= 0.15
    assert 0.35 < np.mean(p_values) < 0.65


def test_unrelated_parameter_is_not_heterogeneous(simulated: xr.Dataset) -> None:
    unrelated = analysis.benefit_by_parameter(simulated, IC50, reference="cont",
                                              strategy="pulse")
    assert unrelated.attrs["heterogeneity_pvalue"] > 0.01


def test_benefit_of_a_strategy_over_itself_is_exactly_zero() -> None:
    ds = synthetic(lambda x: np.where(x > 1, 40.0, 0.0), copy=True)   # C: a copy of B
    for metric in ("rmst", "cure"):
        same = analysis.benefit_by_parameter(ds, RATE, reference="B", strategy="C",
                                             metric=metric)
        for name in ("difference", "lower", "upper", "se"):
            assert np.all(same[name].values == 0.0), (metric, name)
        np.testing.assert_array_equal(same["strategy_value"], same["reference_value"])
        assert same.attrs["heterogeneity_df"] == 0
        assert np.isnan(same.attrs["heterogeneity_pvalue"])


def test_benefit_is_deterministic(simulated: xr.Dataset) -> None:
    options = {"reference": "cont", "strategy": "pulse", "bins": 3, "n_boot": 200}
    first = analysis.benefit_by_parameter(simulated, RATE, **options)
    xr.testing.assert_identical(first, analysis.benefit_by_parameter(simulated, RATE,
                                                                     **options))
    xr.testing.assert_identical(first, simulated.oncosweep.benefit_by_parameter(RATE,
                                                                                **options))
    other = analysis.benefit_by_parameter(simulated, RATE, seed=1, **options)
    np.testing.assert_array_equal(first["difference"], other["difference"])
    assert not np.array_equal(first["se"], other["se"])
    assert first.attrs["n_boot"] == 200 and first.attrs["seed"] == 0
    assert first.attrs["tau_days"] == 20.0 and first.attrs["units"] == "days"


def test_bad_arguments_name_the_argument(simulated: xr.Dataset, plain_ds: xr.Dataset) -> None:
    cases = [
        (lambda: analysis.stratified_survival(simulated, "tumour.death_rate"),
         r"^parameter: 'tumour.death_rate' is not a drawn parameter of the dataset; drawn: "
         r"drawn_tumour_birth_rate \(tumour.birth_rate\), drawn_drugs_0_ic50"),
        (lambda: analysis.stratified_survival(plain_ds, RATE), r"^ds: the dataset has no drawn"),
        (lambda: analysis.stratified_survival(simulated, RATE, quantiles=1),
         r"^quantiles: must be an integer >= 2"),
        (lambda: analysis.stratified_survival(simulated, RATE, endpoint="cure"),
         r"^endpoint: must be one of"),
        (lambda: analysis.stratified_survival(simulated, RATE, tau=30.0), r"^tau: must be <="),
        (lambda: analysis.benefit_by_parameter(simulated, RATE, reference="cont",
                                               strategy="cont"),
         r"^strategy: must differ from reference"),
        (lambda: analysis.benefit_by_parameter(simulated, RATE, reference="x", strategy="cont"),
         r"^reference: must be one of the strategies"),
        (lambda: analysis.benefit_by_parameter(simulated, RATE, reference="cont",
                                               strategy="pulse", bins=1),
         r"^bins: must be an integer >= 2"),
        (lambda: analysis.benefit_by_parameter(simulated, RATE, reference="cont",
                                               strategy="pulse", metric="median"),
         r"^metric: must be one of 'rmst', 'cure'"),
        (lambda: analysis.benefit_by_parameter(simulated, RATE, reference="cont",
                                               strategy="pulse", n_boot=1),
         r"^n_boot: must be an integer >= 2"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            call()
        assert "\n" not in str(info.value)


# ------------------------------------------------------------------ plot and report

def test_plot_benefit(simulated: xr.Dataset) -> None:
    fig = analysis.plot_benefit(simulated, IC50, n_boot=100)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"                 # the IC50 spans more than a factor 10
    assert ax.get_xlabel() == "drugs[0].ic50 (multiples of IC50)"
    assert ax.get_ylabel() == "RMST of progression:\ndifference from cont (days)"
    (line,) = [line for line in ax.get_lines() if line.get_label().startswith("pulse")]
    benefit = analysis.benefit_by_parameter(simulated, IC50, reference="cont",
                                            strategy="pulse", n_boot=100)
    np.testing.assert_array_equal(line.get_xdata(), benefit["bin_median"])
    np.testing.assert_array_equal(line.get_ydata(), benefit["difference"])
    fig = analysis.plot_benefit(simulated, RATE, metric="cure", n_boot=100)
    assert fig.axes[0].get_xscale() == "linear"
    assert fig.axes[0].get_ylabel() == "cure probability:\ndifference from cont"
    plt.close("all")


def test_report_section_only_with_drawn_parameters(simulated: xr.Dataset,
                                                   plain_ds: xr.Dataset,
                                                   tmp_path: Path) -> None:
    store = write_dataset(simulated, tmp_path / "population.zarr")
    text = build_report(store, output=tmp_path / "with.html", n_boot=20, dpi=30).read_text()
    page = Page(text)
    assert f'<h2 id="patients">{HEADING}</h2>' in text
    assert f'<a href="#patients">{HEADING}</a>' in text
    section = text[text.index('id="patients"'):text.index('id="figures"')]
    assert section.count("<table>") == 2            # one per drawn parameter
    assert section.count("<img") == 2               # benefit of pulse over cont, each
    assert "<h3>tumour.birth_rate (per day)</h3>" in section
    assert 'class="missing"' not in section
    assert len(page.attrs_of("img")) == text.count("<img")
    without = build_report(plain_ds, output=tmp_path / "without.html", n_boot=20,
                           dpi=30).read_text()
    assert HEADING not in without and 'id="patients"' not in without
    assert re.sub(r"data:image/png;base64,[^\"]*", "", without).count("<img") == \
        re.sub(r"data:image/png;base64,[^\"]*", "", text).count("<img") - 2
