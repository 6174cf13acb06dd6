"""A realization's values depend only on (seed, point, global index): never on chunking.

Realizations 0..999 are simulated as one chunk, as chunks of 7, and from other start offsets;
every variable must be identical (exact equality, NaN == NaN). The scenario exercises every
code path: two loci (mutation tree), two phenotypes (switching both ways), restarts with a
give-up after one restart, tracing of listed realizations, deaths at lethal size within the
horizon, and survival to the horizon.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from oncosweep import Scenario, simulate

CONFIG = {
    "name": "invariance",
    "tumour": {
        "initial_cells": 1,
        "detection_size": 40,
        "lethal_size": 500,
        "birth_rate": 1.0,
        "death_rate": 0.3,
        "loci": [
            {"name": "A", "mutation_rate": 0.02, "fitness_cost": 0.1},
            {"name": "B", "mutation_rate": 0.01},
        ],
        "phenotypes": [
            {"name": "proliferating"},
            {"name": "persister", "birth_factor": 0.1, "death_factor": 0.2},
        ],
        "switching": [
            {"from": "proliferating", "to": "persister", "rate": 0.05},
            {"from": "persister", "to": "proliferating", "rate": 0.2},
        ],
    },
    "simulation": {"dt": 0.1, "horizon": 4.0, "max_restarts": 1},
    "trace": {"realizations": [3, 500, 998, 999], "every": 0.5},
}
SEED = 11
N = 1000


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.from_dict(CONFIG)


@pytest.fixture(scope="module")
def whole(scenario: Scenario) -> xr.Dataset:
    return simulate(scenario, realizations=N, seed=SEED)


def test_scenario_exercises_every_path(whole: xr.Dataset) -> None:
    assert (~whole.detected).any(), "some realizations must be given up (max_restarts=1)"
    assert (whole.restarts > 0).any()
    assert whole.died.any() and (~whole.died & whole.detected).any()
    assert (whole.cells_at_detection.sel(cell_type="A+B/proliferating") > 0).any()
    assert (whole.cells_at_detection.sel(cell_type="wt/persister") > 0).any()
    assert whole.sizes["traced_realization"] == 4
    assert np.isnan(whole.trajectory).any() and np.isfinite(whole.trajectory).any()


def test_chunks_of_seven_are_identical(scenario: Scenario, whole: xr.Dataset) -> None:
    chunked = simulate(scenario, realizations=N, seed=SEED, batch=7)
    xr.testing.assert_identical(chunked, whole)


@pytest.mark.parametrize(("start", "count"), [(0, 1), (3, 10), (500, 500), (997, 3), (123, 456)])
def test_other_start_offsets_are_identical(
    scenario: Scenario, whole: xr.Dataset, start: int, count: int
) -> None:
    part = simulate(scenario, realizations=count, seed=SEED, start=start)
    window = whole.sel(realization=slice(start, start + count - 1))
    traced = whole.traced_realization.values
    window = window.sel(
        traced_realization=traced[(traced >= start) & (traced < start + count)]
    )
    xr.testing.assert_identical(part, window)


def test_seed_and_point_change_the_stream(scenario: Scenario, whole: xr.Dataset) -> None:
    other_seed = simulate(scenario, realizations=50, seed=SEED + 1)
    other_point = simulate(scenario, realizations=50, seed=SEED, point=1)
    head = whole.isel(realization=slice(0, 50))
    for other in (other_seed, other_point):
        assert not np.array_equal(other.cells_at_detection.values, head.cells_at_detection.values)


def test_repeat_run_is_bit_identical(scenario: Scenario) -> None:
    a = simulate(scenario, realizations=64, seed=5, start=10_000_000_000)
    b = simulate(scenario, realizations=64, seed=5, start=10_000_000_000)
    xr.testing.assert_identical(a, b)
    assert int(a.realization[0]) == 10_000_000_000  # high counter word in use
