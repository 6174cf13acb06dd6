"""The ``cpu`` backend against the numpy engine and a host sampler floor, in one run.

For each config (``configs/bench_standard.yaml``; ``configs/quickstart.yaml`` with its
``continuous`` strategy) and each call size (200 and 8,192 realizations per call, the sizes of
a sweep unit and of the numpy engine's batch), the same realizations 0 .. R - 1 are simulated by

(a) numpy: the reference array engine (``run_engine``);
(b) cpu, 1 thread: the fused kernel's source compiled for the host (``cpu_engine.run_cpu``);
(c) cpu, all threads: the same on every core this process may use;

and (b) and (c) are checked equal to (a) output by output (calls of up to 1000 realizations
of (b) and (c), under a second, are timed as the best of 5). Reported per engine: wall seconds,
realization-steps per second and draws per second (logical: every (realization, step, cell
type, event) draw the model defines; nontrivial: the draws with n > 0 and 0 < p < 1, which take
random numbers), and the ratios cpu / numpy and cpu (all threads) / cpu (1 thread).

(d) The host sampler floor (``os_host_sampler_floor`` in ``tests/cuda/host_samplers.cu``, the CPU
build of the GPU's ``sampler_floor`` loop): as many binomial draws as the one-thread cpu run's
nontrivial draws, with no model around them, on one thread, (n, p) pairs drawn from a pool
sampled uniformly from the numpy engine's own nontrivial draws on that config. The ratio
engine nontrivial draws/s per thread / floor draws/s is the share of the sampler's own speed
that the engine keeps (target >= 0.5).

Targets (issue 11, on 2 cores): cpu (all threads) >= 30x numpy at 200 realizations per call on
the quickstart and >= 4x at 8,192; 2 threads >= 1.8x 1 thread; engine / floor >= 0.5.

    python benchmarks/bench_cpu.py [--sizes 200,8192] [--configs bench_standard,quickstart]
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PoolSampler, pool_summary, recording_draws, write_result  # noqa: E402

from oncosweep import Scenario, compile_scenario  # noqa: E402
from oncosweep.gpu_engine import cpu_engine, cuda_build, rng  # noqa: E402
from oncosweep.gpu_engine.realization import run_engine
from oncosweep.gpu_engine.record import EngineResult  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"bench_standard": ("configs/bench_standard.yaml", None),
           "quickstart": ("configs/quickstart.yaml", "continuous")}
TARGETS = {"quickstart_200_cpu_over_numpy": 30.0, "quickstart_8192_cpu_over_numpy": 4.0,
           "threads_2_over_1": 1.8, "engine_over_floor_draws_per_thread": 0.5}
POOL_REALIZATIONS = 200
CPU_REPEATS = 5
"""Timed calls of the compiled engine at up to 1000 realizations (the shortest counts)."""


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated, from {', '.join(CONFIGS)}, or YAML paths")
    parser.add_argument("--sizes", default="200,8192", help="realizations per call")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of (c) (default: every core this process may use)")
    parser.add_argument("--pool-size", type=int, default=1 << 16)
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results)")
    args = parser.parse_args(argv)
    usable, what = cpu_engine.probe()
    if not usable:
        raise SystemExit(f"bench_cpu: the cpu backend is not usable here: {what}")
    threads = args.threads or cpu_engine.default_threads()
    sizes = [int(s) for s in args.sizes.split(",")]
    out: dict[str, Any] = {"seed": args.seed, "threads": threads, "compiler": what,
                           "host_cxx_flags": list(cuda_build.HOST_CXX_FLAGS), "runs": {},
                           "floor": {}, "targets": TARGETS}
    for name in args.configs.split(","):
        path, strategy = CONFIGS.get(name, (name, None))
        name = Path(name).stem
        model = compile_scenario(Scenario.from_yaml(ROOT / path), strategy)
        pool = _pool(model, args)
        out["floor"][name] = {"pool": pool_summary(pool)}
        for size in sizes:
            run = _compare(model, size, args.seed, threads)
            out["runs"][f"{name}_{size}"] = {"config": path, "strategy": strategy, **run}
            print(f"{name:15s} {size:6d}  numpy {run['numpy']['seconds']:8.2f} s   cpu x1 "
                  f"{run['cpu_1']['seconds']:7.3f} s   cpu x{threads} "
                  f"{run['cpu_all']['seconds']:7.3f} s   cpu/numpy "
                  f"{run['ratio_cpu_all_over_numpy']:6.1f}   threads "
                  f"{run['ratio_threads_all_over_1']:.2f}", flush=True)
        largest = out["runs"][f"{name}_{max(sizes)}"]
        out["floor"][name].update(_floor(largest, pool, args.seed))
        print(f"{name:15s} floor {out['floor'][name]['draws_per_s']:.3g} draws/s; engine "
              f"{largest['cpu_1']['nontrivial_draws_per_s']:.3g} per thread: ratio "
              f"{out['floor'][name]['engine_over_floor_draws_per_thread']:.2f}", flush=True)
    _summary(out, sizes)
    path = write_result("bench_cpu", out, args.output)
    print(f"written to {path}")
    return out


def _rates(result: EngineResult, seconds: float, stats: dict[str, int] | None = None
           ) -> dict[str, float]:
    stats = stats or result.stats
    return {"seconds": seconds,
            "realization_steps_per_s": stats["lane_steps"] / seconds,
            "logical_draws_per_s": stats["logical_draws"] / seconds,
            "nontrivial_draws_per_s": stats["nontrivial_draws"] / seconds,
            "realizations_per_s": result.detected.size / seconds}


def _timed(run, repeats: int = 1, **kwargs) -> tuple[EngineResult, float]:
    """The result and the shortest wall time of ``repeats`` identical calls."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run(**kwargs)
        best = min(best, time.perf_counter() - t0)
    return result, best


def _compare(model, size: int, seed: int, threads: int) -> dict[str, Any]:
    # numpy is timed without draw counting (a reduction per draw); the draw counts are the
    # compiled engine's, which equal numpy's (tests/test_fused_host.py; the steps are checked)
    # a sub-second compiled run is timed as the best of CPU_REPEATS (scheduler noise)
    repeats = CPU_REPEATS if size <= 1000 else 1
    numpy, t_numpy = _timed(run_engine, model=model, realizations=size, seed=seed)
    one, t_one = _timed(cpu_engine.run_cpu, repeats, model=model, realizations=size,
                        seed=seed, threads=1)
    every, t_all = _timed(cpu_engine.run_cpu, repeats, model=model, realizations=size,
                          seed=seed, threads=threads)
    for engine in (one, every):
        _check_equal(numpy, engine)
    return {
        "realizations": size,
        "steps_per_realization": numpy.stats["lane_steps"] / size,
        "nontrivial_draws": one.stats["nontrivial_draws"],
        "numpy": _rates(numpy, t_numpy, one.stats),
        "cpu_1": _rates(one, t_one),
        "cpu_all": _rates(every, t_all),
        "ratio_cpu_1_over_numpy": t_numpy / t_one,
        "ratio_cpu_all_over_numpy": t_numpy / t_all,
        "ratio_threads_all_over_1": t_one / t_all,
        "equal_to_numpy": True,
    }


def _check_equal(a: EngineResult, b: EngineResult) -> None:
    for name in EngineResult.__dataclass_fields__:
        if name == "stats":
            continue
        x, y = getattr(a, name), getattr(b, name)
        same = (np.allclose(x, y, rtol=1e-13, atol=0, equal_nan=True) if x.dtype.kind == "f"
                else np.array_equal(x, y))
        if not same:
            raise AssertionError(f"the cpu backend differs from the numpy engine in {name}")
    for stat in ("lane_steps", "logical_draws"):
        if a.stats[stat] != b.stats[stat]:
            raise AssertionError(f"the cpu backend differs from the numpy engine in {stat}")


def _pool(model, args) -> dict[str, np.ndarray]:
    """A uniform sample of the numpy engine's nontrivial (n, p) draws on this model."""
    with recording_draws(PoolSampler(args.pool_size, seed=args.seed)) as pool:
        run_engine(model, realizations=POOL_REALIZATIONS, seed=args.seed)
    return pool.pool()


def _floor(run: dict[str, Any], pool: dict[str, np.ndarray], seed: int) -> dict[str, Any]:
    """The sampler floor for as many draws as the run's nontrivial draws, on one thread."""
    lib = cuda_build.build_host_library(str(ROOT / "tests" / "cuda" / "host_samplers.cu"))
    lib.os_host_sampler_floor.restype = ctypes.c_ulonglong
    draws_per_thread = 64
    lanes = max(1, run["nontrivial_draws"] // draws_per_thread)
    pool_n = np.ascontiguousarray(pool["n"], dtype=np.int64)
    pool_p = np.ascontiguousarray(pool["p"], dtype=np.float64)
    key = rng.make_key(seed, 0)
    t0 = time.perf_counter()
    lib.os_host_sampler_floor(ctypes.c_uint32(key[0]), ctypes.c_uint32(key[1]),
                              ctypes.c_int64(lanes), ctypes.c_int64(draws_per_thread),
                              ctypes.c_void_p(pool_n.ctypes.data),
                              ctypes.c_void_p(pool_p.ctypes.data), ctypes.c_int64(pool_n.size))
    seconds = time.perf_counter() - t0
    draws = lanes * draws_per_thread
    per_s = draws / seconds
    return {"draws": draws, "seconds": seconds, "draws_per_s": per_s,
            "engine_run": f"{run['realizations']} realizations, 1 thread",
            "engine_nontrivial_draws_per_s_per_thread": run["cpu_1"]["nontrivial_draws_per_s"],
            "engine_logical_draws_per_s_per_thread": run["cpu_1"]["logical_draws_per_s"],
            "engine_over_floor_draws_per_thread": run["cpu_1"]["nontrivial_draws_per_s"] / per_s}


def _summary(out: dict[str, Any], sizes: list[int]) -> None:
    runs = out["runs"]
    summary: dict[str, Any] = {}
    for size in sizes:
        key = f"quickstart_{size}"
        if key in runs:
            summary[f"quickstart_{size}_cpu_over_numpy"] = runs[key]["ratio_cpu_all_over_numpy"]
    summary["threads_all_over_1"] = {k: v["ratio_threads_all_over_1"] for k, v in runs.items()}
    summary["engine_over_floor_draws_per_thread"] = {
        k: v["engine_over_floor_draws_per_thread"] for k, v in out["floor"].items()}
    out["summary"] = summary


if __name__ == "__main__":
    main()
