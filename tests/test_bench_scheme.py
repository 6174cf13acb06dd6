"""benchmarks/bench_scheme.py runs in its quick mode (tiny counts, two dt values, output to a
temporary folder) and writes the JSON structure the report reads. Not timed here: real numbers
come from running it by hand (benchmarks/results/bench_scheme.json)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from oncosweep.gpu_engine import cpu_engine

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict:
    usable, what = cpu_engine.probe()
    if not usable:
        pytest.skip(f"the cpu backend is not usable here: {what}")
    output = tmp_path_factory.mktemp("bench") / "bench_scheme.json"
    load("bench_scheme").main(["--quick", "--output", str(output)])
    return json.loads(output.read_text())


def test_quick_mode_writes_machine_info_and_cost_per_step(quick: dict) -> None:
    assert quick["benchmark"] == "bench_scheme" and quick["quick"] is True
    assert quick["machine"]["cores"] >= 1
    assert quick["targets"]["cost_ratio_exact_over_euler_max"] == 2.0
    configs = quick["cost"]["configs"]
    assert set(configs) == {"quickstart", "bench_standard"}
    for cost in configs.values():
        for scheme in ("exact", "euler"):
            for label in ("threads_1", "threads_all"):
                run = cost[scheme][label]
                assert run["realization_steps"] > 0 and run["seconds"] > 0
                assert run["seconds_per_realization_step"] == pytest.approx(
                    run["seconds"] / run["realization_steps"])
        assert all(r > 0 for r in cost["ratio_exact_over_euler"].values())
    assert set(quick["summary"]["cost_ratio_exact_over_euler"]) == set(configs)


def test_quick_mode_ladder_records_refusals_medians_and_the_dt_needed(quick: dict) -> None:
    accuracy = quick["accuracy"]
    assert accuracy["ladder_days"] == [1.0, 0.5]
    euler = {row["dt_days"]: row for row in accuracy["runs"]["euler"]}
    # a step the euler scheme refuses (a probability outside [0, 1]) is recorded with the
    # reason; the quickstart's rates allow euler at 1 day since its rebuild (issue 16)
    for row in euler.values():
        assert row["status"] in ("ok", "refused")
        assert row["status"] == "ok" or "dt" in row["reason"]
    for rows in accuracy["runs"].values():
        for row in rows:
            if row["status"] != "ok":
                continue
            assert row["wall_seconds_per_1000"] > 0 and row["steps_per_realization"] > 0
            for endpoint in ("progression", "death"):
                estimate = row[endpoint]
                assert estimate["n"] == accuracy["realizations_per_dt"]
                assert set(estimate) >= {"median_interpolated_days", "se_days",
                                         "km_median_days"}
    for endpoint in ("progression", "death"):
        needed = accuracy["endpoints"][endpoint]
        assert needed["reference"]["scheme"] == "exact"
        assert needed["reference"]["dt_days"] == 0.5
        exact = needed["schemes"]["exact"]
        reference_point = exact["points"][0]  # sorted by dt: the reference itself
        assert reference_point["relative_error"] == 0 and reference_point["within"]
        retimed = exact["dt_for_1pct"]["retimed_seconds_per_1000"]
        assert retimed["threads_1"] > 0 and retimed["threads_all"] > 0
        assert set(quick["summary"][endpoint]) == {"exact", "euler"}


def test_interpolated_median_crosses_one_half_between_event_times() -> None:
    bench = load("bench_scheme")
    # no censoring: S = 0.75 after 10, 0.25 after 20 -> 1/2 halfway between them
    time_ = np.array([10.0, 20.0, 20.0, 30.0])
    assert bench.interpolated_median(time_, np.ones(4, dtype=bool)) == pytest.approx(15.0)
    # S drops from 1 to 0.4 at 5: the line from (0, 1) crosses 1/2 at 5 * 0.5 / 0.6
    assert bench.interpolated_median(np.array([5.0, 5.0, 5.0, 9.0, 9.0]),
                                     np.array([1, 1, 1, 0, 0], dtype=bool)) == pytest.approx(
        5 * 0.5 / 0.6)
    # S = 2/3 after the only event, then censoring: never reaches 1/2
    assert math.isnan(bench.interpolated_median(np.array([1.0, 2.0, 3.0]),
                                                np.array([True, False, False])))
