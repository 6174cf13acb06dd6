"""Tests of the scenario schema: loading, defaults, resolved cell types, error messages."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pydantic
import pytest
from bad_configs import BAD_CONFIGS, VALID_CONFIG, config_for, yaml_text_for

from oncosweep.gpu_engine.rng import MAX_LOCI
from oncosweep.scenario import FieldError, Scenario, ScenarioError

MINIMAL: dict[str, Any] = {
    "tumour": {"detection_size": 1e9, "birth_rate": 0.25, "death_rate": 0.18},
    "simulation": {"dt": 0.1},
}


def _error(data: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data)
    return info.value


def _edited(base: dict[str, Any], **sections: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return data


# ----------------------------------------------------------------------------- bad configs
@pytest.mark.parametrize(
    ("edit", "path"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_gives_one_line_error_at_path(edit: Any, path: str) -> None:
    loaders = [lambda: Scenario.from_yaml_string(yaml_text_for(edit))]
    if not isinstance(edit, str):
        loaders.append(lambda: Scenario.from_dict(config_for(edit)))
    for load in loaders:
        with pytest.raises(ScenarioError) as info:
            load()
        text = str(info.value)
        assert "\n" not in text
        assert path in text
        assert text.startswith(f"{path}: ")
        assert info.value.errors[0].path == path
        assert all("\n" not in str(e) for e in info.value.errors)


def test_bad_configs_catalogue_is_large_and_unique() -> None:
    ids = [case[0] for case in BAD_CONFIGS]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("mutation_rate_above_one", "tumour.loci[1].mutation_rate: must be in [0, 1], got 2.5"),
        ("negative_birth_rate", "tumour.birth_rate: must be > 0, got -0.1"),
        ("string_birth_rate", "tumour.birth_rate: must be a number, got 'abc'"),
        ("bool_birth_rate", "tumour.birth_rate: must be a number, got true"),
        ("nan_death_rate", "tumour.death_rate: must be a finite number, got nan"),
        ("fractional_initial_cells", "tumour.initial_cells: must be an integer, got 2.5"),
        ("missing_birth_rate", "tumour.birth_rate: required field is missing"),
        ("unknown_field_with_hint", "tumour.birthrate: unknown field (did you mean 'birth_rate'?)"),
        ("unknown_field_without_hint", "tumour.loci[0].zzz: unknown field"),
        ("top_level_section_typo", "simulaton: unknown field (did you mean 'simulation'?)"),
        ("loci_not_a_list", "tumour.loci: must be a list, got 'R1'"),
        ("too_many_loci", f"tumour.loci: at most {MAX_LOCI} loci are supported, got 9"),
        (
            "unknown_locus_in_epistasis",
            "tumour.epistasis[0].genotype: unknown locus 'X' (loci: R1, R2)",
        ),
        (
            "unknown_founder_phenotype",
            "tumour.founder.phenotype: unknown phenotype 'dormant' "
            "(phenotypes: proliferating, persister)",
        ),
        ("trace_every_below_dt", "trace.every: must be >= dt (0.1 days), got 0.05"),
        (
            "empty_file",
            "<root>: the scenario is empty "
            "(expected a mapping with sections name, description, tumour, simulation, trace, "
            "growth, immune, drugs, regimens, treatment, monitoring, strategies, population, "
            "sweep)",
        ),
        ("yaml_syntax_error", "<yaml>: line 5, column 13: expected ',' or ']', but got ':'"),
        (
            "yaml_duplicate_key",
            "<yaml>: line 6, column 3: duplicate key 'birth_rate' (first given on line 4)",
        ),
    ],
)
def test_exact_messages(case: str, expected: str) -> None:
    edit = next(c[1] for c in BAD_CONFIGS if c[0] == case)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_string(yaml_text_for(edit))
    assert str(info.value) == expected


def test_duplicate_locus_name_message() -> None:
    err = _error(config_for({"tumour.loci.1.name": "R1"}))
    assert str(err.errors[0]) == "tumour.loci[1].name: duplicate locus name 'R1'"


def test_yaml_syntax_error_has_line_and_column() -> None:
    err = _error_from_text("tumour:\n  birth_rate: [0.25\n  death_rate: 0.1\n")
    assert re.fullmatch(r"<yaml>: line \d+, column \d+: .+", str(err))


def _error_from_text(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_string(text)
    return info.value


def test_several_problems_are_counted_in_one_line() -> None:
    data = config_for({"tumour.birth_rate": -1, "tumour.death_rate": "x", "simulation.dt": 0})
    err = _error(data)
    assert len(err.errors) == 3
    assert str(err) == "tumour.birth_rate: must be > 0, got -1 (and 2 more problems)"
    assert [e.path for e in err.errors] == [
        "tumour.birth_rate",
        "tumour.death_rate",
        "simulation.dt",
    ]
    assert isinstance(err, ValueError)
    assert str(FieldError("a.b", "oops")) == "a.b: oops"


def test_alias_is_used_in_paths() -> None:
    err = _error(config_for(lambda c: c["tumour"]["switching"][0].pop("from")))
    assert str(err) == "tumour.switching[0].from: required field is missing"


def test_no_cascade_from_broken_sections() -> None:
    # dt is broken: the trace.every check (which needs dt) must not add confusing errors
    err = _error(config_for({"simulation.dt": "fast", "trace.every": 0.25}))
    assert [e.path for e in err.errors] == ["simulation.dt"]
    # the tumour is broken: the time-step check (which needs the rates) is skipped
    err = _error(
        config_for({"tumour.loci.0.name": "wt", "simulation.dt": 100.0, "trace.every": None})
    )
    assert [e.path for e in err.errors] == ["tumour.loci[0].name"]


@pytest.mark.parametrize("data", [None, [], ["tumour"], 5, "text"])
def test_non_mapping_top_level(data: Any) -> None:
    err = _error(data)
    assert err.errors[0].path == "<root>"


def test_unknown_locus_without_loci() -> None:
    data = _edited(MINIMAL, tumour={"founder": {"genotype": ["R1"]}})
    assert str(_error(data)) == "tumour.founder.genotype: unknown locus 'R1' (no loci are defined)"


# ----------------------------------------------------------------------------- valid configs
def test_valid_config_loads() -> None:
    scenario = Scenario.from_dict(VALID_CONFIG)
    assert scenario.name == "two-loci-persisters"
    assert scenario.tumour.detection_size == 10**9
    assert isinstance(scenario.tumour.detection_size, int)
    assert scenario.tumour.switching[0].from_ == "proliferating"
    assert scenario.trace.indices() == (0, 1)
    assert scenario.trace.stride(scenario.simulation.dt) == 10


def test_defaults() -> None:
    scenario = Scenario.from_dict(MINIMAL)
    assert scenario.name == "scenario"
    assert scenario.description == ""
    t = scenario.tumour
    assert t.initial_cells == 1
    assert t.lethal_size == 10**12
    assert t.loci == () and t.epistasis == () and t.switching == ()
    assert [p.name for p in t.phenotypes] == ["proliferating"]
    assert (t.phenotypes[0].birth_factor, t.phenotypes[0].death_factor) == (1.0, 1.0)
    assert t.founder.genotype == () and t.founder.phenotype is None
    sim = scenario.simulation
    assert (sim.horizon, sim.max_detection_time, sim.max_restarts) == (0.0, 36500.0, 10000)
    assert scenario.trace.realizations == 0 and scenario.trace.every is None
    assert scenario.trace.indices() == () and scenario.trace.stride(0.1) == 1
    [only] = scenario.cell_types()
    assert (only.index, only.label, only.genotype, only.phenotype) == (0, "wt/proliferating", 0, 0)
    assert (only.birth_rate, only.death_rate, only.switching) == (0.25, 0.18, (0.0,))
    assert scenario.founder_type_index() == 0


def test_cell_types_of_valid_config() -> None:
    types = Scenario.from_dict(VALID_CONFIG).cell_types()
    assert [ct.label for ct in types] == [
        "wt/proliferating",
        "wt/persister",
        "R1/proliferating",
        "R1/persister",
        "R2/proliferating",
        "R2/persister",
        "R1+R2/proliferating",
        "R1+R2/persister",
    ]
    assert [ct.index for ct in types] == list(range(8))
    assert [ct.genotype for ct in types] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [ct.phenotype for ct in types] == [0, 1] * 4
    # birth: 0.25 * (1 - cost) per mutated locus; R1+R2 overridden by epistasis (0.3);
    # persisters multiply birth by 0.05 and death by 0.5
    births = [0.25, 0.0125, 0.225, 0.01125, 0.2, 0.01, 0.3, 0.015]
    deaths = [0.18, 0.09] * 4
    assert [ct.birth_rate for ct in types] == pytest.approx(births, rel=1e-12)
    assert [ct.death_rate for ct in types] == pytest.approx(deaths, rel=1e-12)
    assert [ct.switching for ct in types] == [(0.0, 1e-3), (0.0, 0.0)] * 4


def test_epistasis_overrides_only_given_rates() -> None:
    data = config_for(
        {
            "tumour.epistasis": [
                {"genotype": ["R1"], "death_rate": 0.05},
                {"genotype": [], "birth_rate": 0.4, "death_rate": 0.2},
            ]
        }
    )
    types = {ct.label: ct for ct in Scenario.from_dict(data).cell_types()}
    assert types["R1/proliferating"].birth_rate == pytest.approx(0.225)  # computed
    assert types["R1/proliferating"].death_rate == 0.05  # overridden
    assert types["R1/persister"].death_rate == pytest.approx(0.025)  # override x factor
    assert types["wt/proliferating"].birth_rate == 0.4
    assert types["wt/persister"].birth_rate == pytest.approx(0.02)
    assert types["R1+R2/proliferating"].birth_rate == pytest.approx(0.25 * 0.9 * 0.8)


def test_founder_type_index() -> None:
    data = config_for({"tumour.founder": {"genotype": ["R1"], "phenotype": "persister"}})
    # founder R1/persister grows through switching back to proliferating
    data["tumour"]["switching"].append({"from": "persister", "to": "proliferating", "rate": 0.1})
    scenario = Scenario.from_dict(data)
    assert scenario.founder_type_index() == 1 * 2 + 1
    assert scenario.cell_types()[3].label == "R1/persister"


def test_growth_uses_dominant_eigenvalue() -> None:
    # persister founder: net rate alone 0.0125 - 0.09 < 0, but switching lets it grow
    data = config_for({"tumour.founder.phenotype": "persister"})
    with pytest.raises(ScenarioError, match="founder cell type 'wt/persister' cannot grow"):
        Scenario.from_dict(data)
    data["tumour"]["switching"].append({"from": "persister", "to": "proliferating", "rate": 0.5})
    Scenario.from_dict(data)


def test_non_growing_founder_message() -> None:
    data = _edited(MINIMAL, tumour={"death_rate": 0.3})
    assert str(_error(data)) == (
        "tumour.birth_rate: the founder cell type 'wt/proliferating' cannot grow "
        "(net growth rate -0.05 per day <= 0), so the tumour never reaches detection_size"
    )


def test_numeric_strings_and_whole_floats() -> None:
    text = yaml_text_for(VALID_CONFIG).replace("mutation_rate: 1.0e-07", "mutation_rate: 1e-7")
    assert "mutation_rate: 1e-7" in text
    scenario = Scenario.from_yaml_string(text)
    assert scenario.tumour.loci[0].mutation_rate == 1e-7
    data = config_for({"tumour.detection_size": "1e9", "tumour.initial_cells": 10.0})
    tumour = Scenario.from_dict(data).tumour
    assert (tumour.detection_size, tumour.initial_cells) == (10**9, 10)


def test_trace_every_tolerates_rounding() -> None:
    scenario = Scenario.from_dict(config_for({"trace.every": 0.1 * 3}))  # 0.30000000000000004
    assert scenario.trace.stride(scenario.simulation.dt) == 3


def test_populate_by_field_name() -> None:
    data = config_for(
        lambda c: c["tumour"]["switching"][0].update(
            {"from_": c["tumour"]["switching"][0].pop("from")}
        )
    )
    assert Scenario.from_dict(data) == Scenario.from_dict(VALID_CONFIG)


def test_immutable() -> None:
    scenario = Scenario.from_dict(VALID_CONFIG)
    with pytest.raises(pydantic.ValidationError):
        scenario.tumour.birth_rate = 1.0  # type: ignore[misc]


# ----------------------------------------------------------------------------- time step
def test_infeasible_dt_message() -> None:
    data = _edited(MINIMAL, tumour={"birth_rate": 12.0, "death_rate": 0.5},
                   simulation={"scheme": "euler"})
    assert str(_error(data)) == (
        "simulation.dt: (birth + death + switching) * dt = 1.25 > 1 for cell type "
        "'wt/proliferating'; reduce dt to <= 0.08 days"
    )


@pytest.mark.parametrize("dt", [2.5, 3.0, 7.77, 100.0])
def test_suggested_dt_is_feasible(dt: float) -> None:
    data = config_for({"simulation.dt": dt, "simulation.scheme": "euler", "trace.every": None})
    message = str(_error(data))
    match = re.search(r"reduce dt to <= ([0-9.e+-]+) days", message)
    assert match, message
    data["simulation"]["dt"] = float(match.group(1))
    Scenario.from_dict(data)


def test_suggested_dt_for_step_count_is_feasible() -> None:
    data = config_for({"simulation.dt": 1e-6, "trace.every": None})
    message = str(_error(data))
    match = re.search(r"increase dt to >= ([0-9.e+-]+) days", message)
    assert match, message
    data["simulation"]["dt"] = float(match.group(1))
    Scenario.from_dict(data)


# ----------------------------------------------------------------------------- I/O
def test_round_trip_yaml() -> None:
    for data in (VALID_CONFIG, MINIMAL, config_for({"trace.realizations": [5, 0, 3]})):
        scenario = Scenario.from_dict(data)
        text = scenario.to_yaml()
        assert Scenario.from_yaml_string(text) == scenario
        assert "from: proliferating" in text or data is MINIMAL


def test_from_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml_text_for(VALID_CONFIG), encoding="utf-8")
    assert Scenario.from_yaml(path) == Scenario.from_dict(VALID_CONFIG)
    assert Scenario.from_yaml(str(path)) == Scenario.from_dict(VALID_CONFIG)

    path.write_text(yaml_text_for({"tumour.birth_rate": -1}), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(path)
    assert info.value.source == str(path)
    assert str(path) not in str(info.value)
    assert str(info.value).startswith("tumour.birth_rate: ")


def test_from_yaml_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(missing)
    assert info.value.errors == [FieldError("<file>", f"file not found: {missing}")]
    assert info.value.source == str(missing)
    with pytest.raises(ScenarioError, match="^<file>: "):
        Scenario.from_yaml(tmp_path)  # a directory


def test_from_yaml_string_has_no_source() -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_string("tumour: 1")
    assert info.value.source is None


def test_json_schema() -> None:
    schema = Scenario.json_schema()
    assert isinstance(schema, dict)
    assert {"tumour", "simulation", "trace"} <= set(schema["properties"])
    switching = schema["$defs"]["Switching"]
    assert "from" in switching["properties"] and "from_" not in switching["properties"]
    rate = schema["$defs"]["Locus"]["properties"]["mutation_rate"]
    assert rate["anyOf"][0]["maximum"] == 1  # a number in [0, 1] ...
    assert rate["anyOf"][1] == {"$ref": "#/$defs/Distribution"}  # ... or a distribution
    assert "anyOf" not in schema["$defs"]["Simulation"]["properties"]["dt"]  # the protocol
