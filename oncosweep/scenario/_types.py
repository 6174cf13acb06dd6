"""Types shared by the scenario sections: numbers, whole counts, names, bounds.

YAML is forgiving in ways that trip scientists up, so the numeric types here are deliberate:

* booleans are never numbers (``birth_rate: true`` is an error, not 1.0);
* numeric strings are numbers: PyYAML reads ``1e-7`` (no dot) as the *string* "1e-7";
* NaN and infinities are refused;
* whole counts accept whole floats (``1.0e9``) but refuse ``2.5``.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from oncosweep.limits import MAX_CELL_TYPES, MAX_COMPARTMENTS, MAX_LOCI, MAX_PHENOTYPES

__all__ = [
    "MAX_CELL_TYPES",
    "MAX_COMPARTMENTS",
    "MAX_LOCI",
    "MAX_PHENOTYPES",
    "Bounds",
    "Cells",
    "Concentration",
    "Days",
    "Factor",
    "Fold",
    "Fraction",
    "Identifier",
    "JsonExtra",
    "LocusName",
    "NonNegativeDays",
    "NonNegativeInt",
    "Probability",
    "Rate",
    "ScenarioModel",
    "CellCount",
    "CellCountOrZero",
    "NonNegativeRate",
    "PositiveNumber",
    "as_integer",
    "as_number",
]

WILD_TYPE = "wt"
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def as_number(value: Any) -> float:
    """Coerce a YAML value to a finite float (see the module docstring for the rules)."""
    if _is_bool(value) or not isinstance(value, str | numbers.Real):
        raise PydanticCustomError("number_type", "must be a number")
    try:
        result = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise PydanticCustomError("number_type", "must be a number") from None
    except OverflowError:  # an int beyond the float range
        raise PydanticCustomError("number_range", "is too large") from None
    if not math.isfinite(result):
        raise PydanticCustomError("finite_number", "must be a finite number")
    return result


def as_number_or_inf(value: Any) -> float:
    """Like :func:`as_number`, but infinities (``.inf``, "inf") are accepted."""
    if isinstance(value, str) and value.strip().lower() in (".inf", "+.inf"):
        return math.inf
    try:
        return as_number(value)
    except PydanticCustomError as exc:
        if exc.type != "finite_number":
            raise
    number = float(value.strip() if isinstance(value, str) else value)
    if math.isnan(number):
        raise PydanticCustomError("number_type", "must be a number or .inf")
    return number


def as_integer(value: Any) -> int:
    """Coerce a YAML value to an int; whole floats and numeric strings ("1e9") are accepted."""
    if isinstance(value, numbers.Integral) and not _is_bool(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    try:
        number = as_number(value)
    except PydanticCustomError as exc:
        if exc.type == "number_type":
            raise PydanticCustomError("int_type", "must be an integer") from None
        raise
    if not number.is_integer():
        raise PydanticCustomError("int_from_float", "must be an integer")
    return int(number)


def _format_bound(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:g}".replace("e+", "e")


@dataclass(frozen=True)
class Bounds:
    """Annotated marker: range check with messages like ``must be in [0, 1)``.

    Also writes the bounds into the JSON schema (minimum, exclusiveMaximum, ...).
    """

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def describe(self) -> str:
        """``must be in [0, 1)``, ``must be > 0``, ..."""
        low = self.ge if self.ge is not None else self.gt
        high = self.le if self.le is not None else self.lt
        if low is not None and high is not None:
            left = "[" if self.ge is not None else "("
            right = "]" if self.le is not None else ")"
            return f"must be in {left}{_format_bound(low)}, {_format_bound(high)}{right}"
        if low is not None:
            return f"must be {'>=' if self.ge is not None else '>'} {_format_bound(low)}"
        if high is not None:
            return f"must be {'<=' if self.le is not None else '<'} {_format_bound(high)}"
        return "out of range"

    def check(self, value: Any) -> Any:
        """Return ``value`` if within the bounds, else raise a pydantic error."""
        ok = (
            (self.gt is None or value > self.gt)
            and (self.ge is None or value >= self.ge)
            and (self.lt is None or value < self.lt)
            and (self.le is None or value <= self.le)
        )
        if not ok:
            raise PydanticCustomError("out_of_range", self.describe())
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        result = handler(schema)
        keys = ("exclusiveMinimum", "minimum", "exclusiveMaximum", "maximum")
        for key, bound in zip(keys, (self.gt, self.ge, self.lt, self.le), strict=True):
            if bound is not None:
                result[key] = bound
        return result


class JsonExtra:
    """Annotated marker that adds keys to a field's JSON schema."""

    def __init__(self, extra: dict[str, Any]) -> None:
        self.extra = extra

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {**handler(schema), **self.extra}


def _identifier(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be a name (a string)")
    if not _IDENTIFIER.fullmatch(value):
        raise PydanticCustomError(
            "identifier",
            "must be a name that starts with a letter and has only letters, digits, '_', '.', '-'",
        )
    return value


def _not_wild_type(value: str) -> str:
    if value == WILD_TYPE:
        raise PydanticCustomError(
            "reserved_name", "'wt' is reserved for the wild type; choose another name"
        )
    return value


Number = Annotated[float, BeforeValidator(as_number)]
Integer = Annotated[int, BeforeValidator(as_integer)]

#: A rate in per day, > 0.
Rate = Annotated[Number, Bounds(gt=0)]
#: A rate in per day, >= 0.
NonNegativeRate = Annotated[Number, Bounds(ge=0)]
#: A probability in [0, 1].
Probability = Annotated[Number, Bounds(ge=0, le=1)]
#: A fraction in [0, 1).
Fraction = Annotated[Number, Bounds(ge=0, lt=1)]
#: A multiplicative factor, >= 0.
Factor = Annotated[Number, Bounds(ge=0)]
#: A positive number (a Hill coefficient, a dose factor, ...), > 0.
PositiveNumber = Annotated[Number, Bounds(gt=0)]
#: A drug concentration in the user's unit "conc" (or conc per day), > 0.
Concentration = Annotated[Number, Bounds(gt=0)]
#: A number of cells that need not be whole (a carrying capacity), > 0.
Cells = Annotated[Number, Bounds(gt=0)]
#: A fold change >= 1; ``.inf`` is allowed.
Fold = Annotated[float, BeforeValidator(as_number_or_inf), Bounds(ge=1)]
#: A duration in days, > 0.
Days = Annotated[Number, Bounds(gt=0)]
#: A duration in days, >= 0.
NonNegativeDays = Annotated[Number, Bounds(ge=0)]
#: An integer >= 0 (at most 2**31 - 1, the engine's counters are 32-bit).
NonNegativeInt = Annotated[Integer, Bounds(ge=0, le=2**31 - 1)]

#: A number of cells, a whole number in [1, 1e15].
CellCount = Annotated[Integer, Bounds(ge=1, le=1e15)]
#: A number of cells, a whole number in [0, 1e15].
CellCountOrZero = Annotated[Integer, Bounds(ge=0, le=1e15)]

#: A name: a letter followed by letters, digits, '_', '.' or '-'.
Identifier = Annotated[
    str, BeforeValidator(_identifier), JsonExtra({"pattern": f"^{_IDENTIFIER.pattern}$"})
]
#: A locus name: an identifier other than ``wt``.
LocusName = Annotated[
    Identifier, AfterValidator(_not_wild_type), JsonExtra({"not": {"const": WILD_TYPE}})
]


class ScenarioModel(BaseModel):
    """Base of every scenario model: immutable, unknown keys refused, YAML aliases accepted."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )
