"""Tests of the ``sweep`` section: the grid, the scenario at a point, parameter updates by path,
and the error messages of sweep sections.

The sweeps extend ``STRATEGY_CONFIG`` (tests/bad_configs.py): strategies mtd, pulsed,
sequential, adaptive, ctdna; drugs erlotinib (emax 0.6, ic50 1.0) and crizotinib; loci T790M
(mutation rate 5e-10), METamp, ABCB1.
"""

from __future__ import annotations

import copy
import itertools
import pickle
from typing import Any

import pytest
from bad_configs import BAD_CONFIGS, STRATEGY_CONFIG, THERAPY_CONFIG, VALID_CONFIG, yaml_text_for
from scenario_helpers import scenario_error

import oncosweep.scenario.sweep_checks as sweep_checks
from oncosweep.scenario import MAX_GRID_POINTS, Scenario, ScenarioError, Sweep, SweepAxis

SWEEP_YAML = """\
sweep:
  realizations: 1000
  chunk: 250
  seed: 1
  axes:
    strategy: [mtd, adaptive]
    tumour.loci[0].mutation_rate: [1.0e-9, 1.0e-8, 1.0e-7]
  zip:
    - name: drug_potency
      values:
        drugs[0].emax: [0.3, 0.5]
        drugs[0].ic50: [2.0, 1.0]
"""
RATES = (1.0e-9, 1.0e-8, 1.0e-7)


def _with_sweep(sweep: dict[str, Any], base: dict[str, Any] = STRATEGY_CONFIG) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data["sweep"] = sweep
    return data


_error = scenario_error


@pytest.fixture(scope="module")
def swept() -> Scenario:
    return Scenario.from_yaml_string(yaml_text_for(STRATEGY_CONFIG) + SWEEP_YAML)


# ----------------------------------------------------------------------------- the grid
def test_section(swept: Scenario) -> None:
    assert isinstance(swept.sweep, Sweep)
    assert (swept.sweep.realizations, swept.sweep.chunk, swept.sweep.seed) == (1000, 250, 1)


def test_axes_in_order(swept: Scenario) -> None:
    strategy, rate, potency = swept.sweep_axes()
    assert strategy == SweepAxis(
        "strategy", ("mtd", "adaptive"), {"strategy": ("mtd", "adaptive")}, True
    )
    assert rate.name == "tumour.loci[0].mutation_rate" and not rate.is_strategy
    assert rate.values == RATES
    assert rate.parameters == {"tumour.loci[0].mutation_rate": RATES}
    assert potency.name == "drug_potency" and not potency.is_strategy
    assert potency.values == (0, 1)
    assert potency.parameters == {"drugs[0].emax": (0.3, 0.5), "drugs[0].ic50": (2.0, 1.0)}
    assert swept.grid_shape() == (2, 3, 2)


def test_axis_order_follows_the_file() -> None:
    scenario = Scenario.from_dict(
        _with_sweep(
            {
                "realizations": 10,
                "axes": {"tumour.birth_rate": [0.25, 0.3], "strategy": ["pulsed"]},
                "zip": [
                    {"name": "b", "values": {"drugs[1].emax": [0.5, 0.6, 0.7]}},
                    {"name": "a", "values": {"drugs[0].ic50": [1.0]}},
                ],
            }
        )
    )
    names = [axis.name for axis in scenario.sweep_axes()]
    assert names == ["tumour.birth_rate", "strategy", "b", "a"]
    assert scenario.grid_shape() == (2, 1, 3, 1)


def test_defaults() -> None:
    assert Scenario.from_dict(_with_sweep({"realizations": 300})).sweep == Sweep(
        realizations=300, chunk=300, seed=0
    )
    scenario = Scenario.from_dict(_with_sweep({"realizations": 5000}))
    assert scenario.sweep is not None and scenario.sweep.chunk == 1000
    assert scenario.sweep_axes() == () and scenario.grid_shape() == ()
    point, strategy = scenario.at_point(())
    assert point.sweep is None and strategy is None
    # chunk need not divide realizations, and may exceed it
    assert Scenario.from_dict(_with_sweep({"realizations": 10, "chunk": 64})).sweep.chunk == 64


def test_no_sweep() -> None:
    scenario = Scenario.from_dict(VALID_CONFIG)
    assert scenario.sweep is None
    assert scenario.sweep_axes() == () and scenario.grid_shape() == ()
    assert scenario.at_point(()) == (scenario, None)
    assert scenario.biology_point_id(()) == 0


def test_values_as_the_schema_reads_them() -> None:
    scenario = Scenario.from_dict(
        _with_sweep({"realizations": 10, "axes": {"tumour.loci[0].mutation_rate": ["1e-9", 1e-8]}})
    )
    assert scenario.sweep_axes()[0].values == (1e-9, 1e-8)
    assert all(isinstance(v, float) for v in scenario.sweep_axes()[0].values)


# ----------------------------------------------------------------------------- points
def test_at_point_applies_values_and_selects_the_strategy(swept: Scenario) -> None:
    for index in itertools.product(range(2), range(3), range(2)):
        point, strategy = swept.at_point(index)
        assert strategy == ("mtd", "adaptive")[index[0]]
        assert point.sweep is None
        assert point.tumour.loci[0].mutation_rate == RATES[index[1]]
        assert (point.drugs[0].emax, point.drugs[0].ic50) == ((0.3, 2.0), (0.5, 1.0))[index[2]]
        # everything else as in the swept scenario
        assert point.tumour.loci[1:] == swept.tumour.loci[1:]
        assert point.drugs[1:] == swept.drugs[1:] and point.strategies == swept.strategies


def test_at_point_without_a_strategy_axis() -> None:
    scenario = Scenario.from_dict(
        _with_sweep({"realizations": 10, "axes": {"simulation.horizon": [100, 200]}})
    )
    point, strategy = scenario.at_point((1,))
    assert strategy is None and point.simulation.horizon == 200
    assert [p.name for p in point.strategy_plans()] == [
        "mtd",
        "pulsed",
        "sequential",
        "adaptive",
        "ctdna",
    ]


@pytest.mark.parametrize("index", [(0, 0), (2, 0, 0), (0, 3, 0), (0, 0, -1), (0, 0.5, 0), None])
def test_at_point_outside_the_grid(swept: Scenario, index: Any) -> None:
    with pytest.raises(IndexError, match="not a point of the sweep grid"):
        swept.at_point(index)
    with pytest.raises(IndexError):
        swept.biology_point_id(index)


def test_the_treatment_shorthand_is_one_strategy() -> None:
    data = _with_sweep({"realizations": 10, "axes": {"strategy": ["dual"]}}, THERAPY_CONFIG)
    point, strategy = Scenario.from_dict(data).at_point((0,))
    assert strategy == "dual" and [p.name for p in point.strategy_plans()] == ["dual"]


def test_biology_point_id_ignores_the_strategy_axis(swept: Scenario) -> None:
    ids = {}
    for index in itertools.product(range(2), range(3), range(2)):
        ids[index] = swept.biology_point_id(index)
        assert ids[index] == index[1] * 2 + index[2]  # C order over (rate, potency)
    assert sorted(set(ids.values())) == list(range(6))
    for _, rate, potency in ids:
        assert ids[(0, rate, potency)] == ids[(1, rate, potency)]


def test_biology_point_id_with_the_strategy_axis_in_the_middle() -> None:
    scenario = Scenario.from_dict(
        _with_sweep(
            {
                "realizations": 10,
                "axes": {
                    "tumour.birth_rate": [0.25, 0.3, 0.35],
                    "strategy": ["mtd", "pulsed"],
                    "simulation.horizon": [100, 200],
                },
            }
        )
    )
    assert scenario.biology_point_id((2, 1, 1)) == scenario.biology_point_id((2, 0, 1)) == 5
    assert scenario.biology_point_id((0, 1, 0)) == 0


def test_round_trip_pickle_and_hash(swept: Scenario) -> None:
    assert Scenario.from_yaml_string(swept.to_yaml()) == swept
    assert pickle.loads(pickle.dumps(swept)) == swept
    assert hash(swept) == hash(copy.deepcopy(swept))
    assert swept.sweep is not None
    with pytest.raises(TypeError):
        swept.sweep.axes["strategy"] = ("mtd",)  # type: ignore[index]
    with pytest.raises(TypeError):
        swept.sweep_axes()[0].parameters["x"] = ()


def test_json_schema_has_the_sweep() -> None:
    schema = Scenario.json_schema()
    sweep = schema["$defs"]["Sweep"]["properties"]
    assert {"realizations", "chunk", "seed", "axes", "zip"} <= set(sweep)
    assert sweep["seed"]["maximum"] == 2**32 - 1 and sweep["realizations"]["minimum"] == 1


# ----------------------------------------------------------------------------- with_parameters
@pytest.mark.parametrize(
    ("path", "value", "read"),
    [
        ("drugs[0].dosing.dose", 20, lambda s: s.drugs[0].dosing.dose),
        ("simulation.dt", 0.05, lambda s: s.simulation.dt),
        (
            "tumour.phenotypes[1].drug_effect_factor",
            0.2,
            lambda s: s.tumour.phenotypes[1].drug_effect_factor,
        ),
        ("monitoring.ctdna.depth", 500, lambda s: s.monitoring.ctdna.depth),
        ("strategies[3].frac_off", 0.3, lambda s: s.strategies[3].frac_off),
        ("tumour.migration[0].rate", 0.01, lambda s: s.tumour.migration[0].rate),
        ("growth.alpha[0][1]", 0.5, lambda s: s.growth.alpha[0][1]),
        ("strategies[1].off_regimen", None, lambda s: s.strategies[1].off_regimen),
        ("name", "renamed", lambda s: s.name),
    ],
)
def test_with_parameters_on_nested_paths(path: str, value: Any, read: Any) -> None:
    scenario = Scenario.from_dict(STRATEGY_CONFIG)
    changed = scenario.with_parameters({path: value})
    assert read(changed) == value
    assert read(scenario) != value  # the original is unchanged
    assert changed.with_parameters({path: read(scenario)}) == scenario


def test_with_parameters_several_at_once_and_string_numbers() -> None:
    scenario = Scenario.from_dict(STRATEGY_CONFIG)
    changed = scenario.with_parameters(
        {"strategies[3].frac_off": 0.2, "strategies[3].frac_on": "0.3"}
    )
    assert (changed.strategies[3].frac_off, changed.strategies[3].frac_on) == (0.2, 0.3)
    assert changed.with_parameters({}) == changed


def test_with_parameters_uses_yaml_names() -> None:
    scenario = Scenario.from_dict(STRATEGY_CONFIG)
    with pytest.raises(ScenarioError) as info:
        scenario.with_parameters({"tumour.switching[0].from": "persister"})
    assert str(info.value) == "tumour.switching[0].to: must differ from 'from' (persister)"
    swapped = scenario.with_parameters(
        {
            "tumour.migration[0].from": "sanctuary",
            "tumour.migration[0].to": "bulk",
            "tumour.migration[1].from": "bulk",
            "tumour.migration[1].to": "sanctuary",
        }
    )
    assert [(m.from_, m.to) for m in swapped.tumour.migration] == [
        ("sanctuary", "bulk"),
        ("bulk", "sanctuary"),
    ]


def test_with_parameters_keeps_the_sweep(swept: Scenario) -> None:
    changed = swept.with_parameters({"sweep.seed": 7, "tumour.birth_rate": 0.3})
    assert changed.sweep is not None and changed.sweep.seed == 7
    assert changed.sweep_axes() == swept.sweep_axes()
    assert changed.at_point((0, 0, 0))[0].tumour.birth_rate == 0.3


@pytest.mark.parametrize(
    ("updates", "expected"),
    [
        (
            {"tumour.lci[0].mutation_rate": 1e-9},
            "tumour.lci[0].mutation_rate: unknown parameter (did you mean 'tumour.loci'?)",
        ),
        (
            {"drugs[0].dosing.dos": 1},
            "drugs[0].dosing.dos: unknown parameter (did you mean 'drugs[0].dosing.dose'?)",
        ),
        ({"drugs[5].emax": 1}, "drugs[5].emax: unknown parameter (drugs has 2 items)"),
        (
            {"drugs.emax": 1},
            "drugs.emax: unknown parameter (drugs is a list: give an index, drugs[0])",
        ),
        (
            {"tumour.birth_rate[0]": 1},
            "tumour.birth_rate[0]: unknown parameter (tumour.birth_rate is not a list)",
        ),
        (
            {"immune.kill_rate": 1},
            "immune.kill_rate: unknown parameter (immune is null in the scenario)",
        ),
        ({"zzz": 1}, "zzz: unknown parameter (no section 'zzz')"),
        ({"tumour.zzz": 1}, "tumour.zzz: unknown parameter (tumour has no field 'zzz')"),
        ({"drugs[0].dosing": 1}, "drugs[0].dosing: not a scalar parameter (a section)"),
        ({"tumour.loci": 1}, "tumour.loci: not a scalar parameter (a list)"),
        (
            {"tumour..x": 1},
            "tumour..x: not a parameter path (like tumour.loci[0].mutation_rate), got 'tumour..x'",
        ),
        (
            {"tumour.loci[1].mutation_rate": 2.5},
            "tumour.loci[1].mutation_rate: must be in [0, 1], got 2.5",
        ),
        (
            {"strategies[3].frac_on": 0.1},
            "strategies[3].frac_on: must be > frac_off (0.4), got 0.1",
        ),
    ],
)
def test_with_parameters_errors(updates: dict[str, Any], expected: str) -> None:
    scenario = Scenario.from_dict({k: v for k, v in STRATEGY_CONFIG.items() if k != "immune"})
    with pytest.raises(ScenarioError) as info:
        scenario.with_parameters(updates)
    assert str(info.value) == expected


def test_with_parameters_reports_every_bad_path() -> None:
    scenario = Scenario.from_dict(VALID_CONFIG)
    with pytest.raises(ScenarioError) as info:
        scenario.with_parameters({"tumour.x": 1, "simulation.dt": 0.2, "tumour.loci": 2})
    assert [e.path for e in info.value.errors] == ["tumour.x", "tumour.loci"]


# ----------------------------------------------------------------------------- checks
def test_values_bad_only_together_are_found_on_small_grids() -> None:
    axes = {"strategies[3].frac_off": [0.3, 0.6], "strategies[3].frac_on": [0.9, 0.5]}
    assert [str(e) for e in _error(_with_sweep({"realizations": 10, "axes": axes})).errors] == [
        "sweep.axes['strategies[3].frac_on'][1]: strategies[3].frac_on: "
        "must be > frac_off (0.6), got 0.5"
    ]


def test_large_grids_check_each_axis_and_points_when_simulated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sweep_checks, "MAX_CHECKED_POINTS", 3)
    axes = {"strategies[3].frac_off": [0.3, 0.6], "strategies[3].frac_on": [0.9, 0.5]}
    scenario = Scenario.from_dict(_with_sweep({"realizations": 10, "axes": axes}))
    assert scenario.at_point((1, 0))[0].strategies[3].frac_off == 0.6
    with pytest.raises(ScenarioError, match=r"^strategies\[3\]\.frac_on: must be > frac_off"):
        scenario.at_point((1, 1))
    axes["strategies[3].frac_off"] = [0.3, 1.5]  # bad on its own: still found
    assert [e.path for e in _error(_with_sweep({"realizations": 10, "axes": axes})).errors] == [
        "sweep.axes['strategies[3].frac_off'][1]"
    ]


def test_a_bad_point_names_the_other_values_when_its_error_is_elsewhere() -> None:
    axes = {"tumour.birth_rate": [0.25, 0.3], "simulation.dt": [0.1, 0.3]}
    assert str(_error(_with_sweep({"realizations": 10, "axes": axes}, VALID_CONFIG))) == (
        "sweep.axes['simulation.dt'][1]: trace.every: must be a whole multiple of dt (0.3 days), "
        "e.g. 0.9 or 1.2, got 1 (with tumour.birth_rate = 0.25)"
    )


def test_every_bad_value_is_reported() -> None:
    axes = {"tumour.birth_rate": [-1, 0.25, 0], "tumour.loci[0].mutation_rate": [2, 1e-8]}
    assert [e.path for e in _error(_with_sweep({"realizations": 10, "axes": axes})).errors] == [
        "sweep.axes['tumour.birth_rate'][0]",
        "sweep.axes['tumour.birth_rate'][2]",
        "sweep.axes['tumour.loci[0].mutation_rate'][0]",
    ]


def test_zip_lists_may_repeat_values() -> None:
    zipped = {"name": "z", "values": {"drugs[0].emax": [0.3, 0.5], "drugs[0].ic50": [1.0, 1.0]}}
    scenario = Scenario.from_dict(_with_sweep({"realizations": 10, "zip": [zipped]}))
    assert scenario.sweep_axes()[0].parameters["drugs[0].ic50"] == (1.0, 1.0)


def test_no_cascade_into_the_sweep() -> None:
    data = _with_sweep({"realizations": 10, "axes": {"tumour.zzz": [1], "strategy": ["mtd"]}})
    data["tumour"]["birth_rate"] = -1
    assert [e.path for e in _error(data).errors] == ["tumour.birth_rate"]
    data = _with_sweep({"realizations": 10, "axes": {"strategy": ["x"]}})
    data["strategies"][0]["regimen"] = "nope"
    assert [e.path for e in _error(data).errors] == ["strategies[0].regimen"]


def test_the_sweep_section_cannot_be_swept() -> None:
    data = _with_sweep({"realizations": 10, "axes": {"sweep.seed": [1, 2]}})
    assert str(_error(data)) == (
        "sweep.axes['sweep.seed']: unknown parameter (the sweep section itself cannot be swept)"
    )


def test_grid_size_limit() -> None:
    many = [round(0.2 + 1e-6 * i, 9) for i in range(1000)]
    axes = {"tumour.birth_rate": many, "tumour.death_rate": many}
    assert 1000 * 1000 <= MAX_GRID_POINTS
    data = _with_sweep({"realizations": 10, "axes": {**axes, "strategy": ["mtd", "pulsed"]}})
    assert str(_error(data)) == (
        "sweep: the grid has 1000 x 1000 x 2 = 2000000 points, "
        "at most 1000000 (10**6) are supported"
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "sweep_unknown_parameter",
            "sweep.axes['tumour.lci[0].mutation_rate']: unknown parameter "
            "(did you mean 'tumour.loci'?)",
        ),
        ("sweep_not_a_scalar", "sweep.axes['tumour.loci']: not a scalar parameter (a list)"),
        (
            "sweep_invalid_value",
            "sweep.axes['tumour.loci[0].mutation_rate'][2]: tumour.loci[0].mutation_rate: "
            "must be in [0, 1], got 2.5",
        ),
        ("sweep_empty_values", "sweep.axes['tumour.birth_rate']: must list at least one value"),
        (
            "sweep_duplicate_value",
            "sweep.axes['tumour.birth_rate'][2]: duplicate value 0.25 (already given at index 0)",
        ),
        (
            "sweep_unknown_strategy",
            "sweep.axes.strategy[1]: unknown strategy 'adaptve' "
            "(strategies: mtd, pulsed, sequential, adaptive, ctdna)",
        ),
        (
            "sweep_strategy_without_strategies",
            "sweep.axes.strategy: the scenario has no strategies to sweep "
            "(give a strategies section)",
        ),
        (
            "sweep_zip_lengths_differ",
            "sweep.zip[0].values['drugs[0].ic50']: has 1 value, but drugs[0].emax has 2 "
            "(the lists of a zip group move together and must have the same length)",
        ),
        (
            "sweep_parameter_on_two_axes",
            "sweep.zip[0].values['drugs[0].emax']: parameter drugs[0].emax is already swept by "
            "axis 'drugs[0].emax'",
        ),
        (
            "sweep_duplicate_axis_name",
            "sweep.zip[0].name: duplicate axis name 'simulation.horizon' (already an axis)",
        ),
        ("sweep_negative_seed", "sweep.seed: must be in [0, 2**32 - 1], got -1"),
        ("sweep_unknown_field", "sweep.realisations: unknown field (did you mean 'realizations'?)"),
    ],
)
def test_exact_sweep_messages(case: str, expected: str) -> None:
    edit = next(c[1] for c in BAD_CONFIGS if c[0] == case)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_string(yaml_text_for(edit))
    assert str(info.value) == expected


def test_enough_sweep_bad_configs() -> None:
    assert sum(case.startswith("sweep_") for case, _, _ in BAD_CONFIGS) >= 15
