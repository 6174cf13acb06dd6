"""The shipped scenario files: every ``configs/*.yaml`` validates and is listed in
docs/mechanisms.md or docs/strategies.md; every mechanism config (``configs/mech_*.yaml``) and
every strategy config (``configs/strategy_*.yaml``) simulates to sane outputs, and each shows
the effect that its page documents for it.

Effects are checked at fixed seeds with margins far outside Monte Carlo noise, so that they
stay true if the engine's random streams change: a difference of two proportions must have a
pooled two-proportion z-statistic > 5, a difference of two mean times a Welch statistic > 5,
and a difference in time to progression between two strategies a two-sided log-rank p < 0.01
with the direction read from the medians. (The documented numbers are from seed 1; these
tests use other seeds, so they also check that the effects are not an accident of one seed.)
The whole file runs in about 25 s on 2 cores.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from oncosweep import Scenario, simulate

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
MECHANISM_CONFIGS = [path for path in CONFIGS if path.name.startswith("mech_")]
STRATEGY_CONFIGS = [path for path in CONFIGS if path.name.startswith("strategy_")]
DOCS = ("mechanisms.md", "strategies.md", "benchmarks.md")  # a config is listed on one
SANITY_REALIZATIONS, SANITY_SEED = 50, 7
EFFECT_REALIZATIONS, EFFECT_SEED = 200, 2
Z_MIN = 5.0  # an effect must be > 5 standard errors: robust to any fixed seed


def test_configs_are_found() -> None:
    names = {path.stem for path in MECHANISM_CONFIGS}
    assert names == {
        "mech_target", "mech_bypass", "mech_efflux", "mech_apoptosis_evasion", "mech_immune",
        "mech_persister", "mech_sanctuary", "mech_competition", "mech_bliss_combination",
    }
    strategies = {path.stem for path in STRATEGY_CONFIGS}
    assert strategies == {"strategy_continuous", "strategy_intermittent", "strategy_sequential"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_config_validates(path: Path) -> None:
    Scenario.from_yaml(path)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_config_is_listed_in_the_docs(path: Path) -> None:
    pages = [(ROOT / "docs" / page).read_text() for page in DOCS]
    assert any(f"configs/{path.name}" in text for text in pages), f"not listed in {DOCS}"


@pytest.mark.parametrize("path", MECHANISM_CONFIGS, ids=lambda path: path.name)
def test_mechanism_config_simulates(path: Path) -> None:
    scenario = Scenario.from_yaml(path)
    assert scenario.name == path.stem
    assert scenario.treatment is not None
    ds = simulate(scenario, realizations=SANITY_REALIZATIONS, seed=SANITY_SEED)
    tumour, horizon = scenario.tumour, scenario.simulation.horizon
    assert ds.sizes["realization"] == SANITY_REALIZATIONS
    assert ds["detected"].values.all()
    assert np.isfinite(ds["time_to_detection"].values).all()
    assert (ds["time_to_detection"].values >= 0).all()
    start = ds["cells_at_start"].values
    assert (start >= 0).all()
    assert (start.sum(axis=1) >= tumour.detection_size).all()
    assert (start.sum(axis=1) < tumour.lethal_size).all()
    cured, died = ds["cured"].values, ds["died"].values
    assert not (cured & died).any()
    for flag, times in ((cured, ds["time_to_cure"].values), (died, ds["time_to_death"].values)):
        assert np.array_equal(np.isfinite(times), flag)
        assert ((times[flag] > 0) & (times[flag] <= horizon)).all()
    exposure = ds["drug_exposure"].values
    assert np.isfinite(exposure).all()
    regimen = next(r for r in scenario.regimens if r.name == scenario.treatment.regimen)
    given = {entry.drug for entry in regimen.drugs}
    for i, drug in enumerate(ds["drug"].values):
        if drug in given:
            assert (exposure[:, i] > 0).all(), drug
        else:
            assert (exposure[:, i] == 0).all(), drug
    assert ds["resistant_at_start"].dtype == bool


# ----------------------------------------------------------------------------- effects
def z_proportions(a: np.ndarray, b: np.ndarray) -> float:
    """Pooled two-proportion z-statistic of mean(a) - mean(b) (0 if both are all 0 or all 1)."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    pooled = (a.sum() + b.sum()) / (a.size + b.size)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.size + 1 / b.size))
    return 0.0 if se == 0 else float((a.mean() - b.mean()) / se)


def z_means(a: np.ndarray, b: np.ndarray) -> float:
    """Welch statistic of mean(a) - mean(b), NaNs dropped (SE floored at 1e-9 days)."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float((a.mean() - b.mean()) / max(se, 1e-9))


def regimen(name: str) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config["treatment"]["regimen"] = name

    return edit


@functools.cache
def _run(stem: str, variant: str) -> Any:
    config = yaml.safe_load((ROOT / "configs" / f"{stem}.yaml").read_text())
    config = copy.deepcopy(config)
    VARIANTS[variant](config)
    return simulate(Scenario.from_dict(config), realizations=EFFECT_REALIZATIONS,
                    seed=EFFECT_SEED)


def run(stem: str, variant: str = "as shipped") -> Any:
    """The config (edited by VARIANTS[variant]) at EFFECT_REALIZATIONS and EFFECT_SEED."""
    return _run(stem, variant)


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _no_induction(config: dict[str, Any]) -> None:
    del config["tumour"]["switching"][0]["rate_on_drug"]


def _no_competition_low_dose(config: dict[str, Any]) -> None:
    _set("growth", "alpha", 1, 0, value=0.0)(config)
    regimen("low_dose")(config)


VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "as shipped": lambda config: None,
    **{f"regimen {name}": regimen(name) for name in (
        "osimertinib", "horizontal", "doxorubicin", "paclitaxel_high", "palbociclib",
        "low_dose")},
    "no evasion": _set("tumour", "loci", 0, "mechanisms", 0, "kill_factor", value=1.0),
    "no induction": _no_induction,
    "full penetration": _set("tumour", "compartments", 1, "drug_penetration", value=1.0),
    "no competition": _set("growth", "alpha", 1, 0, value=0.0),
    "no competition, low dose": _no_competition_low_dose,
    "highest single agent": _set("regimens", 0, "combination", value="highest_single_agent"),
}


def cured_by_resistance(ds: Any, drug: str) -> tuple[np.ndarray, np.ndarray]:
    """(cured of tumours resistant to ``drug`` at start, cured of the others)."""
    resistant = ds["resistant_at_start"].sel(drug=drug).values
    cured = ds["cured"].values
    return cured[resistant], cured[~resistant]


def test_target_mutation() -> None:
    # Under erlotinib, pre-existing T790M makes cures rare; osimertinib (unaffected) cures.
    erlotinib = run("mech_target")
    resistant, sensitive = cured_by_resistance(erlotinib, "erlotinib")
    assert z_proportions(sensitive, resistant) > Z_MIN
    assert z_proportions(run("mech_target", "regimen osimertinib")["cured"].values,
                         erlotinib["cured"].values) > Z_MIN


def test_bypass_defeats_vertical_not_horizontal_combination() -> None:
    vertical = run("mech_bypass")["cured"].values
    horizontal = run("mech_bypass", "regimen horizontal")["cured"].values
    assert z_proportions(horizontal, vertical) > Z_MIN


def test_efflux_cross_resistance_is_partial() -> None:
    # One locus flags both pumped drugs in the same tumours; both fail; 4x the dose cures.
    paclitaxel = run("mech_efflux")
    flags = paclitaxel["resistant_at_start"]
    assert flags.values.any()
    assert np.array_equal(flags.sel(drug="paclitaxel").values,
                          flags.sel(drug="doxorubicin").values)
    high = run("mech_efflux", "regimen paclitaxel_high")["cured"].values
    for ds in (paclitaxel, run("mech_efflux", "regimen doxorubicin")):
        assert z_proportions(high, ds["cured"].values) > Z_MIN


def test_apoptosis_evasion_spares_cytostatic_drugs() -> None:
    cisplatin = run("mech_apoptosis_evasion")["cured"].values
    palbociclib = run("mech_apoptosis_evasion", "regimen palbociclib")["cured"].values
    assert z_proportions(palbociclib, cisplatin) > Z_MIN


def test_immune_evasion() -> None:
    # Chemo + immune kill fails where evaders are present at start; without evasion it cures.
    ds = run("mech_immune")
    resistant, sensitive = cured_by_resistance(ds, "chemo")
    assert z_proportions(sensitive, resistant) > Z_MIN
    assert z_proportions(run("mech_immune", "no evasion")["cured"].values,
                         ds["cured"].values) > Z_MIN


def test_drug_induced_persisters_survive() -> None:
    induced = run("mech_persister")
    assert not induced["died"].values.any()  # residual disease, not regrowth
    not_induced = run("mech_persister", "no induction")["cured"].values
    assert z_proportions(not_induced, induced["cured"].values) > Z_MIN


def test_sanctuary() -> None:
    sanctuary = run("mech_sanctuary")["cured"].values
    full = run("mech_sanctuary", "full penetration")["cured"].values
    assert z_proportions(full, sanctuary) > Z_MIN


def test_competition_low_dose_delays_progression() -> None:
    # With competition, the low dose delays death (competitive suppression of resistant cells);
    # without it (resistant cells not crowded by sensitive ones) the low dose gives no delay.
    mtd, low = run("mech_competition"), run("mech_competition", "regimen low_dose")
    assert mtd["died"].values.all() and low["died"].values.all()
    assert z_means(low["time_to_death"].values, mtd["time_to_death"].values) > Z_MIN
    control_mtd = run("mech_competition", "no competition")["time_to_death"].values
    control_low = run("mech_competition", "no competition, low dose")["time_to_death"].values
    assert z_means(control_low, control_mtd) < 0


def test_bliss_beats_highest_single_agent() -> None:
    bliss = run("mech_bliss_combination")["cured"].values
    hsa = run("mech_bliss_combination", "highest single agent")["cured"].values
    assert z_proportions(bliss, hsa) > Z_MIN


# ----------------------------------------------------------------------------- strategies
STRATEGY_REALIZATIONS, STRATEGY_SEED = 40, 2
P_MAX = 0.01  # two-sided log-rank p-value of a documented difference between strategies


@functools.cache
def strategy_scenario(stem: str) -> Scenario:
    """The strategy config at its population's reference values: the documented differences
    between strategies are those of the reference patient (with the patients varying, 40
    realizations no longer resolve the smaller ones; docs/population.md)."""
    return Scenario.from_yaml(ROOT / "configs" / f"{stem}.yaml").at_reference()


@functools.cache
def run_strategies(stem: str) -> Any:
    """Every strategy of ``configs/{stem}.yaml`` on the same tumours (common random numbers),
    at STRATEGY_REALIZATIONS and STRATEGY_SEED."""
    return simulate(strategy_scenario(stem), realizations=STRATEGY_REALIZATIONS,
                    seed=STRATEGY_SEED)


def of(ds: Any, name: str, strategy: str) -> np.ndarray:
    """Values of variable ``name`` under ``strategy`` (a variable that came out the same for
    every strategy has no strategy dimension)."""
    data = ds[name]
    return (data.sel(strategy=strategy) if "strategy" in data.dims else data).values


@pytest.mark.parametrize("path", STRATEGY_CONFIGS, ids=lambda path: path.name)
def test_strategy_config_simulates(path: Path) -> None:
    scenario = strategy_scenario(path.stem)
    assert scenario.name == path.stem
    assert scenario.treatment is None
    assert len(scenario.strategies) >= 2
    monitoring = scenario.monitoring
    assert monitoring is not None  # time to progression needs imaging visits
    ds = run_strategies(path.stem)
    assert list(ds["strategy"].values) == [s.name for s in scenario.strategies]
    assert ds.sizes["realization"] == STRATEGY_REALIZATIONS
    assert ds["detected"].values.all()
    assert "strategy" not in ds["cells_at_start"].dims  # the same tumours for every strategy
    assert (ds["cells_at_start"].values.sum(axis=1) >= scenario.tumour.detection_size).all()
    horizon, visit = scenario.simulation.horizon, monitoring.visit_every
    regimens = {r.name: {entry.drug for entry in r.drugs} for r in scenario.regimens}
    for strategy in scenario.strategies:
        name = strategy.name
        cured, died, progressed = (of(ds, v, name) for v in ("cured", "died", "progressed"))
        assert not (cured & died).any(), name
        for flag, variable in ((cured, "time_to_cure"), (died, "time_to_death"),
                               (progressed, "time_to_progression")):
            times = of(ds, variable, name)
            assert np.array_equal(np.isfinite(times), flag), (name, variable)
            assert ((times[flag] > 0) & (times[flag] <= horizon)).all(), (name, variable)
        ttp = of(ds, "time_to_progression", name)
        assert np.allclose(ttp[progressed] / visit, np.round(ttp[progressed] / visit)), name
        death = np.where(died, of(ds, "time_to_death", name), np.inf)
        assert (ttp[progressed] <= death[progressed]).all(), name
        switches = of(ds, "regimen_switches", name)
        lines = len(getattr(strategy, "regimens", ()))
        assert ((switches >= 0) & (switches <= max(lines - 1, 0))).all(), name
        fraction = of(ds, "treated_fraction", name)
        assert ((fraction >= 0) & (fraction <= 1)).all(), name
        if getattr(strategy, "on_days", None) and strategy.off_regimen is None:
            assert fraction.mean() < 1, name  # drug holidays
        else:
            assert np.allclose(fraction, 1.0), name
        refs = [regimen for _, regimen in strategy.regimen_refs()]
        given = set().union(*(regimens[r] for r in refs))
        exposure = ds["drug_exposure"]
        exposure = exposure.sel(strategy=name) if "strategy" in exposure.dims else exposure
        for drug in ds["drug"].values:
            auc = exposure.sel(drug=drug).values
            assert (np.isfinite(auc) & (auc >= 0)).all(), (name, drug)
            if drug in regimens[refs[0]]:
                assert (auc > 0).all(), (name, drug)
            elif drug not in given:
                assert (auc == 0).all(), (name, drug)
        if monitoring.ctdna is None:
            assert np.isnan(of(ds, "ctdna_detection_time", name)).all(), name
        observed = of(ds, "observed_burden", name)  # traced realizations x visits
        assert (observed[:, 0] > 0).all(), name  # the baseline visit sees the tumour
        assert (observed[np.isfinite(observed)] >= 0).all(), name
        dose = of(ds, "on_treatment", name)
        assert np.isin(dose[np.isfinite(dose)], [0.0, 1.0]).all(), name


def assert_progresses_later(stem: str, later: str, earlier: str) -> None:
    """Time to progression of strategy ``later`` exceeds that of ``earlier``: a two-sided
    log-rank p < P_MAX (never progressed: censored at the horizon, as a cured tumour cannot
    progress), with the direction from the medians (never progressed counting as beyond the
    horizon). scipy's one-sided alternatives are phrased in hazards, easy to misread."""
    ds, horizon = run_strategies(stem), strategy_scenario(stem).simulation.horizon
    times = {s: of(ds, "time_to_progression", s) for s in (later, earlier)}
    data = {s: stats.CensoredData(uncensored=t[np.isfinite(t)],
                                  right=np.full(int(np.isnan(t).sum()), horizon))
            for s, t in times.items()}
    test = stats.logrank(data[later], data[earlier])
    medians = {s: float(np.median(np.where(np.isnan(t), np.inf, t))) for s, t in times.items()}
    assert test.pvalue < P_MAX, (test, medians)
    assert medians[later] > medians[earlier], medians


def test_combination_beats_single_drug() -> None:
    # The NRAS-like clone resists the BRAF inhibitor alone; the MEK inhibitor kills it.
    assert_progresses_later("strategy_continuous", "mtd_combination", "mtd_single")
    ds = run_strategies("strategy_continuous")
    assert not of(ds, "cured", "mtd_single").any()
    assert of(ds, "cured", "mtd_combination").any()


def test_pulses_delay_progression_and_holidays_hasten_it() -> None:
    # High-dose pulses with low-dose days (Chmielecki et al. 2011) reach the T790M clone;
    # drug holidays without competition only let the sensitive cells regrow.
    assert_progresses_later("strategy_intermittent", "pulsed", "continuous")
    assert_progresses_later("strategy_intermittent", "continuous", "on_off")


def test_simultaneous_beats_sequential() -> None:
    # The T790M clone at the switch to osimertinib has already seeded C797S double mutants.
    assert_progresses_later("strategy_sequential", "simultaneous", "sequential")
    ds = run_strategies("strategy_sequential")
    assert (of(ds, "regimen_switches", "sequential") == 1).all()
    assert z_proportions(of(ds, "cured", "simultaneous"), of(ds, "cured", "sequential")) > Z_MIN
