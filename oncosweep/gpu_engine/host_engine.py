"""The fused kernel's per-realization simulation built for the CPU (tests and debugging).

``cuda/host_engine.cu`` includes the very headers the GPU kernel runs (``realization.cuh`` and
below); compiled with the host C++ compiler (``-ffp-contract=off``, no fast math) it runs every
realization serially. Tests require its outputs to equal the numpy engine's realization by
realization: this is what keeps the CUDA copy of the model from drifting away from the numpy
reference on machines without a GPU.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine.compile import CompiledModel
from oncosweep.gpu_engine.engine import EngineResult
from oncosweep.gpu_engine.kernel_layout import (
    allocate_outputs,
    int_header_size,
    layout,
    pack_model,
    to_engine_result,
    trace_rows,
)

SOURCE = "host_engine.cu"


def _library() -> Any:
    lib = cuda_build.build_host_library(SOURCE)
    lib.os_host_layout.restype = ctypes.c_int
    lib.os_host_layout.argtypes = [ctypes.c_int]
    lib.os_host_simulate.restype = None
    lib.os_host_simulate.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint64,
        ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lists = layout()
    expected = (int_header_size(), len(lists["OS_FLOAT_SCALARS"]), len(lists["OS_OUTPUTS"]),
                len(lists["OS_STATS"]))
    compiled = tuple(lib.os_host_layout(k) for k in range(4))
    if compiled != expected:  # pragma: no cover - a developer error
        raise RuntimeError(f"layout.cuh parsed as {expected} but compiled as {compiled}")
    return lib


def run_host(model: CompiledModel, *, realizations: int, seed: int, start: int = 0,
             point: int = 0) -> EngineResult:
    """Simulate realizations ``start .. start + realizations - 1`` with the host build of the
    fused kernel's code; same contract and result as :func:`engine.run_engine`."""
    if realizations < 1:
        raise ValueError(f"realizations: must be >= 1, got {realizations}")
    key = rng.make_key(seed, point)
    packed = pack_model(model)
    lib = _library()
    traced, rows = trace_rows(model, start, realizations)
    outputs = allocate_outputs(np, model, realizations, traced.size)
    addresses = np.array([a.ctypes.data for a in outputs.values()], dtype=np.uint64)
    stats = np.zeros(len(layout()["OS_STATS"]), dtype=np.uint64)
    fparams, iparams = packed.fparams, packed.iparams
    lib.os_host_simulate(fparams.ctypes.data, iparams.ctypes.data, key[0], key[1], start,
                         realizations, rows.ctypes.data, addresses.ctypes.data,
                         stats.ctypes.data)
    named = dict(zip(layout()["OS_STATS"], (int(v) for v in stats), strict=True))
    return to_engine_result(model, outputs, start=start, traced=traced, rows=rows, stats={
        "iterations": named["iterations"],
        "lane_steps": named["lane_steps"],
        "logical_draws": named["lane_steps"] * int(model.draws_per_type_step.sum()),
        "nontrivial_draws": named["nontrivial_draws"],
    })
