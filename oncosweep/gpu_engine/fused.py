"""The fused GPU engine: one CUDA thread per realization runs the whole simulation.

``cuda/engine.cu`` (templated on the cell-type and loci capacities) is compiled by CuPy's
``RawModule`` from the ``.cu``/``.cuh`` sources in ``cuda/`` with ``--fmad=false`` once per
process (and cached on disk by CuPy under ``CUPY_CACHE_DIR``). Per chunk: the packed model is
copied to the device, one kernel launch simulates every realization (state in registers and
local memory, outputs written once per realization), and the outputs are copied back once.
The result is the numpy engine's :class:`~oncosweep.gpu_engine.record.EngineResult`: the same
realizations, draw for draw (see docs/gpu.md for the transcendental-rounding caveat).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine.layout import PackedModel, layout, pack_model
from oncosweep.gpu_engine.population import population_blocks
from oncosweep.gpu_engine.record import (
    EngineResult,
    allocate_raw,
    concatenate_results,
    finish,
    trace_rows,
)
from oncosweep.lowering.compiled import CompiledModel

SOURCE = "engine.cu"
THREADS_PER_BLOCK = 128
MAX_LANES_PER_LAUNCH = 1 << 21
"""Realizations per kernel launch (bounds the device memory of the outputs: ~200 B each
plus 8 B per cell type and drug)."""


def _cupy() -> Any:
    try:
        import cupy  # noqa: PLC0415 - optional dependency
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError("backend: the fused kernel needs CuPy and a CUDA device "
                           "(pip install 'oncosweep[gpu]')") from exc
    return cupy


def device_name() -> str:
    """Name of the current CUDA device (e.g. 'NVIDIA H100 80GB HBM3')."""
    cupy = _cupy()
    device = cupy.cuda.Device()
    name = cupy.cuda.runtime.getDeviceProperties(device.id)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def kernel(packed: PackedModel) -> Any:
    """The compiled kernel function for a packed model's capacities (compiled once per
    process)."""
    name = packed.kernel_name
    return cuda_build.load_module(_cupy(), SOURCE, (name,)).get_function(name)


def run_fused(
    model: CompiledModel,
    *,
    realizations: int,
    seed: int,
    start: int = 0,
    point: int = 0,
    count_draws: bool = False,
    on_iteration: Callable[[int, int], None] | None = None,
) -> EngineResult:
    """Simulate realizations ``start .. start + realizations - 1`` on the GPU.

    Same contract and result as :func:`oncosweep.gpu_engine.realization.run_engine`. The kernel
    always counts its draws (a register increment), so ``stats["nontrivial_draws"]`` is
    present whatever ``count_draws``; ``stats["kernel_seconds"]`` is the time of the launches
    (synchronised), excluding compilation and copies. ``on_iteration(iterations, 0)`` is
    called after each launch.
    """
    del count_draws  # always counted
    if realizations < 1:
        raise ValueError(f"realizations: must be >= 1, got {realizations}")
    if start < 0 or start + realizations > 2**64:
        raise ValueError(f"start: must be in [0, 2**64 - realizations], got {start}")
    cupy = _cupy()
    key = rng.make_key(seed, point)
    packed = pack_model(model)
    function = kernel(packed)
    params = population_blocks(model, packed, seed, start, realizations)
    draws_per_step = int(model.draws_per_type_step.sum())
    parts: list[EngineResult] = []
    for first in range(start, start + realizations, MAX_LANES_PER_LAUNCH):
        count = min(MAX_LANES_PER_LAUNCH, start + realizations - first)
        traced, rows = trace_rows(model, first, count)
        outputs = allocate_raw(cupy, model, count, traced.size)
        addresses = cupy.asarray(np.array([a.data.ptr for a in outputs.values()],
                                          dtype=np.uint64))
        stats = cupy.zeros(len(layout()["OS_STATS"]), dtype=cupy.uint64)
        rows_device = cupy.asarray(rows)
        blocks = (count + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
        lanes = slice(first - start, first - start + count)
        fparams = cupy.asarray(params.fparams[lanes] if params.f_stride else params.fparams)
        iparams = cupy.asarray(params.iparams[lanes] if params.i_stride else params.iparams)
        cupy.cuda.Device().synchronize()
        began = time.perf_counter()
        function((blocks,), (THREADS_PER_BLOCK,), (
            fparams, iparams, np.int64(params.f_stride), np.int64(params.i_stride),
            np.uint32(key[0]), np.uint32(key[1]), np.uint64(first), np.int64(count),
            rows_device, addresses, stats))
        cupy.cuda.Device().synchronize()
        seconds = time.perf_counter() - began
        host = {name: cupy.asnumpy(array) for name, array in outputs.items()}
        named = dict(zip(layout()["OS_STATS"], (int(v) for v in cupy.asnumpy(stats)),
                         strict=True))
        substeps = None if params.substeps is None else params.substeps[lanes]
        resistant = None if params.resistant is None else params.resistant[lanes]
        parts.append(finish(model, host, start=first, traced=traced, rows=rows,
                            substeps=substeps, resistant=resistant, stats={
            "iterations": named["iterations"],
            "lane_steps": named["lane_steps"],
            "logical_draws": named["lane_steps"] * draws_per_step,
            "nontrivial_draws": named["nontrivial_draws"],
            "kernel_seconds": seconds,
        }))
        if on_iteration is not None:
            on_iteration(named["iterations"], 0)
    return concatenate_results(parts)
