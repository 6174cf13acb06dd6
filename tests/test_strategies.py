"""Treatment strategies and monitoring against published results and theory.

Fixed seeds; tolerances: published proportions within 4 SE; strategy comparisons by the
log-rank test (p < 0.01); switch times within one visit interval of the ODE model.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats
from scipy.integrate import solve_ivp

from oncosweep import Scenario, simulate
from oncosweep.validation.strategy_cases import bozic_strategies_config

ROOT = Path(__file__).resolve().parents[1]


def bozic_strategies() -> Scenario:
    """Bozic 2013 with simultaneous (both drugs) and sequential (drug 1 until imaging
    progression, then drug 2) therapy on the same simulated tumours (the scenario of
    ``oncosweep validate``)."""
    return Scenario.from_dict(bozic_strategies_config())


def test_bozic_2013_simultaneous_beats_sequential() -> None:
    """Published: simultaneous therapy eradicates 0.263, sequential ~0 (Bozic et al. 2013)."""
    n = 1000
    ds = simulate(bozic_strategies(), realizations=n, seed=2013)
    cured = ds.cured.mean("realization")
    simultaneous = float(cured.sel(strategy="simultaneous"))
    sequential = float(cured.sel(strategy="sequential"))
    se = math.sqrt(0.263 * 0.737 / n)
    assert abs(simultaneous - 0.263) < 4 * se, simultaneous
    # ~0: at most 4 SE of a proportion of 1/n above zero
    assert sequential < 4 * math.sqrt(1 / n), sequential
    assert int(ds.regimen_switches.sel(strategy="sequential").max()) == 1
    assert bool((ds.regimen_switches.sel(strategy="simultaneous") == 0).all())
    # common random numbers: the same tumours at treatment start under both strategies
    assert "strategy" not in ds.cells_at_start.dims


def adaptive_scenario(cv: float, dt: float | None = None) -> Scenario:
    config = yaml.safe_load((ROOT / "configs/adaptive_competition.yaml").read_text())
    config["monitoring"]["imaging"]["cv"] = cv
    if dt is not None:
        config["simulation"]["dt"] = dt
    return Scenario.from_dict(config)


def test_adaptive_delays_progression_with_less_drug() -> None:
    """Adaptive vs continuous in the competition model: longer time to progression
    (log-rank p < 0.01, imaging noise CV 0.05) with clearly less drug (AUC < 0.8x)."""
    ds = simulate(adaptive_scenario(0.05), realizations=40, seed=2017)
    ttp = {s: ds.time_to_progression.sel(strategy=s).values for s in ("continuous",
                                                                       "adaptive")}
    assert not np.isnan(ttp["continuous"]).any()  # every continuous arm progresses
    data = {s: stats.CensoredData(uncensored=v[~np.isnan(v)],
                                  right=np.full(int(np.isnan(v).sum()), 1500.0))
            for s, v in ttp.items()}
    test = stats.logrank(data["adaptive"], data["continuous"])
    assert test.pvalue < 0.01, test
    assert np.nanmedian(ttp["adaptive"]) > np.nanmedian(ttp["continuous"])
    auc = ds.drug_exposure.sel(drug="abiraterone").mean("realization")
    assert float(auc.sel(strategy="adaptive")) < 0.8 * float(auc.sel(strategy="continuous"))
    fraction = ds.treated_fraction.mean("realization")
    assert float(fraction.sel(strategy="adaptive")) < float(fraction.sel(strategy="continuous"))


def ode_switch_times(scenario: Scenario, horizon: float) -> list[float]:
    """The adaptive policy on the Lotka–Volterra ODE with the drug's kill term while on,
    decided at the same visits from the exact burden (the large-population limit)."""
    tumour, growth = scenario.tumour, scenario.growth
    start = {entry.cell_type: entry.cells for entry in tumour.initial_population}
    s0, r0 = start["wt/proliferating"], start["R/proliferating"]
    birth_r = tumour.birth_rate * (1 - tumour.loci[0].fitness_cost)
    rates = (tumour.birth_rate - tumour.death_rate, birth_r - tumour.death_rate)
    (k_s, k_r), alpha = growth.carrying_capacities, growth.alpha_matrix
    kill = scenario.drugs[0].emax  # saturating concentration: effect = emax
    visit = scenario.monitoring.visit_every
    plan = next(p for p in scenario.strategy_plans() if p.kind == "adaptive")

    def rhs(_, y, on):
        s, r = y
        return [s * (rates[0] * (1 - (alpha[0][0] * s + alpha[0][1] * r) / k_s) - kill * on),
                r * rates[1] * (1 - (alpha[1][0] * s + alpha[1][1] * r) / k_r)]

    y, baseline, on, switches, t = [s0, r0], s0 + r0, 1.0, [], 0.0
    while t + visit <= horizon:
        y = solve_ivp(rhs, (t, t + visit), y, args=(on,), rtol=1e-10, atol=1.0).y[:, -1]
        t += visit
        burden = y[0] + y[1]
        if on and burden <= plan.frac_off * baseline:
            on, switches = 0.0, [*switches, t]
        elif not on and burden >= plan.frac_on * baseline:
            on, switches = 1.0, [*switches, t]
    return switches


def test_adaptive_switch_times_match_the_ode() -> None:
    """With exact imaging (CV 0) and 5.5e8 cells, the simulated on/off switch times equal the
    ODE model's within one visit interval (7 days). dt = 0.1 day keeps the O(dt) growth-rate
    error of the discrete process (0.1 % here) from accumulating over the cycles; at the
    config's dt = 0.5 the later switches lag the ODE by exactly one visit."""
    scenario = adaptive_scenario(0.0, dt=0.1)
    horizon = 600.0
    ds = simulate(scenario, realizations=1, seed=5, strategy="adaptive")
    dose = ds.on_treatment.isel(traced_realization=0)
    dose = dose.where(dose.time <= horizon, drop=True).values
    times = ds.time.values[: dose.size]
    changed = np.nonzero(np.diff(dose) != 0)[0] + 1
    simulated = times[changed]
    expected = ode_switch_times(scenario, horizon)
    assert len(expected) >= 6, expected  # several on/off cycles
    assert len(simulated) == len(expected), (simulated, expected)
    assert np.max(np.abs(simulated - np.array(expected))) <= 7.0 + 1e-9, (simulated, expected)


def ctdna_scenario(**ctdna: object) -> Scenario:
    config = yaml.safe_load((ROOT / "configs/ctdna_monitoring.yaml").read_text())
    config = copy.deepcopy(config)
    config["monitoring"]["ctdna"].update(ctdna)
    return Scenario.from_dict(config)


@pytest.fixture(scope="module")
def lead_times() -> dict[int, np.ndarray]:
    return {depth: simulate(ctdna_scenario(depth=depth), realizations=100, seed=31,
                            strategy="continuous").ctdna_lead_time.values
            for depth in (100, 1000, 10000)}


def test_ctdna_leads_imaging_and_the_lead_rises_with_depth(
    lead_times: dict[int, np.ndarray]
) -> None:
    """Median lead time (imaging progression minus ctDNA detection) > 0 at depth 1000 and
    rising with sequencing depth (Mann–Whitney one-sided p < 0.01 between depths)."""
    medians = {d: float(np.nanmedian(v)) for d, v in lead_times.items()}
    assert medians[1000] > 0, medians
    assert medians[100] < medians[1000] < medians[10000], medians
    for low, high in ((100, 1000), (1000, 10000)):
        a, b = lead_times[low], lead_times[high]
        test = stats.mannwhitneyu(b[~np.isnan(b)], a[~np.isnan(a)], alternative="greater")
        assert test.pvalue < 0.01, (low, high, test)


def test_ctdna_switch_beats_sequential_when_the_second_drug_works() -> None:
    """Switching at ctDNA detection instead of imaging progression delays progression on the
    second drug (log-rank p < 0.01); both strategies switch once."""
    ds = simulate(ctdna_scenario(), realizations=60, seed=41)
    ttp = {s: ds.time_to_progression.sel(strategy=s).values for s in ("sequential",
                                                                       "ctdna_switch")}
    data = {s: stats.CensoredData(uncensored=v[~np.isnan(v)],
                                  right=np.full(int(np.isnan(v).sum()), 1500.0))
            for s, v in ttp.items()}
    # two-sided log-rank plus the direction from the medians (scipy's one-sided alternatives
    # are phrased in hazards, easy to misread)
    test = stats.logrank(data["ctdna_switch"], data["sequential"])
    medians = {s: float(np.nanmedian(v)) for s, v in ttp.items()}
    assert test.pvalue < 0.01, (test, medians)
    assert medians["ctdna_switch"] > medians["sequential"], medians
    switches = ds.regimen_switches.sel(strategy=["sequential", "ctdna_switch"])
    assert float((switches == 1).mean()) > 0.9
