"""benchmarks/bench_population.py runs in its quick mode (40 realizations, output to a
temporary folder) and writes the JSON its table in docs/benchmarks.md reads. Not timed here:
real numbers come from running it by hand (benchmarks/results/bench_population.json)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from oncosweep.gpu_engine import cpu_engine

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_quick_mode_writes_both_cases_with_ratios(tmp_path: Path) -> None:
    usable, what = cpu_engine.probe()
    if not usable:
        pytest.skip(f"the cpu backend is not usable here: {what}")
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("bench_population",
                                                  BENCHMARKS / "bench_population.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    output = tmp_path / "bench_population.json"
    module.main(["--quick", "--output", str(output)])
    result = json.loads(output.read_text())
    assert result["benchmark"] == "bench_population" and result["quick"] is True
    assert "cpu" in result["machine"]
    assert set(result["cases"]) == {"quickstart", "imaging_only"}
    for rows in result["cases"].values():
        for row in rows:
            assert row["realizations"] == 40 and row["threads"] >= 1
            assert row["homogeneous_lane_steps"] > 0 and row["population_lane_steps"] > 0
            assert row["wall_ratio"] == pytest.approx(row["population_seconds"]
                                                      / row["homogeneous_seconds"])
            assert row["blocks_seconds"] > 0
    # the imaging noise moves no tumour: the same realization-steps as the homogeneous run
    only = result["cases"]["imaging_only"][0]
    assert only["population_lane_steps"] == only["homogeneous_lane_steps"]
