"""EngineResult -> xarray.Dataset, with units and meanings on every variable.

xarray is imported here only, so the engine core needs numpy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oncosweep._version import __version__
from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.compile import CompiledModel
from oncosweep.gpu_engine.engine import EngineResult

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

    real = ("realization",)
    variables = {
        "detected": (real, result.detected, {
            "long_name": "tumour reached detection_size",
            "description": "False only when the pre-detection budget or max_restarts ran out",
        }),
        "time_to_detection": (real, result.time_to_detection, {
            "long_name": "time from the founder cells of the successful attempt to detection",
            "units": "days",
            "description": "NaN where detected is False",
        }),
        "restarts": (real, result.restarts, {
            "long_name": "pre-detection extinctions followed by a restart",
            "units": "1",
        }),
        "cells_at_detection": (("realization", "cell_type"), result.cells_at_detection, {
            "long_name": "cells of each type at detection (treatment start)",
            "units": "cells",
            "description": "where detected is False: the state when the realization was given up",
        }),
        "cells_at_start": (("realization", "cell_type"), result.cells_at_start, {
            "long_name": "cells of each type at treatment start (detection)",
            "units": "cells",
            "description": "0 where detected is False",
        }),
        "resistant_at_start": (("realization", "drug"), result.resistant_at_start, {
            "long_name": "some cell at treatment start has a genotype that grows at the "
                         "drug's steady exposure (its standard dosing, drug alone)",
        }),
        "cured": (real, result.cured, {
            "long_name": "the tumour went extinct after treatment start",
        }),
        "time_to_cure": (real, result.time_to_cure, {
            "long_name": "time from treatment start to extinction",
            "units": "days",
            "description": "NaN where cured is False",
        }),
        "died": (real, result.died, {
            "long_name": "total cells reached lethal_size within the horizon",
        }),
        "time_to_death": (real, result.time_to_death, {
            "long_name": "time from treatment start (detection) to lethal_size",
            "units": "days",
            "description": "NaN where died is False",
        }),
        "drug_exposure": (("realization", "drug"), result.drug_exposure, {
            "long_name": "area under the plasma concentration curve after treatment start",
            "units": "concentration x days",
            "description": "until the horizon, death or cure",
        }),
        "progressed": (real, result.progressed, {
            "long_name": "imaging progression the strategy could not answer by switching",
        }),
        "time_to_progression": (real, result.time_to_progression, {
            "long_name": "time from treatment start to progression (strategy failure)",
            "units": "days",
            "description": "NaN where progressed is False (censored at death, cure or the "
                           "horizon)",
        }),
        "regimen_switches": (real, result.regimen_switches, {
            "long_name": "regimen switches (sequential, ctdna_switch)", "units": "1"}),
        "ctdna_detection_time": (real, result.ctdna_detection_time, {
            "long_name": "time from treatment start to the first visit whose ctDNA detects a "
                         "monitored variant that resists the current regimen",
            "units": "days",
            "description": "NaN where never detected or without ctDNA monitoring",
        }),
        "ctdna_lead_time": (real, result.ctdna_lead_time, {
            "long_name": "first imaging progression minus ctDNA detection",
            "units": "days",
            "description": "NaN unless both happened",
        }),
        "treated_fraction": (real, result.treated_fraction, {
            "long_name": "share of the simulated treatment time with a regimen given",
            "units": "1",
        }),
        "trajectory": (("traced_realization", "time", "cell_type"), result.trajectory, {
            "long_name": "cells of each type of traced realizations after treatment start",
            "units": "cells",
            "description": "0 after cure; NaN after death and for realizations never detected",
        }),
        "concentration": (("traced_realization", "time", "drug"), result.concentration, {
            "long_name": "plasma drug concentration of traced realizations (after boluses "
                         "due at that time)",
            "units": "concentration",
            "description": "NaN after death or cure (not simulated) and where never detected",
        }),
        "on_treatment": (("traced_realization", "time"), result.on_treatment, {
            "long_name": "dose factor of the regimen given (0: off) of traced realizations",
            "description": "NaN where not simulated",
        }),
        "observed_burden": (("traced_realization", "visit"), result.observed_burden, {
            "long_name": "imaged total burden at each visit of traced realizations",
            "units": "cells",
            "description": "0 below the detection limit; NaN where no visit took place",
        }),
    }
    coords = {
        "realization": ("realization", result.realization, {
            "long_name": "global realization index"}),
        "cell_type": ("cell_type", np.array(model.labels, dtype=str), {
            "long_name": "genotype/phenotype", "description": "wt = no resistance mutation"}),
        "drug": ("drug", np.array(model.drug_names, dtype=str), {"long_name": "drug"}),
        "traced_realization": ("traced_realization", result.traced.astype(np.int64), {
            "long_name": "global index of a traced realization"}),
        "time": ("time", np.arange(model.n_trace_times) * model.trace_every_steps * model.dt, {
            "long_name": "time since treatment start (detection)", "units": "days"}),
        "visit": ("visit", np.arange(model.n_visits) * model.visit_steps * model.dt, {
            "long_name": "clinic visit, time since treatment start", "units": "days"}),
    }
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
