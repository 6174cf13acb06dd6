"""Array-namespace selection: the engine code runs unchanged on numpy or CuPy arrays."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

BACKENDS = ("numpy", "cupy")


def get_xp(backend: str) -> ModuleType:
    """The array module for ``backend`` ("numpy" or "cupy"), with a clear error otherwise."""
    if backend == "numpy":
        return np
    if backend == "cupy":
        try:
            import cupy  # noqa: PLC0415 - optional dependency
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise RuntimeError(
                "backend: 'cupy' needs CuPy (pip install 'oncosweep[gpu]') and a CUDA device"
            ) from exc
        return cupy
    raise ValueError(f"backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")


def to_host(array: Any) -> np.ndarray:
    """A numpy copy of a numpy or CuPy array."""
    get = getattr(array, "get", None)
    return np.asarray(get() if callable(get) else array)
