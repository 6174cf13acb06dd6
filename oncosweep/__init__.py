"""oncosweep: Monte Carlo simulation of drug-resistance evolution in tumours.

The public API is flat and loaded lazily, so that ``import oncosweep.gpu_engine`` needs numpy
alone (a GPU box needs neither pydantic nor xarray nor Dask nor zarr to run the engine core)::

    import oncosweep
    scenario = oncosweep.Scenario.from_yaml("configs/quickstart.yaml")
    ds = oncosweep.simulate(scenario, realizations=1000, seed=1)
"""

from __future__ import annotations

import importlib
from typing import Any

from oncosweep._version import __version__

# public name -> module that defines it
_EXPORTS = {
    "Scenario": "oncosweep.scenario",
    "ScenarioError": "oncosweep.scenario",
    "simulate": "oncosweep.api",
    "compile_scenario": "oncosweep.gpu_engine.compile",
    "CompiledModel": "oncosweep.lowering.compiled",
    "run_sweep": "oncosweep.distributed.sweep",
    "open_results": "oncosweep.distributed.sweep",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'oncosweep' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
