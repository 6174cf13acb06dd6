"""Per-realization parameters of a population (``CompiledModel.population``): the draws and
the model each realization runs.

Draws. Parameter k of realization r reads one Philox block at key = (root seed, 0) and
counter = (slot(RESERVED_CELL_TYPE, EVENT_POPULATION), stream_k, r): ``stream_k`` is the crc32
of the parameter's path, so making another parameter vary shifts no draw, and the point id is
not in the address, so realization r is the same patient at every point of a sweep and under
every strategy (differences between strategies and grid points are paired). The block's first
uniform, j 2**-53 (j = 1 .. 2**53), is capped at 1 - 2**-53 so that it lies inside
[2**-53, 1 - 2**-53], the range whose quantiles the scenario checks (``extremes``);
correlated parameters pass their uniforms through their Gaussian
copula; the distribution's inverse CDF gives the value (rounded for counts).

Models. A drawn value theta moves the compiled entries its plan names (``lowering.population``)
by the factor theta / theta_ref (or (1 - theta) / (1 - theta_ref)), exactly 1 when theta is the
reference value. The numpy engine runs each run of realizations with equal draws on its own
model; the compiled engines read one packed parameter block per realization (stride 0 when
nothing varies). Derived parameters are formed from each realization's model by the same
functions as for a plain model, so a draw equal to the reference gives the plain model's
doubles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from oncosweep.gpu_engine import philox, rng
from oncosweep.gpu_engine.classify import CLASSIFICATION_INPUTS, classify_rows
from oncosweep.gpu_engine.derived import derived_parameters, detection_substeps
from oncosweep.gpu_engine.layout import PackedModel, pack_model, packed_slots, write_packed
from oncosweep.gpu_engine.record import EngineResult, concatenate_results
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import PARAMETER
from oncosweep.lowering.population import PopulationPlan, factor
from oncosweep.population_math import U_MAX, gaussian_copula, quantile

__all__ = ["EVENT_POPULATION", "MAX_BLOCK_BYTES", "Blocks", "draw_values", "has_population",
           "population_batch", "population_blocks", "realization_fields", "row_model",
           "run_by_values", "value_runs"]

MAX_BLOCK_BYTES = 256 * 2**20
"""The most host memory (bytes) one batch's per-realization parameter blocks may take: a
population's batches are cut to fit (:func:`population_batch`)."""
EVENT_POPULATION = 1000
"""Event of the reserved channel (``rng.RESERVED_CELL_TYPE``) that population draws use; the
clinic's events are 0 .. 8."""


def population_batch(model: CompiledModel, batch: int) -> int:
    """``batch``, or fewer realizations for a population model, so that one packed parameter
    block per realization fits in :data:`MAX_BLOCK_BYTES`."""
    if not has_population(model):
        return batch
    packed = pack_model(model)
    per_realization = 8 * (packed.fparams.size + packed.iparams.size)
    return max(1, min(batch, MAX_BLOCK_BYTES // per_realization))


def has_population(model: CompiledModel) -> bool:
    """Whether the model carries a population plan."""
    return model.population is not None


def uniforms(plan: PopulationPlan, seed: int, start: int, count: int) -> np.ndarray:
    """(count, K) uniforms in (0, 1) of realizations start .. start + count - 1, one column
    per varying parameter (before the copulas)."""
    realization = np.arange(start, start + count, dtype=np.uint64)
    out = np.empty((count, len(plan.parameters)))
    slot = np.uint64(rng.slot(rng.RESERVED_CELL_TYPE, EVENT_POPULATION))
    for k, parameter in enumerate(plan.parameters):
        u, _ = philox.uniform_pair(np, (int(seed), 0), slot, np.uint64(parameter.stream),
                                   realization)
        out[:, k] = np.minimum(u, U_MAX)
    return out


def draw_values(plan: PopulationPlan, seed: int, start: int, count: int) -> np.ndarray:
    """(count, K) drawn values of realizations start .. start + count - 1 (units of each
    parameter's field)."""
    u = uniforms(plan, seed, start, count)
    for columns, cholesky in plan.copulas:
        u[:, list(columns)] = gaussian_copula(u[:, list(columns)], cholesky)
    values = np.empty_like(u)
    for k, p in enumerate(plan.parameters):
        values[:, k] = quantile(p.kind, p.params, u[:, k])
        if p.integer:
            values[:, k] = np.rint(values[:, k])
    return values


def realization_fields(model: CompiledModel, values: np.ndarray) -> dict[str, np.ndarray]:
    """Field name -> (count, *shape) values of every compiled field the drawn ``values`` move
    (the reference entries times each parameter's factor; integer fields rounded), and the
    resistance classification of each realization where its inputs move
    (:func:`~oncosweep.gpu_engine.classify.classify_rows`)."""
    plan: PopulationPlan = model.population
    count = values.shape[0]
    out: dict[str, np.ndarray] = {}
    for k, p in enumerate(plan.parameters):
        theta = values[:, k]
        for effect in p.effects:
            reference = getattr(model, effect.field)
            if effect.field not in out:
                out[effect.field] = np.broadcast_to(
                    np.asarray(reference, dtype=np.float64).reshape(1, -1),
                    (count, np.size(reference))).copy()
            moved = factor(effect.form, theta, p.reference)
            block = out[effect.field]
            block[:, effect.index] = block[:, effect.index] * moved[:, None]
    for name, block in out.items():
        reference = getattr(model, name)
        shape = (count, *np.shape(reference))
        if PARAMETER[name].dtype == "int64":
            out[name] = np.rint(block).astype(np.int64).reshape(shape)
        else:
            out[name] = block.reshape(shape)
    if count and CLASSIFICATION_INPUTS.intersection(out):
        out["resistant"], out["regimen_resists"] = classify_rows(model, out)
    return out


def value_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) of each maximal run of consecutive realizations with equal draws."""
    count = values.shape[0]
    if count == 0:
        return []
    if values.shape[1] == 0:
        return [(0, count)]
    change = np.flatnonzero(np.any(values[1:] != values[:-1], axis=1)) + 1
    bounds = [0, *change.tolist(), count]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def row_model(model: CompiledModel, fields: dict[str, np.ndarray], row: int) -> CompiledModel:
    """The model realization ``row`` of ``fields`` (from :func:`realization_fields`) runs:
    the reference model with its moved fields, and no population."""
    changes: dict[str, Any] = {}
    for name, block in fields.items():
        value = block[row]
        changes[name] = value if value.ndim else value.item()
    return model.replace(**changes).without_population()


def run_by_values(run: Callable[..., EngineResult], model: CompiledModel, *, realizations: int,
                  seed: int, start: int = 0, point: int = 0, **options: Any) -> EngineResult:
    """``run`` (an engine with the ``run_engine`` contract) over realizations start .. start +
    realizations - 1 of a population model: each run of consecutive realizations with equal
    draws on its own model (:func:`row_model`)."""
    values = draw_values(model.population, seed, start, realizations)
    fields = realization_fields(model, values)
    runs = value_runs(values) if fields else [(0, realizations)]
    parts = [run(row_model(model, fields, first), realizations=stop - first, seed=seed,
                 start=start + first, point=point, **options) for first, stop in runs]
    return concatenate_results(parts)


@dataclass(frozen=True)
class Blocks:
    """What a compiled engine reads for a chunk: the packed parameters (one block, strides 0,
    or one block per realization) and each realization's detection sub-step count (None:
    the model's own)."""

    fparams: np.ndarray
    iparams: np.ndarray
    f_stride: int
    i_stride: int
    substeps: np.ndarray | None
    resistant: np.ndarray | None = None
    """(count, T, D) each realization's resistance classification (None: the model's)."""


def population_blocks(model: CompiledModel, packed: PackedModel, seed: int, start: int,
                      count: int) -> Blocks:
    """The packed parameters of realizations start .. start + count - 1: the plain packed
    model, or for a population whose draws move the model one block per realization: the
    plain block with the moved fields and the derived parameters formed from them
    (``derived.DERIVED_GROUPS``) written over it, per run of equal draws."""
    if not has_population(model):
        return Blocks(packed.fparams, packed.iparams, 0, 0, None)
    values = draw_values(model.population, seed, start, count)
    fields = realization_fields(model, values)
    if not fields:
        return Blocks(packed.fparams, packed.iparams, 0, 0, None)
    slots = packed_slots(packed)
    fblock = np.broadcast_to(packed.fparams, (count, packed.fparams.size)).copy()
    iblock = np.broadcast_to(packed.iparams, (count, packed.iparams.size)).copy()
    substeps = np.full(count, detection_substeps(model)[0], dtype=np.int64)
    for first, stop in value_runs(values):
        row = row_model(model, fields, first)
        moved = {name: getattr(row, name) for name in fields}
        moved.update(derived_parameters(row, fields))
        write_packed(fblock[first], iblock[first], slots, moved)
        fblock[first + 1:stop] = fblock[first]
        iblock[first + 1:stop] = iblock[first]
        substeps[first:stop] = moved.get("detection_substeps", substeps[first])
    return Blocks(fblock, iblock, packed.fparams.size, packed.iparams.size, substeps,
                  fields.get("resistant"))
