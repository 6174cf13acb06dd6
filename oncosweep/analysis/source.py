"""Opening what the report analyses: a result store on disk (read-only, with plain xarray)
or an in-memory result dataset, checked and with the analysed variables loaded.

A store is opened with plain ``xarray.open_zarr``; the analysis layer never imports the code
that writes stores. Stores carry consolidated metadata (zarr-python's extension to zarr v3);
zarr's notice about it is silenced here, as it is where stores are written.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from oncosweep.population_math import DRAWN_PREFIX

__all__ = ["VARIABLES", "open_source"]

#: the per-realization and traced variables the report reads (others are not loaded)
VARIABLES = ("detected", "progressed", "time_to_progression", "died", "time_to_death",
             "cured", "time_to_cure", "resistant_at_start", "ctdna_lead_time", "drug_exposure",
             "trajectory", "on_treatment", "observed_burden", "done", "unit_backend")
#: format attributes of the stores that ``oncosweep sweep`` and ``oncosweep run`` write
_FORMATS = ("oncosweep-sweep/", "oncosweep-realizations/")


@contextmanager
def _quiet_zarr() -> Iterator[None]:
    """Silence zarr-python's notice that consolidated metadata is its extension to zarr v3
    (xarray reads it; the stores are written with it so that ``xarray.open_zarr`` opens them
    silently)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part",
                                category=UserWarning)
        yield


def open_source(source: Any) -> tuple[Any, str]:
    """(dataset with the analysed variables loaded, description of the source).

    ``source``: a store path (``oncosweep sweep`` or ``oncosweep run``) or an
    ``xarray.Dataset``. A sweep store must be complete (every unit done); the dataset must
    be a result dataset (``detected``, ``progressed``, ``time_to_progression``)."""
    import xarray as xr  # noqa: PLC0415

    if isinstance(source, xr.Dataset):
        ds, where = source, "an in-memory dataset"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"source: {path}: no such store")
        try:
            with _quiet_zarr():
                ds = xr.open_zarr(path)
        except (KeyError, ValueError, FileNotFoundError, OSError) as exc:
            raise ValueError(f"source: {path}: not a zarr store ({exc})") from None
        fmt = str(ds.attrs.get("format", ""))
        if not fmt.startswith(_FORMATS):
            raise ValueError(f"source: {path}: not an oncosweep store (format attribute "
                             f"{fmt or 'missing'})")
        where = str(path)
    else:
        raise TypeError(f"source: must be a store path or an xarray.Dataset, got "
                        f"{type(source).__name__}")
    if "done" in ds:
        done = np.asarray(ds["done"].values)
        if done.size and not done.all():
            raise ValueError(f"source: {where}: the sweep is incomplete ({int(done.sum())} of "
                             f"{done.size} units done); finish it first (run the same "
                             "`oncosweep sweep` command again)")
    for name in ("detected", "progressed", "time_to_progression"):
        if name not in ds:
            raise ValueError(f"source: {where}: not a result dataset (no variable {name!r})")
    keep = [name for name in VARIABLES if name in ds]
    keep += [name for name in ds.data_vars if str(name).startswith(DRAWN_PREFIX)]
    return ds[keep].compute(), where
