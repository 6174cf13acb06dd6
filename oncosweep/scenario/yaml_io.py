"""YAML text in and out: a safe loader that refuses duplicate keys, and string-keyed copies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from oncosweep.scenario.errors import FieldError, ScenarioError, short_repr

__all__ = ["load_yaml", "string_keys"]


def string_keys(value: Any) -> Any:
    """Copy of ``value`` with every mapping key a string (YAML allows ``1:`` or ``true:``)."""
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(k): string_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [string_keys(v) for v in value]
    return value


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that refuses duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:  # keyed by type too: `1:` and `true:` are different YAML keys
                first = seen.get((type(key), key))
                seen.setdefault((type(key), key), key_node.start_mark.line)
            except TypeError:  # unhashable key: PyYAML reports it below
                continue
            if first is not None:
                message = f"duplicate key {short_repr(key)} (first given on line {first + 1})"
                raise yaml.constructor.ConstructorError(None, None, message, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse YAML text; every problem is a :class:`ScenarioError` at ``<yaml>``."""
    if not isinstance(text, str | bytes):
        raise ScenarioError.single("<yaml>", f"expected YAML text, got {short_repr(text)}")
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError([FieldError("<yaml>", f"{where}{problem}")]) from None
    except yaml.reader.ReaderError as exc:  # a control character, before any parsing
        line = text[: exc.position].count("\n") + 1 if isinstance(text, str) else None
        where = f"line {line}: " if line else ""
        problem = f"special character #x{exc.character:04x} is not allowed in YAML"
        if "special characters" not in str(exc.reason):
            problem = f"cannot decode the text as {exc.encoding} ({exc.reason})"
        raise ScenarioError([FieldError("<yaml>", where + problem)]) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ScenarioError([FieldError("<yaml>", f"invalid YAML: {exc}")]) from None
