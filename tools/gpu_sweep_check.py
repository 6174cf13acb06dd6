"""The dask-cuda recipe of docs/sweeps.md, as a check for a machine with a GPU.

A sweep of configs/quickstart.yaml (64 realizations per grid point in chunks of 32) on a
one-GPU ``dask_cuda.LocalCUDACluster`` (``threads_per_worker=1``, ``resources={"GPU": 1}``,
``backend="cupy"``), then the same sweep on the embedded cluster with the cpu backend (numpy
where no compiler builds it); the stores must hold identical values and every unit of the first
must record cupy. Without dask-cuda, CuPy or a CUDA device it prints why it is skipped and
exits 0; exit 1 when the stores differ.

    python tools/gpu_sweep_check.py [--out DIR]      # needs: pip install dask-cuda "oncosweep[gpu]"
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "quickstart.yaml"
SIZES = {"realizations": 64, "chunk": 32}


def skip_reason() -> str:
    """'' when dask-cuda, CuPy and a CUDA device are usable, else why not."""
    try:
        import dask_cuda  # noqa: F401, PLC0415
    except Exception as exc:  # noqa: BLE001 - any import failure skips the check
        return f"dask_cuda not importable ({type(exc).__name__}: {exc})"
    from oncosweep.gpu_engine.backend import gpu_count, import_cupy  # noqa: PLC0415

    cupy, why = import_cupy()
    if cupy is None:
        return f"cupy not usable ({why})"
    if gpu_count() < 1:
        return "no CUDA device"
    return ""


def values(store: Path):  # noqa: ANN201
    import xarray as xr  # noqa: PLC0415

    ds = xr.open_zarr(store).drop_vars(["done", "unit_checksum", "unit_backend", "unit"]).load()
    ds.attrs = {}
    return ds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="where the two stores go "
                        "(default: a temporary directory)")
    args = parser.parse_args(argv)
    why = skip_reason()
    if why:
        print(f"dask-cuda sweep check: skipped: {why}")
        return 0
    from dask_cuda import LocalCUDACluster  # noqa: PLC0415

    from oncosweep import run_sweep  # noqa: PLC0415
    from oncosweep.distributed.sweep_store import open_store, unit_backends  # noqa: PLC0415

    out = args.out or Path(tempfile.mkdtemp(prefix="gpu-sweep-check-"))
    out.mkdir(parents=True, exist_ok=True)
    gpu_store, ref_store = out / "dask_cuda.zarr", out / "reference.zarr"
    started = time.perf_counter()
    with LocalCUDACluster(CUDA_VISIBLE_DEVICES="0", n_workers=1, threads_per_worker=1,
                          resources={"GPU": 1}) as cluster:
        gpu = run_sweep(CONFIG, gpu_store, cluster=cluster, backend="cupy", overwrite=True,
                        progress=False, **SIZES)
    gpu_seconds = time.perf_counter() - started
    started = time.perf_counter()
    try:
        ref = run_sweep(CONFIG, ref_store, backend="cpu", overwrite=True, progress=False,
                        **SIZES)
    except RuntimeError:  # no compiler: the numpy engine
        ref = run_sweep(CONFIG, ref_store, backend="numpy", overwrite=True, progress=False,
                        **SIZES)
    ref_seconds = time.perf_counter() - started
    backends = set(unit_backends(open_store(gpu_store)).values())
    same = values(gpu_store).equals(values(ref_store))  # NaN == NaN
    print(f"dask-cuda sweep check: {gpu.computed} units on a 1-GPU LocalCUDACluster in "
          f"{gpu_seconds:.1f} s (unit backends {sorted(backends)}); reference "
          f"({ref.backend}) {ref_seconds:.1f} s; stores "
          f"{'identical' if same else 'DIFFER'} ({out})")
    return 0 if same and backends == {"cupy"} else 1


if __name__ == "__main__":
    sys.exit(main())
