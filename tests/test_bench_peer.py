"""The peer benchmark (benchmarks/bench_peer.py) and its model (configs/peer_growth.yaml).

* The config is the model the benchmark compares, and oncosweep simulates it as stated: with
  ``max_restarts: 0`` a realization is one lineage from one cell, which reaches M = 1e4 cells
  with probability exactly 1 - d/b = 0.28 (a lineage dies out with probability d/b for every
  dt, docs/model.md; one that reaches 1e4 cells dies out afterwards with probability
  (d/b)^1e4, i.e. never). The mean time to detection has no simple exact formula in discrete
  time and is not tested.
* ``--quick`` runs end to end (when gillespy2 is installed) and writes the JSON's keys with
  positive rates; about 15 s on 2 cores, most of it compiling gillespy2's two C solvers.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from oncosweep import Scenario, simulate

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs/peer_growth.yaml"


def load_benchmark():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_peer", ROOT / "benchmarks/bench_peer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_config_is_one_lineage_to_detection_with_survival_one_minus_d_over_b() -> None:
    scenario = Scenario.from_yaml(CONFIG)
    tumour = scenario.tumour
    assert tumour.detection_size == 10_000 and tumour.initial_cells == 1
    assert scenario.simulation.max_restarts == 0 and not scenario.drugs
    realizations = 4000
    ds = simulate(scenario, realizations=realizations, seed=11)  # the fastest engine
    detected = ds["detected"].values
    survival = 1 - tumour.death_rate / tumour.birth_rate  # 0.28, exact
    standard_error = math.sqrt(survival * (1 - survival) / realizations)
    assert abs(detected.mean() - survival) < 4 * standard_error
    totals = ds["cells_at_detection"].values.sum(axis=1)
    assert (totals[detected] >= tumour.detection_size).all()
    assert (totals[~detected] == 0).all()  # died out, not given up
    assert (ds["restarts"].values[detected] == 0).all()
    assert (ds["restarts"].values[~detected] == 1).all()
    times = ds["time_to_detection"].values
    assert np.isfinite(times[detected]).all() and np.isnan(times[~detected]).all()


def test_gillespy2_end_time_gives_survivors_a_mean_of_m_cells() -> None:
    bench = load_benchmark()
    _, rates = bench.load_base(CONFIG)
    for size in (1e4, 1e9):
        t = rates.end_time(size)  # E[N(t) | N(t) > 0] = (b e^{rt} - d) / r
        mean = (rates.birth * math.exp(rates.net * t) - rates.death) / rates.net
        assert mean == pytest.approx(size, rel=1e-12)


def test_quick_run_writes_rates_for_every_engine(tmp_path: Path) -> None:
    pytest.importorskip("gillespy2")
    pytest.importorskip("SCons")
    output = tmp_path / "x.json"
    load_benchmark().main(["--quick", "--output", str(output)])
    result = json.loads(output.read_text())
    for key in ("machine", "model", "settings", "versions", "backends", "compile_seconds",
                "exponents", "table", "engines"):
        assert key in result, key
    assert result["versions"]["gillespy2"]
    assert [row["size"] for row in result["table"]] == [1e4, 1e6, 1e9]
    engines = ("oncosweep_numpy", "gillespy2_ssa_c", "gillespy2_tau_leaping_c")
    for row in result["table"]:
        for name in engines:
            entry = row[name]
            assert isinstance(entry, dict), (row["size"], name, entry)
            assert entry["realizations_per_s"] > 0
            assert isinstance(entry["extrapolated"], bool)
    assert not result["table"][0]["gillespy2_ssa_c"]["extrapolated"]  # 1e4 is measured
    assert result["table"][2]["gillespy2_ssa_c"]["extrapolated"]
    assert result["exponents"]["gillespy2_ssa_c"] > 0
    for name in engines:
        assert result["compile_seconds"][name] > 0
