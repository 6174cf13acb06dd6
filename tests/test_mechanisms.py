"""Resistance mechanisms act on exactly the drugs they should; drugs combine by Bliss
independence (or highest single agent where asked).

Checked on the per-step probabilities the engine draws with (``rates.pair_rates`` on the
compiled model), so they are exact comparisons (relative 1e-12), plus one Monte Carlo check
that the engine's realized one-step deaths follow the Bliss product (within 5 SE).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from oncosweep import Scenario, compile_scenario, simulate
from oncosweep.gpu_engine.rates import DeviceRates, pair_rates
from oncosweep.scenario.mechanisms import MechanismBase, mechanism_key

DT = 0.1
BIRTH, DEATH, IMMUNE = 0.5, 0.1, 0.05
# Drugs: A kill on pathway PA, B kill on PB, C cytostatic on PA, D cytostatic on PB.
DRUGS = [
    {"name": "A", "pathway": "PA", "mode": "kill", "emax": 0.8, "ic50": 1.0},
    {"name": "B", "pathway": "PB", "mode": "kill", "emax": 0.6, "ic50": 1.0},
    {"name": "C", "pathway": "PA", "mode": "cytostatic", "emax": 0.9, "ic50": 1.0},
    {"name": "D", "pathway": "PB", "mode": "cytostatic", "emax": 0.5, "ic50": 1.0},
]
for drug in DRUGS:
    drug.update({"hill": 1.0, "half_life": 1.0, "dosing": {"infusion": 1.0}})
LOCI = [
    {"name": "T", "mechanisms": [{"type": "target", "drug": "A", "ic50_fold": 100}]},
    {"name": "BP", "mechanisms": [{"type": "bypass", "pathway": "PA", "effect_factor": 0.2}]},
    {"name": "EF", "mechanisms": [{"type": "efflux", "drugs": ["A", "B"],
                                   "concentration_factor": 0.25}]},
    {"name": "AE", "mechanisms": [{"type": "apoptosis_evasion", "kill_factor": 0.5}]},
    {"name": "IE", "mechanisms": [{"type": "immune_evasion", "kill_factor": 0.2}]},
]
for locus in LOCI:
    locus["mutation_rate"] = 0.0
CONFIG = {
    "tumour": {"detection_size": 1000, "birth_rate": BIRTH, "death_rate": DEATH, "loci": LOCI,
               "phenotypes": [{"name": "proliferating"},
                              {"name": "persister", "drug_effect_factor": 0.1}],
               "compartments": [{"name": "bulk"},
                                {"name": "sanctuary", "drug_penetration": 0.1}]},
    "simulation": {"dt": DT},
    "immune": {"kill_rate": IMMUNE},
    "drugs": DRUGS,
    "regimens": [{"name": "all", "drugs": ["A", "B", "C", "D"]}],
}


def effects(config: dict, label: str, conc: dict[str, float]) -> dict[str, float]:
    """Drug effect on cell type ``label`` at plasma concentrations ``conc``: kill drugs as
    extra death probability per day, cytostatic drugs as the fraction of birth removed; also
    the immune kill per day (from the drug-free death probability)."""
    model = compile_scenario(Scenario.from_dict(config))
    t = model.labels.index(label)
    rates = DeviceRates.from_model(model, np)
    row = np.array([[conc.get(d, 0.0) for d in model.drug_names]])
    got = pair_rates(np, rates, np.array([0]), np.array([t]), row, None)
    free = pair_rates(np, rates, np.array([0]), np.array([t]), np.zeros_like(row), None)
    return {
        "kill": float((got.p_die[0] - free.p_die[0]) / DT),
        "cytostatic": float(1 - got.p_birth[0] / free.p_birth[0]),
        "immune": float(free.p_die[0] / DT - model.death_rate[t]),
    }


def single(label: str, drug: str) -> float:
    kind = next(d["mode"] for d in DRUGS if d["name"] == drug)
    return effects(CONFIG, label, {drug: 1.0})[kind]


WT = "wt/proliferating@bulk"
# (mutant label, drug) -> expected effect relative to the wild type at C = IC50 (f_wt = 1/2)
EXPECTED_RATIO = {
    "T": {"A": (1 / 101) / 0.5, "B": 1, "C": 1, "D": 1},  # target: A's IC50 x 100
    "BP": {"A": 0.2, "B": 1, "C": 0.2, "D": 1},  # bypass: the drugs of pathway PA
    "EF": {"A": 0.4, "B": 0.4, "C": 1, "D": 1},  # efflux: conc x 0.25 -> f = 0.2 for A, B
    "AE": {"A": 0.5, "B": 0.5, "C": 1, "D": 1},  # apoptosis evasion: kill-mode drugs only
    "IE": {"A": 1, "B": 1, "C": 1, "D": 1},  # immune evasion: no drug
}


@pytest.mark.parametrize("locus", list(EXPECTED_RATIO))
def test_each_mechanism_acts_on_exactly_its_drugs(locus: str) -> None:
    mutant = f"{locus}/proliferating@bulk"
    for drug, ratio in EXPECTED_RATIO[locus].items():
        assert single(mutant, drug) == pytest.approx(ratio * single(WT, drug), rel=1e-12), drug


def test_immune_evasion_scales_the_immune_kill_only() -> None:
    assert effects(CONFIG, WT, {})["immune"] == pytest.approx(IMMUNE, rel=1e-9)
    assert effects(CONFIG, "IE/proliferating@bulk", {})["immune"] == pytest.approx(
        0.2 * IMMUNE, rel=1e-9)


def test_each_mechanism_type_says_what_it_changes() -> None:
    """The per-mechanism contract (MechanismBase): neutral 1.0 unless the mechanism acts."""
    scenario = Scenario.from_dict(CONFIG)
    drugs = {d.name: d for d in scenario.drugs}
    mech = {locus.name: locus.mechanisms[0] for locus in scenario.tumour.loci}
    assert all(isinstance(m, MechanismBase) for m in mech.values())

    def factors(m: MechanismBase) -> dict[str, object]:
        return {
            "immune": m.immune_kill_factor(),
            "kill": m.kill_drug_factor(),
            "ic50": {n: m.drug_ic50_fold(d) for n, d in drugs.items()},
            "conc": {n: m.drug_concentration_factor(d) for n, d in drugs.items()},
            "effect": {n: m.drug_effect_factor(d) for n, d in drugs.items()},
        }

    ones = dict.fromkeys("ABCD", 1.0)
    neutral = {"immune": 1.0, "kill": 1.0, "ic50": ones, "conc": ones, "effect": ones}
    assert factors(mech["T"]) == {**neutral, "ic50": {**ones, "A": 100.0}}
    assert factors(mech["BP"]) == {**neutral, "effect": {**ones, "A": 0.2, "C": 0.2}}
    assert factors(mech["EF"]) == {**neutral, "conc": {**ones, "A": 0.25, "B": 0.25}}
    assert factors(mech["AE"]) == {**neutral, "kill": 0.5}
    assert factors(mech["IE"]) == {**neutral, "immune": 0.2}
    assert mech["T"].drug_references() == [(("drug",), "A")]
    assert mech["EF"].drug_references() == [(("drugs", 0), "A"), (("drugs", 1), "B")]
    assert mech["BP"].pathway_references() == [(("pathway",), "PA")]
    assert [m.drug_references() + m.pathway_references() for m in (mech["AE"], mech["IE"])] == [
        [], []]
    assert [mechanism_key(m) for m in mech.values()] == [
        ["target mechanism for drug 'A'"],
        ["bypass mechanism for pathway 'PA'"],
        ["efflux mechanism for drug 'A'", "efflux mechanism for drug 'B'"],
        ["apoptosis_evasion mechanism"],
        ["immune_evasion mechanism"],
    ]


def test_cross_resistance_of_one_locus_to_several_drugs() -> None:
    """Efflux on A and B: one mutation lowers both drugs' effects."""
    mutant = "EF/proliferating@bulk"
    assert single(mutant, "A") < single(WT, "A") and single(mutant, "B") < single(WT, "B")


def test_persister_tolerance_and_sanctuary_penetration() -> None:
    for drug in "ABCD":
        assert single("wt/persister@bulk", drug) == pytest.approx(0.1 * single(WT, drug),
                                                                   rel=1e-12)
        # sanctuary: concentration x 0.1 -> f = 0.1 / 1.1 instead of 1 / 2
        assert single("wt/proliferating@sanctuary", drug) == pytest.approx(
            (0.1 / 1.1) / 0.5 * single(WT, drug), rel=1e-12)


def test_bliss_combination_is_the_product_of_single_drug_survivals() -> None:
    one = {d: effects(CONFIG, WT, {d: 1.0}) for d in "ABCD"}
    both_kill = effects(CONFIG, WT, {"A": 1.0, "B": 1.0})["kill"]
    survival = (1 - one["A"]["kill"] * DT) * (1 - one["B"]["kill"] * DT)
    assert 1 - both_kill * DT == pytest.approx(survival, rel=1e-12)
    both_cyto = effects(CONFIG, WT, {"C": 1.0, "D": 1.0})["cytostatic"]
    assert 1 - both_cyto == pytest.approx(
        (1 - one["C"]["cytostatic"]) * (1 - one["D"]["cytostatic"]), rel=1e-12)
    # vertical (A and C on pathway PA) vs horizontal (A and D): a PA bypass removes both
    # arms of the vertical pair but only one of the horizontal pair
    vertical = effects(CONFIG, "BP/proliferating@bulk", {"A": 1.0, "C": 1.0})
    horizontal = effects(CONFIG, "BP/proliferating@bulk", {"A": 1.0, "D": 1.0})
    assert vertical["cytostatic"] == pytest.approx(0.2 * one["C"]["cytostatic"], rel=1e-12)
    assert horizontal["cytostatic"] == pytest.approx(one["D"]["cytostatic"], rel=1e-12)


def test_highest_single_agent_takes_the_strongest_drug() -> None:
    config = copy.deepcopy(CONFIG)
    config["regimens"][0]["combination"] = "highest_single_agent"
    config["treatment"] = {"regimen": "all"}
    both = effects(config, WT, {"A": 1.0, "B": 1.0})["kill"]
    assert both == pytest.approx(max(single(WT, "A"), single(WT, "B")), rel=1e-12)


def test_engine_deaths_follow_the_bliss_product() -> None:
    """Monte Carlo: one step of 1e8 cells under A, under B and under A + B (infusion with a
    tiny half-life, so the concentration is at steady state); the realized death fraction
    under A + B equals 1 - (1 - p_A)(1 - p_B) within 5 SE of the binomial noise."""
    def died_fraction(drugs: list[str]) -> tuple[float, float]:
        config = {
            "tumour": {"initial_population": [{"cell_type": "wt/proliferating",
                                               "cells": 10**8}],
                       "detection_size": 10**8, "birth_rate": 1e-9, "death_rate": 0.0},
            "simulation": {"dt": DT, "horizon": DT},
            "trace": {"realizations": 20},
            "drugs": [dict(d, half_life=1e-4, dosing={"infusion": 1e4})
                      for d in DRUGS if d["name"] in drugs],
            "regimens": [{"name": "r", "drugs": drugs}],
            "treatment": {"regimen": "r"},
        }
        ds = simulate(Scenario.from_dict(config), realizations=20, seed=3)
        left = ds.trajectory.isel(time=-1).sum("cell_type").values / 10**8
        return 1 - left.mean(), left.std(ddof=1) / np.sqrt(left.size)
    p_a, se_a = died_fraction(["A"])
    p_b, se_b = died_fraction(["B"])
    p_ab, se_ab = died_fraction(["A", "B"])
    expected = 1 - (1 - p_a) * (1 - p_b)
    se = np.sqrt(se_ab**2 + ((1 - p_b) * se_a) ** 2 + ((1 - p_a) * se_b) ** 2)
    assert abs(p_ab - expected) < 5 * se, (p_ab, expected, se)
    assert p_ab > max(p_a, p_b) + 5 * se  # more than either drug alone
