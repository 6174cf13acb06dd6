"""Engine throughput vs numpy's own ``Generator.binomial`` on the same draws, in one run.

1. The engine simulates ``--realizations`` realizations of ``--config``; wall time T_engine.
2. The same simulation is replayed with the sampler wrapped: every call's (n, p) arguments are
   also given to ``numpy.random.Generator.binomial`` and only that is timed (T_numpy). The
   engine never visits empty cell types; for "the same number of draws" numpy also draws
   Bin(0, p) for each of those (logical draws that the engine skipped).

Reported: realization-steps per second, effective binomial draws per second (every
(realization, step, cell type, event) draw the model defines, divided by T_engine), numpy's
draws per second on the same draws, and their ratio (target >= 0.3). Also the stricter ratio
over the occupied draws alone.

    python benchmarks/bench_engine.py [--realizations 8192] [--config configs/quickstart.yaml]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from oncosweep import Scenario, compile_scenario  # noqa: E402
from oncosweep.gpu_engine import step as step_module  # noqa: E402
from oncosweep.gpu_engine.realization import run_engine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs/quickstart.yaml"))
    parser.add_argument("--realizations", type=int, default=8192)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results)")
    args = parser.parse_args(argv)

    model = compile_scenario(Scenario.from_yaml(args.config))

    t0 = time.perf_counter()
    result = run_engine(model, realizations=args.realizations, seed=args.seed)
    t_engine = time.perf_counter() - t0
    stats = result.stats

    # Replay with numpy timing the same (n, p) arguments.
    real_binomial = step_module._binomial.binomial
    generator = np.random.default_rng(12345)
    replay = {"calls": 0, "occupied_draws": 0, "numpy_seconds": 0.0}

    def wrapped(xp, key, slot, step, realization, n, p):
        out = real_binomial(xp, key, slot, step, realization, n, p)
        n_host, p_host = np.asarray(n), np.asarray(p)
        t = time.perf_counter()
        generator.binomial(n_host, p_host)
        replay["numpy_seconds"] += time.perf_counter() - t
        replay["calls"] += 1
        replay["occupied_draws"] += int(n_host.size)
        return out

    step_module._binomial.binomial = wrapped
    try:
        replayed = run_engine(model, realizations=args.realizations, seed=args.seed,
                              count_draws=True)
    finally:
        step_module._binomial.binomial = real_binomial
    assert np.array_equal(replayed.cells_at_detection, result.cells_at_detection)

    skipped = stats["logical_draws"] - replay["occupied_draws"]
    zeros = np.zeros(1 << 20, dtype=np.int64)
    t = time.perf_counter()
    for first in range(0, skipped, zeros.size):
        generator.binomial(zeros[: min(zeros.size, skipped - first)], 0.5)
    t_numpy_zeros = time.perf_counter() - t
    t_numpy = replay["numpy_seconds"] + t_numpy_zeros

    out = {
        "config": str(Path(args.config).relative_to(ROOT)) if Path(args.config).is_absolute()
        else args.config,
        "realizations": args.realizations,
        "cell_types": model.n_types,
        "iterations": stats["iterations"],
        "realization_steps": stats["lane_steps"],
        "logical_draws": stats["logical_draws"],
        "occupied_draws": replay["occupied_draws"],
        "nontrivial_draws": replayed.stats["nontrivial_draws"],
        "engine_seconds": t_engine,
        "numpy_binomial_seconds_same_draws": t_numpy,
        "numpy_binomial_seconds_occupied_draws": replay["numpy_seconds"],
        "engine_realization_steps_per_s": stats["lane_steps"] / t_engine,
        "engine_effective_draws_per_s": stats["logical_draws"] / t_engine,
        "numpy_draws_per_s": stats["logical_draws"] / t_numpy,
        "ratio_effective_draws_engine_over_numpy": t_numpy / t_engine,
        "ratio_occupied_draws_engine_over_numpy": replay["numpy_seconds"] / t_engine,
        "target_ratio": 0.3,
    }
    path = write_result("bench_engine", out, args.output)
    for name in ("engine_seconds", "numpy_binomial_seconds_same_draws",
                 "engine_realization_steps_per_s", "engine_effective_draws_per_s",
                 "numpy_draws_per_s", "ratio_effective_draws_engine_over_numpy",
                 "ratio_occupied_draws_engine_over_numpy"):
        print(f"{name:45s} {out[name]:.4g}")
    print(f"written to {path}")
    return out


if __name__ == "__main__":
    main()
