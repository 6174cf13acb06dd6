"""The zarr v3 store of a sweep: a template written once, one region per unit, ``done`` marks.

Layout: every result variable gets the sweep axes in front of its own dimensions, e.g.
``time_to_progression (strategy, tumour.loci[0].mutation_rate, realization)``. Zarr chunks are
1 along each sweep axis, ``chunk`` along ``realization`` and 1 along ``traced_realization``,
so each unit writes exactly its own chunks and concurrent writers never touch the same
chunk. After a unit's data, its ``done`` mark (1), ``unit_checksum`` (a hash of the data it
wrote) and ``unit_backend`` (which backend computed it: 1 numpy, 2 cupy, 3 cpu; 0 unrecorded) are
written; empty chunks are not stored by zarr 3, so chunk presence proves nothing, but a done
mark whose data no longer hash to the checksum is caught by ``verify``. The backend never
changes a value (a realization depends only on seed, point and index): it is bookkeeping.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oncosweep.distributed.plan import STORE_FORMAT, SweepPlan, Unit
from oncosweep.distributed.store import quiet_zarr

UNIT_DIM = "unit"
#: ``unit_backend`` codes: which backend computed a unit (0: not recorded).
BACKEND_CODES = {"numpy": 1, "cupy": 2, "cpu": 3}
BOOKKEEPING = ("done", "unit_checksum", "unit_backend")


def _fill(dtype: np.dtype) -> Any:
    return np.nan if dtype.kind == "f" else (False if dtype.kind == "b" else 0)


def create_store(path: str | Path, plan: SweepPlan, sample: Any, traced: np.ndarray,
                 attrs: dict[str, Any]) -> None:
    """Write the template: metadata, coordinates and empty (lazy) data variables.

    ``sample`` is a result dataset of one unit (its variables, dims and dtypes); ``traced``
    the global indices of traced realizations of every grid point."""
    import dask.array as da  # noqa: PLC0415
    import xarray as xr  # noqa: PLC0415

    axis_names = [a.name for a in plan.axes]
    sizes = {**{a.name: len(a.values) for a in plan.axes}, "realization": plan.realizations,
             "traced_realization": len(traced)}
    chunking = {**dict.fromkeys(axis_names, 1), "realization": plan.chunk,
                "traced_realization": 1}
    variables = {}
    for name, var in sample.data_vars.items():
        dims = (*axis_names, *var.dims)
        shape = tuple(sizes.get(d, sample.sizes.get(d)) for d in dims)
        chunks = tuple(chunking.get(d, sample.sizes.get(d)) for d in dims)
        chunks = tuple(max(c, 1) for c in chunks)
        data = da.full(shape, _fill(var.dtype), dtype=var.dtype, chunks=chunks)
        variables[name] = (dims, data, dict(var.attrs))
    unit_dims = (*axis_names, UNIT_DIM)
    unit_shape = (*plan.shape, plan.n_chunks)
    unit_chunks = (1,) * len(unit_dims)
    variables["done"] = (unit_dims, da.zeros(unit_shape, dtype=np.int8, chunks=unit_chunks), {
        "long_name": "1 when the unit (grid point x realization chunk) is complete"})
    variables["unit_checksum"] = (unit_dims, da.zeros(unit_shape, dtype=np.uint64,
                                                      chunks=unit_chunks), {
        "long_name": "BLAKE2b-64 of the unit's data as written (verify recomputes it)"})
    variables["unit_backend"] = (unit_dims, da.zeros(unit_shape, dtype=np.int8,
                                                     chunks=unit_chunks), {
        "long_name": "backend that computed the unit (bookkeeping: values never depend on it)",
        "flag_values": [0, *BACKEND_CODES.values()],
        "flag_meanings": " ".join(["unrecorded", *BACKEND_CODES])})
    coords = {a.name: (a.name, _labels(a.values), {"long_name": "sweep axis"})
              for a in plan.axes}
    coords["realization"] = ("realization", np.arange(plan.realizations, dtype=np.int64))
    coords["traced_realization"] = ("traced_realization", traced.astype(np.int64))
    coords[UNIT_DIM] = (UNIT_DIM, np.arange(plan.n_chunks, dtype=np.int64), {
        "long_name": "realization chunk", "chunk_size": plan.chunk})
    for name in ("cell_type", "drug", "time", "visit"):
        if name in sample.coords:
            coords[name] = (name, _labels(sample[name].values), dict(sample[name].attrs))
    template = xr.Dataset(variables, coords=coords, attrs={
        **attrs, "format": STORE_FORMAT, "config_hash": plan.config_hash,
        "realizations": plan.realizations, "chunk": plan.chunk, "seed": plan.seed,
        "axes": json.dumps([[a.name, [str(v) for v in a.values], a.is_strategy]
                            for a in plan.axes])})
    with quiet_zarr():
        template.to_zarr(path, mode="w", compute=False, zarr_format=3, consolidated=True)


def _labels(values: Any) -> np.ndarray:
    array = np.asarray(values)
    return array.astype(object) if array.dtype.kind in "UO" else array


def checksum(ds: Any) -> int:
    """BLAKE2b (64 bits) over the unit's data variables, in name order."""
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(ds.data_vars):
        values = np.ascontiguousarray(ds[name].values)
        digest.update(name.encode())
        digest.update(values.tobytes())
    return int.from_bytes(digest.digest(), "little")


def unit_region(plan: SweepPlan, unit: Unit, traced: np.ndarray,
                unit_traced: np.ndarray) -> dict[str, slice]:
    first, last = plan.chunk_range(unit.chunk)
    region = {a.name: slice(i, i + 1) for a, i in zip(plan.axes, unit.point, strict=True)}
    region["realization"] = slice(first, last)
    if unit_traced.size:
        start = int(np.searchsorted(traced, unit_traced[0]))
        region["traced_realization"] = slice(start, start + unit_traced.size)
    return region


def write_unit(path: str | Path, plan: SweepPlan, unit: Unit, result: Any,
               traced: np.ndarray, backend: str | None = None) -> float:
    """Write one unit's results into its region, then its checksum (and, with ``backend``, the
    backend that computed it; the store must have ``unit_backend``), then its done mark;
    returns the seconds spent writing."""
    start = time.perf_counter()
    data = result.drop_vars(list(result.coords))
    unit_traced = result["traced_realization"].values
    if unit_traced.size == 0:
        data = data.drop_vars([n for n, v in data.data_vars.items()
                               if "traced_realization" in v.dims])
    axis_names = [a.name for a in plan.axes]
    if axis_names:
        data = data.expand_dims(axis_names)
    stamp = checksum(data)
    region = unit_region(plan, unit, traced, unit_traced)
    with quiet_zarr():
        data.to_zarr(path, region=region, mode="r+", zarr_format=3)
        # The done mark goes last, in a write of its own: a sweep killed between the writes
        # leaves the unit not done (recomputed on resume), never done with a stale checksum.
        mark = _unit_mark(plan, unit, stamp, backend)
        where = {**{a: region[a] for a in axis_names}, UNIT_DIM: slice(unit.chunk, unit.chunk + 1)}
        mark.drop_vars("done").to_zarr(path, region=where, mode="r+", zarr_format=3)
        mark[["done"]].to_zarr(path, region=where, mode="r+", zarr_format=3)
    return time.perf_counter() - start


def _unit_mark(plan: SweepPlan, unit: Unit, stamp: int, backend: str | None = None) -> Any:
    import xarray as xr  # noqa: PLC0415

    dims = (*[a.name for a in plan.axes], UNIT_DIM)
    shape = (1,) * len(dims)
    mark = {"done": (dims, np.ones(shape, dtype=np.int8)),
            "unit_checksum": (dims, np.full(shape, stamp, dtype=np.uint64))}
    if backend is not None:
        mark["unit_backend"] = (dims, np.full(shape, BACKEND_CODES.get(backend, 0),
                                              dtype=np.int8))
    return xr.Dataset(mark)


def unit_backends(ds: Any) -> dict[Unit, str]:
    """The backend recorded for each done unit of an opened store ("numpy", "cpu", "cupy",
    or "unrecorded" for stores written before it was recorded)."""
    names = {code: name for name, code in BACKEND_CODES.items()}
    done = ds["done"].values
    codes = ds["unit_backend"].values if "unit_backend" in ds else np.zeros_like(done)
    return {Unit(tuple(int(i) for i in index[:-1]), int(index[-1])):
            names.get(int(codes[tuple(index)]), "unrecorded")
            for index in np.argwhere(done == 1)}


def open_store(path: str | Path, *, lazy: bool = False) -> Any:
    """Open a sweep store. ``lazy``: dask-backed (for users); otherwise read straight from
    zarr without dask, so bookkeeping in a process that holds a distributed Client never
    queues computations on the cluster behind the sweep's own tasks."""
    import xarray as xr  # noqa: PLC0415

    return xr.open_zarr(path, consolidated=True, chunks={} if lazy else None)


def done_units(path: str | Path, plan: SweepPlan) -> set[Unit]:
    """The units marked done (a unit whose mark or checksum cannot be read is not done)."""
    import zarr  # noqa: PLC0415

    marks = Verification(units=len(plan.units()))
    done, _ = _bookkeeping(zarr.open_group(str(path), mode="r"), plan, marks)
    return {Unit(tuple(int(i) for i in index[:-1]), int(index[-1]))
            for index in np.argwhere(done == 1)}


@dataclass
class Verification:
    """What ``verify`` found: unfinished units, and done units whose data cannot be read or do
    not hash to the checksum written with them (``damaged``: unit -> what is wrong)."""

    units: int
    unfinished: list[Unit] = field(default_factory=list)
    damaged: dict[Unit, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def corrupt(self) -> list[Unit]:
        """The damaged units, in order."""
        return sorted(self.damaged)

    @property
    def ok(self) -> bool:
        return not self.unfinished and not self.damaged


def verify_store(path: str | Path, units: set[Unit] | None = None) -> Verification:
    """Check every unit is done and its data read back to the checksum written with it.

    Reads straight from zarr (no dask), one slab (every grid point of a realization chunk)
    per variable at a time; a slab that cannot be read is read again unit by unit, so an
    unreadable chunk (truncated, garbled) is pinned to its unit and named, never raised.
    ``units``: check only these (done) units, e.g. the ones a resumed sweep would skip."""
    import zarr  # noqa: PLC0415

    start = time.perf_counter()
    ds = open_store(path)
    plan = plan_of(ds)
    group = zarr.open_group(str(path), mode="r")
    report = Verification(units=len(plan.units()))
    done, stamps = _bookkeeping(group, plan, report)
    wanted = set(plan.units()) if units is None else set(units)
    check = [u for u in plan.units() if u in wanted and u not in report.damaged]
    for unit in check:
        if done[(*unit.point, unit.chunk)] != 1:
            report.unfinished.append(unit)
    check = [u for u in check if u not in report.unfinished]
    names = sorted(n for n in ds.data_vars if n not in BOOKKEEPING)
    traced = ds["traced_realization"].values
    naxes = len(plan.axes)
    for c0, c1 in _batches(plan, group, names, sorted({u.chunk for u in check})):
        units_here = [u for u in check if c0 <= u.chunk <= c1]
        digests = {u: hashlib.blake2b(digest_size=8) for u in units_here}
        first, last = plan.chunk_range(c0)[0], plan.chunk_range(c1)[1]
        for name in names:
            array = group[name]
            dims = ds[name].dims
            along = _slab(plan, dims, first, last, traced)
            if along is None:  # a traced variable and no traced realization in these chunks
                continue
            try:
                slab = array[along]
            except Exception:  # noqa: BLE001 - pinned to units below
                slab = None
            for unit in units_here:
                if unit in report.damaged:
                    continue
                own = _slab(plan, dims, *plan.chunk_range(unit.chunk), traced)
                if own is None:  # not part of this unit's checksum (no traced realization)
                    continue
                if slab is not None:
                    local = tuple(_shift(mine, whole)
                                  for mine, whole in zip(own[naxes:], along[naxes:],
                                                         strict=True))
                    values = slab[(*unit.point, *local)]
                else:
                    try:
                        values = array[(*unit.point, *own[naxes:])]
                    except Exception as exc:  # noqa: BLE001 - any codec or I/O error
                        report.damaged[unit] = _unreadable(array, name, unit, own, exc)
                        continue
                digests[unit].update(name.encode())
                digests[unit].update(np.ascontiguousarray(values).tobytes())
        for unit, digest in digests.items():
            if unit in report.damaged:
                continue
            if int.from_bytes(digest.digest(), "little") != int(stamps[(*unit.point,
                                                                        unit.chunk)]):
                report.damaged[unit] = ("its data do not match the checksum written with it "
                                        "(a chunk file is missing or altered)")
    report.seconds = time.perf_counter() - start
    return report


def _bookkeeping(group: Any, plan: SweepPlan,
                 report: Verification) -> tuple[np.ndarray, np.ndarray]:
    """The done marks and checksums; a unit whose mark or checksum cannot be read is damaged
    (its done mark then reads 0)."""
    arrays = []
    for name in ("done", "unit_checksum"):
        array = group[name]
        try:
            arrays.append(np.asarray(array[...]))
            continue
        except Exception:  # noqa: BLE001 - read unit by unit below
            values = np.zeros(array.shape, dtype=array.dtype)
        for unit in plan.units():
            where = (*unit.point, unit.chunk)
            try:
                values[where] = array[where]
            except Exception as exc:  # noqa: BLE001 - any codec or I/O error
                report.damaged.setdefault(unit, _unreadable(array, name, unit, where, exc))
        arrays.append(values)
    done, stamps = arrays
    for unit in report.damaged:
        done[(*unit.point, unit.chunk)] = 0
    return done, stamps


#: bytes of one variable read at once by verify (consecutive realization chunks, all points)
SLAB_BYTES = 32 * 2**20


def _batches(plan: SweepPlan, group: Any, names: list[str],
             chunks: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive realization chunks (first, last) whose slabs of the largest
    variable stay under ``SLAB_BYTES``: few reads for small stores, bounded memory for big."""
    per_chunk = 1
    for name in names:
        array = group[name]
        size = int(np.prod(array.shape, dtype=np.int64)) * array.dtype.itemsize
        per_chunk = max(per_chunk, size // max(plan.n_chunks, 1))
    run = max(1, SLAB_BYTES // per_chunk)
    batches: list[tuple[int, int]] = []
    for chunk in chunks:
        if batches and chunk - batches[-1][0] < run:
            batches[-1] = (batches[-1][0], chunk)
        else:
            batches.append((chunk, chunk))
    return batches


def _shift(mine: slice, whole: slice) -> slice:
    """A unit's selection along one dimension, relative to the slab's."""
    if whole.start is None:
        return mine
    return slice(mine.start - whole.start, mine.stop - whole.start)


def _slab(plan: SweepPlan, dims: tuple[str, ...], first: int, last: int,
          traced: np.ndarray) -> tuple[slice, ...] | None:
    """The selection of realizations [first, last) of a variable, every grid point (None: a
    traced variable, and no traced realization among them)."""
    in_chunk = np.flatnonzero((traced >= first) & (traced < last))
    along: list[slice] = [slice(None)] * len(plan.axes)
    for dim in dims[len(plan.axes):]:
        if dim == "realization":
            along.append(slice(first, last))
        elif dim == "traced_realization":
            if in_chunk.size == 0:
                return None
            along.append(slice(int(in_chunk[0]), int(in_chunk[-1]) + 1))
        else:
            along.append(slice(None))
    return tuple(along)


def _unreadable(array: Any, name: str, unit: Unit, along: tuple[Any, ...],
                exc: BaseException) -> str:
    """'cannot read VAR (chunk VAR/c/...): Error: message', naming the chunks that fail."""
    where = [(s, s + 1) if isinstance(s, int) else (s.start or 0, s.stop or n)
             for s, n in zip((*unit.point, *along[len(unit.point):]), array.shape,
                             strict=False)]
    size = array.chunks
    ranges = [range(lo // c, -(-hi // c)) for (lo, hi), c in zip(where, size, strict=True)]
    bad = []
    for coords in itertools.product(*ranges):
        block = tuple(slice(i * c, min((i + 1) * c, n))
                      for i, c, n in zip(coords, size, array.shape, strict=True))
        try:
            array[block]
        except Exception:  # noqa: BLE001 - the chunk to name
            bad.append(f"{name}/{_chunk_key(array, coords)}")
    text = " ".join(str(exc).split())[:160]
    chunks = ", ".join(bad) if bad else name
    return f"cannot read {name} (chunk {chunks}): {type(exc).__name__}: {text}"


def _chunk_key(array: Any, coords: tuple[int, ...]) -> str:
    try:
        return str(array.metadata.encode_chunk_key(coords))
    except AttributeError:  # pragma: no cover - other zarr versions
        return "c/" + "/".join(str(i) for i in coords)


def unit_label(plan: SweepPlan, unit: Unit) -> str:
    """'grid point (strategy=cont, x=0.01), realization chunk 2 (realizations 32-47)'."""
    where = ", ".join(f"{a.name}={a.values[i]}" for a, i in zip(plan.axes, unit.point,
                                                                 strict=True))
    first, last = plan.chunk_range(unit.chunk)
    return (f"grid point ({where}) {tuple(unit.point)}, realization chunk {unit.chunk} "
            f"(realizations {first}-{last - 1})")


def plan_of(ds: Any) -> SweepPlan:
    """The plan recorded in a store's attributes."""
    from oncosweep.distributed.plan import Axis  # noqa: PLC0415

    axes = tuple(Axis(name, tuple(ds[name].values.tolist()), bool(strategy))
                 for name, _, strategy in json.loads(ds.attrs["axes"]))
    return SweepPlan(axes=axes, realizations=int(ds.attrs["realizations"]),
                     chunk=int(ds.attrs["chunk"]), seed=int(ds.attrs["seed"]),
                     config_hash=str(ds.attrs["config_hash"]))
