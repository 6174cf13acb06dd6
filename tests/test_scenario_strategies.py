"""Tests of treatment strategies and clinical monitoring: the resolved plans, regimen
schedules, visits and ctDNA variants, and the error messages.

Expected numbers are computed by hand from ``STRATEGY_CONFIG`` (tests/bad_configs.py): dt 0.1
days; loci T790M (0), METamp (1), ABCB1 (2); drugs erlotinib (bolus 10 conc every 1 day) and
crizotinib (infusion 2 conc per day); regimens dual (erlotinib + crizotinib x0.5, bliss),
mono (erlotinib, highest_single_agent), first (erlotinib), second (crizotinib x2), low
(erlotinib x0.25); visits every 28 days; ctDNA of METamp and T790M.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from bad_configs import BAD_CONFIGS, STRATEGY_CONFIG, THERAPY_CONFIG, yaml_text_for
from scenario_helpers import edited, scenario_error

from oncosweep.scenario import (
    Adaptive,
    Continuous,
    CtdnaSwitch,
    Intermittent,
    Monitoring,
    Scenario,
    ScenarioError,
    Sequential,
    StrategyPlan,
)


def strategies(**edits: Any) -> dict[str, Any]:
    """A deep copy of STRATEGY_CONFIG with ``{"dotted__path": value}`` assignments."""
    return edited(STRATEGY_CONFIG, **edits)


_error = scenario_error


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.from_dict(STRATEGY_CONFIG)


# ----------------------------------------------------------------------------- valid configs
def test_models_of_every_kind(scenario: Scenario) -> None:
    kinds = [type(s) for s in scenario.strategies]
    assert kinds == [Continuous, Intermittent, Sequential, Adaptive, CtdnaSwitch]
    assert [s.kind for s in scenario.strategies] == [
        "continuous",
        "intermittent",
        "sequential",
        "adaptive",
        "ctdna_switch",
    ]
    assert scenario.treatment is None


def test_strategy_plans(scenario: Scenario) -> None:
    assert scenario.strategy_plans() == (
        StrategyPlan(name="mtd", kind="continuous", regimens=("dual",)),
        StrategyPlan(
            name="pulsed",
            kind="intermittent",
            regimens=("first",),
            off_regimen="low",
            on_steps=140,  # 14 days / 0.1
            off_steps=70,
        ),
        StrategyPlan(name="sequential", kind="sequential", regimens=("first", "second")),
        StrategyPlan(
            name="adaptive",
            kind="adaptive",
            regimens=("dual",),
            frac_off=0.4,
            frac_on=0.9,
            dose_levels=(1.0, 0.5),
        ),
        StrategyPlan(name="ctdna", kind="ctdna_switch", regimens=("first", "second", "dual")),
    )
    plan = scenario.strategy_plans()[0]  # the defaults of the non-adaptive fields
    assert (plan.off_regimen, plan.on_steps, plan.off_steps) == (None, 0, 0)
    assert (plan.frac_off, plan.frac_on, plan.dose_levels) == (0.0, 0.0, (1.0,))
    pulsed = scenario.strategy_plans()[1]
    assert isinstance(pulsed.on_steps, int) and isinstance(pulsed.off_steps, int)


def test_regimen_schedules_apply_dose_factors(scenario: Scenario) -> None:
    second = scenario.regimen_schedule("second")  # crizotinib x2
    assert (second.regimen, second.combination) == ("second", "bliss")
    assert second.dose == (0.0, 0.0)
    assert second.every_steps == (0, 0)
    assert second.times_steps == ((), ())
    assert second.infusion == (0.0, 4.0)  # 2.0 x 2
    low = scenario.regimen_schedule("low")  # erlotinib x0.25
    assert low.dose == (2.5, 0.0)  # 10 x 0.25
    assert low.every_steps == (10, 0)  # every 1 day at dt 0.1
    assert low.infusion == (0.0, 0.0)
    dual = scenario.regimen_schedule("dual")
    assert (dual.dose, dual.infusion, dual.every_steps) == ((10.0, 0.0), (0.0, 1.0), (10, 0))
    assert scenario.regimen_schedule("mono").combination == "highest_single_agent"
    with pytest.raises(ValueError, match=r"^unknown regimen 'x' \(regimens: dual, mono, first"):
        scenario.regimen_schedule("x")


def test_treatment_schedule_is_the_first_strategys_first_regimen(scenario: Scenario) -> None:
    assert scenario.treatment_schedule() == scenario.regimen_schedule("dual")
    data = strategies()
    data["strategies"] = data["strategies"][2:]
    assert Scenario.from_dict(data).treatment_schedule() == scenario.regimen_schedule("first")


def test_monitoring(scenario: Scenario) -> None:
    monitoring = scenario.monitoring
    assert isinstance(monitoring, Monitoring)
    assert monitoring.visit_every == 28.0
    assert monitoring.visit_steps(0.1) == 280
    assert monitoring.visit_steps(0.5) == 56
    assert (monitoring.imaging.cv, monitoring.imaging.detection_limit) == (0.2, 5.0e7)
    progression = monitoring.progression
    assert (progression.reference, progression.factor, progression.floor) == (
        "baseline",
        1.25,
        2.0e9,
    )
    ctdna = monitoring.ctdna
    assert ctdna is not None
    assert (ctdna.shed_per_death, ctdna.normal_genomes) == (2.0e-5, 2500.0)
    assert (ctdna.depth, ctdna.sampling, ctdna.threshold) == (2000, "poisson", 4)
    assert isinstance(ctdna.depth, int) and isinstance(ctdna.threshold, int)
    assert ctdna.variants == ("METamp", "T790M")
    assert scenario.ctdna_variant_indices() == (1, 0)  # in the order listed


def test_monitoring_defaults() -> None:
    data = strategies(monitoring={"visit_every": 7, "ctdna": {}})
    scenario = Scenario.from_dict(data)
    monitoring = scenario.monitoring
    assert monitoring is not None and monitoring.ctdna is not None
    assert (monitoring.imaging.cv, monitoring.imaging.detection_limit) == (0.1, 1.0e8)
    progression = monitoring.progression
    assert (progression.reference, progression.factor, progression.floor) == ("nadir", 1.2, 1e9)
    ctdna = monitoring.ctdna
    assert (ctdna.shed_per_death, ctdna.normal_genomes, ctdna.depth) == (1.0e-5, 3000.0, 1000)
    assert (ctdna.sampling, ctdna.threshold, ctdna.variants) == ("binomial", 3, None)
    assert scenario.ctdna_variant_indices() == (0, 1, 2)  # every locus
    data["monitoring"] = {"visit_every": 7}
    data["strategies"] = data["strategies"][:4]  # no ctdna_switch
    scenario = Scenario.from_dict(data)
    assert scenario.monitoring is not None and scenario.monitoring.ctdna is None
    assert scenario.ctdna_variant_indices() == ()


def test_strategy_defaults() -> None:
    data = strategies(strategies__3={"name": "zhang", "kind": "adaptive", "regimen": "dual"})
    adaptive = Scenario.from_dict(data).strategy_plans()[3]
    assert (adaptive.frac_off, adaptive.frac_on, adaptive.dose_levels) == (0.5, 1.0, (1.0,))
    data["strategies"][1].pop("off_regimen")
    assert Scenario.from_dict(data).strategy_plans()[1].off_regimen is None


def test_treatment_shorthand_is_one_continuous_plan() -> None:
    scenario = Scenario.from_dict(THERAPY_CONFIG)
    assert scenario.strategies == () and scenario.monitoring is None
    assert scenario.strategy_plans() == (
        StrategyPlan(name="dual", kind="continuous", regimens=("dual",)),
    )
    assert scenario.treatment_schedule() == scenario.regimen_schedule("dual")
    assert scenario.ctdna_variant_indices() == ()
    explicit = copy.deepcopy(THERAPY_CONFIG)
    del explicit["treatment"]
    explicit["strategies"] = [{"name": "dual", "kind": "continuous", "regimen": "dual"}]
    assert Scenario.from_dict(explicit).strategy_plans() == scenario.strategy_plans()


def test_no_therapy_no_plans() -> None:
    data = copy.deepcopy(THERAPY_CONFIG)
    del data["treatment"]
    scenario = Scenario.from_dict(data)
    assert scenario.strategy_plans() == ()
    assert scenario.treatment_schedule() is None
    data["strategies"] = []  # an empty list is no strategy (and no conflict with treatment)
    data["treatment"] = {"regimen": "mono"}
    assert [p.name for p in Scenario.from_dict(data).strategy_plans()] == ["mono"]


def test_monitoring_without_strategies_that_need_it() -> None:
    data = copy.deepcopy(THERAPY_CONFIG)
    data["monitoring"] = {"visit_every": 14}
    scenario = Scenario.from_dict(data)
    assert scenario.monitoring is not None
    assert [p.kind for p in scenario.strategy_plans()] == ["continuous"]


def test_visit_every_tolerates_rounding() -> None:
    data = strategies(simulation__dt=0.1, monitoring__visit_every=0.3)  # 0.3 / 0.1 != 3.0
    scenario = Scenario.from_dict(data | {"strategies": data["strategies"][:1]})
    assert scenario.monitoring is not None and scenario.monitoring.visit_steps(0.1) == 3


def test_round_trip(scenario: Scenario) -> None:
    assert Scenario.from_yaml_string(scenario.to_yaml()) == scenario
    assert "kind: ctdna_switch" in scenario.to_yaml()


def test_immutable(scenario: Scenario) -> None:
    with pytest.raises(Exception, match="frozen"):
        scenario.strategies[0].name = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.strategy_plans()[0].name = "x"  # type: ignore[misc]


def test_json_schema_has_strategies_and_monitoring() -> None:
    schema = Scenario.json_schema()
    assert {"monitoring", "strategies"} <= set(schema["properties"])
    assert "discriminator" in str(schema["properties"]["strategies"])
    ctdna = schema["$defs"]["CtDNA"]["properties"]
    assert ctdna["depth"]["anyOf"][0]["minimum"] == 1  # a count >= 1, or a distribution
    assert schema["$defs"]["Adaptive"]["properties"]["frac_off"]["exclusiveMaximum"] == 1


# ----------------------------------------------------------------------------- messages
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "strategy_unknown_regimen",
            "strategies[2].regimens[1]: unknown regimen 'x' "
            "(regimens: dual, mono, first, second, low)",
        ),
        ("strategy_field_of_another_kind", "strategies[0].frac_off: not used by kind 'continuous'"),
        (
            "strategy_unknown_field",
            "strategies[1].on_day: unknown field (did you mean 'on_days'?)",
        ),
        (
            "unknown_strategy_kind",
            "strategies[0].kind: must be one of continuous, intermittent, sequential, adaptive, "
            "ctdna_switch, got 'metronomic'",
        ),
        ("missing_strategy_kind", "strategies[0].kind: required field is missing"),
        ("strategy_not_a_mapping", "strategies[0]: must be a mapping, got 'mtd'"),
        (
            "adaptive_without_monitoring",
            "strategies[1]: kind 'adaptive' needs a monitoring section",
        ),
        (
            "ctdna_switch_without_monitoring",
            "strategies[1]: kind 'ctdna_switch' needs a monitoring section with ctdna",
        ),
        (
            "ctdna_switch_without_ctdna",
            "strategies[4]: kind 'ctdna_switch' needs monitoring.ctdna (ctDNA sampling at visits)",
        ),
        (
            "treatment_and_strategies",
            "strategies: give either treatment or strategies, not both "
            "(treatment: {regimen: X} is short for a continuous strategy)",
        ),
        ("duplicate_strategy_name", "strategies[1].name: duplicate strategy name 'mtd'"),
        ("too_many_strategies", "strategies: at most 16 strategies are supported, got 17"),
        (
            "sequential_one_regimen",
            "strategies[2].regimens: must have at least 2 items, got ['first']",
        ),
        ("sequential_duplicate_regimen", "strategies[2].regimens[1]: duplicate regimen 'first'"),
        (
            "off_regimen_same_as_regimen",
            "strategies[1].off_regimen: must differ from regimen (first)",
        ),
        (
            "strategy_mixed_combinations",
            "strategies[2].regimens[1]: regimen 'mono' combines its drugs by "
            "highest_single_agent, but 'dual' by bliss: the regimens of one strategy must share "
            "one combination rule",
        ),
        (
            "on_days_not_a_multiple",
            "strategies[1].on_days: must be a whole multiple of simulation.dt (0.1 days), "
            "got 14.05",
        ),
        (
            "off_days_below_dt",
            "strategies[1].off_days: must be >= simulation.dt (0.1 days), got 0.05",
        ),
        ("off_days_zero", "strategies[1].off_days: must be > 0, got 0"),
        ("frac_on_not_above_frac_off", "strategies[3].frac_on: must be > frac_off (0.4), got 0.4"),
        ("frac_off_one", "strategies[3].frac_off: must be in (0, 1), got 1"),
        (
            "dose_levels_ascending",
            "strategies[3].dose_levels[1]: must be < 0.5 (strictly descending), got 1",
        ),
        ("dose_level_above_one", "strategies[3].dose_levels[0]: must be in (0, 1], got 1.5"),
        (
            "visit_every_not_a_multiple",
            "monitoring.visit_every: must be a whole multiple of simulation.dt (0.1 days), "
            "got 0.25",
        ),
        (
            "visit_every_below_dt",
            "monitoring.visit_every: must be >= simulation.dt (0.1 days), got 0.05",
        ),
        ("progression_factor_one", "monitoring.progression.factor: must be > 1, got 1"),
        (
            "unknown_progression_reference",
            "monitoring.progression.reference: must be one of 'nadir' or 'baseline', got 'peak'",
        ),
        (
            "ctdna_unknown_variant",
            "monitoring.ctdna.variants[1]: unknown locus 'KRAS' (loci: T790M, METamp, ABCB1)",
        ),
        ("ctdna_duplicate_variant", "monitoring.ctdna.variants[1]: locus 'METamp' is listed twice"),
        (
            "ctdna_threshold_above_depth",
            "monitoring.ctdna.threshold: must be <= depth (2000) reads, got 2001",
        ),
        ("ctdna_fractional_threshold", "monitoring.ctdna.threshold: must be an integer, got 2.5"),
    ],
)
def test_exact_strategy_messages(case: str, expected: str) -> None:
    edit = next(c[1] for c in BAD_CONFIGS if c[0] == case)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_string(yaml_text_for(edit))
    assert str(info.value) == expected


def test_enough_strategy_bad_configs() -> None:
    ids = [c[0] for c in BAD_CONFIGS]
    first, end = ids.index("strategy_unknown_regimen"), ids.index("yaml_syntax_error")
    assert end - first >= 20


def test_misspelt_field_of_another_kind_explains_the_missing_one() -> None:
    data = strategies()
    data["strategies"][0] = {"name": "mtd", "kind": "continuous", "regimens": ["dual"]}
    assert [str(e) for e in _error(data).errors] == [
        "strategies[0].regimens: not used by kind 'continuous' (did you mean 'regimen'?)"
    ]
    data["strategies"][0] = {
        "name": "mtd",
        "kind": "continuous",
        "regimen": "dual",
        "off_regimen": "low",
    }
    assert [str(e) for e in _error(data).errors] == [
        "strategies[0].off_regimen: not used by kind 'continuous'"  # no "did you mean 'regimen'"
    ]


def test_every_missing_monitoring_is_reported() -> None:
    data = strategies()
    del data["monitoring"]
    assert [str(e) for e in _error(data).errors] == [
        "strategies[2]: kind 'sequential' needs a monitoring section",
        "strategies[3]: kind 'adaptive' needs a monitoring section",
        "strategies[4]: kind 'ctdna_switch' needs a monitoring section with ctdna",
    ]


def test_no_cascade_into_strategies() -> None:
    # broken monitoring: no "needs a monitoring section" errors
    data = strategies(monitoring__visit_every=-1)
    assert [e.path for e in _error(data).errors] == ["monitoring.visit_every"]
    data = strategies(monitoring__ctdna__depth=0)
    assert [e.path for e in _error(data).errors] == ["monitoring.ctdna.depth"]
    # broken regimens: no unknown-regimen errors
    data = strategies(regimens__0__combination="loewe")
    assert [e.path for e in _error(data).errors] == ["regimens[0].combination"]
    # broken simulation: no on_days or visit_every errors
    data = strategies(simulation__dt="fast", monitoring__visit_every=0.25)
    assert [e.path for e in _error(data).errors] == ["simulation.dt"]
    # broken tumour: no ctDNA variant errors
    data = strategies(tumour__birth_rate=-1, monitoring__ctdna__variants=["KRAS"])
    assert [e.path for e in _error(data).errors] == ["tumour.birth_rate"]
    # a broken treatment: no "not both" error
    data = strategies(treatment={"regimen": 5})
    assert [e.path for e in _error(data).errors] == ["treatment.regimen"]


def test_ctdna_needs_a_locus() -> None:
    data = strategies(monitoring__ctdna__variants=None)
    data["tumour"] = {"initial_cells": 100, "detection_size": 1e9, "birth_rate": 0.25}
    data["tumour"]["death_rate"] = 0.18  # no loci
    del data["growth"]  # its groups name loci
    assert str(_error(data)) == (
        "monitoring.ctdna: needs at least one locus to monitor (no loci are defined)"
    )
