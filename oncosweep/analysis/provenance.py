"""Provenance of a report: the versions of oncosweep, Python and the numerical packages, and
the backend that computed a dataset as recorded in it."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

import numpy as np

from oncosweep._version import __version__

__all__ = ["PACKAGES", "recorded_backend", "versions"]

#: distributions whose versions the report lists
PACKAGES = ("numpy", "scipy", "xarray", "zarr", "dask", "matplotlib", "pandas")

def versions(ds: Any | None = None) -> dict[str, str]:
    """Versions of oncosweep, Python and the numerical packages (and, from a dataset's
    attributes, the backend and the oncosweep version that wrote it)."""
    out = {"oncosweep": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    if ds is not None:
        out["backend (recorded)"] = recorded_backend(ds)
        out["oncosweep (recorded)"] = str(ds.attrs.get("oncosweep_version", "not recorded"))
    return out


def recorded_backend(ds: Any) -> str:
    """The backend that computed a dataset: its ``backend`` attribute (with ``engine`` and
    ``device`` when recorded), or for a sweep store the backends of its units
    (``unit_backend``), e.g. ``numpy (8 units)``."""
    if "backend" in ds.attrs:
        extra = [str(ds.attrs[key]) for key in ("engine", "device") if key in ds.attrs]
        return str(ds.attrs["backend"]) + (f" ({', '.join(extra)})" if extra else "")
    if "unit_backend" not in ds:
        return "not recorded"
    codes = np.asarray(ds["unit_backend"].values).ravel()
    if "done" in ds:
        codes = codes[np.asarray(ds["done"].values).ravel() == 1]
    values = list(ds["unit_backend"].attrs.get("flag_values", []))
    meanings = str(ds["unit_backend"].attrs.get("flag_meanings", "")).split()
    names = dict(zip(values, meanings, strict=False))
    counts = {int(code): int((codes == code).sum()) for code in np.unique(codes)}
    return ", ".join(f"{names.get(code, f'code {code}')} ({n} unit{'s' * (n != 1)})"
                     for code, n in counts.items()) or "not recorded"
