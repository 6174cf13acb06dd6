"""Helpers shared by the scenario tests: edited copies of a config, the error a config gives."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from oncosweep.scenario import Scenario, ScenarioError


def edited(base: dict[str, Any], **edits: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``{"dotted__path": value}`` assignments (list indices as
    numbers, e.g. ``tumour__loci__0__mutation_rate=0.1``)."""
    data = copy.deepcopy(base)
    for dotted, value in edits.items():
        *parents, last = [int(p) if p.isdigit() else p for p in dotted.split("__")]
        node: Any = data
        for part in parents:
            node = node[part]
        node[last] = value
    return data


ConfigPath = tuple[str | int, ...]


def config_paths(node: Any, prefix: ConfigPath = ()) -> list[ConfigPath]:
    """Every location in a config ``node`` (containers and leaves), as key / index paths."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += config_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += config_paths(value, (*prefix, i))
    return found


def scenario_error(data: Any) -> ScenarioError:
    """The ScenarioError that validating ``data`` raises (the test fails if none)."""
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data)
    return info.value
