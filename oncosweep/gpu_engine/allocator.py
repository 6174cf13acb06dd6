"""Keep the engine's large numpy temporaries in the heap (glibc only; once per process).

The numpy engine allocates and frees many 0.1-1 MiB temporaries per step. With glibc's
default dynamic mmap threshold each of them can be a fresh ``mmap`` whose pages the kernel
zeroes on first touch, then ``munmap``-ed: on the quickstart benchmark that was ~30 % of the
engine's wall time, nearly all system time. Raising ``M_MMAP_THRESHOLD`` to 32 MiB and
``M_TRIM_THRESHOLD`` to 64 MiB makes freed blocks reusable. The setting is process-wide and
only changes how much freed memory glibc keeps (at most tens of MiB); results are unaffected.
Set ``ONCOSWEEP_MALLOPT=0`` to leave the allocator alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 64 << 20

_tuned: bool | None = None


def tune_allocator() -> bool:
    """Apply the glibc thresholds once; True when they are in force."""
    global _tuned
    if _tuned is None:
        _tuned = _apply()
    return _tuned


def _apply() -> bool:
    if os.environ.get("ONCOSWEEP_MALLOPT", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
