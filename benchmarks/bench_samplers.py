"""Hot-path benchmark of the samplers: Philox4x32-10 blocks per second and binomial draws per
second per regime, against numpy's ``Generator.binomial`` on the same (n, p) arrays, in one run.

    python benchmarks/bench_samplers.py [--lanes 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from oncosweep.gpu_engine.allocator import tune_allocator  # noqa: E402
from oncosweep.gpu_engine.binomial import binomial  # noqa: E402
from oncosweep.gpu_engine.philox import philox4x32_10  # noqa: E402

KEY = (20261121, 0)


def regimes(lanes: int, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    log_n = rng.uniform(3, 9, lanes)
    return {
        "BINV n*p<1 (n=50, p=0.01)": (np.full(lanes, 50), np.full(lanes, 0.01)),
        "BINV n~U(10,200), p=0.05": (rng.integers(10, 200, lanes), np.full(lanes, 0.05)),
        "BTRS n=1000, p=0.05": (np.full(lanes, 1000), np.full(lanes, 0.05)),
        "BTRS n~10^U(3,9), p~U(.04,.06)": (
            (10**log_n).astype(np.int64), rng.uniform(0.04, 0.06, lanes)),
        "BTRS n=1e12, p=0.3": (np.full(lanes, 10**12), np.full(lanes, 0.3)),
        "mirrored p=0.95, n~10^U(3,9)": ((10**log_n).astype(np.int64), np.full(lanes, 0.95)),
        "half empty (n=0), n=1000 p=0.05": (
            np.where(np.arange(lanes) % 2 == 0, 0, 1000), np.full(lanes, 0.05)),
    }


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    tune_allocator()  # as the engine does
    lanes = args.lanes
    real = np.arange(lanes, dtype=np.uint64)
    slot = np.zeros(lanes, dtype=np.uint64)
    generator = np.random.default_rng(1)

    t_philox = best_of(args.repeats, lambda: philox4x32_10(np, slot, 0, real, 0, *KEY))
    out: dict = {"lanes": lanes, "repeats_best_of": args.repeats,
                 "philox_blocks_per_s": lanes / t_philox, "binomial": {}}
    print(f"philox4x32-10: {lanes / t_philox:.3g} blocks/s ({1e9 * t_philox / lanes:.1f} ns)")
    for name, (n, p) in regimes(lanes, np.random.default_rng(2)).items():
        n = np.asarray(n, dtype=np.int64)
        t_ours = best_of(args.repeats, lambda n=n, p=p: binomial(np, KEY, slot, 7, real, n, p))
        t_numpy = best_of(args.repeats, lambda n=n, p=p: generator.binomial(n, p))
        out["binomial"][name] = {
            "ours_ns_per_draw": 1e9 * t_ours / lanes,
            "numpy_ns_per_draw": 1e9 * t_numpy / lanes,
            "ratio_ours_over_numpy_draws_per_s": t_numpy / t_ours,
        }
        print(f"{name:36s} ours {1e9 * t_ours / lanes:6.1f} ns  numpy "
              f"{1e9 * t_numpy / lanes:6.1f} ns  ratio {t_numpy / t_ours:.2f}")
    print(f"written to {write_result('bench_samplers', out, args.output)}")
    return out


if __name__ == "__main__":
    main()
