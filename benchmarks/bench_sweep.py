"""Sweep benchmark: speed-up of 2 Dask workers over 1 on the same sweep, the share of worker
time spent writing zarr, and the stored bytes per realization of the summary variables
(per-realization outputs, compressed as zarr stores them), in one run.

    python benchmarks/bench_sweep.py [--config configs/quickstart.yaml] [--realizations 200]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from oncosweep import run_sweep  # noqa: E402
from oncosweep.distributed.sweep_store import open_store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def summary_bytes_per_realization(store: Path) -> tuple[float, list[str]]:
    """On-disk bytes of the per-realization variables (dims end in ``realization``, no
    cell-type or drug dimension) per stored realization."""
    ds = open_store(store)
    names = [n for n, v in ds.data_vars.items() if v.dims and v.dims[-1] == "realization"]
    stored = sum(f.stat().st_size for n in names for f in (store / n).rglob("*")
                 if f.is_file())
    realizations = ds.sizes["realization"] * int(
        max(1, ds["done"].size // ds.sizes["unit"]))
    return stored / realizations, names


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs/quickstart.yaml"))
    parser.add_argument("--realizations", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        runs = {}
        for workers in (1, 2):
            store = work / f"w{workers}.zarr"
            runs[workers] = run_sweep(args.config, store, workers=workers, progress=False,
                                      realizations=args.realizations, chunk=args.chunk)
        two = runs[2]
        busy = two.simulate_seconds + two.write_seconds
        per_realization, names = summary_bytes_per_realization(work / "w2.zarr")
        out = {
            "config": str(Path(args.config).resolve().relative_to(ROOT)),
            "realizations_per_point": args.realizations,
            "chunk": args.chunk,
            "units": two.units,
            "seconds_1_worker": runs[1].seconds,
            "seconds_2_workers": two.seconds,
            "speedup_2_over_1": runs[1].seconds / two.seconds,
            "write_share_of_worker_time": two.write_seconds / busy,
            "summary_bytes_per_realization": per_realization,
            "summary_variables": names,
            "targets": {"speedup_2_over_1": ">= 1.8", "write_share": "< 0.05",
                        "summary_bytes_per_realization": "<= 64"},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    share = 100 * out["write_share_of_worker_time"]
    print(f"1 worker {out['seconds_1_worker']:.1f} s, 2 workers {out['seconds_2_workers']:.1f} s:"
          f" speed-up {out['speedup_2_over_1']:.2f}; writing {share:.1f} % of worker time; "
          f"{per_realization:.1f} B per realization of summaries")
    print(f"written to {write_result('bench_sweep', out, args.output)}")
    return out


if __name__ == "__main__":
    main()
