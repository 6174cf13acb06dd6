"""The benchmarks run (tiny sizes, outputs to a temporary folder): they are not timed here,
only kept from rotting. Real numbers come from running them by hand (benchmarks/results)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("name", "args", "key"), [
    ("bench_samplers", ["--lanes", "2000", "--repeats", "1"], "philox_blocks_per_s"),
    ("bench_step_scaling", ["--lanes", "32", "--steps", "2"], "ratio_1e12_over_1e3"),
    ("bench_engine", ["--realizations", "20", "--config",
                      str(BENCHMARKS.parent / "configs/mech_target.yaml")],
     "ratio_effective_draws_engine_over_numpy"),
    ("bench_cpu", ["--sizes", "6,10", "--pool-size", "300", "--configs",
                   str(BENCHMARKS.parent / "configs/mech_target.yaml")], "threads"),
])
def test_benchmark_runs_and_writes_json(name: str, args: list[str], key: str,
                                        tmp_path: Path) -> None:
    output = tmp_path / f"{name}.json"
    load(name).main([*args, "--output", str(output)])
    result = json.loads(output.read_text())
    assert result[key] > 0 and result["machine"]["cores"] >= 1


def test_gpu_benchmark_runs_the_numpy_part_and_never_invents_gpu_numbers(
        tmp_path: Path) -> None:
    output = tmp_path / "bench_gpu.json"
    load("bench_gpu").main(["--config", str(BENCHMARKS.parent / "configs/mech_target.yaml"),
                            "--realizations-numpy", "8", "--realizations-gpu", "256",
                            "--warmup-realizations", "16", "--pool-size", "500",
                            "--output", str(output)])
    result = json.loads(output.read_text())
    numpy = result["numpy"]
    for key in ("realization_steps_per_s", "logical_draws_per_s", "nontrivial_draws_per_s",
                "steps_per_realization"):
        assert numpy[key] > 0, key
    assert 0 < result["draw_pool"]["size"] <= 500
    assert set(result["targets"]) == {"fused_over_numpy_realization_steps",
                                      "fused_nontrivial_draws_per_s", "fused_over_floor_draws"}
    assert "gpu" in result["machine"]
    if result["machine"]["gpu"] is None:  # no usable CUDA device: the GPU parts are skipped
        assert result["gpu"].startswith("skipped: ")
    else:
        assert {"cupy_array", "fused", "floor"} <= set(result["gpu"])
