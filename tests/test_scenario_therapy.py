"""Tests of the therapy schema: resolved cell types with drug factors, compartments, growth,
immune kill, the initial population, the treatment schedule and the therapy error messages.

Expected numbers are computed by hand from ``THERAPY_CONFIG`` (tests/bad_configs.py):
loci T790M (bit 0: target erlotinib x100, immune evasion 0.5), METamp (bit 1: bypass EGFR 0.1,
apoptosis evasion 0.5), ABCB1 (bit 2: efflux crizotinib 0.3, immune evasion 0.8); drugs
erlotinib (kill, EGFR, ic50 1) and crizotinib (cytostatic, MET, ic50 0.5); persister drug
tolerance 0.05; sanctuary penetration 0.1; immune kill 0.02 per day.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from bad_configs import BAD_CONFIGS, THERAPY_CONFIG, VALID_CONFIG, config_for, yaml_text_for
from scenario_helpers import edited, scenario_error

from oncosweep.scenario import Scenario, ScenarioError
from oncosweep.scenario.drugs import Drug

LN2 = math.log(2)
GENOTYPES = [
    "wt",
    "T790M",
    "METamp",
    "T790M+METamp",
    "ABCB1",
    "T790M+ABCB1",
    "METamp+ABCB1",
    "T790M+METamp+ABCB1",
]
STATES = ["proliferating@bulk", "proliferating@sanctuary", "persister@bulk", "persister@sanctuary"]


def therapy(**edits: Any) -> dict[str, Any]:
    """A deep copy of THERAPY_CONFIG with ``{"dotted__path": value}`` assignments."""
    return edited(THERAPY_CONFIG, **edits)


_error = scenario_error


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.from_dict(THERAPY_CONFIG)


@pytest.fixture(scope="module")
def types(scenario: Scenario) -> dict[str, Any]:
    return {ct.label: ct for ct in scenario.cell_types()}


# ----------------------------------------------------------------------------- cell types
def test_cell_type_order_and_labels(scenario: Scenario) -> None:
    cell_types = scenario.cell_types()
    assert len(cell_types) == 2**3 * 2 * 2
    assert [ct.label for ct in cell_types] == [f"{g}/{s}" for g in GENOTYPES for s in STATES]
    assert [ct.index for ct in cell_types] == list(range(32))
    for ct in cell_types:  # index = (genotype * n_phenotypes + phenotype) * n_comp + comp
        assert ct.index == (ct.genotype * 2 + ct.phenotype) * 2 + ct.compartment
    assert cell_types[31].label == "T790M+METamp+ABCB1/persister@sanctuary"
    ct = cell_types[13]  # (3 * 2 + 0) * 2 + 1
    assert (ct.label, ct.genotype, ct.phenotype, ct.compartment) == (
        "T790M+METamp/proliferating@sanctuary",
        3,
        0,
        1,
    )


def test_rates_switching_and_migration(types: dict[str, Any]) -> None:
    ct = types["T790M+METamp/persister@sanctuary"]
    assert ct.birth_rate == pytest.approx(0.25 * 0.95 * 0.9 * 0.05, rel=1e-12)  # drug-free
    assert ct.death_rate == pytest.approx(0.18 * 0.1, rel=1e-12)
    assert ct.switching == (0.01, 0.0)  # persister -> proliferating, no rate_on_drug
    assert ct.switching_on_drug == (0.01, 0.0)  # ... so the same rate on drug
    assert ct.migration == (1e-4, 0.0)  # sanctuary -> bulk
    wt = types["wt/proliferating@bulk"]
    assert (wt.switching, wt.switching_on_drug, wt.migration) == (
        (0.0, 1e-3),
        (0.0, 0.05),
        (0.0, 1e-3),
    )


def test_target_acts_only_on_its_drug(types: dict[str, Any]) -> None:
    assert types["wt/proliferating@bulk"].drug_ic50 == (1.0, 0.5)
    assert types["T790M/proliferating@bulk"].drug_ic50 == (100.0, 0.5)
    assert types["T790M+METamp+ABCB1/persister@sanctuary"].drug_ic50 == (100.0, 0.5)
    assert types["METamp+ABCB1/proliferating@bulk"].drug_ic50 == (1.0, 0.5)


def test_effect_factors(types: dict[str, Any]) -> None:
    # bypass (EGFR: erlotinib only) x apoptosis evasion (kill drugs: erlotinib only)
    assert types["METamp/proliferating@bulk"].drug_effect_factor == pytest.approx((0.05, 1.0))
    # persister tolerance acts on every drug
    assert types["wt/persister@bulk"].drug_effect_factor == pytest.approx((0.05, 0.05))
    assert types["METamp/persister@sanctuary"].drug_effect_factor == pytest.approx(
        (0.05 * 0.05, 0.05)
    )
    # target, efflux and immune evasion do not change effects
    assert types["T790M+ABCB1/proliferating@bulk"].drug_effect_factor == (1.0, 1.0)


def test_concentration_factors(types: dict[str, Any]) -> None:
    assert types["wt/proliferating@bulk"].drug_concentration_factor == (1.0, 1.0)
    assert types["wt/proliferating@sanctuary"].drug_concentration_factor == (0.1, 0.1)
    # efflux lists crizotinib only
    assert types["ABCB1/proliferating@bulk"].drug_concentration_factor == pytest.approx((1, 0.3))
    assert types["T790M+METamp+ABCB1/persister@sanctuary"].drug_concentration_factor == (
        pytest.approx((0.1, 0.03))
    )
    assert types["T790M+METamp/persister@sanctuary"].drug_concentration_factor == (0.1, 0.1)


def test_immune_kill_with_evasion(types: dict[str, Any]) -> None:
    expected = {
        "wt": 0.02,
        "T790M": 0.01,
        "METamp": 0.02,
        "ABCB1": 0.016,
        "T790M+ABCB1": 0.008,
        "T790M+METamp+ABCB1": 0.008,
    }
    for genotype, kill in expected.items():
        for state in STATES:
            assert types[f"{genotype}/{state}"].immune_kill == pytest.approx(kill, rel=1e-12)


def test_competition_groups(scenario: Scenario) -> None:
    # resistant = carries T790M or METamp (bits 0, 1); the rest joins the catch-all group 0
    groups = {ct.genotype: ct.group for ct in scenario.cell_types()}
    assert groups == {0: 0, 1: 1, 2: 1, 3: 1, 4: 0, 5: 1, 6: 1, 7: 1}
    growth = scenario.growth
    assert growth.law == "lotka_volterra" and growth.n_groups == 2
    assert growth.carrying_capacities == (1e11, 5e10)
    assert growth.alpha_matrix == ((1.0, 0.8), (1.2, 1.0))


def test_first_listed_group_wins() -> None:
    groups = [
        {"name": "target", "loci": ["T790M"], "carrying_capacity": 1e10},
        {"name": "rest", "loci": [], "carrying_capacity": 1e10},
        {"name": "bypass", "loci": ["METamp", "T790M"], "carrying_capacity": 1e10},
    ]
    alpha = [[1.0, 0.5, 0.5]] * 3
    scenario = Scenario.from_dict(therapy(growth__groups=groups, growth__alpha=alpha))
    groups_by_genotype = {ct.genotype: ct.group for ct in scenario.cell_types()}
    assert groups_by_genotype == {0: 1, 1: 0, 2: 2, 3: 0, 4: 1, 5: 0, 6: 2, 7: 0}


def test_tumour_cell_types_are_drug_free(scenario: Scenario) -> None:
    ct = scenario.tumour.cell_types()[0]
    assert (ct.immune_kill, ct.group, ct.drug_ic50, ct.drug_effect_factor) == (0.0, 0, (), ())


# ----------------------------------------------------------------------------- one compartment
def test_labels_unchanged_with_one_compartment() -> None:
    data = therapy(
        tumour__compartments=[{"name": "bulk", "drug_penetration": 0.5}],
        tumour__migration=[],
        tumour__initial_population=[{"cell_type": "wt/proliferating", "cells": 100}],
    )
    scenario = Scenario.from_dict(data)
    labels = [ct.label for ct in scenario.cell_types()]
    assert labels[:3] == ["wt/proliferating", "wt/persister", "T790M/proliferating"]
    assert all("@" not in label for label in labels) and len(labels) == 16
    assert scenario.cell_types()[0].drug_concentration_factor == (0.5, 0.5)
    assert scenario.cell_types()[0].migration == (0.0,)
    assert scenario.initial_counts() == {0: 100}


def test_defaults_mean_no_therapy() -> None:
    scenario = Scenario.from_dict(VALID_CONFIG)
    assert scenario.growth.law == "exponential"
    assert scenario.growth.carrying_capacities == (math.inf,)
    assert scenario.growth.alpha_matrix == ((1.0,),)
    assert scenario.immune is None and scenario.treatment is None
    assert scenario.drugs == () and scenario.regimens == ()
    assert scenario.treatment_schedule() is None
    assert [c.name for c in scenario.tumour.compartments] == ["bulk"]
    assert scenario.initial_counts() == {0: 10}
    for ct in scenario.cell_types():
        assert (ct.compartment, ct.migration, ct.immune_kill, ct.group) == (0, (0.0,), 0.0, 0)
        assert ct.switching_on_drug == ct.switching  # rate_on_drug defaults to rate
        assert ct.drug_concentration_factor == ct.drug_ic50 == ct.drug_effect_factor == ()


def test_logistic_growth() -> None:
    scenario = Scenario.from_dict(
        config_for({"growth": {"law": "gompertz", "carrying_capacity": 1e11}})
    )
    assert scenario.growth.carrying_capacities == (1e11,)
    assert scenario.growth.alpha_matrix == ((1.0,),)
    assert {ct.group for ct in scenario.cell_types()} == {0}


# ----------------------------------------------------------------------------- initial cells
def test_initial_counts(scenario: Scenario) -> None:
    # wt/proliferating@bulk = 0, T790M/proliferating@bulk = (1 * 2 + 0) * 2 + 0; zeros left out
    assert scenario.initial_counts() == {0: 1_000_000, 4: 10_000}
    assert all(isinstance(v, int) for v in scenario.initial_counts().values())


def test_founder_compartment() -> None:
    data = config_for(
        {
            "tumour.compartments": [{"name": "bulk"}, {"name": "niche"}],
            "tumour.founder.compartment": "niche",
            "tumour.founder.genotype": ["R1"],
        }
    )
    scenario = Scenario.from_dict(data)
    index = ((1 * 2) + 0) * 2 + 1
    assert scenario.founder_type_index() == index
    assert scenario.cell_types()[index].label == "R1/proliferating@niche"
    assert scenario.initial_counts() == {index: 10}


def test_initial_population_at_detection_skips_the_growth_check() -> None:
    # the wild type cannot grow: over proliferating <-> persister (migration changes nothing),
    # A = [[0.25 - 0.3 - 0.001, 0.01], [0.001, 0.0125 - 0.03 - 0.01]], eigenvalue -0.0271 ...
    data = therapy(
        tumour__death_rate=0.3,
        tumour__initial_population=[
            {"cell_type": "wt/proliferating@bulk", "cells": 10**6},
        ],
    )
    assert str(_error(data)) == (
        "tumour.initial_population: the initial population cannot grow (net growth rate "
        "-0.0271 per day <= 0), so the tumour never reaches detection_size"
    )
    # ... but a population that starts at detection_size is detected at once
    data["tumour"]["initial_population"][0]["cells"] = 10**9
    assert Scenario.from_dict(data).initial_counts() == {0: 10**9}


def test_initial_population_grows_if_any_occupied_type_grows() -> None:
    # wt cannot grow under immune kill 0.1; T790M evades half of it: 0.2375 - 0.18 - 0.05 > 0
    Scenario.from_dict(therapy(immune__kill_rate=0.1))
    data = therapy(immune__kill_rate=0.1)
    data["tumour"]["initial_population"].pop(1)
    assert str(_error(data)).startswith(
        "immune.kill_rate: the initial cells cannot outgrow the immune kill (net growth rate -"
    )


# ----------------------------------------------------------------------------- treatment
def test_treatment_schedule(scenario: Scenario) -> None:
    schedule = scenario.treatment_schedule()
    assert schedule is not None
    assert (schedule.regimen, schedule.combination) == ("dual", "bliss")
    assert schedule.dose == (10.0, 0.0)  # crizotinib is infused
    assert schedule.every_steps == (10, 0)  # every 1 day at dt 0.1
    assert schedule.times_steps == ((), ())
    assert schedule.infusion == (0.0, 1.0)  # 2.0 x dose_factor 0.5


def test_treatment_schedule_with_times_and_drugs_left_out() -> None:
    data = therapy(treatment__regimen="mono")
    data["drugs"][0]["dosing"] = {"dose": 5.0, "times": [0, 7, 14.3]}
    data["regimens"][1]["drugs"] = [{"drug": "erlotinib", "dose_factor": 2}]
    schedule = Scenario.from_dict(data).treatment_schedule()
    assert schedule is not None
    assert schedule.combination == "highest_single_agent"
    assert schedule.dose == (10.0, 0.0)
    assert schedule.every_steps == (0, 0)
    assert schedule.times_steps == ((0, 70, 143), ())
    assert schedule.infusion == (0.0, 0.0)  # crizotinib is not in the regimen


def test_steady_exposure(scenario: Scenario) -> None:
    erlotinib, crizotinib = scenario.drugs
    assert erlotinib.pathway == "EGFR"
    assert erlotinib.steady_exposure(365) == pytest.approx(10 * 1.5 / LN2, rel=1e-12)  # every
    assert crizotinib.steady_exposure(0) == pytest.approx(2.0 * 2.0 / LN2, rel=1e-12)  # infusion
    times = Drug.model_validate(
        {
            "name": "x",
            "mode": "kill",
            "emax": 0.5,
            "ic50": 1,
            "half_life": 1.5,
            "dosing": {"dose": 10, "times": [0, 7, 14]},
        }
    )
    k = LN2 / 1.5
    assert times.pathway == "x"  # defaults to the name
    assert times.steady_exposure(365) == pytest.approx(30 / (k * 365), rel=1e-12)
    assert times.steady_exposure(10) == pytest.approx(20 / (k * 10), rel=1e-12)  # 14 is later
    assert times.steady_exposure(0) == pytest.approx(30 / (k * 14), rel=1e-12)  # last time
    with pytest.raises(ValueError, match="horizon_days"):
        times.steady_exposure(-1)


# ----------------------------------------------------------------------------- time step
def test_feasibility_includes_drug_and_immune_terms() -> None:
    # wt/proliferating@bulk: 0.25 + 0.18 + 0.02 + 20 + max(1e-3, 0.05) + 1e-3 = 20.501 per day
    data = therapy(drugs__0__emax=20.0, simulation__scheme="euler")
    assert str(_error(data)) == (
        "simulation.dt: (birth + death + immune kill + drug kill at emax + switching + "
        "migration) * dt = 2.05 > 1 for cell type 'wt/proliferating@bulk'; "
        "reduce dt to <= 0.0487 days"
    )
    data["simulation"]["dt"] = 0.0487
    data["drugs"][0]["dosing"]["every"] = 0.0487 * 20
    data["trace"]["every"] = 0.0487 * 140
    Scenario.from_dict(data)


def test_feasibility_ignores_drugs_that_cannot_act() -> None:
    # erlotinib at emax 20 per day is infeasible at dt 0.1 ... unless it never reaches a cell
    data = therapy(
        drugs__0__emax=20.0,
        simulation__scheme="euler",
        tumour__compartments=[{"name": "bulk", "drug_penetration": 0.0}],
        tumour__migration=[],
        tumour__initial_population=[{"cell_type": "wt/proliferating", "cells": 100}],
    )
    Scenario.from_dict(data)
    data["tumour"]["compartments"][0]["drug_penetration"] = 0.1
    with pytest.raises(ScenarioError, match="^simulation.dt: .* for cell type 'wt/prolif"):
        Scenario.from_dict(data)


def test_infinite_fold_round_trips() -> None:
    assert Scenario.from_dict(therapy(tumour__loci__0__mechanisms__0__ic50_fold=".inf"))
    data = therapy(tumour__loci__0__mechanisms__0__ic50_fold=math.inf)
    scenario = Scenario.from_dict(data)
    assert scenario.cell_types()[4].drug_ic50 == (math.inf, 0.5)
    text = scenario.to_yaml()
    assert "ic50_fold: .inf" in text
    assert Scenario.from_yaml_string(text) == scenario
    assert Scenario.from_yaml_string(yaml_text_for(lambda c: None)) == Scenario.from_dict(
        VALID_CONFIG
    )


def test_therapy_round_trip(scenario: Scenario) -> None:
    assert Scenario.from_yaml_string(scenario.to_yaml()) == scenario


# ----------------------------------------------------------------------------- messages
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("dosing_two_kinds", "drugs[1].dosing: give exactly one of every, times, infusion"),
        (
            "mechanism_unknown_drug",
            "tumour.loci[0].mechanisms[0].drug: unknown drug 'gefitinib' "
            "(drugs: erlotinib, crizotinib)",
        ),
        (
            "mechanism_unknown_pathway",
            "tumour.loci[1].mechanisms[0].pathway: unknown pathway 'KRAS' (pathways: EGFR, MET)",
        ),
        (
            "unknown_treatment_regimen",
            "treatment.regimen: unknown regimen 'triple' (regimens: dual, mono)",
        ),
        ("regimen_duplicate_drug", "regimens[0].drugs[1]: duplicate drug 'erlotinib'"),
        (
            "alpha_too_many_rows",
            "growth.alpha: must be a 2 x 2 matrix (one row and column per group), got 3 rows",
        ),
        (
            "two_catch_all_groups",
            "growth.groups: exactly one group must have loci: [] (it collects the other genotypes)",
        ),
        (
            "dosing_every_not_a_multiple",
            "drugs[0].dosing.every: must be a whole multiple of simulation.dt (0.1 days), got 0.25",
        ),
        (
            "unknown_initial_cell_type",
            "tumour.initial_population[0].cell_type: unknown cell type 'x' (e.g. "
            "wt/proliferating@bulk, wt/proliferating@sanctuary, wt/persister@bulk, ...)",
        ),
        (
            "initial_cell_type_without_compartment",
            "tumour.initial_population[0].cell_type: unknown cell type 'wt/proliferating' "
            "(did you mean 'wt/proliferating@bulk'?)",
        ),
        (
            "unknown_mechanism_type",
            "tumour.loci[0].mechanisms[0].type: must be one of target, bypass, efflux, "
            "apoptosis_evasion, immune_evasion, got 'foo'",
        ),
        ("missing_mechanism_type", "tumour.loci[0].mechanisms[0].type: required field is missing"),
        (
            "mechanism_unknown_field",
            "tumour.loci[0].mechanisms[0].fold: unknown field (did you mean 'ic50_fold'?)",
        ),
        (
            "ic50_fold_below_one",
            "tumour.loci[0].mechanisms[0].ic50_fold: must be >= 1, got 0.5",
        ),
        (
            "initial_population_and_initial_cells",
            "tumour.initial_population: give either initial_population or founder and "
            "initial_cells, not both",
        ),
        (
            "capacity_for_exponential",
            "growth.carrying_capacity: is only used by logistic and gompertz growth, "
            "not exponential",
        ),
        (
            "cytostatic_emax_above_one",
            "drugs[1].emax: must be in (0, 1] for a cytostatic drug (a fraction), got 1.5",
        ),
    ],
)
def test_exact_therapy_messages(case: str, expected: str) -> None:
    edit = next(c[1] for c in BAD_CONFIGS if c[0] == case)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_string(yaml_text_for(edit))
    assert str(info.value) == expected


def test_enough_therapy_bad_configs() -> None:
    first_therapy = next(i for i, c in enumerate(BAD_CONFIGS) if c[0] == "dosing_two_kinds")
    assert len(BAD_CONFIGS[first_therapy:]) - 5 >= 25  # less the 5 whole-file cases


def test_no_cascade_into_drugs_and_regimens() -> None:
    # a broken tumour: no mechanism-reference or time-step errors from the drugs section
    data = therapy(tumour__birth_rate=-1, tumour__loci__0__mechanisms__0__drug="nope")
    assert [e.path for e in _error(data).errors] == ["tumour.birth_rate"]
    # a broken drug: no regimen or treatment errors that follow from it
    data = therapy(drugs__0__ic50=0, treatment__regimen="dual")
    assert [e.path for e in _error(data).errors] == ["drugs[0].ic50"]
    # broken regimens: no treatment error
    data = therapy(regimens__0__combination="loewe")
    assert [e.path for e in _error(data).errors] == ["regimens[0].combination"]


def test_several_mechanism_problems_are_all_reported() -> None:
    data = therapy(
        tumour__loci__0__mechanisms__0__drug="x", tumour__loci__1__mechanisms__0__pathway="y"
    )
    assert [str(e) for e in _error(data).errors] == [
        "tumour.loci[0].mechanisms[0].drug: unknown drug 'x' (drugs: erlotinib, crizotinib)",
        "tumour.loci[1].mechanisms[0].pathway: unknown pathway 'y' (pathways: EGFR, MET)",
    ]


def test_json_schema_has_the_therapy_sections() -> None:
    schema = Scenario.json_schema()
    assert {"growth", "immune", "drugs", "regimens", "treatment"} <= set(schema["properties"])
    locus = schema["$defs"]["Locus"]["properties"]["mechanisms"]
    assert "discriminator" in str(locus) or "oneOf" in str(locus)
    assert "from" in schema["$defs"]["Migration"]["properties"]
