"""EngineResult -> xarray.Dataset, with units and meanings on every variable (both from the
declaration: :data:`~oncosweep.lowering.declaration.RESULTS`, ``COORDINATES``).

xarray is imported here only, so the engine core needs numpy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oncosweep._version import __version__
from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.population import draw_values
from oncosweep.gpu_engine.record import EngineResult
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import COORDINATES, RESULTS

DATASET_FORMAT = "oncosweep-realizations/1"


def to_dataset(
    result: EngineResult,
    model: CompiledModel,
    *,
    scenario_yaml: str,
    seed: int,
    point: int,
    backend: str,
    engine: str = "numpy-array",
    device: str = "cpu",
) -> Any:
    """Build the result dataset (dims ``realization``, ``cell_type``, ``traced_realization``,
    ``time``). Attributes carry everything needed to reproduce it; no timestamps, so the same
    inputs give identical datasets. ``backend``, ``engine`` and ``device`` record what computed
    it (they never change a value)."""
    import xarray as xr  # noqa: PLC0415 - keeps the engine core numpy-only

    variables = {r.name: (r.dims, getattr(result, r.name), r.attrs) for r in RESULTS}
    values = {
        "realization": result.realization,
        "cell_type": np.array(model.labels, dtype=str),
        "drug": np.array(model.drug_names, dtype=str),
        "traced_realization": result.traced.astype(np.int64),
        "time": np.arange(model.n_trace_times) * model.trace_every_steps * model.dt,
        "visit": np.arange(model.n_visits) * model.visit_steps * model.dt,
        "variant": np.array(model.ctdna_names, dtype=str),
    }
    variables.update(drawn_variables(model, seed, result.realization))
    coords = {c.name: (c.name, values[c.name], c.attrs) for c in COORDINATES}
    attrs = {
        "format": DATASET_FORMAT,
        "scenario": scenario_yaml,
        "seed": int(seed),
        "point": int(point),
        "backend": backend,
        "engine": engine,
        "device": device,
        "strategy": model.strategy,
        "strategy_kind": model.strategy_kind,
        "rng_scheme": rng.RNG_SCHEME,
        "oncosweep_version": __version__,
        "dt_days": model.dt,
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def drawn_variables(model: CompiledModel, seed: int, realization: np.ndarray
                    ) -> dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]]:
    """name -> (dims, values, attrs) of each population parameter's drawn values for the
    given realizations (``drawn_<path>``, dims ``realization``); {} without a population."""
    plan = model.population
    if plan is None or not plan.parameters:
        return {}
    realization = np.asarray(realization, dtype=np.int64)
    if realization.size and np.all(np.diff(realization) == 1):
        values = draw_values(plan, seed, int(realization[0]), realization.size)
    else:
        values = np.array([draw_values(plan, seed, int(r), 1)[0] for r in realization]
                          ).reshape(realization.size, len(plan.parameters))
    return {p.name: (("realization",), values[:, k], {
        "long_name": f"drawn {p.path}", "parameter": p.path, "units": p.units,
        "distribution": p.describe, "reference_value": p.reference})
        for k, p in enumerate(plan.parameters)}
