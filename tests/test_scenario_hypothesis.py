"""Property tests: junk anywhere in a valid scenario gives a Scenario or a clean ScenarioError."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from bad_configs import STRATEGY_CONFIG, THERAPY_CONFIG, VALID_CONFIG
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_helpers import config_paths

from oncosweep.scenario import Scenario, ScenarioError

SECTIONS = {field.alias or name for name, field in Scenario.model_fields.items()}
SETTINGS = settings(derandomize=True, max_examples=300, deadline=None)

Path = tuple[str | int, ...]


_paths = config_paths


def _mappings(node: Any, prefix: Path = ()) -> list[Path]:
    """Every location of a mapping in ``node`` (including the root)."""
    found = [prefix] if isinstance(node, dict) else []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in children:
        found += _mappings(value, (*prefix, key))
    return found


LEAF_PATHS = _paths(VALID_CONFIG)
MAPPING_PATHS = _mappings(VALID_CONFIG)
THERAPY_LEAF_PATHS = _paths(THERAPY_CONFIG)
THERAPY_MAPPING_PATHS = _mappings(THERAPY_CONFIG)
STRATEGY_LEAF_PATHS = _paths(STRATEGY_CONFIG)
STRATEGY_MAPPING_PATHS = _mappings(STRATEGY_CONFIG)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1, 0, 1, 2.5, 1e300, -1e-300, 1e16, "1e-7", "nan", "-inf", "1e999"]),
    st.sampled_from(["", "wt", "R1", "R2", "persister", "proliferating", "x y", "0x10"]),
    st.sampled_from(["erlotinib", "EGFR", "bulk", "dual", "target", "kill", ".inf", "T790M"]),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
)
strategy_junk = st.one_of(
    junk,
    st.sampled_from(["continuous", "intermittent", "sequential", "adaptive", "ctdna_switch"]),
    st.sampled_from(["first", "low", "mtd", "nadir", "baseline", "poisson", "METamp", 0.05]),
    st.lists(st.sampled_from(["dual", "first", "second", "mono", "x", 1.0, 0.5]), max_size=4),
)
junk_key = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["birthrate", "dt_", "tumor", "nme", "from_", "rates", "drugs", "type"]),
)


def _set(config: dict[str, Any], path: Path, value: Any) -> None:
    node: Any = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _get(config: dict[str, Any], path: Path) -> Any:
    node: Any = config
    for part in path:
        node = node[part]
    return node


def _check(data: Any, inserted_top_level_key: str | None = None) -> None:
    try:
        scenario = Scenario.from_dict(data)
    except ScenarioError as err:
        _check_error(err, inserted_top_level_key)
    else:
        assert Scenario.from_yaml_string(scenario.to_yaml()) == scenario


def _check_error(err: ScenarioError, inserted_top_level_key: str | None = None) -> None:
    text = str(err)
    assert "\n" not in text and "\r" not in text
    assert err.errors and text.startswith(f"{err.errors[0].path}: ")
    for error in err.errors:
        first = re.split(r"[.\[]", error.path, maxsplit=1)[0]
        if re.fullmatch(r"<[a-z]+>", error.path) or first in SECTIONS:
            continue
        # an inserted junk key at the top level is reported under its own name
        assert error.message.startswith("unknown field"), error
        assert inserted_top_level_key is not None, error


@SETTINGS
@given(path=st.sampled_from(LEAF_PATHS), value=junk)
def test_replacing_a_value_with_junk(path: Path, value: Any) -> None:
    config = copy.deepcopy(VALID_CONFIG)
    _set(config, path, value)
    _check(config)


@SETTINGS
@given(path=st.sampled_from(MAPPING_PATHS), key=junk_key, value=junk)
def test_inserting_a_junk_key(path: Path, key: str, value: Any) -> None:
    config = copy.deepcopy(VALID_CONFIG)
    _get(config, path)[key] = value
    _check(config, key if path == () else None)


@SETTINGS
@given(path=st.sampled_from(THERAPY_LEAF_PATHS), value=junk)
def test_replacing_a_therapy_value_with_junk(path: Path, value: Any) -> None:
    config = copy.deepcopy(THERAPY_CONFIG)
    _set(config, path, value)
    _check(config)


@SETTINGS
@given(path=st.sampled_from(THERAPY_MAPPING_PATHS), key=junk_key, value=junk)
def test_inserting_a_junk_key_into_therapy(path: Path, key: str, value: Any) -> None:
    config = copy.deepcopy(THERAPY_CONFIG)
    _get(config, path)[key] = value
    _check(config, key if path == () else None)


@SETTINGS
@given(path=st.sampled_from(STRATEGY_LEAF_PATHS), value=strategy_junk)
def test_replacing_a_strategy_value_with_junk(path: Path, value: Any) -> None:
    config = copy.deepcopy(STRATEGY_CONFIG)
    _set(config, path, value)
    _check(config)


@SETTINGS
@given(
    path=st.sampled_from(STRATEGY_MAPPING_PATHS),
    key=st.one_of(junk_key, st.sampled_from(["regimen", "regimens", "off_days", "frac_on"])),
    value=strategy_junk,
)
def test_inserting_a_junk_key_into_strategies(path: Path, key: str, value: Any) -> None:
    config = copy.deepcopy(STRATEGY_CONFIG)
    _get(config, path)[key] = value
    _check(config, key if path == () else None)


@SETTINGS
@given(path=st.sampled_from(LEAF_PATHS), value=junk)
def test_junk_through_yaml_text(path: Path, value: Any) -> None:
    config = copy.deepcopy(VALID_CONFIG)
    _set(config, path, value)
    text = yaml.safe_dump(config, sort_keys=False)
    try:
        Scenario.from_yaml_string(text)
    except ScenarioError as err:
        _check_error(err)


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    try:
        Scenario.from_yaml_string(text)
    except ScenarioError as err:
        _check_error(err, inserted_top_level_key="?")
