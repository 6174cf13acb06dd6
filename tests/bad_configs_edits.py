"""Edits of the valid scenarios (tests/bad_configs_valid.py) as ``BAD_CONFIGS`` holds them (the
three kinds are described in tests/bad_configs.py), and turning an edit into a dict or YAML text.
``_therapy`` and ``_strategies`` serve the ``bad_configs_*`` case modules only: they are not
among bad_configs' public names."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml
from bad_configs_valid import STRATEGY_CONFIG, THERAPY_CONFIG, VALID_CONFIG


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()
Edit = Callable[[dict[str, Any]], None] | dict[str, Any] | str


def _assign(config: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    node: Any = config
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


def config_for(edit: Edit) -> dict[str, Any]:
    """A deep copy of ``VALID_CONFIG`` with ``edit`` applied (not for raw-text edits)."""
    if isinstance(edit, str):
        raise TypeError("a raw-text edit has no dict form; use yaml_text_for")
    config = copy.deepcopy(VALID_CONFIG)
    if callable(edit):
        edit(config)
    else:
        for dotted, value in edit.items():
            _assign(config, dotted, value if value is DELETE else copy.deepcopy(value))
    return config


def yaml_text_for(edit: Edit) -> str:
    """The YAML file text of an edited config (raw-text edits are returned as they are)."""
    return edit if isinstance(edit, str) else yaml.safe_dump(config_for(edit), sort_keys=False)


def _therapy(edit: dict[str, Any] | Callable[[dict[str, Any]], None]) -> Edit:
    """An edit of ``THERAPY_CONFIG`` (instead of ``VALID_CONFIG``), as a BAD_CONFIGS edit."""

    def apply(config: dict[str, Any]) -> None:
        config.clear()
        config.update(copy.deepcopy(THERAPY_CONFIG))
        if callable(edit):
            edit(config)
        else:
            for dotted, value in edit.items():
                _assign(config, dotted, value if value is DELETE else copy.deepcopy(value))

    return apply


def _strategies(edit: dict[str, Any] | Callable[[dict[str, Any]], None]) -> Edit:
    """An edit of ``STRATEGY_CONFIG`` (instead of ``VALID_CONFIG``), as a BAD_CONFIGS edit."""

    def apply(config: dict[str, Any]) -> None:
        config.clear()
        config.update(copy.deepcopy(STRATEGY_CONFIG))
        if callable(edit):
            edit(config)
        else:
            for dotted, value in edit.items():
                _assign(config, dotted, value if value is DELETE else copy.deepcopy(value))

    return apply
