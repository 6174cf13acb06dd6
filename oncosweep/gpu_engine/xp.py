"""Array-namespace selection: the engine code runs unchanged on numpy or CuPy arrays.

``get_xp`` gives the array module of the *array* engine (``engine.run_engine``); which engine
a backend name runs (numpy array engine or fused CUDA kernel) is decided in ``backend.py``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from oncosweep.gpu_engine.backend import NAMES, check_name, resolve_backend

BACKENDS = NAMES


def get_xp(backend: str) -> ModuleType:
    """The array module for ``backend`` ("numpy" and "cpu": numpy; "cupy"; "auto": numpy
    unless a CUDA device is usable), with a clear error otherwise (ValueError for a bad name,
    RuntimeError when cupy is asked for and cannot run)."""
    check_name(backend)
    if backend in ("numpy", "cpu"):
        return np
    if resolve_backend(backend).name != "cupy":
        return np
    import cupy  # noqa: PLC0415 - optional dependency; resolve_backend proved it imports

    return cupy


def to_host(array: Any) -> np.ndarray:
    """A numpy copy of a numpy or CuPy array."""
    get = getattr(array, "get", None)
    return np.asarray(get() if callable(get) else array)
