"""Parameter paths: ``tumour.loci[0].mutation_rate`` names one scalar field of a scenario.

A path is field names joined by ``.``, each optionally followed by list indices ``[i]`` (YAML
names, e.g. ``tumour.switching[0].from``). Paths act on the *plain data* of a scenario: the
nested dicts and lists it was read from (:func:`plain_data`), so setting a value and validating
again is exactly what reading the edited YAML file would do.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from oncosweep.scenario.errors import Loc, format_path
from oncosweep.scenario.yaml_io import string_keys

__all__ = [
    "PATH_EXAMPLE",
    "get_value",
    "parse_path",
    "path_problem",
    "plain_data",
    "set_values",
]

#: Shown in messages about malformed paths.
PATH_EXAMPLE = "tumour.loci[0].mutation_rate"
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)((?:\[(?:0|[1-9][0-9]*)\])*)")
_INDEX = re.compile(r"\[([0-9]+)\]")


def parse_path(path: str) -> Loc | None:
    """``'tumour.loci[0].mutation_rate'`` -> ``('tumour', 'loci', 0, 'mutation_rate')``;
    None if ``path`` is not a well-formed parameter path."""
    if not isinstance(path, str) or not path:
        return None
    loc: list[str | int] = []
    for segment in path.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            return None
        loc.append(match.group(1))
        loc += [int(i) for i in _INDEX.findall(match.group(2))]
    return tuple(loc)


def plain_data(value: Any) -> Any:
    """A model (or a tuple of models, or a mapping of them) as the plain YAML-shaped data it
    reads back from: YAML names, lists for tuples, nulls kept."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    elif isinstance(value, Mapping):
        value = {k: plain_data(v) for k, v in value.items()}
    elif isinstance(value, list | tuple):
        value = [plain_data(v) for v in value]
    return string_keys(value)


def path_problem(data: Any, loc: Loc) -> str | None:
    """Why ``loc`` does not name a scalar in ``data`` (None: it does). The message is
    ``unknown parameter (...)`` with a hint, or ``not a scalar parameter (...)``."""
    node = data
    for depth, part in enumerate(loc):
        where = format_path(loc[:depth])
        if node is None:
            return f"unknown parameter ({where} is null in the scenario)"
        if isinstance(part, int):
            if not isinstance(node, list):
                return f"unknown parameter ({where} is not a list)"
            if part >= len(node):
                items = "item" if len(node) == 1 else "items"
                return f"unknown parameter ({where} has {len(node)} {items})"
        elif isinstance(node, list):
            return f"unknown parameter ({where} is a list: give an index, {where}[0])"
        elif not isinstance(node, dict):
            return f"unknown parameter ({where} is a single value)"
        elif part not in node:
            close = difflib.get_close_matches(part, list(node), n=1, cutoff=0.6)
            if close:
                hint = format_path((*loc[:depth], close[0]))
                return f"unknown parameter (did you mean {hint!r}?)"
            if depth == 0:
                return f"unknown parameter (no section {part!r})"
            return f"unknown parameter ({where} has no field {part!r})"
        node = node[part]
    if isinstance(node, dict):
        return "not a scalar parameter (a section)"
    if isinstance(node, list):
        return "not a scalar parameter (a list)"
    return None


def get_value(data: Any, loc: Loc) -> Any:
    """The value at ``loc`` in ``data`` (which must exist: see :func:`path_problem`)."""
    node = data
    for part in loc:
        node = node[part]
    return node


def set_values(data: Any, values: Mapping[Loc, Any]) -> Any:
    """A deep copy of ``data`` with the value at each location replaced (locations must
    exist: see :func:`path_problem`)."""
    result = copy.deepcopy(data)
    for loc, value in values.items():
        parent = get_value(result, loc[:-1])
        parent[loc[-1]] = copy.deepcopy(value)
    return result
