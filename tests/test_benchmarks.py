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
])
def test_benchmark_runs_and_writes_json(name: str, args: list[str], key: str,
                                        tmp_path: Path) -> None:
    output = tmp_path / f"{name}.json"
    load(name).main([*args, "--output", str(output)])
    result = json.loads(output.read_text())
    assert result[key] > 0 and result["machine"]["cores"] >= 1
