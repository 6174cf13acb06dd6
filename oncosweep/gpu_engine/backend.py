"""Backend selection: ``"auto"``, ``"numpy"``, ``"cpu"`` or ``"cupy"`` -> the engine that runs.

* ``numpy``: the reference array engine (``engine.run_engine``) on the CPU;
* ``cpu``: the fused kernel's own source compiled for the host and run on all cores
  (``cpu_engine.run_cpu``), which reproduces the numpy engine draw for draw;
* ``cupy``: the fused CUDA kernel (``fused.run_fused``, one thread per realization), which
  reproduces the numpy engine draw for draw;
* ``auto``: ``cupy`` when CuPy imports *and* a CUDA device is usable (at least one device and
  a trivial allocation on it works), else ``cpu`` when a host C++ compiler builds the engine
  (or it is cached), else ``numpy``, with the reason recorded.

A realization's values depend only on (seed, point, realization index), never on the
backend or the thread count, so the choice is about speed alone. This module imports numpy
alone; CuPy is imported only when probed, the host compiler only looked for when ``cpu`` is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType

NAMES = ("auto", "numpy", "cpu", "cupy")
ENGINES = {"numpy": "numpy-array", "cpu": "cpu-fused", "cupy": "cuda-fused"}


@dataclass(frozen=True)
class ResolvedBackend:
    """The backend that runs: ``name`` "numpy", "cpu" or "cupy", its ``engine``
    ("numpy-array", "cpu-fused" or "cuda-fused"), the ``device`` ("cpu" or the GPU's name) and
    the ``reason`` it was chosen (for ``auto``: why; for an explicit name: the device or the
    compiler)."""

    name: str
    engine: str
    device: str
    reason: str
    requested: str = "numpy"
    threads: int = 0
    """CPU threads of the ``cpu`` backend (0 for the others)."""

    def line(self) -> str:
        """One line for the command line, e.g.
        ``backend: cpu (auto: no CUDA device — cupy not installed; compiled engine: g++ ...;
        2 threads)``."""
        plural = "" if self.threads == 1 else "s"
        reason = f"{self.reason}; {self.threads} thread{plural}" if self.threads else self.reason
        if self.requested == "auto":
            return f"backend: {self.name} (auto: {reason})"
        return f"backend: {self.name} ({reason})"


@dataclass(frozen=True)
class CudaProbe:
    """Whether CUDA is usable here: ``usable``, the device ``count``, the current device's
    ``index`` and ``name``, or the ``reason`` it is not usable."""

    usable: bool
    count: int = 0
    index: int = 0
    name: str = ""
    reason: str = ""


def check_name(backend: object) -> str:
    """``backend`` if it is one of NAMES, else a ValueError naming ``backend``."""
    if not isinstance(backend, str) or backend not in NAMES:
        raise ValueError(f"backend: must be one of {', '.join(NAMES)}, got {backend!r}")
    return backend


def resolve_backend(name: str = "auto", *, threads: int | None = None) -> ResolvedBackend:
    """The backend ``name`` resolves to on this machine (in this process); ``threads``: CPU
    threads of the ``cpu`` backend (default: every core this process may use).

    ``"cupy"`` where CuPy or a usable CUDA device is missing, or ``"cpu"`` where no host C++
    compiler builds the engine, raises a RuntimeError that names the backend and the reason
    in one line; a name other than auto/numpy/cpu/cupy raises a ValueError."""
    check_name(name)
    if name == "numpy":
        return ResolvedBackend("numpy", ENGINES["numpy"], "cpu", "requested", "numpy")
    if name == "cpu":
        return _cpu_backend("cpu", "", threads)
    probe = probe_cuda()
    if probe.usable:
        where = f"CUDA device {probe.index}: {probe.name}"
        return ResolvedBackend("cupy", ENGINES["cupy"], probe.name, where, name)
    if name == "cupy":
        raise RuntimeError(
            f"backend: 'cupy' is not usable here: {probe.reason} (install CuPy with "
            "pip install 'oncosweep[gpu]' on a machine with a CUDA device, or use "
            "--backend cpu / numpy / auto)")
    return _cpu_backend("auto", f"no CUDA device — {probe.reason}", threads)


def _cpu_backend(requested: str, why_not_cupy: str, threads: int | None) -> ResolvedBackend:
    """``cpu`` if its library builds here; else numpy for ``auto`` (saying why) and a one-line
    RuntimeError for an explicit ``cpu``."""
    from oncosweep.gpu_engine import cpu_engine  # noqa: PLC0415 - ctypes, only when asked

    count = cpu_engine.default_threads() if threads is None else cpu_engine.check_threads(threads)
    usable, what = cpu_engine.probe()
    if usable:
        reason = f"{why_not_cupy}; compiled engine: {what}" if why_not_cupy else what
        return ResolvedBackend("cpu", ENGINES["cpu"], "cpu", reason, requested, count)
    if requested == "cpu":
        raise RuntimeError(f"backend: 'cpu' is not usable here: {what} (install a C++17 "
                           "compiler such as g++, or use --backend numpy / auto)")
    return ResolvedBackend("numpy", ENGINES["numpy"], "cpu",
                           f"{why_not_cupy}; no compiled CPU engine — {what}", "auto")


def probe_cuda() -> CudaProbe:
    """Probe CuPy and the current CUDA device (never raises)."""
    cupy, why = import_cupy()
    if cupy is None:
        return CudaProbe(False, reason=why)
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # noqa: BLE001 - any CUDA runtime failure means "not usable"
        return CudaProbe(False, reason=f"CUDA runtime unavailable ({_short(exc)})")
    if count < 1:
        return CudaProbe(False, reason="no CUDA device visible")
    try:
        index = int(cupy.cuda.Device().id)
        probe = cupy.arange(4, dtype=cupy.int64)
        if int(probe.sum()) != 6:
            return CudaProbe(False, count, index, reason=f"CUDA device {index} miscomputes")
        name = device_label(cupy, index)
    except Exception as exc:  # noqa: BLE001 - an unusable device (busy, no driver, ...)
        return CudaProbe(False, count, reason=f"CUDA device not usable ({_short(exc)})")
    return CudaProbe(True, count, index, name)


def gpu_count() -> int:
    """Visible CUDA devices (0 without CuPy or a CUDA runtime)."""
    cupy, _ = import_cupy()
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001
        return 0


def device_label(cupy: ModuleType, index: int) -> str:
    """The device's name, e.g. ``NVIDIA H100 80GB HBM3``."""
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


@functools.lru_cache(maxsize=1)
def import_cupy() -> tuple[ModuleType | None, str]:
    """(cupy, "") or (None, why it cannot be imported). Cached: imported at most once."""
    try:
        import cupy  # noqa: PLC0415 - optional dependency
    except ImportError:
        return None, "cupy not installed"
    except Exception as exc:  # noqa: BLE001 - a broken CUDA install fails in odd ways
        return None, f"cupy failed to import ({_short(exc)})"
    return cupy, ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
