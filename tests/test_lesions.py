"""Lesions and RECIST 1.1 in the engine (gpu_engine/lesions.py, cuda/lesions.cuh): the
measurement model, target / non-target / new lesions, and a constructed run whose best
response, time to response, duration of response and progression are worked out by hand.

(The numpy and compiled engines are tied on scenarios with RECIST in test_fused_host.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncosweep import Scenario, simulate
from oncosweep.gpu_engine import lesions, recist
from oncosweep.gpu_engine.compile import compile_scenario


def _diameter(cells: float, per_cm3: float = 1e9) -> float:
    return 10.0 * (6.0 * cells / per_cm3 / math.pi) ** (1.0 / 3.0)


def _scenario(**recist_fields: float) -> Scenario:
    """Constructed: 1e9 drug-sensitive cells shrinking at 0.1 per day under a constant
    infusion, and 1e3 cells of a clone the drug cannot touch growing at 0.05 per day; one
    lesion; no imaging noise; visits every 28 days for 400 days."""
    data = {
        "name": "constructed",
        "tumour": {
            "initial_population": [{"cell_type": "wt/proliferating", "cells": 1.0e9},
                                   {"cell_type": "R/proliferating", "cells": 1.0e3}],
            "detection_size": 1.0e9, "lethal_size": 1.0e13,
            "birth_rate": 0.2, "death_rate": 0.15,
            "loci": [{"name": "R", "mutation_rate": 0.0, "fitness_cost": 0.0,
                      "mechanisms": [{"type": "target", "drug": "x", "ic50_fold": math.inf}]}],
        },
        "simulation": {"dt": 0.5, "horizon": 400.0},
        "trace": {"realizations": 1, "every": 28.0},
        # occupancy C / (C + IC50) with C = R / k = 1e4 (IC50 1): 0.15 x 0.9999 kill per day
        "drugs": [{"name": "x", "mode": "kill", "emax": 0.15, "ic50": 1.0, "hill": 1.0,
                   "half_life": 0.01, "dosing": {"infusion": 1.0e4 * math.log(2) / 0.01}}],
        "regimens": [{"name": "x", "drugs": ["x"]}],
        "monitoring": {"visit_every": 28.0, "imaging": {"cv": 0.0, "detection_limit": 1.0e7},
                       "recist": {"noise_mm": 0.0, **recist_fields}},
        "strategies": [{"name": "continuous", "kind": "continuous", "regimen": "x"}],
    }
    return Scenario.from_dict(data)


def test_measured_diameter_is_the_sphere_of_the_volume_with_the_small_and_unseen_rules() -> None:
    model = compile_scenario(_scenario(noise_mm=0.0), "continuous")
    cells = np.array([[1.0e9], [2.0e7], [5.0e6], [0.0]])
    got = lesions.measure(np, model, (3, 4), 10, np.arange(4, dtype=np.uint64), cells)
    # 1e9 cells: 1 cm^3, 12.41 mm; 2e7: 3.37 mm -> counts as 5 mm; below 1e7 cells: not seen
    assert got[0, 0] == pytest.approx(_diameter(1e9), rel=1e-14)
    assert got[:, 0].tolist()[1:] == [5.0, 0.0, 0.0]
    noisy = compile_scenario(_scenario(noise_mm=2.0), "continuous")
    draws = lesions.measure(np, noisy, (3, 4), 10, np.arange(20_000, dtype=np.uint64),
                            np.full((20_000, 1), 1.0e10))
    # normal noise of 2 mm around 26.73 mm (4 SE: 0.057 mm on the mean)
    assert abs(draws.mean() - _diameter(1e10)) < 4 * 2.0 / math.sqrt(20_000)
    assert draws.std() == pytest.approx(2.0, rel=0.03)


def test_target_non_target_and_new_lesions() -> None:
    model = compile_scenario(_scenario(), "continuous")
    rl = lesions.RecistLanes.empty(np, 3)
    lanes = np.arange(3)
    # baseline: lane 0 has a 20 mm target and a 6 mm non-target; lane 1 only a 7 mm lesion
    # (no measurable disease); lane 2 one 30 mm target
    baseline = np.array([[20.0, 6.0, 0.0], [7.0, 0.0, 0.0], [30.0, 0.0, 0.0]])
    code, total = lesions.evaluate(np, model, rl, lanes, baseline)
    assert code.tolist() == [recist.NE] * 3 and total.tolist() == [20.0, 0.0, 30.0]
    assert rl.target.tolist() == [1, 0, 1] and rl.present.tolist() == [3, 1, 1]
    # shrinkage: lane 0 PR (13 <= 0.7 x 20); lane 1 has no target: SD, never PR; lane 2 a
    # lesion appears in compartment 2: PD
    code, total = lesions.evaluate(np, model, rl, lanes, np.array(
        [[13.0, 5.0, 0.0], [5.0, 0.0, 0.0], [20.0, 0.0, 5.0]]))
    assert code.tolist() == [recist.PR, recist.SD, recist.PD]
    # every lesion seen at baseline gone: CR (lane 0 needs its non-target gone too)
    code, _ = lesions.evaluate(np, model, rl, lanes[:2], np.array(
        [[0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]))
    assert code.tolist() == [recist.PR, recist.CR]


def test_constructed_run_by_hand() -> None:
    scenario = _scenario()
    ds = simulate(scenario, realizations=8, seed=11, backend="numpy", progress=False)
    # By hand: sensitive cells 1e9 exp(-0.09999 t) (kill 0.15 x 1e4 / (1e4 + 1)), resistant
    # 1e3 exp(0.05 t); one lesion of all cells, 1e9 cells per cm^3, seen from 1e7 cells.
    kill = 0.15 * 1e4 / (1e4 + 1.0)
    visits = np.arange(0, 401, 28)

    def cells(t: float) -> float:
        return 1e9 * math.exp((0.05 - kill) * t) + 1e3 * math.exp(0.05 * t)

    sums = [(_diameter(cells(t)) if cells(t) >= 1e7 else 0.0) for t in visits]
    sums = [max(s, 5.0) if s > 0 else 0.0 for s in sums]
    # day 0: 12.41 mm (baseline); day 28: 6.1e7 cells, 4.88 mm, counted as 5 mm: PR
    # (10 x 5 <= 7 x 12.41); day 56: 3.7e6 cells, not seen: CR; the lesion is seen again once
    # the clone passes 1e7 cells (1e3 e^{0.05 t} >= 1e7 at t = 184.2 d): day 196, 1.8e7
    # cells, 3.25 mm counted as 5 mm (>= 1.2 x nadir 0 and nadir + 5 mm): PD.
    assert sums[0] == pytest.approx(12.41, abs=0.01)
    assert sums[1] == 5.0 and sums[2] == 0.0
    pd_visit = next(i for i, s in enumerate(sums) if i > 2 and s > 0.0)
    assert visits[pd_visit] == 196
    # best response: CR first seen on day 56, confirmed on day 84 (>= 28 days later): CR;
    # the response run started on day 28 (a PR), so time to response = 28 days, and it lasts
    # to the PD on day 196: duration 168 days, ended by PD
    assert ds["best_response"].values.tolist() == [recist.CR] * 8
    assert ds["time_to_response"].values.tolist() == [28.0] * 8
    assert ds["duration_of_response"].values.tolist() == [168.0] * 8
    assert ds["response_ended"].values.all()
    assert ds["progressed"].values.all()
    assert ds["time_to_progression"].values.tolist() == [196.0] * 8
    traced = ds["sum_diameters"].isel(traced_realization=0).values
    # the shrinking 1e9 cells are near-deterministic (relative sd ~ 1e-4); the clone grown from
    # 1e3 cells is not: its size has a coefficient of variation of about
    # sqrt((b + d) / ((b - d) n0)) = 8.4 %, 2.8 % in diameter, so 12 % is over 4 sd
    np.testing.assert_allclose(traced[:8], sums[:8], rtol=1e-3, atol=0.0)
    np.testing.assert_allclose(traced[8: len(sums)], sums[8:], rtol=0.12, atol=0.0)


def test_without_recist_the_outputs_are_empty_and_progression_unchanged() -> None:
    scenario = _scenario()
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    del data["monitoring"]["recist"]
    plain = Scenario.from_dict(data)
    ds = simulate(plain, realizations=4, seed=11, backend="numpy", progress=False)
    assert (ds["best_response"].values == recist.NE).all()
    assert np.isnan(ds["time_to_response"].values).all()
    assert np.isnan(ds["sum_diameters"].values).all()
