"""Virtual patient populations: parameters drawn per realization (issue 15).

What is checked, against what:

* a degenerate distribution (sigma 0, a one-value choice, low == high) gives results identical
  to the plain number, realization by realization, on every shipped config;
* with parameters that really vary, the numpy engine (the reference) and the host build of the
  kernel agree realization by realization on every shipped config;
* the drawn values follow their distributions (KS / chi-square p > 1e-3 at fixed seeds), the
  Gaussian copula gives the rank correlation 6/pi asin(rho/2) (within 4 standard errors), and
  making one more parameter vary shifts no other parameter's draws;
* a realization that draws a value equals, in every output, the homogeneous run at that value
  (same seed and index), so a two-point population is the p-weighted mixture of the two
  homogeneous runs (also checked by two-sample KS tests on independent realizations);
* malformed distributions stop at the boundary with one line naming the field (exit 2).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

import oncosweep
from oncosweep.gpu_engine.compile import compile_scenario
from oncosweep.gpu_engine.population import draw_values
from oncosweep.scenario import Scenario, ScenarioError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
ALL_CONFIGS = sorted(p.name for p in CONFIGS.glob("*.yaml"))
DRAWN = "drawn_"


def raw(config: str, reference: bool = True) -> dict[str, Any]:
    """The config as plain data (a config that is a population at its reference values, or
    with its own distributions in place), without its sweep."""
    scenario = Scenario.from_yaml(CONFIGS / config)
    data = yaml.safe_load((scenario.at_reference() if reference else scenario).to_yaml())
    data.pop("sweep", None)
    return data


def at(data: dict[str, Any], path: tuple, value: Any) -> bool:
    """Put ``value`` at ``path`` of ``data`` if that field holds a number there."""
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(node, dict) or not isinstance(node.get(path[-1]), int | float):
        return False
    if callable(value) and node[path[-1]] == 0:
        return False  # a zero (a locus that never mutates) stays a plain number
    node[path[-1]] = value(node[path[-1]]) if callable(value) else value
    return True


def populate(data: dict[str, Any], degenerate: bool) -> dict[str, Any]:
    """Make the usual patient parameters of a config distributions in place: degenerate ones
    (equal to the plain number) or ones that really vary."""
    def lognormal(sigma: float) -> Any:
        return lambda v: {"distribution": "lognormal", "median": v,
                          "sigma": 0.0 if degenerate else sigma}

    def uniform(spread: float) -> Any:
        return lambda v: {"distribution": "uniform", "low": v * (1 - (0 if degenerate else
                                                                    spread)),
                          "high": v * (1 + (0 if degenerate else spread))}

    at(data, ("tumour", "birth_rate"), lognormal(0.05))
    at(data, ("tumour", "death_rate"),
       (lambda v: {"distribution": "choice", "values": [v]}) if degenerate else uniform(0.05))
    for i in range(len(data.get("drugs", []))):
        at(data, ("drugs", i, "ic50"), lognormal(0.4))
        at(data, ("drugs", i, "half_life"), uniform(0.2))
    for i in range(len(data["tumour"].get("loci", []))):
        at(data, ("tumour", "loci", i, "mutation_rate"), lognormal(0.5))
    if data.get("monitoring"):
        at(data, ("monitoring", "imaging", "cv"), uniform(0.5))
    return data


def results_equal(a: Any, b: Any) -> list[str]:
    """Variables (other than drawn values) that differ between two datasets."""
    return [v for v in a.data_vars if not v.startswith(DRAWN) and not a[v].equals(b[v])]


@pytest.mark.parametrize("config", ALL_CONFIGS)
def test_degenerate_distributions_equal_plain_numbers(config: str) -> None:
    """sigma 0, one-value choices and low == high: the same results as the plain config,
    realization by realization (compiled engine; the numpy engine equals it below)."""
    plain = Scenario.from_dict(raw(config))
    data = populate(raw(config), degenerate=True)
    population = Scenario.from_dict(data)
    assert population.population is not None and population.population.parameters
    assert not population.population.varying()
    a = oncosweep.simulate(plain, realizations=24, seed=11, backend="cpu", threads=2)
    b = oncosweep.simulate(population, realizations=24, seed=11, backend="cpu", threads=2)
    assert results_equal(a, b) == []
    drawn = [v for v in b.data_vars if v.startswith(DRAWN)]
    assert drawn, "the drawn values are recorded"
    for name in drawn:
        assert np.all(b[name].values == b[name].attrs["reference_value"])


def _shorten(data: dict[str, Any]) -> dict[str, Any]:
    """A cheaper run of the same config for the numpy engine (one model per realization):
    detection at most at 1e7 cells, at most 120 days after it, and a death rate at most half
    the birth rate (a slowly growing founder restarts many times before it is detected)."""
    tumour = data["tumour"]
    tumour["detection_size"] = min(float(tumour["detection_size"]), 1e7)
    birth = tumour["birth_rate"]
    birth = birth["median"] if isinstance(birth, dict) else birth  # a lognormal's median
    tumour["death_rate"] = min(float(tumour["death_rate"]), 0.5 * float(birth))
    sim = data["simulation"]
    sim["horizon"] = min(float(sim["horizon"]), 120.0)
    data.pop("trace", None)
    for drug in data.get("drugs", []):
        times = (drug.get("dosing") or {}).get("times")
        if times:
            drug["dosing"]["times"] = [t for t in times if t < sim["horizon"]] or times[:1]
    return data


@pytest.mark.parametrize("config", ALL_CONFIGS)
def test_numpy_engine_equals_host_build_with_varying_parameters(config: str) -> None:
    """Every config with its patient parameters varying (a shipped population's own
    distributions too): the numpy engine and the kernel's host build agree in every output,
    realization by realization."""
    scenario = Scenario.from_dict(populate(_shorten(raw(config, reference=False)),
                                           degenerate=False))
    assert scenario.population is not None and scenario.population.varying()
    strategy = scenario.strategy_plans()[-1].name if scenario.strategy_plans() else None
    a = oncosweep.simulate(scenario, realizations=2, seed=5, start=7, backend="numpy",
                           strategy=strategy)
    b = oncosweep.simulate(scenario, realizations=2, seed=5, start=7, backend="cpu",
                           threads=2, strategy=strategy)
    assert results_equal(a, b) == []
    drawn = [v for v in b.data_vars if v.startswith(DRAWN)]
    assert all(a[v].equals(b[v]) for v in drawn)
    assert any(np.unique(b[v].values).size == 2 for v in drawn), "the parameters vary"


def _plan(distributions: dict[str, Any], correlation: Any = None) -> Any:
    data = raw("mech_target.yaml")
    data["tumour"]["birth_rate"] = distributions.get("birth")
    data["tumour"]["death_rate"] = distributions.get("death", data["tumour"]["death_rate"])
    data["drugs"][0]["ic50"] = distributions.get("ic50", data["drugs"][0]["ic50"])
    data["drugs"][0]["half_life"] = distributions.get("half_life",
                                                      data["drugs"][0]["half_life"])
    if correlation is not None:
        data["population"] = {"correlation": correlation}
    return compile_scenario(Scenario.from_dict(data)).population


LAWS = {
    "birth": ({"distribution": "lognormal", "median": 0.5, "sigma": 0.3},
              stats.lognorm(0.3, scale=0.5)),
    "death": ({"distribution": "truncnormal", "mean": 0.1, "sd": 0.05, "low": 0.02,
               "high": 0.2}, stats.truncnorm(-1.6, 2.0, loc=0.1, scale=0.05)),
    "ic50": ({"distribution": "gamma", "shape": 3.0, "scale": 0.4},
             stats.gamma(3.0, scale=0.4)),
    "half_life": ({"distribution": "beta", "a": 2.0, "b": 5.0, "low": 0.5, "high": 3.0},
                  stats.beta(2.0, 5.0, loc=0.5, scale=2.5)),
}


def test_drawn_values_follow_their_distributions() -> None:
    """4,000 realizations' draws (the engine's own: Philox at the reserved slots, then the
    inverse CDF): KS p > 1e-3 against scipy's law for each kind."""
    plan = _plan({k: spec for k, (spec, _) in LAWS.items()})
    values = draw_values(plan, 20261202, 0, 4000)
    for k, (_, law) in enumerate(LAWS.values()):
        assert stats.kstest(values[:, k], law.cdf).pvalue > 1e-3, plan.parameters[k].path


def test_choice_frequencies() -> None:
    """A three-value choice: chi-square p > 1e-3 over 6,000 realizations."""
    spec = {"distribution": "choice", "values": [0.3, 0.5, 0.8],
            "probabilities": [0.2, 0.5, 0.3]}
    values = draw_values(_plan({"birth": spec}), 7, 0, 6000)[:, 0]
    counts = [np.sum(values == v) for v in (0.3, 0.5, 0.8)]
    assert sum(counts) == 6000
    assert stats.chisquare(counts, [1200, 3000, 1800]).pvalue > 1e-3


@pytest.mark.parametrize("rho", [-0.6, 0.4, 0.8])
def test_copula_rank_correlation(rho: float) -> None:
    """Spearman's rho of two copula-coupled parameters is 6/pi asin(rho/2), within 4 standard
    errors ((1 - r_s**2)/sqrt(n), n = 5,000); the margins stay their laws (KS p > 1e-3)."""
    plan = _plan({"birth": LAWS["birth"][0], "ic50": LAWS["ic50"][0]}, correlation=[{
        "parameters": ["tumour.birth_rate", "drugs[0].ic50"],
        "matrix": [[1.0, rho], [rho, 1.0]]}])
    n = 5000
    values = draw_values(plan, 99, 0, n)
    spearman = stats.spearmanr(values[:, 0], values[:, 1]).statistic
    theory = 6 / np.pi * np.arcsin(rho / 2)
    assert abs(spearman - theory) < 4 * (1 - theory**2) / np.sqrt(n)
    assert stats.kstest(values[:, 0], LAWS["birth"][1].cdf).pvalue > 1e-3
    assert stats.kstest(values[:, 1], LAWS["ic50"][1].cdf).pvalue > 1e-3


def test_one_more_varying_parameter_shifts_no_other_draw() -> None:
    one = draw_values(_plan({"birth": LAWS["birth"][0]}), 3, 100, 500)
    two = draw_values(_plan({"birth": LAWS["birth"][0], "ic50": LAWS["ic50"][0]}), 3, 100, 500)
    assert np.array_equal(one[:, 0], two[:, 0])


def _two_point(values: list[float] | float, probabilities: list[float] | None = None
               ) -> Scenario:
    """The quickstart with osimertinib's emax (drugs[1]) one value or a two-point choice, and
    a shorter horizon (two years)."""
    data = raw("quickstart.yaml")
    data["trace"] = {"realizations": 0}
    data["simulation"]["horizon"] = 730
    if isinstance(values, list):
        data["drugs"][1]["emax"] = {"distribution": "choice", "values": values,
                                    "probabilities": probabilities}
    else:
        data["drugs"][1]["emax"] = values
    return Scenario.from_dict(data)


def test_two_point_population_is_the_mixture_of_the_homogeneous_runs() -> None:
    """Osimertinib's emax = 0.085 (p 0.3) or 1.0 (p 0.7) per day. Each realization equals the
    homogeneous run at its drawn value with the same seed and index, in every output; and the
    population's outcomes match the 0.3/0.7 mixture of independent homogeneous runs
    (two-sample KS, p > 1e-3). The two values classify the METamp genotype differently
    (its bypass keeps 5 % of the effect: 0.004 per day, less than its net growth 0.045, at
    0.085; 0.05 per day, more, at 1.0), so each realization's own classification is checked
    too."""
    low, high = 0.085, 1.0
    strategy = "ctdna_switch"
    ma, mb = (compile_scenario(_two_point(v), strategy) for v in (low, high))
    assert not np.array_equal(ma.resistant, mb.resistant)
    n = 600
    population = oncosweep.simulate(_two_point([low, high], [0.3, 0.7]), realizations=n,
                                     seed=8, backend="cpu", threads=2, strategy=strategy)
    drawn = population["drawn_drugs_1_emax"].values
    assert set(np.unique(drawn)) == {low, high}
    assert stats.binomtest(int(np.sum(drawn == low)), n, 0.3).pvalue > 1e-3
    homogeneous = {v: oncosweep.simulate(_two_point(v), realizations=n, seed=8, backend="cpu",
                                         threads=2, strategy=strategy) for v in (low, high)}
    for v, ds in homogeneous.items():
        mine = population.isel(realization=np.flatnonzero(drawn == v))
        theirs = ds.isel(realization=np.flatnonzero(drawn == v))
        assert results_equal(mine, theirs) == [], v
    # independent homogeneous realizations (other indices), mixed 0.3 / 0.7
    m_low, m_high = 3 * n // 10, 7 * n // 10
    mix_low = oncosweep.simulate(_two_point(low), realizations=m_low, seed=8, start=10_000,
                                 backend="cpu", threads=2, strategy=strategy)
    mix_high = oncosweep.simulate(_two_point(high), realizations=m_high, seed=8, start=20_000,
                                  backend="cpu", threads=2, strategy=strategy)
    tested = []
    for name in ("time_to_detection", "ctdna_detection_time", "time_to_progression",
                 "drug_exposure"):
        pop = population[name].values.reshape(-1)
        mix = np.concatenate([mix_low[name].values, mix_high[name].values]).reshape(-1)
        pop, mix = pop[np.isfinite(pop)], mix[np.isfinite(mix)]
        if min(pop.size, mix.size) < 100:
            continue
        assert stats.ks_2samp(pop, mix).pvalue > 1e-3, name
        tested.append(name)
    assert len(tested) >= 2, tested


def test_realization_is_the_same_patient_under_every_strategy() -> None:
    data = populate(raw("quickstart.yaml"), degenerate=False)
    data["simulation"]["horizon"] = 56
    ds = oncosweep.simulate(Scenario.from_dict(data), realizations=5, seed=2, backend="cpu",
                            threads=2)
    for name in (v for v in ds.data_vars if v.startswith(DRAWN)):
        assert "strategy" not in ds[name].dims
        assert ds[name].attrs["units"] and ds[name].attrs["parameter"]


def test_sweep_axis_over_a_distribution_parameter() -> None:
    """sweep.axes may name a distribution's own parameter; sigma 0 draws the median."""
    data = raw("mech_target.yaml")
    data["tumour"]["birth_rate"] = {"distribution": "lognormal", "median": 0.5, "sigma": 0.2}
    data["sweep"] = {"realizations": 10, "seed": 1,
                     "axes": {"tumour.birth_rate.sigma": [0.0, 0.3]}}
    scenario = Scenario.from_dict(data)
    flat, _ = scenario.at_point((0,))
    wide, _ = scenario.at_point((1,))
    assert flat.population.parameters["tumour.birth_rate"].is_degenerate()
    assert wide.population.parameters["tumour.birth_rate"].sigma == 0.3
    assert np.all(draw_values(compile_scenario(flat).population, 1, 0, 50) == 0.5)
    # the same uniforms: the wide population's draws are the median times exp(0.3 z)
    z = np.log(draw_values(compile_scenario(wide).population, 1, 0, 50)[:, 0] / 0.5) / 0.3
    assert np.all(np.abs(z) < 9)
    # the scenario written back keeps the distribution in place
    again = Scenario.from_yaml_string(wide.to_yaml())
    assert again.population == wide.population


@pytest.mark.parametrize(("path", "spec", "words"), [
    (("tumour", "birth_rate"), {"distribution": "lognormal", "median": 0.5, "sigma": -1},
     "tumour.birth_rate.sigma"),
    (("tumour", "birth_rate"), {"distribution": "normal", "mean": 0.5, "sd": 0.2},
     "tumour.birth_rate: normal"),
    (("tumour", "birth_rate"), {"distribution": "lognorma", "median": 0.5, "sigma": 1},
     "tumour.birth_rate"),
    (("tumour", "death_rate"), {"distribution": "choice", "values": [0.1, 0.2],
                                "probabilities": [0.5]}, "tumour.death_rate.probabilities"),
    (("simulation", "dt"), {"distribution": "uniform", "low": 0.1, "high": 0.2},
     "simulation.dt"),
    (("tumour", "loci", 0, "mutation_rate"), {"distribution": "uniform", "low": 0.5,
                                              "high": 1.5}, "tumour.loci[0].mutation_rate"),
])
def test_malformed_distribution_is_one_line_naming_the_field(
        tmp_path: Path, path: tuple, spec: dict, words: str) -> None:
    data = raw("mech_target.yaml")
    assert at(data, path, spec)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data)
    assert words in str(info.value)
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(data))
    run = subprocess.run([sys.executable, "-m", "oncosweep", "run", str(config), "-n", "2",
                          "-o", str(tmp_path / "out.zarr")], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in run.stderr


def test_correlation_errors_name_the_field() -> None:
    data = raw("mech_target.yaml")
    data["tumour"]["birth_rate"] = LAWS["birth"][0]
    data["drugs"][0]["ic50"] = LAWS["ic50"][0]
    data["population"] = {"correlation": [{"parameters": ["tumour.birth_rate",
                                                          "drugs[0].ic50"],
                                           "matrix": [[1, 1.2], [1.2, 1]]}]}
    with pytest.raises(ScenarioError, match=r"population\.correlation\[0\]"):
        Scenario.from_dict(data)
    data["population"]["correlation"][0]["parameters"] = ["tumour.birth_rate", "tumour.x"]
    data["population"]["correlation"][0]["matrix"] = [[1, 0.5], [0.5, 1]]
    with pytest.raises(ScenarioError, match="not a varying parameter"):
        Scenario.from_dict(data)


def test_a_schedule_cannot_vary() -> None:
    """A parameter that moves the model other than in proportion (a visit interval sets the
    visit schedule in steps) is refused, naming it."""
    data = raw("ctdna_monitoring.yaml")
    data["monitoring"]["visit_every"] = {"distribution": "choice", "values": [28, 56]}
    with pytest.raises((ValueError, ScenarioError), match="monitoring.visit_every"):
        compile_scenario(Scenario.from_dict(data))


def test_sweep_store_records_the_same_draws_as_simulate(tmp_path: Path) -> None:
    """A sweep of a population: every unit's drawn values in the store equal what simulate
    draws for those realizations, the same at every grid point (the same patients)."""
    from oncosweep import open_results, run_sweep  # noqa: PLC0415

    data = raw("mech_target.yaml")
    data["tumour"]["birth_rate"] = {"distribution": "lognormal", "median": 0.3,
                                    "sigma": 0.1}
    data["drugs"][0]["ic50"] = {"distribution": "gamma", "shape": 4.0, "scale": 0.25}
    data["sweep"] = {"realizations": 12, "chunk": 6, "seed": 4,
                     "axes": {"tumour.loci[0].mutation_rate": [1e-6, 1e-5]}}
    scenario = Scenario.from_dict(data)
    run_sweep(scenario, tmp_path / "s.zarr", workers=1, backend="cpu", progress=False)
    store = open_results(tmp_path / "s.zarr")
    single = oncosweep.simulate(scenario.at_point((1,))[0], realizations=12, seed=4,
                                backend="cpu", threads=1)
    for name in ("drawn_tumour_birth_rate", "drawn_drugs_0_ic50"):
        assert store[name].attrs["parameter"] in ("tumour.birth_rate", "drugs[0].ic50")
        values = store[name].values
        assert np.array_equal(values[0], values[1])
        assert np.array_equal(values[1], single[name].values)
