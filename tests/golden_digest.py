"""SHA-256 digests of a dataset's data variables and coordinates (values, dims and dtype),
for golden comparisons that must hold bit for bit."""

from __future__ import annotations

import hashlib

import numpy as np


def digest(ds) -> dict[str, str]:
    """name -> hex digest of each variable's dims, dtype and values (C order)."""
    out = {}
    for name in sorted(ds.variables):
        var = ds.variables[name]
        h = hashlib.sha256()
        h.update(repr((var.dims, str(var.dtype))).encode())
        values = np.ascontiguousarray(var.values)
        h.update(values.tobytes() if values.dtype.kind != "O" else repr(values.tolist()).encode())
        out[str(name)] = h.hexdigest()
    return out
