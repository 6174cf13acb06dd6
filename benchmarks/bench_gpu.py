"""GPU throughput on the standard benchmark scenario (configs/bench_standard.yaml).

Four engines simulate the same model (seed, realizations 0 .. R - 1):

(a) numpy: the reference array engine on the CPU (``run_engine``);
(b) cupy-array: the same array engine on CuPy arrays (``run_engine(model, xp=cupy)``);
(c) fused: the fused CUDA kernel, one thread per realization (``fused.run_fused``);
(d) floor: the sampler-only kernel ``sampler_floor`` (cuda/sampler_floor.cu): the binomial
    draws alone, no model, as many as the fused run's nontrivial draws, one thread per
    realization, (n, p) pairs from a pool sampled uniformly from the numpy run's draws.

Each engine runs twice on identical realizations: a timed run (``count_draws=False``) and a
counting run (``count_draws=True``, whose draw counts are exact: the engines reproduce each
other draw for draw). Reported per engine: realization-steps per second, logical draws per
second (every (realization, step, cell type, event) draw the model defines: what
bench_engine.py calls "effective") and nontrivial draws per second (draws with n > 0 and
0 < p < 1, the ones that take random numbers), all over the timed run's wall time; for the
fused kernel also over its kernel time. GPU engines get warm-up runs first; the first call
(which compiles the kernel) and the floor's module load are timed and reported separately.

Targets: fused / numpy realization-steps per second >= 1000; fused nontrivial draws per
second >= 2e10 on an H100; fused / floor draws per second (kernel times) >= 0.5.

Without a usable CUDA device only (a) runs and the JSON says ``"gpu": "skipped: <reason>"``.

    python benchmarks/bench_gpu.py [--realizations-numpy 8192] [--realizations-gpu 1048576]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    PoolSampler,
    machine_info,
    pool_summary,
    recording_draws,
    write_result,
)

from oncosweep import Scenario, compile_scenario  # noqa: E402
from oncosweep.gpu_engine import backend as backends  # noqa: E402
from oncosweep.gpu_engine import rng  # noqa: E402
from oncosweep.gpu_engine.realization import run_engine
from oncosweep.gpu_engine.record import EngineResult  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"fused_over_numpy_realization_steps": 1000.0,
           "fused_nontrivial_draws_per_s": 2e10,
           "fused_over_floor_draws": 0.5}
FLOOR_BLOCK = 256


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs/bench_standard.yaml"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--realizations-numpy", type=int, default=8192,
                        help="realizations of the numpy engine (a) (default 8192, the batch "
                        "simulate() gives it)")
    parser.add_argument("--realizations-gpu", type=int, default=1 << 20,
                        help="realizations (threads) of the fused kernel (c) and the floor (d)")
    parser.add_argument("--realizations-cupy-array", type=int, default=None,
                        help="realizations of the array engine on CuPy (b) (default: "
                        "min(realizations-gpu, 65536))")
    parser.add_argument("--warmup-realizations", type=int, default=1024,
                        help="realizations of each GPU warm-up run")
    parser.add_argument("--pool-size", type=int, default=1 << 16,
                        help="(n, p) pairs sampled from the numpy run for the floor kernel")
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results)")
    args = parser.parse_args(argv)

    config = Path(args.config)
    model = compile_scenario(Scenario.from_yaml(config))
    probe = backends.probe_cuda()
    out: dict[str, Any] = {
        "config": _relative(config),
        "seed": args.seed,
        "cell_types": model.n_types,
        "drugs": model.n_drugs,
        "dt_days": model.dt,
        "horizon_steps": model.horizon_steps,
        "machine": {**machine_info(), "gpu": probe.name if probe.usable else None},
    }

    numpy_part, reference, pool = _numpy(model, args)
    out["numpy"] = numpy_part
    out["draw_pool"] = pool_summary(pool)

    if not probe.usable:
        out["gpu"] = f"skipped: {probe.reason}"
    else:
        out["gpu"] = _gpu(model, args, probe, numpy_part, reference, pool)
        _ratios(out)
    out["targets"] = TARGETS

    path = write_result("bench_gpu", out, args.output)
    _print(out, path)
    return out


# ------------------------------------------------------------------------------------ numpy
def _numpy(model, args) -> tuple[dict[str, Any], EngineResult, dict[str, np.ndarray]]:
    n = args.realizations_numpy
    t0, c0 = time.perf_counter(), time.process_time()
    timed = run_engine(model, realizations=n, seed=args.seed)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0

    pool = PoolSampler(args.pool_size, seed=args.seed)
    with recording_draws(pool):
        t0 = time.perf_counter()
        counted = run_engine(model, realizations=n, seed=args.seed, count_draws=True)
        counting_seconds = time.perf_counter() - t0
    if not _agree(timed, counted, n):
        raise AssertionError("the counting run differs from the timed run")
    part = _rates(n, seconds, counted.stats)
    # CPU time of the timed run: on a busy machine wall time overstates the engine's cost
    part["process_cpu_seconds"] = cpu_seconds
    part["realization_steps_per_cpu_s"] = counted.stats["lane_steps"] / cpu_seconds
    part["counting_run_seconds"] = counting_seconds  # includes the pool sampling
    part["steps_per_realization"] = counted.stats["lane_steps"] / n
    return part, counted, pool.pool()


# ------------------------------------------------------------------------------------ GPU
def _gpu(model, args, probe, numpy_part, reference, pool) -> dict[str, Any]:
    import cupy  # noqa: PLC0415 - probe_cuda proved it imports

    gpu: dict[str, Any] = {"device": probe.name, "device_index": probe.index,
                           "cupy": cupy.__version__}
    try:
        gpu["cuda_runtime"] = int(cupy.cuda.runtime.runtimeGetVersion())
        gpu["cuda_driver"] = int(cupy.cuda.runtime.driverGetVersion())
    except Exception:  # noqa: BLE001 - informational only
        pass
    n_array = args.realizations_cupy_array or min(args.realizations_gpu, 65536)
    gpu["cupy_array"] = _guard(lambda: _cupy_array(model, args, cupy, n_array, reference))
    fused = _guard(lambda: _fused(model, args, reference))
    gpu["fused"] = fused
    draws = fused.get("nontrivial_draws") if isinstance(fused, dict) else None
    if draws is None:  # the fused run failed: as many draws as the numpy rate predicts
        draws = int(numpy_part["nontrivial_draws"] / args.realizations_numpy
                    * args.realizations_gpu)
    gpu["floor"] = _guard(lambda: _floor(cupy, args, pool, int(draws)))
    return gpu


def _guard(part) -> Any:
    """Run one GPU part; a failure is recorded, never turned into numbers."""
    try:
        return part()
    except Exception as exc:  # noqa: BLE001 - the other parts still run
        return f"error: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"


def _cupy_array(model, args, cupy, n, reference) -> dict[str, Any]:
    t0 = time.perf_counter()
    run_engine(model, realizations=min(args.warmup_realizations, n), seed=args.seed, xp=cupy)
    warmup = time.perf_counter() - t0
    cupy.cuda.Device().synchronize()
    t0 = time.perf_counter()
    timed = run_engine(model, realizations=n, seed=args.seed, xp=cupy)
    cupy.cuda.Device().synchronize()
    seconds = time.perf_counter() - t0
    counted = run_engine(model, realizations=n, seed=args.seed, xp=cupy, count_draws=True)
    part = _rates(n, seconds, counted.stats)
    part["warmup_seconds"] = warmup
    part["matches_numpy"] = _agree(reference, timed, min(n, reference.detected.size))
    return part


def _fused(model, args, reference) -> dict[str, Any]:
    from oncosweep.gpu_engine import fused  # noqa: PLC0415 - needs CuPy

    n = args.realizations_gpu
    small = min(args.warmup_realizations, n)
    t0 = time.perf_counter()
    fused.run_fused(model, realizations=small, seed=args.seed)  # compiles the kernel
    first_call = time.perf_counter() - t0
    t0 = time.perf_counter()
    fused.run_fused(model, realizations=small, seed=args.seed)
    warm_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    timed = fused.run_fused(model, realizations=n, seed=args.seed)
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    counted = fused.run_fused(model, realizations=n, seed=args.seed, count_draws=True)
    counting_seconds = time.perf_counter() - t0
    part = _rates(n, seconds, counted.stats)
    kernel = float(timed.stats.get("kernel_seconds", float("nan")))
    part.update({
        "device_name": fused.device_name(),
        "first_call_seconds_with_compile": first_call,
        "compile_seconds_estimate": max(first_call - warm_small, 0.0),
        "warm_small_run_seconds": warm_small,
        "counting_run_seconds": counting_seconds,
        "kernel_seconds": kernel,
        "kernel_realization_steps_per_s": counted.stats["lane_steps"] / kernel,
        "kernel_nontrivial_draws_per_s": counted.stats["nontrivial_draws"] / kernel,
        "kernel_logical_draws_per_s": counted.stats["logical_draws"] / kernel,
        "matches_numpy": _agree(reference, timed, min(n, reference.detected.size)),
        "counting_run_matches": _agree(timed, counted, n),
    })
    return part


def _floor(cupy, args, pool, draws: int) -> dict[str, Any]:
    from oncosweep.gpu_engine import cuda_build  # noqa: PLC0415

    if pool["n"].size == 0:
        raise RuntimeError("the numpy run made no nontrivial draw to sample")
    threads = args.realizations_gpu
    per_thread = max(1, math.ceil(draws / threads))
    t0 = time.perf_counter()
    module = cuda_build.load_module(cupy, "sampler_floor.cu")
    kernel = module.get_function("sampler_floor")
    load_seconds = time.perf_counter() - t0
    pool_n = cupy.asarray(pool["n"], dtype=cupy.int64)
    pool_p = cupy.asarray(pool["p"], dtype=cupy.float64)
    checksum = cupy.zeros(1, dtype=cupy.uint64)
    k0, k1 = rng.make_key(args.seed, 0)
    grid = (-(-threads // FLOOR_BLOCK),)

    def launch(count: int) -> float:
        checksum.fill(0)
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        kernel(grid, (FLOOR_BLOCK,), (np.uint32(k0), np.uint32(k1), np.int64(threads),
                                      np.int64(count), pool_n, pool_p,
                                      np.int64(pool_n.size), checksum))
        stop.record()
        stop.synchronize()
        return cupy.cuda.get_elapsed_time(start, stop) / 1e3

    warmup = launch(1)
    seconds = launch(per_thread)
    total = threads * per_thread
    return {
        "threads": threads,
        "draws_per_thread": per_thread,
        "draws": total,
        "module_load_seconds_with_compile": load_seconds,
        "warmup_seconds": warmup,
        "kernel_seconds": seconds,
        "draws_per_s": total / seconds,
        "checksum": int(checksum.get()[0]),
    }


# ------------------------------------------------------------------------------------ common
def _rates(realizations: int, seconds: float, stats: dict[str, Any]) -> dict[str, Any]:
    return {
        "realizations": realizations,
        "seconds": seconds,
        "iterations": int(stats["iterations"]),
        "realization_steps": int(stats["lane_steps"]),
        "logical_draws": int(stats["logical_draws"]),
        "nontrivial_draws": int(stats["nontrivial_draws"]),
        "realization_steps_per_s": stats["lane_steps"] / seconds,
        "logical_draws_per_s": stats["logical_draws"] / seconds,
        "nontrivial_draws_per_s": stats["nontrivial_draws"] / seconds,
    }


def _agree(a: EngineResult, b: EngineResult, n: int) -> bool:
    """Per-realization outputs of the first ``n`` realizations are identical (NaN == NaN)."""
    for name in EngineResult.__dataclass_fields__:
        if name in ("stats", "traced", "trajectory", "concentration", "on_treatment",
                    "observed_burden"):
            continue
        x, y = np.asarray(getattr(a, name))[:n], np.asarray(getattr(b, name))[:n]
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            return False
    return True


def _ratios(out: dict[str, Any]) -> None:
    gpu, numpy_part = out["gpu"], out["numpy"]
    fused, floor = gpu.get("fused"), gpu.get("floor")
    if isinstance(fused, dict):
        gpu["ratio_fused_over_numpy_realization_steps"] = (
            fused["realization_steps_per_s"] / numpy_part["realization_steps_per_s"])
        gpu["fused_nontrivial_draws_per_s"] = fused["nontrivial_draws_per_s"]
        if isinstance(floor, dict):
            gpu["ratio_fused_over_floor_draws"] = (
                fused["kernel_nontrivial_draws_per_s"] / floor["draws_per_s"])
    cupy_array = gpu.get("cupy_array")
    if isinstance(cupy_array, dict):
        gpu["ratio_cupy_array_over_numpy_realization_steps"] = (
            cupy_array["realization_steps_per_s"] / numpy_part["realization_steps_per_s"])


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _print(out: dict[str, Any], path: Path) -> None:
    numpy_part = out["numpy"]
    for name in ("realizations", "seconds", "process_cpu_seconds", "steps_per_realization",
                 "realization_steps_per_s", "realization_steps_per_cpu_s", "logical_draws_per_s",
                 "nontrivial_draws_per_s"):
        print(f"numpy {name:38s} {numpy_part[name]:.4g}")
    gpu = out["gpu"]
    if isinstance(gpu, str):
        print(f"gpu   {gpu}")
    else:
        for part in ("cupy_array", "fused", "floor"):
            value = gpu[part]
            if isinstance(value, str):
                print(f"{part:5s} {value}")
                continue
            for name in ("seconds", "kernel_seconds", "realization_steps_per_s",
                         "nontrivial_draws_per_s", "draws_per_s"):
                if name in value:
                    print(f"{part:5s} {name:38s} {value[name]:.4g}")
            if "matches_numpy" in value:
                print(f"{part:5s} {'matches_numpy':38s} {value['matches_numpy']}")
        for name, value in gpu.items():
            if name.startswith("ratio_"):
                print(f"      {name:38s} {value:.4g}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
