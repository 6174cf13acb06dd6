"""Robustness of strategies (oncosweep.analysis.robustness): criteria on a hand table, the
tie rule on hand-made bootstrap replicates, and a known-answer synthetic sweep where A is
best, B and C are exactly tied (C is B with its realizations permuted) and D is worst.

Deterministic (fixed seeds). Tolerances: 1e-12 on hand-computed values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

import oncosweep.analysis.accessor  # noqa: F401 - registers ds.oncosweep
from oncosweep.analysis.robustness import rank_strategies, robustness, robustness_criteria
from oncosweep.analysis.survival import survival_table

# ------------------------------------------------------------------ criteria by hand

TABLE = np.array([[10.0, 8.0, 6.0, 4.0],    # strategy 0
                  [9.0, 9.0, 7.0, 1.0],     # strategy 1
                  [5.0, 5.0, 5.0, 5.0]])    # strategy 2


def test_criteria_higher_is_better_by_hand() -> None:
    c = robustness_criteria(TABLE, alpha=0.5, higher_is_better=True)
    np.testing.assert_allclose(c["mean"], [7.0, 6.5, 5.0], atol=1e-12)
    np.testing.assert_allclose(c["worst"], [4.0, 1.0, 5.0], atol=1e-12)
    # alpha P = 2: the mean of the two worst points
    np.testing.assert_allclose(c["cvar"], [(4 + 6) / 2, (1 + 7) / 2, 5.0], atol=1e-12)
    # best per point: 10, 9, 7, 5; regrets 0 1 1 1 / 1 0 0 4 / 5 4 2 0
    np.testing.assert_allclose(c["max_regret"], [1.0, 4.0, 5.0], atol=1e-12)
    np.testing.assert_allclose(c["mean_regret"], [0.75, 1.25, 2.75], atol=1e-12)
    # alpha P = 1.2: the worst point with weight 1, the next with 0.2, divided by 1.2
    fractional = robustness_criteria(TABLE, alpha=0.3, higher_is_better=True)["cvar"]
    np.testing.assert_allclose(fractional, [(4 + 0.2 * 6) / 1.2, (1 + 0.2 * 7) / 1.2, 5.0],
                               atol=1e-12)


def test_criteria_lower_is_better_by_hand() -> None:
    c = robustness_criteria(TABLE, alpha=0.5, higher_is_better=False)
    np.testing.assert_allclose(c["worst"], [10.0, 9.0, 5.0], atol=1e-12)
    np.testing.assert_allclose(c["cvar"], [(10 + 8) / 2, (9 + 9) / 2, 5.0], atol=1e-12)
    # best (lowest) per point: 5, 5, 5, 1; regrets 5 3 1 3 / 4 4 2 0 / 0 0 0 4
    np.testing.assert_allclose(c["max_regret"], [5.0, 4.0, 4.0], atol=1e-12)
    np.testing.assert_allclose(c["mean_regret"], [3.0, 2.5, 1.0], atol=1e-12)


@pytest.mark.parametrize("alpha", [0.1, 0.25, 0.3, 0.5, 0.8, 1.0])
def test_cvar_is_the_rockafellar_uryasev_optimum(alpha: float) -> None:
    """CVaR_alpha(u) = max_c [c - E(c - u)^+ / alpha] over the uniform distribution on the
    points; the maximum is attained at a point value."""
    rng = np.random.default_rng(1)
    values = rng.normal(size=(5, 7))
    cvar = robustness_criteria(values, alpha=alpha)["cvar"]
    for s in range(5):
        objective = [c - np.mean(np.maximum(c - values[s], 0)) / alpha for c in values[s]]
        assert cvar[s] == pytest.approx(max(objective), abs=1e-12)
    np.testing.assert_allclose(robustness_criteria(values, alpha=1.0)["cvar"],
                               values.mean(axis=1), atol=1e-12)
    np.testing.assert_allclose(robustness_criteria(values, alpha=1 / 7)["cvar"],
                               values.min(axis=1), atol=1e-12)


def test_criteria_keep_leading_axes() -> None:
    stacked = np.stack([TABLE, TABLE + 1.0])
    c = robustness_criteria(stacked, alpha=0.5)
    assert c["cvar"].shape == (2, 3)
    np.testing.assert_allclose(c["cvar"][1], c["cvar"][0] + 1.0, atol=1e-12)
    np.testing.assert_allclose(c["max_regret"][1], c["max_regret"][0], atol=1e-12)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"values": TABLE[0]}, "values: must have shape"),
    ({"values": TABLE, "alpha": 0.0}, "alpha: must be a number in"),
    ({"values": TABLE, "alpha": 1.5}, "alpha: must be a number in"),
    ({"values": TABLE, "higher_is_better": 1}, "higher_is_better: must be True or False"),
    ({"values": TABLE * np.nan}, "values: metric values must be finite"),
])
def test_criteria_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        robustness_criteria(**kwargs)


# ------------------------------------------------------------------ the tie rule by hand


def hand_robust(
    values: list[float], replicates: np.ndarray, *, higher: bool = True
) -> xr.Dataset:
    names = [f"s{i}" for i in range(len(values))]
    return xr.Dataset(
        {"mean": ("strategy", values), "mean_se": ("strategy", replicates.std(0, ddof=1)),
         "bootstrap": (("criterion", "replicate", "strategy"), replicates[None])},
        coords={"strategy": names, "criterion": ["mean"]},
        attrs={"strategy_dim": "strategy", "higher_is_better": int(higher), "metric": "m"})


def test_tie_rule_by_hand() -> None:
    replicates = np.array([[10.0, 9.0, 8.9, 8.8, 5.0],
                           [10.0, 9.5, 9.7, 9.6, 5.0],
                           [10.0, 8.5, 8.1, 8.0, 5.1],
                           [10.0, 9.0, 8.9, 8.8, 5.0]])
    robust = hand_robust([10.0, 9.0, 8.9, 8.8, 5.0], replicates)
    table = rank_strategies(robust, criterion="mean", z=2.0)
    assert list(table.strategy) == ["s0", "s1", "s2", "s3", "s4"]
    # s0 - s1: d = 1, replicate differences 1 .5 1.5 1 (sd 0.408): separated
    # s1 - s2: d = 0.1, differences .1 -.2 .4 .1 (sd 0.245): tied
    # s2 - s3: d = 0.1, differences all 0.1 (sd 0): separated, however small d is
    # s3 - s4: d = 3.8, differences 3.8 4.6 2.9 3.8 (sd 0.695): separated
    diff_sd = [np.std(replicates[:, i] - replicates[:, i + 1], ddof=1) for i in range(4)]
    np.testing.assert_allclose(table.diff_se.values[1:], diff_sd, atol=1e-12)
    assert diff_sd[2] == pytest.approx(0.0, abs=1e-12)
    assert list(table["rank"]) == [1, 2, 2, 4, 5]
    assert list(table.tied) == [False, True, True, False, False]
    assert table.tied_with.iloc[1] == ("s2",) and table.tied_with.iloc[3] == ()
    assert table.attrs == {"criterion": "mean", "z": 2.0, "metric": "m"}
    # a smaller z separates s1 and s2 (0.1 > 0.3 * 0.245)
    assert list(rank_strategies(robust, criterion="mean", z=0.3)["rank"]) == [1, 2, 3, 4, 5]
    # z = 5: s0 - s1 (1 <= 5 * 0.408) and s1 - s2 tied: one rank
    assert list(rank_strategies(robust, criterion="mean", z=5.0)["rank"]) == [1, 1, 1, 4, 5]


def test_ties_chain() -> None:
    # s0 - s1 and s1 - s2: d = 1, differences 1 +- 0.5 (sd 0.577): tied at z = 2;
    # s0 - s2: d = 2 with differences all 2 (sd 0) would be separated, but ties chain
    e = np.array([0.5, -0.5, 0.5, -0.5])
    replicates = np.stack([np.full(4, 10.0), 9.0 - e, np.full(4, 8.0)], axis=1)
    table = rank_strategies(hand_robust([10.0, 9.0, 8.0], replicates), criterion="mean")
    assert np.std(replicates[:, 0] - replicates[:, 2], ddof=1) == 0.0
    assert list(table["rank"]) == [1, 1, 1]
    assert table.tied_with.iloc[0] == ("s1", "s2")


def test_equal_values_with_zero_difference_sd_are_tied_and_order_is_stable() -> None:
    replicates = np.array([[1.0, 2.0, 2.0], [1.5, 2.5, 2.5], [0.5, 1.5, 1.5]])
    table = rank_strategies(hand_robust([1.0, 2.0, 2.0], replicates, higher=False),
                            criterion="mean")
    assert list(table.strategy) == ["s0", "s1", "s2"]       # lower is better
    assert list(table["rank"]) == [1, 2, 2]


# ------------------------------------------------------------------ synthetic known answer

HORIZON = 365.0
STRATEGIES = ["A", "B", "C", "D"]
AXIS = "tumour.loci[0].mutation_rate"
CURE = {"A": [0.7, 0.6, 0.5], "B": [0.4, 0.3, 0.2], "D": [0.1, 0.05, 0.02]}
HAZARD = {"A": [0.002, 0.003, 0.004], "B": [0.006, 0.008, 0.01], "D": [0.02, 0.03, 0.04]}


def synthetic(n: int = 300, seed: int = 0) -> xr.Dataset:
    """A sweep store lookalike: strategy x 3 points x n realizations. A is best everywhere,
    D worst; C is B with its detected realizations permuted at each point, so B and C have
    the same metric values exactly (tied in distribution and in fact); ~5 % not detected
    (a pre-treatment variable without the strategy dim)."""
    rng = np.random.default_rng(seed)
    shape = (len(STRATEGIES), 3, n)
    cured = np.zeros(shape, bool)
    progressed = np.zeros(shape, bool)
    ttp = np.full(shape, np.nan)
    detected = rng.random((3, n)) > 0.05
    for p in range(3):
        for name in ("A", "B", "D"):
            s = STRATEGIES.index(name)
            cured[s, p] = rng.random(n) < CURE[name][p]
            time = np.round(rng.exponential(1 / HAZARD[name][p], n), 1)
            progressed[s, p] = ~cured[s, p] & (time <= HORIZON)
            ttp[s, p] = np.where(progressed[s, p], time, np.nan)
        which = np.nonzero(detected[p])[0]
        order = np.arange(n)
        order[which] = rng.permutation(which)
        for array in (cured, progressed, ttp):
            array[2, p] = array[1, p, order]
    dims = ("strategy", AXIS, "realization")
    return xr.Dataset(
        {"detected": ((AXIS, "realization"), detected), "cured": (dims, cured),
         "progressed": (dims, progressed), "time_to_progression": (dims, ttp),
         "died": (dims, np.zeros(shape, bool)), "time_to_death": (dims, np.full(shape, np.nan))},
        coords={"strategy": STRATEGIES, AXIS: [1e-10, 1e-9, 1e-8], "realization": np.arange(n)},
        attrs={"scenario": yaml.safe_dump({"simulation": {"horizon": HORIZON}})})


@pytest.fixture(scope="module")
def sweep() -> xr.Dataset:
    return synthetic()


def assert_known_answer(table: pd.DataFrame) -> None:
    assert list(table.strategy)[0] == "A" and list(table.strategy)[3] == "D"
    assert set(table.strategy[1:3]) == {"B", "C"}
    assert list(table["rank"]) == [1, 2, 2, 4]
    assert list(table.tied) == [False, True, True, False]
    assert set(table.tied_with.iloc[1] + table.tied_with.iloc[2]) == {"B", "C"}


@pytest.mark.parametrize(("metric", "n_boot"), [("cure", 200), ("progression_by", 200),
                                                ("rmst_progression", 60)])
def test_synthetic_ranking_recovers_the_answer(sweep: xr.Dataset, metric: str,
                                               n_boot: int) -> None:
    robust = robustness(sweep, metric=metric, n_boot=n_boot, seed=3)
    assert robust.metric.dims == ("strategy", AXIS)
    assert robust.bootstrap.shape == (5, n_boot, 4)
    b, c = robust.sel(strategy="B"), robust.sel(strategy="C")
    np.testing.assert_array_equal(b.metric, c.metric)       # exactly tied by construction
    for criterion in ("cvar", "worst", "mean", "max_regret", "mean_regret"):
        table = rank_strategies(robust, criterion=criterion)
        assert_known_answer(table)
        # the tie is decided by the rule, not by a degenerate zero spread
        assert table.diff_se.iloc[2] > 0
    assert float(robust.max_regret.sel(strategy="A")) == 0.0
    assert (robust.metric_se > 0).all()


def test_synthetic_criteria_are_those_of_the_metric_table(sweep: xr.Dataset) -> None:
    robust = robustness(sweep, metric="progression_by", alpha=0.5, tau=200.0, n_boot=50)
    assert robust.attrs["higher_is_better"] == 0 and robust.attrs["tau_days"] == 200.0
    expected = robustness_criteria(robust.metric.values, alpha=0.5, higher_is_better=False)
    for criterion, values in expected.items():
        np.testing.assert_allclose(robust[criterion].values, values, atol=1e-12)
    # the metric itself: P(progressed by 200 days) over detected realizations
    detected = sweep.detected.values
    hit = (sweep.progressed.values & (sweep.time_to_progression.values <= 200.0) & detected)
    np.testing.assert_allclose(robust.metric.values, hit.sum(-1) / detected.sum(-1),
                               atol=1e-12)


def test_rmst_metric_equals_the_survival_table(sweep: xr.Dataset) -> None:
    robust = robustness(sweep, metric="rmst_progression", tau=300.0, n_boot=2)
    table = survival_table(sweep, endpoint="progression", tau=300.0)
    np.testing.assert_allclose(robust.metric.values, table.rmst.values, rtol=1e-12)


def test_bootstrap_is_paired_and_its_se_is_binomial(sweep: xr.Dataset) -> None:
    twin = sweep.sel(strategy=["A", "A", "D"])
    twin["strategy"] = ["A", "A2", "D"]
    robust = robustness(twin, metric="cure", n_boot=300, seed=5)
    replicates = robust.bootstrap.sel(criterion="mean")
    # identical strategies get identical replicates only under a paired bootstrap
    np.testing.assert_array_equal(replicates.sel(strategy="A"), replicates.sel(strategy="A2"))
    table = rank_strategies(robust, criterion="mean")
    assert list(table["rank"]) == [1, 1, 3] and table.diff_se.iloc[1] == 0.0
    # bootstrap SE of a proportion ~ sqrt(p (1 - p) / n): within 20 % (MC error ~4 %)
    p = robust.metric.values
    n = sweep.detected.values.sum(-1)
    np.testing.assert_allclose(robust.metric_se.values, np.sqrt(p * (1 - p) / n), rtol=0.2)


def test_callable_metric_matches_the_builtin_one(sweep: xr.Dataset) -> None:
    def cure_fraction(one: xr.Dataset) -> float:
        assert set(one["cured"].dims) == {"realization"} and bool(one["detected"].all())
        return float(one["cured"].mean())

    mine = robustness(sweep, metric=cure_fraction, higher_is_better=True, n_boot=10, seed=2)
    builtin = robustness(sweep, metric="cure", n_boot=10, seed=2)
    for name in ("metric", "cvar", "cvar_se", "bootstrap"):
        np.testing.assert_allclose(mine[name].values, builtin[name].values, rtol=1e-12)
    assert mine.attrs["metric"] == "cure_fraction"


def test_single_point_and_accessor(sweep: xr.Dataset) -> None:
    one = sweep.isel({AXIS: 0}, drop=True)
    robust = one.oncosweep.robustness(metric="cure", n_boot=50)
    assert robust.metric.dims == ("strategy",)
    for criterion in ("mean", "worst", "cvar"):
        np.testing.assert_array_equal(robust[criterion].values, robust.metric.values)
    best = robust.metric.max().item()
    np.testing.assert_allclose(robust.max_regret.values, best - robust.metric.values,
                               atol=1e-12)
    table = one.oncosweep.rank_strategies(metric="cure", criterion="worst", n_boot=50)
    assert_known_answer(table)
    pd.testing.assert_frame_equal(table, rank_strategies(robust, criterion="worst"))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"metric": "survival"}, "metric: must be one of"),
    ({"metric": lambda d: 0.0}, "higher_is_better: must be given"),
    ({"metric": "cure", "higher_is_better": False}, "higher_is_better: metric 'cure' is higher"),
    ({"metric": "cure", "tau": 100.0}, "tau: not used by metric 'cure'"),
    ({"metric": "progression_by", "tau": 400.0}, "tau: must be <= the horizon"),
    ({"metric": "cure", "n_boot": 1}, "n_boot: must be an integer >= 2"),
    ({"metric": "cure", "seed": -1}, "seed: must be an integer >= 0"),
    ({"metric": "cure", "alpha": 0}, "alpha: must be a number in"),
    ({"metric": "cure", "strategy_dim": "arm"}, "strategy_dim: the dataset has no dimension"),
    ({"metric": lambda d: "x", "higher_is_better": True, "n_boot": 2},
     "metric: must return a number"),
])
def test_robustness_bad_arguments(sweep: xr.Dataset, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        robustness(sweep, **kwargs)


def test_point_without_detected_realizations_is_refused(sweep: xr.Dataset) -> None:
    broken = sweep.copy(deep=True)
    broken["detected"][1] = False
    with pytest.raises(ValueError, match=r"not finite at strategy = A, "
                                         r"tumour.loci\[0\].mutation_rate = 1e-09"):
        robustness(broken, metric="cure", n_boot=2)


def test_rank_bad_arguments(sweep: xr.Dataset) -> None:
    robust = robustness(sweep, metric="cure", n_boot=5)
    with pytest.raises(ValueError, match="criterion: must be one of"):
        rank_strategies(robust, criterion="median")
    with pytest.raises(ValueError, match="z: must be a finite number >= 0"):
        rank_strategies(robust, z=-1.0)
    with pytest.raises(ValueError, match="robust_ds: not a robustness"):
        rank_strategies(sweep)
