"""YAML text in and out: a safe loader that refuses duplicate keys and alias bombs, and
string-keyed copies.

The input is bounded before it is parsed: at most ``limits.MAX_CONFIG_BYTES`` characters, and
at most ``limits.MAX_YAML_NODES`` nodes once aliases are expanded (each ``*alias`` counts every
node it repeats). The count is kept while the document is composed, when an alias is still a
reference to one node, so a "billion laughs" is refused at the alias that crosses the bound,
before anything is expanded or copied. An alias to a collection that contains it (a recursive
document) is refused too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from oncosweep.limits import MAX_CONFIG_BYTES, MAX_YAML_NODES
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
    """Safe YAML loader that refuses duplicate keys (PyYAML silently keeps the last one) and
    documents of more than ``MAX_YAML_NODES`` nodes after alias expansion."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._nodes = 0  # nodes of the document so far, aliases expanded
        self._sizes: dict[int, int] = {}  # id(node) -> its expanded size (anchored nodes)
        self._open: list[str] = []  # anchors of the collections being composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = self.anchors.get(event.anchor)
            if node is not None:
                if event.anchor in self._open:
                    raise yaml.composer.ComposerError(
                        None, None, f"alias *{event.anchor} refers to a collection that "
                        "contains it (a recursive document)", event.start_mark)
                self._count(self._expanded(node), event)
            return super().compose_node(parent, index)
        self._count(1, event)
        anchor = getattr(event, "anchor", None)
        if anchor is None:
            return super().compose_node(parent, index)
        self._open.append(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()

    def _count(self, nodes: int, event: Any) -> None:
        self._nodes += nodes
        if self._nodes > MAX_YAML_NODES:
            what = f"alias *{event.anchor} expands" if isinstance(event, yaml.AliasEvent) else (
                "the document has")
            raise yaml.composer.ComposerError(
                None, None, f"{what} more than {MAX_YAML_NODES} YAML nodes (aliases count "
                "every node they repeat)", event.start_mark)

    def _expanded(self, node: yaml.Node) -> int:
        """Nodes of ``node`` with its aliases expanded (memoized: shared nodes once each)."""
        size = self._sizes.get(id(node))
        if size is None:
            if isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._expanded(item) for item in node.value)
            elif isinstance(node, yaml.MappingNode):
                size = 1 + sum(self._expanded(k) + self._expanded(v) for k, v in node.value)
            else:
                size = 1
            self._sizes[id(node)] = size
        return size

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
    if len(text) > MAX_CONFIG_BYTES:
        raise ScenarioError.single(
            "<yaml>", f"the text is {len(text)} characters long, more than the "
            f"{MAX_CONFIG_BYTES} a scenario may have")
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
