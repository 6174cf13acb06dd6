"""The population of a scenario at the model level: which compiled-model entries each varying
parameter moves, and how.

A varying scenario parameter (``tumour.birth_rate``, ``drugs[0].ic50``, a mechanism's
``ic50_fold``, ...) reaches the compiled model through the lowering, which multiplies it into
rates and factors. :func:`plan_population` finds out how, by lowering the scenario again with
each parameter moved to two other values its distribution can draw (the *probes*): every
compiled entry that changes must change in proportion to the parameter (``scale``:
entry = reference entry x theta / theta_ref) or to one minus it (``one_minus``: a fitness cost,
entry x (1 - theta) / (1 - theta_ref)), and with all parameters moved at once the entries must
be the product of the single moves. Anything else (a parameter that changes a schedule in
steps, a structure, a label) is refused with a message naming the parameter. So the map from
a realization's drawn values to its model is derived from the lowering itself, never
declared twice, and a draw equal to the reference value gives the reference entries bit for
bit (its factor is exactly 1).

The resistance classification of the compiled model (``resistant``, ``regimen_resists``: which
genotypes grow under a drug, which monitored variants resist a regimen) is not a lowered
field: the engine forms it again from each realization's rates
(``gpu_engine.classify.classify_rows``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import MODEL_FIELDS

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario import Scenario

__all__ = ["Effect", "PopulationPlan", "VaryingParameter", "factor", "plan_population"]

FORMS = ("scale", "one_minus")
_CLASSIFICATION = ("resistant", "regimen_resists")
_RTOL = 1e-9
"""Relative tolerance of the proportionality checks (the lowering rounds each product once)."""


@dataclass(frozen=True)
class Effect:
    """The entries ``index`` (flat) of the compiled field ``field`` move with the parameter by
    ``form`` (see the module docstring)."""

    field: str
    index: np.ndarray
    form: str


@dataclass(frozen=True)
class VaryingParameter:
    """One parameter that varies between realizations."""

    path: str
    """Scenario path, e.g. ``tumour.birth_rate``."""
    name: str
    """Its dataset variable, ``drawn_tumour_birth_rate``."""
    units: str
    kind: str
    """Distribution kind (``lognormal`` ...) and its numeric parameters (``spec()``)."""
    params: tuple[float, ...]
    describe: str
    reference: float
    """The value in the reference scenario (the distribution's median, whole for counts)."""
    integer: bool
    """A count: draws are rounded to the nearest whole number."""
    stream: int
    """32-bit id of the parameter's random stream: crc32 of its path, so that making one
    parameter vary shifts no other parameter's draw."""
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class PopulationPlan:
    """The varying parameters of a compiled model and their copulas (numpy only: it travels
    with the model to a GPU box)."""

    parameters: tuple[VaryingParameter, ...]
    copulas: tuple[tuple[tuple[int, ...], np.ndarray], ...]
    """(indices into ``parameters``, lower Cholesky factor of the correlation matrix)."""

    def fields(self) -> tuple[str, ...]:
        """The compiled fields some parameter moves, in declaration order."""
        moved = {e.field for p in self.parameters for e in p.effects}
        return tuple(f.name for f in MODEL_FIELDS if f.name in moved)


def factor(form: str, value: Any, reference: float) -> Any:
    """The factor a parameter's value (a number or an array) applies to the entries it moves
    by ``form``: exactly 1 where the value is the reference value."""
    if form == "scale":
        return np.where(value == reference, 1.0, value / reference)
    return np.where(value == reference, 1.0, (1.0 - value) / (1.0 - reference))


def _entries(model: CompiledModel) -> dict[str, np.ndarray]:
    out = {}
    for f in MODEL_FIELDS:
        if f.name in _CLASSIFICATION:
            continue
        value = getattr(model, f.name)
        out[f.name] = np.asarray(value) if f.dtype not in ("str", "strs") else value
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b))
    return a == b


def _close(actual: np.ndarray, predicted: np.ndarray, integer: bool) -> bool:
    if integer:
        return bool(np.all(np.abs(actual - np.rint(predicted)) <= 1))
    return bool(np.allclose(actual, predicted, rtol=_RTOL, atol=0.0))


def plan_population(scenario: Scenario, strategy: str | None, base: CompiledModel
                    ) -> PopulationPlan | None:
    """The population plan of ``scenario`` (None without a ``population``), probing the
    lowering of ``strategy`` around ``base`` (the lowered reference scenario). ValueError
    naming the parameter that cannot vary per realization."""
    from oncosweep.lowering.lower import lower  # noqa: PLC0415 - the scenario, pydantic
    from oncosweep.population_math import check_correlation  # noqa: PLC0415
    from oncosweep.scenario.errors import integer_field  # noqa: PLC0415
    from oncosweep.scenario.params import get_value, parse_path, plain_data, set_values  # noqa: PLC0415
    from oncosweep.scenario.population import drawn_name, field_units  # noqa: PLC0415

    population = scenario.population
    if population is None or not population.parameters:
        return None
    cls = type(scenario)
    data = {k: v for k, v in plain_data(scenario).items() if k not in ("population", "sweep")}
    reference_entries = _entries(base)

    def lowered(values: dict[tuple, float]) -> dict[str, np.ndarray]:
        return _entries(lower(cls.model_validate(set_values(data, values)), strategy))

    parameters: list[VaryingParameter] = []
    probes: dict[tuple, float] = {}
    predicted: dict[str, np.ndarray] = {}
    for path, distribution in population.parameters.items():
        loc = parse_path(path)
        reference = float(get_value(data, loc))
        integer = integer_field(cls, loc)
        effects: list[Effect] = []
        values = [] if distribution.is_degenerate() else _probe_values(distribution, reference,
                                                                        integer)
        if values:
            effects = _probe_effects(path, loc, reference, values, lowered, reference_entries)
            theta = values[0]
            probes[loc] = theta
            for e in effects:
                target = predicted.setdefault(
                    e.field, reference_entries[e.field].astype(np.float64).reshape(-1).copy())
                target[e.index] = target[e.index] * factor(e.form, theta, reference)
        kind, params = distribution.spec()
        parameters.append(VaryingParameter(
            path=path, name=drawn_name(path), units=field_units(cls, loc), kind=kind,
            params=tuple(float(p) for p in params), describe=distribution.describe(),
            reference=reference, integer=integer,
            stream=zlib.crc32(path.encode()), effects=tuple(effects)))
    if len(probes) > 1:  # every parameter moved at once: the product of the single moves
        joint = lowered(probes)
        for name, values in predicted.items():
            integer = np.asarray(reference_entries[name]).dtype.kind in "iu"
            if not _close(np.asarray(joint[name], dtype=np.float64).reshape(-1), values,
                          integer):
                raise ValueError(f"population: {', '.join(population.varying())}: together "
                                 f"they change {name} other than as a product of their "
                                 "separate effects, so they cannot vary together")
    index = {p.path: k for k, p in enumerate(parameters)}
    copulas = tuple((tuple(index[p] for p in group.parameters),
                     check_correlation(group.matrix)) for group in population.correlation)
    return PopulationPlan(tuple(parameters), copulas)


def _probe_values(distribution: Any, reference: float, integer: bool) -> list[float]:
    """Up to two values the distribution can draw other than the reference value."""
    from oncosweep.population_math import quantile  # noqa: PLC0415

    kind, params = distribution.spec()
    u = np.array([0.8, 0.2, 0.95, 0.05, 0.99, 0.01])
    candidates = quantile(kind, tuple(params), u)
    if integer:
        candidates = np.rint(candidates)
    found: list[float] = []
    for value in candidates:
        if float(value) != reference and float(value) not in found:
            found.append(float(value))
    return found[:2]


def _probe_effects(path: str, loc: tuple, reference: float, probes: list[float],
                   lowered: Any, base: dict[str, Any]) -> list[Effect]:
    """The effects of the parameter at ``loc`` found by lowering at the ``probes`` (values it
    can draw other than ``reference``)."""
    moved = [lowered({loc: value}) for value in probes]
    effects: list[Effect] = []
    for name, ref in base.items():
        changed = [not _same(ref, m[name]) for m in moved]
        if not any(changed):
            continue
        if not isinstance(ref, np.ndarray) or ref.dtype.kind not in "fiu" or any(
                np.shape(m[name]) != ref.shape for m in moved):
            raise ValueError(f"{path}: cannot vary from realization to realization (it "
                             f"changes the model's {name}, which is the same for every "
                             "realization)")
        flat = ref.astype(np.float64).reshape(-1)
        index = np.flatnonzero(np.any([np.asarray(m[name], dtype=np.float64).reshape(-1)
                                       != flat for m in moved], axis=0))
        integer_field = ref.dtype.kind in "iu"
        for form in FORMS:
            if (form == "scale" and (reference == 0 or np.any(flat[index] == 0))) or (
                    form == "one_minus" and reference == 1):
                continue  # no factor of this form leads from the reference entries
            if all(_close(np.asarray(m[name], dtype=np.float64).reshape(-1)[index],
                          flat[index] * factor(form, value, reference), integer_field)
                   for m, value in zip(moved, probes, strict=True)):
                effects.append(Effect(name, index, form))
                break
        else:
            zero = " (its reference value, the median, leaves it at 0)" if (
                reference == 0 or np.any(flat[index] == 0)) else ""
            raise ValueError(f"{path}: cannot vary from realization to realization (it changes "
                             f"the model's {name} other than in proportion to its value{zero})")
    return effects
