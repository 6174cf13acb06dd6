"""Distributions of virtual patient populations: the schema (oncosweep.scenario.distributions)
and the math (oncosweep.population_math).

Every test is deterministic: the uniforms come from numpy's default_rng(20261202). The
statistical tests use 20,000 draws and accept at p > 1e-3 (KS for continuous laws,
chi-square for a choice); as the inverse CDFs are exact, ``F(Q(u)) = u`` and the KS
statistic is (up to rounding) that of the uniforms themselves.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import stats

from oncosweep.population_math import (
    KINDS,
    U_MAX,
    U_MIN,
    check_correlation,
    gaussian_copula,
    normal_cdf,
    normal_quantile,
    quantile,
)
from oncosweep.scenario.distributions import (
    DISTRIBUTION_KINDS,
    Choice,
    Distribution,
    LogNormal,
    TruncNormal,
    parse_distribution,
)
from oncosweep.scenario.errors import ScenarioError

SEED = 20261202
N = 20_000
P_MIN = 1e-3  # the goodness-of-fit tests accept at p > 1e-3
INF = math.inf


def _uniforms(*shape: int) -> np.ndarray:
    u = np.random.default_rng(SEED).random(shape or (N,))
    return np.clip(u, U_MIN, U_MAX)  # the engine's uniforms lie in [2**-53, 1 - 2**-53]


def _truncnorm(mean: float, sd: float, low: float, high: float) -> stats.rv_continuous:
    return stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)


# (YAML mapping, the matching scipy law)
CONTINUOUS = [
    ({"distribution": "lognormal", "median": 0.25, "sigma": 0.3}, stats.lognorm(0.3, scale=0.25)),
    ({"distribution": "lognormal", "median": 1e-3, "sigma": 1.5}, stats.lognorm(1.5, scale=1e-3)),
    ({"distribution": "normal", "mean": 2.0, "sd": 0.5}, stats.norm(2.0, 0.5)),
    ({"distribution": "normal", "mean": -1.0, "sd": 3.0}, stats.norm(-1.0, 3.0)),
    (
        {"distribution": "truncnormal", "mean": 0, "sd": 1, "low": -1, "high": 2},
        _truncnorm(0, 1, -1, 2),
    ),
    (
        {"distribution": "truncnormal", "mean": 1, "sd": 0.5, "low": 0},  # high = .inf
        _truncnorm(1, 0.5, 0, INF),
    ),
    (
        {"distribution": "truncnormal", "mean": 0.3, "sd": 0.1, "low": 0, "high": 1},
        _truncnorm(0.3, 0.1, 0, 1),
    ),
    # far tails: truncated at mean + 10 sd (upper) and mean - 10 sd (lower)
    (
        {"distribution": "truncnormal", "mean": 0, "sd": 1, "low": 10, "high": ".inf"},
        _truncnorm(0, 1, 10, INF),
    ),
    (
        {"distribution": "truncnormal", "mean": 5, "sd": 2, "low": "-.inf", "high": -15},
        _truncnorm(5, 2, -INF, -15),
    ),
    ({"distribution": "uniform", "low": 1, "high": 3}, stats.uniform(1, 2)),
    ({"distribution": "loguniform", "low": 1e-3, "high": 10}, stats.loguniform(1e-3, 10)),
    ({"distribution": "beta", "a": 2, "b": 5}, stats.beta(2, 5)),
    (
        {"distribution": "beta", "a": 0.5, "b": 0.8, "low": 1, "high": 4},  # scaled
        stats.beta(0.5, 0.8, loc=1, scale=3),
    ),
    ({"distribution": "gamma", "shape": 2.5, "scale": 0.4}, stats.gamma(2.5, scale=0.4)),
    ({"distribution": "gamma", "shape": 0.3, "scale": 2}, stats.gamma(0.3, scale=2)),
]
_IDS = [parse_distribution(data).describe() for data, _ in CONTINUOUS]


@pytest.mark.parametrize(("data", "law"), CONTINUOUS, ids=_IDS)
def test_quantile_matches_scipy_law(data: dict, law: stats.rv_continuous) -> None:
    kind, params = parse_distribution(data).spec()
    draws = quantile(kind, params, _uniforms())
    assert draws.dtype == np.float64 and np.all(np.isfinite(draws))
    assert stats.kstest(draws, law.cdf).pvalue > P_MIN


@pytest.mark.parametrize(("data", "law"), CONTINUOUS, ids=_IDS)
def test_reference_value_is_the_median(data: dict, law: stats.rv_continuous) -> None:
    distribution = parse_distribution(data)
    assert not distribution.is_degenerate()
    assert distribution.reference_value() == pytest.approx(law.median(), rel=1e-12)


@pytest.mark.parametrize(("data", "law"), CONTINUOUS, ids=_IDS)
def test_extremes_are_the_quantiles_at_the_extreme_uniforms(data: dict, law) -> None:
    distribution = parse_distribution(data)
    kind, params = distribution.spec()
    low, high = distribution.extremes()
    assert (low, high) == tuple(quantile(kind, params, np.array([U_MIN, U_MAX])))
    assert math.isfinite(low) and math.isfinite(high) and low < high
    assert law.support()[0] <= low and high <= law.support()[1]


def test_truncnormal_far_tails_stay_finite_and_inside() -> None:
    u = np.concatenate([[U_MIN, U_MAX], _uniforms()[:1000]])
    for low, high in [(10, INF), (40, 41), (-INF, -40), (1e3, 1e3 + 1e-3), (-1e-9, 1e-9)]:
        x = quantile("truncnormal", (0.0, 1.0, low, high), u)
        assert np.all(np.isfinite(x)) and np.all((low <= x) & (x <= high)), (low, high)
        order = np.argsort(u)
        assert np.all(np.diff(x[order]) >= 0)  # an inverse CDF is non-decreasing


def test_choice_frequencies() -> None:
    distribution = parse_distribution(
        {
            "distribution": "choice",
            "values": [3, 1, 2, 7, 9],
            "probabilities": [0.1, 0.2, 0.3, 0.4, 0],
        }
    )
    kind, params = distribution.spec()
    assert (kind, params) == ("choice", (3.0, 1.0, 2.0, 7.0, 9.0, 0.1, 0.2, 0.3, 0.4, 0.0))
    draws = quantile(kind, params, _uniforms())
    counts = np.array([np.count_nonzero(draws == v) for v in (3, 1, 2, 7)])
    assert counts.sum() == N  # 9 has probability 0: never drawn
    assert stats.chisquare(counts, N * np.array([0.1, 0.2, 0.3, 0.4])).pvalue > P_MIN
    assert distribution.reference_value() == 2.0  # sorted: 1 (0.2), 2 (cumulative 0.5)
    assert distribution.extremes() == (1.0, 7.0)


def test_choice_default_probabilities_are_equal() -> None:
    distribution = parse_distribution({"distribution": "choice", "values": [0.5, 0.1, 0.2]})
    draws = quantile(*distribution.spec(), _uniforms())
    counts = np.array([np.count_nonzero(draws == v) for v in (0.5, 0.1, 0.2)])
    assert counts.sum() == N and stats.chisquare(counts).pvalue > P_MIN
    assert distribution.reference_value() == 0.2
    assert distribution.describe() == "choice(values=[0.5, 0.1, 0.2])"


DEGENERATE = [
    ({"distribution": "lognormal", "median": 0.37, "sigma": 0}, 0.37),
    ({"distribution": "normal", "mean": -0.1, "sd": 0}, -0.1),
    ({"distribution": "truncnormal", "mean": 0.7, "sd": 0, "low": 0, "high": 1}, 0.7),
    ({"distribution": "uniform", "low": 0.3, "high": 0.3}, 0.3),
    ({"distribution": "loguniform", "low": 1e-7, "high": 1e-7}, 1e-7),
    ({"distribution": "choice", "values": [0.123]}, 0.123),
    ({"distribution": "choice", "values": [4, 0.9], "probabilities": [0, 1]}, 0.9),
]


@pytest.mark.parametrize(("data", "value"), DEGENERATE)
def test_degenerate_laws_give_their_value_exactly(data: dict, value: float) -> None:
    distribution = parse_distribution(data)
    assert distribution.is_degenerate()
    assert distribution.reference_value() == value  # exact
    assert distribution.extremes() == (value, value)
    draws = quantile(*distribution.spec(), _uniforms(100, 3))
    assert draws.shape == (100, 3) and np.all(draws == value)


def test_quantile_keeps_the_shape_and_refuses_bad_specs() -> None:
    assert quantile("normal", (0.0, 1.0), np.float64(0.5)).shape == ()
    assert quantile("gamma", (2.0, 1.0), _uniforms(4, 5)).shape == (4, 5)
    with pytest.raises(ValueError, match="unknown distribution 'weibull'"):
        quantile("weibull", (1.0,), np.array([0.5]))
    with pytest.raises(ValueError, match="needs 2 parameters"):
        quantile("normal", (1.0,), np.array([0.5]))
    u = _uniforms()[:50]
    assert np.allclose(normal_cdf(normal_quantile(u)), u, rtol=1e-13)


def test_kinds_agree() -> None:
    assert DISTRIBUTION_KINDS == tuple(KINDS)


@pytest.mark.parametrize("rho", [-0.6, 0.3, 0.8])
def test_gaussian_copula_rank_correlation_and_marginals(rho: float) -> None:
    u = _uniforms(N, 2)
    v = gaussian_copula(u, check_correlation([[1.0, rho], [rho, 1.0]]))
    assert v.shape == (N, 2) and np.all((v >= U_MIN) & (v <= U_MAX))
    spearman = stats.spearmanr(v[:, 0], v[:, 1]).statistic
    theory = 6 / math.pi * math.asin(rho / 2)
    # standard error of Spearman's r_s, approximated by (1 - r_s**2) / sqrt(n) (that of
    # Pearson's r for a bivariate normal); the test accepts 4 standard errors
    se = (1 - theory**2) / math.sqrt(N)
    assert abs(spearman - theory) < 4 * se
    for k in range(2):
        assert stats.kstest(v[:, k], "uniform").pvalue > P_MIN


def test_gaussian_copula_three_parameters() -> None:
    matrix = np.array([[1.0, 0.5, -0.2], [0.5, 1.0, 0.3], [-0.2, 0.3, 1.0]])
    v = gaussian_copula(_uniforms(N, 3), check_correlation(matrix))
    rank = stats.spearmanr(v).statistic
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        theory = 6 / math.pi * math.asin(matrix[i, j] / 2)
        assert abs(rank[i, j] - theory) < 4 * (1 - theory**2) / math.sqrt(N)  # as above


def test_gaussian_copula_identity_is_bit_identical() -> None:
    u = _uniforms(1000, 3)
    v = gaussian_copula(u, check_correlation(np.eye(3)))
    assert v is not u and np.array_equal(v.view(np.uint64), u.view(np.uint64))


@pytest.mark.parametrize(
    ("matrix", "words"),
    [
        ([[1, 0.3], [0.2, 1]], "not symmetric"),
        ([[2, 0], [0, 1]], "diagonal must be 1"),
        ([[1, 1.5], [1.5, 1]], "entries must be in [-1, 1]"),
        (
            [[1, -0.56, -0.56], [-0.56, 1, -0.56], [-0.56, -0.56, 1]],
            "not positive definite (smallest eigenvalue -0.12)",
        ),
        ([[1, 1], [1, 1]], "not positive definite"),
        ([[1, 0, 0], [0, 1, 0]], "must be square"),
    ],
)
def test_check_correlation_errors(matrix: list, words: str) -> None:
    with pytest.raises(ValueError) as info:
        check_correlation(matrix)
    assert words in str(info.value)


# (malformed mapping, the field its one error names, words of the message)
MALFORMED = [
    ({"distribution": "lognormal", "median": 0.25, "sigma": -0.3}, "sigma", "must be >= 0"),
    ({"distribution": "lognormal", "median": 0, "sigma": 0.3}, "median", "must be > 0"),
    ({"distribution": "uniform", "low": 2, "high": 1}, "high", "must be >= low (2)"),
    ({"distribution": "loguniform", "low": 2, "high": 1}, "high", "must be >= low"),
    (
        {"distribution": "truncnormal", "mean": 0, "sd": 1, "low": 2, "high": 1},
        "high",
        "must be > low",
    ),
    (
        {"distribution": "truncnormal", "mean": 5, "sd": 0, "low": 0, "high": 1},
        "mean",
        "must be in [low, high]",
    ),
    ({"distribution": "truncnormal", "mean": 0, "sd": 1, "low": ".inf"}, "low", "-.inf"),
    ({"distribution": "beta", "a": 1, "b": 1, "low": 1, "high": 1}, "high", "must be > low"),
    (
        {"distribution": "weibull", "k": 1},
        "distribution",
        "must be one of lognormal, normal, truncnormal, uniform, loguniform, beta, gamma, choice",
    ),
    ({"median": 1, "sigma": 0.1}, "distribution", "required field is missing"),
    (
        {"distribution": "choice", "values": [1, 2], "probabilities": [0.3, 0.3]},
        "probabilities",
        "must sum to 1",
    ),
    (
        {"distribution": "choice", "values": [1, 2], "probabilities": [0.3, 0.3, 0.4]},
        "probabilities",
        "has 3 entries but values has 2",
    ),
    (
        {"distribution": "choice", "values": [1, 2], "probabilities": [1.5, 0.5]},
        "probabilities[0]",
        "must be in [0, 1]",
    ),
    ({"distribution": "choice", "values": []}, "values", "at least 1 item"),
    ({"distribution": "choice", "values": list(range(257))}, "values", "at most 256"),
    ({"distribution": "normal", "mean": "fast", "sd": 1}, "mean", "must be a number"),
    ({"distribution": "gamma", "shape": True, "scale": 1}, "shape", "must be a number"),
    ({"distribution": "normal", "mean": 1}, "sd", "required field is missing"),
    (
        {"distribution": "lognormal", "median": 1, "sigma": 0.1, "sgima": 2},
        "sgima",
        "unknown field (did you mean 'sigma'?)",
    ),
    (0.25, "<root>", "must be a mapping"),
]


@pytest.mark.parametrize(("data", "field", "words"), MALFORMED)
def test_malformed_distribution_is_one_error_on_one_line(data, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_distribution(data)
    text = str(info.value)
    assert "\n" not in text and len(info.value.errors) == 1, text
    assert text.startswith(f"{field}: ") and words in text, text


def test_several_problems_are_reported_separately() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_distribution({"distribution": "lognormal", "median": -1, "sigma": -1})
    assert [e.path for e in info.value.errors] == ["median", "sigma"]
    assert str(info.value) == "median: must be > 0, got -1 (and 1 more problems)"


def test_schema_specs_and_descriptions() -> None:
    cases = [
        (
            {"distribution": "lognormal", "median": "1e-7", "sigma": 0.3},
            ("lognormal", (1e-7, 0.3)),
            "lognormal(median=1e-07, sigma=0.3)",
        ),
        (
            {"distribution": "normal", "mean": 2, "sd": 0.5},
            ("normal", (2.0, 0.5)),
            "normal(mean=2, sd=0.5)",
        ),
        (
            {"distribution": "truncnormal", "mean": 1, "sd": 2},
            ("truncnormal", (1.0, 2.0, -INF, INF)),
            "truncnormal(mean=1, sd=2, low=-inf, high=inf)",
        ),
        (
            {"distribution": "uniform", "low": 0, "high": 1},
            ("uniform", (0.0, 1.0)),
            "uniform(low=0, high=1)",
        ),
        (
            {"distribution": "loguniform", "low": 0.1, "high": 10},
            ("loguniform", (0.1, 10.0)),
            "loguniform(low=0.1, high=10)",
        ),
        (
            {"distribution": "beta", "a": 2, "b": 3},
            ("beta", (2.0, 3.0, 0.0, 1.0)),
            "beta(a=2, b=3, low=0, high=1)",
        ),
        (
            {"distribution": "gamma", "shape": 2, "scale": 0.5},
            ("gamma", (2.0, 0.5)),
            "gamma(shape=2, scale=0.5)",
        ),
        (
            {"distribution": "choice", "values": [1, 2], "probabilities": [0.25, 0.75]},
            ("choice", (1.0, 2.0, 0.25, 0.75)),
            "choice(values=[1, 2], probabilities=[0.25, 0.75])",
        ),
    ]
    for data, spec, text in cases:
        distribution = parse_distribution(data)
        assert distribution.spec() == spec and distribution.describe() == text


def test_models_are_frozen_and_constructible_in_python() -> None:
    law = LogNormal(median=0.25, sigma=0.3)
    assert law.distribution == "lognormal" and law.reference_value() == 0.25
    with pytest.raises(ValueError):
        law.sigma = 0.5  # type: ignore[misc]
    assert TruncNormal(mean=0, sd=1, low="-.inf", high=".inf").spec()[1][2:] == (-INF, INF)
    assert Choice(values=[1, 2]).weights == (0.5, 0.5)
    dumped = parse_distribution({"distribution": "beta", "a": 2, "b": 3}).model_dump()
    assert parse_distribution(dumped).spec() == ("beta", (2.0, 3.0, 0.0, 1.0))


def test_json_schema_is_plain_json() -> None:
    schema = TypeAdapter(Distribution).json_schema()
    text = json.dumps(schema, allow_nan=False)  # the infinite defaults of truncnormal left out
    assert "truncnormal" in text and "choice" in text
