"""Scenario errors: one-line, path-prefixed messages a scientist can act on.

Every problem found while reading a scenario becomes a :class:`FieldError` ``(path, message)``
such as ``tumour.loci[1].mutation_rate: must be in [0, 1], got 2.5``. Pydantic's
``ValidationError`` is translated here (:func:`errors_from_validation`); cross-field checks
report through :func:`raise_problems`, which packs several problems with sub-paths into one
pydantic error that the translator unpacks again.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

__all__ = [
    "FieldError",
    "Loc",
    "Problem",
    "ScenarioError",
    "errors_from_validation",
    "raise_problems",
]

Loc = tuple[str | int, ...]
#: A cross-field problem: location relative to the model that found it, and the message.
Problem = tuple[Loc, str]

PROBLEMS_TYPE = "scenario_problems"
_MAX_REPR = 40
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

# pydantic error type -> message template (formatted with the error's ctx)
_TEMPLATES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "literal_error": "must be one of {expected}",
    "string_pattern_mismatch": "must match the pattern {pattern}",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
}
# error types whose input is the enclosing mapping, not the offending value
_NO_GOT = {"missing", "extra_forbidden", PROBLEMS_TYPE, "model_rule", "reserved_name"}


def one_line(text: str) -> str:
    """``text`` with line breaks and runs of blanks collapsed to single spaces."""
    return " ".join(str(text).split())


@dataclass(frozen=True)
class FieldError:
    """One problem in a scenario.

    Attributes:
        path: where, e.g. ``tumour.switching[0].from`` (YAML names), or a pseudo-path
            ``<yaml>``, ``<file>``, ``<root>`` for problems with the file as a whole.
        message: what is wrong, e.g. ``must be > 0, got -0.1``.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ScenarioError(ValueError):
    """A scenario could not be read; ``errors`` lists every problem found.

    ``str(error)`` is one line: the first problem, then ``(and N more problems)`` if any.
    ``source`` is the file name when the scenario was read from a file (else None); it is not
    part of ``str(error)``, so callers may prefix it.
    """

    def __init__(self, errors: Iterable[FieldError], source: str | None = None) -> None:
        self.errors: list[FieldError] = [
            FieldError(one_line(e.path), one_line(e.message)) for e in errors
        ] or [FieldError("<root>", "invalid scenario")]
        self.source = source
        super().__init__(str(self))

    @classmethod
    def single(cls, path: str, message: str, source: str | None = None) -> ScenarioError:
        """An error with one problem."""
        return cls([FieldError(path, message)], source)

    def __str__(self) -> str:
        text = str(self.errors[0])
        if len(self.errors) > 1:
            text += f" (and {len(self.errors) - 1} more problems)"
        return text


def format_path(loc: Sequence[str | int]) -> str:
    """``('tumour', 'loci', 1, 'name')`` -> ``tumour.loci[1].name``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:  # a junk key: quote it so the path stays one unambiguous line
            text += f"[{part!r}]"
    return text or "<root>"


def short_repr(value: Any) -> str:
    """A short YAML-flavoured repr of an input value (at most ~40 characters)."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = repr(value)
    elif isinstance(value, datetime.date):  # YAML reads 2024-01-05 as a date
        text = value.isoformat()
    else:
        try:
            text = repr(value)
        except Exception:  # a broken __repr__ must not hide the real problem
            text = f"<{type(value).__name__}>"
    text = one_line(text)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def raise_problems(problems: Sequence[Problem], *, absolute: bool = False) -> None:
    """Raise the cross-field ``problems`` (if any) as one pydantic error for this model.

    :func:`errors_from_validation` expands it into one :class:`FieldError` per problem, with
    the problem's location appended to the model's path, or, if ``absolute``, as it is (for a
    check that reports on an earlier section, e.g. a drugs check at ``tumour.loci[0]...``).
    """
    if problems:
        loc, message = problems[0]
        summary = f"{format_path(loc)}: {message}"
        if len(problems) > 1:
            summary += f" (and {len(problems) - 1} more problems)"
        context = {"summary": summary, "problems": tuple(problems), "absolute": absolute}
        raise PydanticCustomError(PROBLEMS_TYPE, "{summary}", context)


def errors_from_validation(exc: ValidationError, root: type[BaseModel]) -> list[FieldError]:
    """Translate a pydantic ``ValidationError`` raised by ``root`` into field errors."""
    errors = [(_walk(root, tuple(e["loc"]))[0], e) for e in exc.errors()]
    missing = {(loc[:-1], loc[-1]) for loc, e in errors if e["type"] == "missing" and loc}
    # a misspelt key explains the "missing" error of the key it was meant to be: report it once
    extra = {
        i: _extra_message(root, loc, tuple(e["loc"]), missing)
        for i, (loc, e) in enumerate(errors)
        if e["type"] == "extra_forbidden"
    }
    hints = {(errors[i][0][:-1], suggestion) for i, (_, suggestion) in extra.items()}
    result: list[FieldError] = []
    for i, (loc, err) in enumerate(errors):
        ctx = err.get("ctx") or {}
        if err["type"] == PROBLEMS_TYPE:
            base = () if ctx.get("absolute") else loc
            result += [FieldError(format_path(base + tuple(sub)), m) for sub, m in ctx["problems"]]
            continue
        if err["type"] == "missing" and loc and (loc[:-1], loc[-1]) in hints:
            continue
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            result.append(_tag_error(loc, err, ctx))
            continue
        message = _message(err, ctx)
        if err["type"] == "extra_forbidden":
            own, suggestion = extra[i]
            message = own or message
            message += f" (did you mean {suggestion!r}?)" if suggestion else ""
        elif err["type"] not in _NO_GOT and "input" in err and not re.search(r"\bgot\b", message):
            message += f", got {short_repr(err['input'])}"
        result.append(FieldError(format_path(loc), message))
    return result


def _extra_message(
    root: type[BaseModel], loc: Loc, raw: Loc, missing: set[tuple[Loc, str | int]]
) -> tuple[str | None, str | None]:
    """For an unknown key at ``loc`` (pydantic's: ``raw``): the holder model's own message
    (its classmethod ``unused_field_message(key)``, e.g. ``not used by kind 'continuous'`` for
    another kind's key, which is then a misspelling only of a missing field) and the known
    field it is probably a misspelling of."""
    model = _walk(root, raw)[1]
    suggestion = _suggest(root, raw)
    hook = getattr(model, "unused_field_message", None)
    own = hook(raw[-1]) if callable(hook) and raw and isinstance(raw[-1], str) else None
    if not isinstance(own, str):
        return None, suggestion
    return own, suggestion if (loc[:-1], suggestion) in missing else None


def _tag_error(loc: Loc, err: Any, ctx: dict[str, Any]) -> FieldError:
    """``mechanisms[0].type: must be one of a, b, got 'c'`` for a discriminated union."""
    key = str(ctx.get("discriminator", "type")).strip("'")
    path = format_path((*loc, key))
    value = err["input"].get(key) if isinstance(err.get("input"), dict) else None
    if err["type"] == "union_tag_not_found" or value is None:
        return FieldError(path, _TEMPLATES["missing"])
    expected = str(ctx.get("expected_tags", "")).replace("'", "")
    return FieldError(path, f"must be one of {expected}, got {short_repr(value)}")


def _message(err: Any, ctx: dict[str, Any]) -> str:
    template = _TEMPLATES.get(err["type"])
    if template is not None:
        try:
            text = template.format(**{k: _ctx_value(v) for k, v in ctx.items()})
            return text.replace(" 1 items", " 1 item")
        except (KeyError, IndexError, ValueError):
            pass
    message = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message.replace("Input should be", "must be")
    if message[1:2].islower():  # "Input ..." -> "input ...", but keep acronyms
        message = message[:1].lower() + message[1:]
    return message


def _ctx_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _suggest(root: type[BaseModel], loc: Loc) -> str | None:
    """The known field name closest to the unknown key at ``loc``, if any is close."""
    model = _walk(root, loc)[1]
    key = loc[-1] if loc else None
    if model is None or not isinstance(key, str):
        return None
    names = [f.alias or name for name, f in model.model_fields.items()]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return close[0] if close else None


def _walk(root: type[BaseModel], loc: Loc) -> tuple[Loc, type[BaseModel] | None]:
    """``loc`` without the tags pydantic puts in after a discriminated union (``[0].target``),
    and the model that holds (or should hold) the last key of ``loc``."""
    clean: list[str | int] = []
    models: list[type[BaseModel]] = [root]
    holder: type[BaseModel] | None = None
    for part in loc:
        if isinstance(part, int):
            clean.append(part)
            continue
        tagged = [m for m in models if part in _tags(m)] if len(models) > 1 else []
        found = [(m, f) for m in models for n, f in m.model_fields.items() if part in (n, f.alias)]
        if tagged:
            models = tagged[:1]
            continue
        if found:
            holder, models = found[0][0], _models(found[0][1].annotation)
        else:
            holder, models = (models[0] if len(models) == 1 else None), []
        clean.append(part)
    return tuple(clean), holder


def _field(root: type[BaseModel], loc: Loc) -> Any:
    holder = _walk(root, loc)[1]
    name = loc[-1] if loc else None
    if holder is None or not isinstance(name, str):
        return None
    for key, field in holder.model_fields.items():
        if name in (key, field.alias):
            return field
    return None


def integer_field(root: type[BaseModel], loc: Loc) -> bool:
    """Whether the scalar field at ``loc`` (below the model ``root``) holds whole numbers."""
    field = _field(root, loc)
    return field is not None and int in {field.annotation, *get_args(field.annotation)}


def field_bounds(root: type[BaseModel], loc: Loc) -> Any:
    """The range (a ``_types.Bounds``) of the field at ``loc`` below ``root``, or None."""
    field = _field(root, loc)
    for item in (field.metadata if field is not None else ()):
        if hasattr(item, "check") and hasattr(item, "describe"):
            return item
    return None


def field_description(root: type[BaseModel], loc: Loc) -> str:
    """The documentation of the field at ``loc`` (below the model ``root``); "" if none."""
    field = _field(root, loc)
    return (field.description or "") if field is not None else ""


def _models(annotation: Any) -> list[type[BaseModel]]:
    """Every model class in a (possibly nested, union or sequence) type annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]


def _tags(model: type[BaseModel]) -> set[Any]:
    """The values of the model's ``Literal`` fields: its tags in a discriminated union."""
    return {
        value
        for f in model.model_fields.values()
        if get_origin(f.annotation) is Literal
        for value in get_args(f.annotation)
    }
