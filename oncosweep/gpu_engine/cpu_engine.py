"""The ``cpu`` backend: the fused kernel's own source, compiled for the host, on all cores.

``cuda/host_engine.cu`` includes the very headers the GPU kernel runs (``realization.cuh`` and
below). Built by the host C++ compiler (``cuda_build.build_host_library``: ``-O2
-ffp-contract=off``, no fast math) into a shared library on first use, cached on disk under a
key of the sources, the compiler and the flags, it simulates one realization per task on
``threads`` native threads (dynamic scheduling). Tests require its outputs to equal the numpy
engine's realization by realization, at several thread counts and chunkings: it is the same
model, not a third copy, and a realization's values depend only on (seed, point, realization).

One library per cell-type capacity (:data:`oncosweep.limits.TYPE_CAPACITIES`: the smallest that
holds the model, as for the GPU kernel), so a 16-type model does not carry a 1,024-type stack
frame. Building one takes about 2 s; concurrent processes wait on a file lock while one builds.

Imports with numpy alone; the compiler is looked for only when the backend is used or probed.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine.layout import (
    MAX_KERNEL_LOCI,
    int_header_size,
    layout,
    pack_model,
)
from oncosweep.gpu_engine.population import population_blocks
from oncosweep.gpu_engine.record import EngineResult, allocate_raw, finish, trace_rows
from oncosweep.limits import TYPE_CAPACITIES
from oncosweep.lowering.compiled import CompiledModel

SOURCE = "host_engine.cu"
MAX_THREADS = 4096
"""The most CPU threads one call may be given (a bound on typos, far above any machine)."""
POLL_SECONDS = 0.1
"""How often (seconds) the progress callback is told how many realizations have finished."""


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports one, e.g.
    under ``taskset`` or a batch scheduler's cgroup; else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def check_threads(threads: Any) -> int:
    """``threads`` as an int >= 1, else a ValueError / TypeError naming ``threads``."""
    if isinstance(threads, bool) or not isinstance(threads, int | np.integer):
        raise TypeError(f"threads: must be a whole number of CPU threads, got {threads!r}")
    if not 1 <= int(threads) <= MAX_THREADS:
        raise ValueError(f"threads: must be in [1, {MAX_THREADS}], got {threads}")
    return int(threads)


@functools.cache
def library(type_capacity: int) -> ctypes.CDLL:
    """The host library for models of at most ``type_capacity`` cell types (built on first
    use, then loaded from the cache). RuntimeError when no compiler exists or the build
    fails."""
    lib = cuda_build.build_host_library(SOURCE, defines=(
        f"OS_HOST_TMAX={type_capacity}", f"OS_HOST_LMAX={MAX_KERNEL_LOCI}"))
    lib.os_host_layout.restype = ctypes.c_int
    lib.os_host_layout.argtypes = [ctypes.c_int]
    lib.os_host_simulate.restype = ctypes.c_int
    lib.os_host_simulate.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint32,
        ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    lists = layout()
    expected = (int_header_size(), len(lists["OS_FLOAT_SCALARS"]), len(lists["OS_OUTPUTS"]),
                len(lists["OS_STATS"]), type_capacity, MAX_KERNEL_LOCI)
    compiled = tuple(lib.os_host_layout(k) for k in range(6))
    if compiled != expected:  # pragma: no cover - a developer error
        raise RuntimeError(f"the declaration gives {expected} but the library was compiled "
                           f"with {compiled}")
    return lib


@functools.cache
def probe() -> tuple[bool, str]:
    """(usable, what) for the ``cpu`` backend: usable when a host C++ compiler exists and the
    smallest library builds (or is cached); ``what`` names the compiler, or why not. Cached
    per process; never raises."""
    compiler = cuda_build.host_compiler()
    if compiler is None:
        wanted = os.environ.get("ONCOSWEEP_CXX") or ", ".join(cuda_build.HOST_COMPILERS)
        return False, f"no C++ compiler (looked for {wanted}; set ONCOSWEEP_CXX)"
    try:
        library(TYPE_CAPACITIES[0])
    except (RuntimeError, OSError) as exc:
        lines = str(exc).strip().splitlines()
        return False, f"the host build failed ({lines[0] if lines else type(exc).__name__})"
    identity = cuda_build.compiler_identity(compiler) or os.path.basename(compiler)
    return True, identity


def run_cpu(
    model: CompiledModel,
    *,
    realizations: int,
    seed: int,
    start: int = 0,
    point: int = 0,
    threads: int | None = None,
    count_draws: bool = False,
    on_iteration: Callable[[int, int], None] | None = None,
) -> EngineResult:
    """Simulate realizations ``start .. start + realizations - 1`` on ``threads`` CPU threads
    (default: :func:`default_threads`).

    Same contract and result as :func:`oncosweep.gpu_engine.realization.run_engine`. Draws are
    always counted (``count_draws`` is accepted for the common signature). While it runs,
    ``on_iteration(0, active)`` is called every :data:`POLL_SECONDS` with the realizations not
    yet finished. Ctrl-C stops the threads after the realizations they are simulating and
    re-raises KeyboardInterrupt (nothing partial is returned).
    """
    del count_draws  # always counted
    if realizations < 1:
        raise ValueError(f"realizations: must be >= 1, got {realizations}")
    if start < 0 or start + realizations > 2**64:
        raise ValueError(f"start: must be in [0, 2**64 - realizations], got {start}")
    threads = default_threads() if threads is None else check_threads(threads)
    key = rng.make_key(seed, point)
    packed = pack_model(model)
    lib = library(packed.type_capacity)
    blocks = population_blocks(model, packed, seed, start, realizations)
    traced, rows = trace_rows(model, start, realizations)
    outputs = allocate_raw(np, model, realizations, traced.size)
    addresses = np.array([a.ctypes.data for a in outputs.values()], dtype=np.uint64)
    stats = np.zeros(len(layout()["OS_STATS"]), dtype=np.uint64)
    done = np.zeros(1, dtype=np.int64)
    cancel = np.zeros(1, dtype=np.int64)

    def call() -> None:  # ctypes releases the GIL for the whole foreign call
        lib.os_host_simulate(blocks.fparams.ctypes.data, blocks.iparams.ctypes.data,
                             blocks.f_stride, blocks.i_stride,
                             key[0], key[1], start, realizations, rows.ctypes.data,
                             addresses.ctypes.data, stats.ctypes.data, threads,
                             done.ctypes.data, cancel.ctypes.data)

    worker = threading.Thread(target=call, name="oncosweep-cpu-engine", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL_SECONDS)
            if on_iteration is not None:
                on_iteration(0, realizations - int(done[0]))
    except BaseException:
        cancel[0] = 1
        worker.join()
        raise
    named = dict(zip(layout()["OS_STATS"], (int(v) for v in stats), strict=True))
    return finish(model, outputs, start=start, traced=traced, rows=rows,
                  substeps=blocks.substeps, resistant=blocks.resistant, stats={
        "iterations": named["iterations"],
        "lane_steps": named["lane_steps"],
        "logical_draws": named["lane_steps"] * int(model.draws_per_type_step.sum()),
        "nontrivial_draws": named["nontrivial_draws"],
    })
