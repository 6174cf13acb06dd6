"""``oncosweep.simulate``: the public entry point from a scenario to a result dataset.

It sits above the engine (``oncosweep.gpu_engine``) and the lowering layer: it reads the
scenario, lowers and compiles it per strategy, runs the chosen backend in batches and builds
the dataset.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from oncosweep import limits
from oncosweep.gpu_engine.backend import ResolvedBackend, resolve_backend
from oncosweep.gpu_engine.compile import compile_scenario
from oncosweep.gpu_engine.cpu_engine import check_threads
from oncosweep.gpu_engine.dataset import to_dataset
from oncosweep.gpu_engine.population import population_batch
from oncosweep.gpu_engine.realization import run_engine
from oncosweep.gpu_engine.record import EngineResult, concatenate_results
from oncosweep.lowering.declaration import RESULTS
from oncosweep.population_math import DRAWN_PREFIX
from oncosweep.scenario import Scenario

DEFAULT_BATCH = 8192
CPU_BATCH = 1 << 16  # the compiled engine schedules realizations dynamically: few batch tails
GPU_BATCH = 1 << 20  # the fused kernel runs one thread per realization: fill the GPU
BATCHES = {"numpy": DEFAULT_BATCH, "cpu": CPU_BATCH, "cupy": GPU_BATCH}
PRE_TREATMENT = tuple(r.name for r in RESULTS if not r.per_strategy)
"""Outputs identical under every strategy (common random numbers): no strategy dimension."""


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    *,
    realizations: int,
    seed: int,
    start: int = 0,
    point: int = 0,
    backend: str = "auto",
    threads: int | None = None,
    strategy: str | None = None,
    batch: int | None = None,
    progress: bool = False,
) -> Any:
    """Simulate realizations ``start .. start + realizations - 1`` and return an xarray.Dataset.

    Parameters
    ----------
    scenario
        A validated :class:`oncosweep.Scenario`, or the path of its YAML file.
    realizations
        Number of realizations (>= 1).
    seed
        Root seed, an integer in [0, 2**32 - 1].
    start
        Global index of the first realization. A realization's values depend only on
        (seed, point, global index), never on ``start``, ``realizations`` or ``batch``.
    point
        Parameter-point id of a sweep (0 outside sweeps), in [0, 2**32 - 1].
    backend
        ``"auto"`` (default: ``"cupy"`` when CuPy imports and a CUDA device is usable, else
        ``"cpu"`` when a host C++ compiler builds the compiled engine, else ``"numpy"``),
        ``"numpy"`` (the reference array engine), ``"cpu"`` (the fused kernel's source
        compiled for the host, on ``threads`` cores) or ``"cupy"`` (the fused CUDA kernel);
        both compiled engines reproduce the numpy engine draw for draw. Results do not depend
        on it; the dataset's attributes ``backend``, ``engine`` and ``device`` record what ran.
    threads
        CPU threads of the ``cpu`` backend (default: every core this process may use); an
        integer in [1, cpu_engine.MAX_THREADS]. Results do not depend on it.
    strategy
        Name of one strategy of the scenario. Default: every strategy, each with the same
        seed and point (common random numbers: identical tumours up to treatment start),
        along a ``strategy`` dimension when there are several.
    batch
        Realizations simulated together in memory (performance only); default 8192 on
        numpy, 2**16 on cpu, 2**20 on cupy.
    progress
        Show a progress bar over realizations (on a terminal).
    """

    if not isinstance(scenario, Scenario):
        scenario = Scenario.from_yaml(scenario)
    _check_int("realizations", realizations, 1, limits.MAX_REALIZATION_INDEX)
    _check_int("seed", seed, 0, limits.MAX_SEED)
    _check_int("start", start, 0, limits.MAX_REALIZATION_INDEX)
    if start + realizations - 1 > limits.MAX_REALIZATION_INDEX:
        raise ValueError(
            f"start: the last realization, start + realizations - 1 = {start + realizations - 1}"
            f", is beyond {limits.MAX_REALIZATION_INDEX} = 2**63 - 1 (the engines carry "
            "realization indices as 64-bit signed integers)")
    _check_int("point", point, 0, limits.MAX_POINT)
    if threads is not None:
        check_threads(threads)
    chosen = resolve_backend(backend, threads=threads)
    if batch is None:
        batch = BATCHES[chosen.name]
    _check_int("batch", batch, 1, 2**31 - 1)
    names = [plan.name for plan in scenario.strategy_plans()]
    if strategy is not None or len(names) <= 1:
        return _simulate_one(scenario, strategy, realizations, seed, start, point, chosen,
                             batch, progress)
    import xarray as xr  # noqa: PLC0415

    parts = [_simulate_one(scenario, name, realizations, seed, start, point, chosen, batch,
                           progress) for name in names]
    # Pre-treatment outputs are identical under every strategy (common random numbers), so
    # they keep no strategy dimension; everything after treatment start gets one. Fixed by
    # design, never by comparing values (a dataset's structure must not depend on its data).
    per_strategy = [name for name in parts[0].data_vars
                    if name not in PRE_TREATMENT and not name.startswith(DRAWN_PREFIX)]
    merged = xr.concat(parts, dim="strategy", data_vars=per_strategy, coords="minimal",
                       compat="equals", combine_attrs="drop_conflicts")
    merged = merged.assign_coords(strategy=("strategy", np.array(names, dtype=str), {
        "long_name": "treatment strategy"}))
    merged.attrs["strategy_kind"] = ",".join(p.kind for p in scenario.strategy_plans())
    return merged


def _simulate_one(scenario, strategy, realizations, seed, start, point,
                  chosen: ResolvedBackend, batch, progress) -> Any:
    model = compile_scenario(scenario, strategy)
    _check_memory(model, realizations)
    batch = population_batch(model, batch)  # a population's parameter blocks must fit
    runner = _runner(chosen)
    parts: list[EngineResult] = []
    bar = _progress_bar(realizations, progress, model.strategy)
    try:
        for first in range(start, start + realizations, batch):
            count = min(batch, start + realizations - first)
            reported = [0]  # realizations of this batch already counted by the bar

            def advance(_iteration: int, active: int, count: int = count,
                        reported: list[int] = reported) -> None:
                bar.update(count - active - reported[0])
                reported[0] = count - active

            parts.append(runner(model, realizations=count, seed=seed, start=first,
                                point=point, on_iteration=advance if bar is not None else None))
            if bar is not None:
                bar.update(count - reported[0])
    finally:
        if bar is not None:
            bar.close()
    return to_dataset(
        concatenate_results(parts),
        model,
        scenario_yaml=scenario.to_yaml(),
        seed=seed,
        point=point,
        backend=chosen.name,
        engine=chosen.engine,
        device=chosen.device,
    )


def _runner(chosen: ResolvedBackend) -> Callable[..., EngineResult]:
    """The engine of a resolved backend: the numpy array engine, the compiled engine on CPU
    threads or the fused CUDA kernel (imported only here, so numpy alone suffices for the
    numpy backend)."""
    if chosen.name == "cupy":
        from oncosweep.gpu_engine import fused  # noqa: PLC0415 - needs CuPy

        return fused.run_fused
    if chosen.name == "cpu":
        from oncosweep.gpu_engine import cpu_engine  # noqa: PLC0415 - ctypes

        return functools.partial(cpu_engine.run_cpu, threads=chosen.threads)
    return run_engine


def result_bytes(model: Any, realizations: int) -> int:
    """Bytes of the per-realization outputs of ``realizations`` realizations of ``model``
    (the declared results with a realization dimension; traces are bounded apart)."""
    from oncosweep.gpu_engine.record import result_sizes  # noqa: PLC0415

    sizes = result_sizes(model, 1, 0)
    per = 8 + sum(int(np.prod([sizes[d] for d in r.dims])) * np.dtype(r.dtype).itemsize
                  for r in RESULTS if "realization" in r.dims)
    return per * realizations


def _check_memory(model: Any, realizations: int) -> None:
    """A ValueError at ``realizations`` when their results could not be held in this machine's
    memory (a run holds every realization's outputs until it builds the dataset)."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf: no check
        return
    need = result_bytes(model, realizations)
    if memory > 0 and need > memory:
        raise ValueError(
            f"realizations: {realizations} realizations need {need / 2**30:.3g} GiB for their "
            f"results, more than this machine's {memory / 2**30:.3g} GiB of memory; simulate "
            "them in parts (start) or as a sweep")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: must be an integer, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name}: must be in [{low}, {high}], got {value}")


def _progress_bar(total: int, enabled: bool, strategy: str = "") -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # noqa: PLC0415 - optional at run time

    desc = f"simulating {strategy}" if strategy else "simulating"
    return tqdm(total=total, unit="realization", desc=desc, disable=None)
