"""Writing result datasets to zarr v3 stores without ever leaving a partial store behind."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class StoreExistsError(FileExistsError):
    """The output store exists and overwriting was not requested."""


def write_dataset(ds: Any, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``ds`` as a zarr v3 store at ``path`` atomically.

    The data go to a sibling temporary directory first and are renamed into place only when
    complete, so an interrupted write leaves no half-written store; with ``overwrite`` the old
    store is removed only after the new one is complete. Plain ``xarray.open_zarr`` reads it.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise StoreExistsError(f"{target} exists; pass --overwrite to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _to_zarr_v3(ds, partial)
        if target.exists():
            retired = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, retired)
            os.replace(partial, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _to_zarr_v3(ds: Any, path: Path) -> None:
    """zarr v3 with consolidated metadata, so plain ``xarray.open_zarr`` opens it silently.

    Fixed-width numpy strings have no zarr v3 specification yet; they are stored as
    variable-length UTF-8 (read back as strings). Consolidated metadata is zarr-python's
    extension to v3, which xarray reads; zarr warns that it is outside the specification.
    """
    strings = {name: ds[name].astype(object) for name in ds.variables
               if ds[name].dtype.kind == "U"}
    with quiet_zarr():
        ds.assign_coords({k: v for k, v in strings.items() if k in ds.coords}).assign(
            {k: v for k, v in strings.items() if k not in ds.coords}
        ).to_zarr(path, mode="w", zarr_format=3, consolidated=True)


@contextmanager
def quiet_zarr() -> Iterator[None]:
    """Silence zarr-python's notice that consolidated metadata is its extension to zarr v3
    (xarray reads it; we write it so that plain ``xarray.open_zarr`` opens stores silently)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part",
                                category=UserWarning)
        yield
