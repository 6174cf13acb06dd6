"""Virtual patient populations: scalar model parameters that vary from realization to
realization.

In YAML a distribution stands in place of a number (``birth_rate: {distribution: lognormal,
median: 0.25, sigma: 0.3}``, see :mod:`oncosweep.scenario.distributions`). Reading a scenario
(:func:`extract_population`) moves every such mapping into the ``population`` section,
``population.parameters`` (path -> distribution), and leaves the distribution's reference
value (its median) in place, so every check of the scenario runs on a real number, and the
scenario at its reference values is one patient of the population. ``population.correlation``
couples parameters by a Gaussian copula. Writing the scenario back (:func:`inline_population`)
puts the distributions in place again, so a sweep axis may name a distribution's own parameter
(``tumour.birth_rate.sigma``).

Every value a draw can take must make a valid scenario: each varying parameter is checked at
the smallest and the largest value its distribution can draw (:func:`extreme_problems`).
Simulation settings, the trace, strategies, regimens and the sweep are the same for every
patient and cannot vary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from oncosweep.population_math import drawn_name
from oncosweep.scenario._types import Number, ScenarioModel
from oncosweep.scenario.distributions import Distribution, parse_distribution
from oncosweep.scenario.errors import FieldError, Loc, ScenarioError, format_path, one_line
from oncosweep.scenario.params import get_value, parse_path, set_values

__all__ = [
    "FIXED_SECTIONS",
    "distribution_schema",
    "MAX_VARYING",
    "Correlation",
    "Population",
    "drawn_name",
    "extract_population",
    "extreme_problems",
    "inline_population",
]

MAX_VARYING = 64
"""The most parameters one scenario may vary (each is a variable of the result dataset)."""
FIXED_SECTIONS = ("name", "description", "simulation", "trace", "regimens", "treatment",
                  "strategies", "sweep", "population")
"""Sections that are the same for every patient: no distribution may stand in them."""


class Correlation(ScenarioModel):
    """A Gaussian copula over some varying parameters: their normal scores have the given
    correlation matrix (the rank correlation of two parameters is 6/pi asin(r/2))."""

    parameters: tuple[str, ...] = Field(min_length=2)
    """Paths of varying parameters (as in ``population.parameters``), each once."""
    matrix: tuple[tuple[Number, ...], ...]
    """Correlation matrix of the normal scores, one row and column per parameter: symmetric,
    unit diagonal, positive definite."""

    @model_validator(mode="after")
    def _matrix_fits(self) -> Correlation:
        from oncosweep.population_math import check_correlation  # noqa: PLC0415

        n = len(self.parameters)
        if len(set(self.parameters)) != n:
            raise ValueError("parameters: each parameter may appear once")
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ValueError(f"matrix: must be {n} x {n} (one row and column per parameter)")
        try:
            check_correlation(self.matrix)
        except ValueError as exc:
            raise ValueError(f"matrix: {exc}") from None
        return self


class Population(ScenarioModel):
    """The parameters that vary between patients (realizations)."""

    parameters: dict[str, Distribution] = {}
    """Parameter path -> its distribution (filled from the distributions written in place)."""
    correlation: tuple[Correlation, ...] = ()
    """Gaussian copulas; a parameter belongs to at most one."""

    @field_validator("parameters")
    @classmethod
    def _paths(cls, parameters: dict[str, Distribution]) -> dict[str, Distribution]:
        if len(parameters) > MAX_VARYING:
            raise ValueError(f"at most {MAX_VARYING} parameters may vary, got {len(parameters)}")
        for path in parameters:
            loc = parse_path(path)
            if loc is None:
                raise ValueError(f"{path!r} is not a parameter path")
            if loc[0] in FIXED_SECTIONS:
                raise ValueError(f"{path}: the {loc[0]} section is the same for every patient "
                                 "and cannot vary")
        return parameters

    @model_validator(mode="after")
    def _correlated_vary(self) -> Population:
        seen: set[str] = set()
        for k, group in enumerate(self.correlation):
            for path in group.parameters:
                if path not in self.parameters:
                    raise ValueError(f"correlation[{k}].parameters: {path} is not a varying "
                                     "parameter (write a distribution in its place)")
                if path in seen:
                    raise ValueError(f"correlation[{k}].parameters: {path} is already in "
                                     "another correlation group")
                seen.add(path)
        return self

    def varying(self) -> dict[str, Distribution]:
        """Path -> distribution of the parameters that really vary (not degenerate)."""
        return {p: d for p, d in self.parameters.items() if not d.is_degenerate()}


def _walk(node: Any, loc: tuple[str | int, ...], found: dict[tuple[str | int, ...], Any]
          ) -> None:
    if isinstance(node, Mapping):
        if "distribution" in node and loc:
            found[loc] = node
            return
        for key, value in node.items():
            if not loc and key in ("sweep", "population"):
                continue
            _walk(value, (*loc, key), found)
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            _walk(value, (*loc, i), found)


def extract_population(data: Mapping[str, Any], integer: Callable[[Loc], bool]
                       ) -> dict[str, Any]:
    """``data`` (plain YAML-shaped) with every in-place distribution replaced by its reference
    value (rounded to a whole number where ``integer(loc)``: a count) and recorded under
    ``population.parameters``. ScenarioError for a malformed distribution (at its path) or one
    in a section that cannot vary."""
    found: dict[tuple[str | int, ...], Any] = {}
    _walk(data, (), found)
    if not found:
        return dict(data)
    errors: list[FieldError] = []
    values: dict[tuple[str | int, ...], float] = {}
    parameters: dict[str, Any] = {}
    for loc, spec in found.items():
        path = format_path(loc)
        if loc[0] in FIXED_SECTIONS:
            errors.append(FieldError(path, f"the {loc[0]} section is the same for every "
                                           "patient: a distribution cannot stand here"))
            continue
        try:
            distribution = parse_distribution(spec)
        except ScenarioError as exc:
            errors += [FieldError(f"{path}.{e.path}" if e.path else path, e.message)
                       for e in exc.errors]
            continue
        reference = distribution.reference_value()
        values[loc] = round(reference) if integer(loc) else reference
        parameters[path] = distribution
    if errors:
        raise ScenarioError(errors)
    result = set_values(dict(data), values)
    population = dict(result.get("population") or {})
    given = dict(population.get("parameters") or {})
    clash = sorted(set(given) & set(parameters))
    if clash:
        raise ScenarioError.single(f"population.parameters.{clash[0]}",
                                   "given both in place and in the population section")
    population["parameters"] = {**given, **parameters}
    result["population"] = population
    return result


def inline_population(data: Mapping[str, Any]) -> dict[str, Any]:
    """Plain scenario data with the population's distributions written in place again (the
    inverse of :func:`extract_population`); the section keeps only its correlations."""
    population = data.get("population")
    if not population or not population.get("parameters"):
        return dict(data)
    values = {parse_path(path): _plain(dist) for path, dist in population["parameters"].items()}
    result = set_values(dict(data), values)
    rest = {k: v for k, v in population.items() if k != "parameters" and v}
    if rest:
        result["population"] = rest
    else:
        result.pop("population", None)
    return result


def _plain(distribution: Any) -> Any:
    if hasattr(distribution, "model_dump"):
        return distribution.model_dump(by_alias=True)
    return dict(distribution)


def extreme_problems(data: Mapping[str, Any], population: Population, root: type
                     ) -> list[FieldError]:
    """Problems of the smallest and the largest value each varying parameter can draw (its
    distribution's quantiles at 2**-53 and 1 - 2**-53, rounded for counts) against the range
    of the field it stands in (``root``: the scenario class). ``data``: the plain scenario.

    Checks that tie several fields together (the founder outgrows death and immune kill, the
    euler step stays short enough) hold at the reference values; a draw that breaks them
    gives a tumour that is never detected, or stops an euler run naming the realization."""
    from oncosweep.scenario.errors import field_bounds  # noqa: PLC0415

    problems: list[FieldError] = []
    for path, distribution in population.varying().items():
        loc = parse_path(path)
        assert loc is not None  # checked by Population
        current = get_value(data, loc)
        if not isinstance(current, int | float) or isinstance(current, bool):
            problems.append(FieldError(path, "only a number can be a distribution"))
            continue
        bounds = field_bounds(root, loc)
        for which, value in zip(("smallest", "largest"), distribution.extremes(), strict=True):
            value = round(value) if isinstance(current, int) else value
            if bounds is None:
                continue
            try:
                bounds.check(value)
            except PydanticCustomError as exc:
                problems.append(FieldError(path, one_line(
                    f"{distribution.describe()} can draw {value:.6g} (its {which} value), "
                    f"but the value {exc.message()}")))
                break
    return problems


_UNITS = (("per cell per day", "per day"), ("per daughter cell", "per daughter cell"),
          ("conc per day", "conc per day"), ("per day", "per day"), ("days", "days"),
          ("cells", "cells"), ("conc", "conc"))


def field_units(root: type, loc: Loc) -> str:
    """The units of the scalar field at ``loc`` (below the model class ``root``), read from
    its documentation (``Division rate ..., per day.`` -> ``per day``); ``1`` for factors,
    fractions and other pure numbers."""
    from oncosweep.scenario.errors import field_description  # noqa: PLC0415

    text = field_description(root, loc).split(";")[0].split("(")[0]
    for phrase, units in _UNITS:
        if re.search(rf"\b{phrase}\b", text):
            return units
    return "1"


def _models_below(root: type, sections: tuple[str, ...]) -> set[str]:
    """Names of the model classes reachable from ``root``'s fields ``sections``."""
    from typing import get_args  # noqa: PLC0415

    from pydantic import BaseModel  # noqa: PLC0415

    def models(annotation: Any) -> list[type]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in get_args(annotation) for m in models(arg)]

    seen: set[type] = set()
    todo = [m for name in sections if name in root.model_fields
            for m in models(root.model_fields[name].annotation)]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        todo += [m for f in model.model_fields.values() for m in models(f.annotation)]
    return {m.__name__ for m in seen}


def distribution_schema(schema: dict[str, Any], root: type) -> dict[str, Any]:
    """``schema`` (the scenario's JSON Schema) with every number of the sections that may vary
    accepting a distribution (``{"$ref": "#/$defs/Distribution"}``) as well."""
    defs = schema.get("$defs", {})
    parameters = defs.get("Population", {}).get("properties", {}).get("parameters", {})
    union = parameters.get("additionalProperties")
    if union is None:
        return schema
    defs["Distribution"] = union
    varying = [name for name in root.model_fields if name not in FIXED_SECTIONS]
    for name in _models_below(root, tuple(varying)):
        for key, prop in defs.get(name, {}).get("properties", {}).items():
            if prop.get("type") in ("number", "integer"):
                defs[name]["properties"][key] = {"anyOf": [
                    {k: v for k, v in prop.items() if k not in ("title", "description")},
                    {"$ref": "#/$defs/Distribution"}],
                    **{k: prop[k] for k in ("title", "description") if k in prop}}
    return schema
