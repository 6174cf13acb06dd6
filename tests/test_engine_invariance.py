"""A realization's values depend only on (seed, point, global index): never on chunking.

Realizations 0..999 are simulated as one chunk, as chunks of 7, and from other start offsets;
every variable must be identical (exact equality, NaN == NaN). The scenario exercises every
code path: two loci (mutation tree), two phenotypes (switching both ways), restarts with a
give-up after one restart, tracing of listed realizations, deaths at lethal size within the
horizon, and survival to the horizon.

Every test runs on both CPU engines: the numpy reference and the compiled ``cpu`` backend
(which must also equal the reference value for value). The numpy engine steps a chunk until
its slowest realization has finished, so chunks of 7 over hundreds of realizations cost it
minutes: on numpy the chunks-of-7 comparisons cover the first :data:`NUMPY_CHUNKED`
realizations (several chunk boundaries, the same property), on cpu all of them.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import xarray as xr

from oncosweep import Scenario, simulate
from oncosweep.gpu_engine import cpu_engine

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
NUMPY_CHUNKED = 14
"""Realizations of the chunks-of-7 comparisons on the numpy engine (2 chunks)."""
CPU = cpu_engine.probe()
BACKENDS = ["numpy", pytest.param("cpu", marks=pytest.mark.skipif(
    not CPU[0], reason=f"the cpu backend is not usable: {CPU[1]}"))]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def chunked_count(backend: str, n: int) -> int:
    """Realizations of a chunks-of-7 comparison on ``backend``."""
    return min(n, NUMPY_CHUNKED) if backend == "numpy" else n


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.from_dict(CONFIG)


@pytest.fixture(scope="module")
def whole(scenario: Scenario, backend: str) -> xr.Dataset:
    return simulate(scenario, realizations=N, seed=SEED, backend=backend)


def test_the_engines_agree_on_every_value(scenario: Scenario) -> None:
    if not CPU[0]:
        pytest.skip(f"the cpu backend is not usable: {CPU[1]}")
    numpy = simulate(scenario, realizations=N, seed=SEED, backend="numpy")
    xr.testing.assert_equal(simulate(scenario, realizations=N, seed=SEED, backend="cpu"),
                            numpy)


def test_scenario_exercises_every_path(whole: xr.Dataset) -> None:
    assert (~whole.detected).any(), "some realizations must be given up (max_restarts=1)"
    assert (whole.restarts > 0).any()
    assert whole.died.any() and (~whole.died & whole.detected).any()
    assert (whole.cells_at_detection.sel(cell_type="A+B/proliferating") > 0).any()
    assert (whole.cells_at_detection.sel(cell_type="wt/persister") > 0).any()
    assert whole.sizes["traced_realization"] == 4
    assert np.isnan(whole.trajectory).any() and np.isfinite(whole.trajectory).any()


def window_of(ds: xr.Dataset, start: int, count: int) -> xr.Dataset:
    """Realizations start .. start + count - 1 of ``ds``, with the traced ones among them."""
    traced = ds.traced_realization.values
    return ds.sel(realization=slice(start, start + count - 1),
                  traced_realization=traced[(traced >= start) & (traced < start + count)])


def test_chunks_of_seven_are_identical(scenario: Scenario, whole: xr.Dataset,
                                       backend: str) -> None:
    n = chunked_count(backend, N)
    chunked = simulate(scenario, realizations=n, seed=SEED, batch=7, backend=backend)
    xr.testing.assert_identical(chunked, window_of(whole, 0, n))


@pytest.mark.parametrize(("start", "count"), [(0, 1), (3, 10), (500, 500), (997, 3), (123, 456)])
def test_other_start_offsets_are_identical(
    scenario: Scenario, whole: xr.Dataset, start: int, count: int, backend: str
) -> None:
    part = simulate(scenario, realizations=count, seed=SEED, start=start, backend=backend)
    xr.testing.assert_identical(part, window_of(whole, start, count))


def test_seed_and_point_change_the_stream(scenario: Scenario, whole: xr.Dataset,
                                          backend: str) -> None:
    other_seed = simulate(scenario, realizations=50, seed=SEED + 1, backend=backend)
    other_point = simulate(scenario, realizations=50, seed=SEED, point=1, backend=backend)
    head = whole.isel(realization=slice(0, 50))
    for other in (other_seed, other_point):
        assert not np.array_equal(other.cells_at_detection.values, head.cells_at_detection.values)


def test_repeat_run_is_bit_identical(scenario: Scenario, backend: str) -> None:
    a = simulate(scenario, realizations=64, seed=5, start=10_000_000_000, backend=backend)
    b = simulate(scenario, realizations=64, seed=5, start=10_000_000_000, backend=backend)
    xr.testing.assert_identical(a, b)
    assert int(a.realization[0]) == 10_000_000_000  # high counter word in use


THERAPY = {
    "name": "invariance-therapy",
    "tumour": {
        "detection_size": 300, "lethal_size": 1200, "birth_rate": 0.9, "death_rate": 0.2,
        "loci": [
            {"name": "T", "mutation_rate": 0.01,
             "mechanisms": [{"type": "target", "drug": "k", "ic50_fold": 50}]},
            {"name": "E", "mutation_rate": 0.005, "fitness_cost": 0.1,
             "mechanisms": [{"type": "efflux", "drugs": ["k", "c"],
                             "concentration_factor": 0.3}]},
        ],
        "phenotypes": [{"name": "proliferating"},
                       {"name": "persister", "birth_factor": 0.1, "death_factor": 0.3,
                        "drug_effect_factor": 0.1}],
        "switching": [{"from": "proliferating", "to": "persister", "rate": 0.01,
                       "rate_on_drug": 0.1},
                      {"from": "persister", "to": "proliferating", "rate": 0.05}],
        "compartments": [{"name": "bulk"}, {"name": "niche", "drug_penetration": 0.6}],
        "migration": [{"from": "bulk", "to": "niche", "rate": 0.01},
                      {"from": "niche", "to": "bulk", "rate": 0.02}],
    },
    "simulation": {"dt": 0.1, "horizon": 40.0},
    "trace": {"realizations": [0, 7, 150], "every": 1.0},
    "growth": {"law": "lotka_volterra",
               "groups": [{"name": "S", "loci": [], "carrying_capacity": 4000},
                          {"name": "R", "loci": ["T", "E"], "carrying_capacity": 3000}],
               "alpha": [[1.0, 0.6], [1.4, 1.0]]},
    "immune": {"kill_rate": 0.02},
    "drugs": [
        {"name": "k", "mode": "kill", "emax": 3.0, "ic50": 1.0, "half_life": 0.7,
         "dosing": {"dose": 5.0, "every": 1.0}},
        {"name": "c", "mode": "cytostatic", "emax": 0.7, "ic50": 0.5, "half_life": 2.0,
         "dosing": {"infusion": 1.0}},
    ],
    "regimens": [{"name": "both", "drugs": ["k", {"drug": "c", "dose_factor": 0.5}]}],
    "treatment": {"regimen": "both"},
}


def test_therapy_realizations_are_chunk_invariant(backend: str) -> None:
    scenario = Scenario.from_dict(THERAPY)
    n = 300
    whole = simulate(scenario, realizations=n, seed=SEED, backend=backend)
    assert whole.cured.any() and (~whole.cured).any() and whole.died.any()
    assert (whole.cells_at_start.sel(cell_type="T+E/persister@niche") >= 0).all()
    assert (whole.drug_exposure > 0).all()
    chunked = chunked_count(backend, n)
    xr.testing.assert_identical(
        simulate(scenario, realizations=chunked, seed=SEED, batch=7, backend=backend),
        window_of(whole, 0, chunked))
    part = simulate(scenario, realizations=100, seed=SEED, start=101, backend=backend)
    window = whole.sel(realization=slice(101, 200), traced_realization=[150])
    xr.testing.assert_identical(part, window)


def test_policy_state_is_chunk_invariant(backend: str) -> None:
    """Strategies on (adaptive, ctDNA-guided switching, intermittent with an off-period
    regimen), imaging noise and ctDNA reads: still identical in every variable."""
    config = copy.deepcopy(THERAPY)
    config.pop("treatment")
    config["regimens"] += [{"name": "k_only", "drugs": ["k"]},
                           {"name": "c_only", "drugs": ["c"]}]
    config["monitoring"] = {
        "visit_every": 2.0,
        "imaging": {"cv": 0.2, "detection_limit": 20},
        "progression": {"reference": "nadir", "factor": 1.2, "floor": 50},
        "ctdna": {"shed_per_death": 0.05, "normal_genomes": 50, "depth": 200, "threshold": 2},
    }
    config["strategies"] = [
        {"name": "adaptive", "kind": "adaptive", "regimen": "both", "frac_off": 0.6,
         "frac_on": 0.9, "dose_levels": [1.0, 0.5]},
        {"name": "ctdna", "kind": "ctdna_switch", "regimens": ["k_only", "c_only"]},
        {"name": "pulsed", "kind": "intermittent", "regimen": "k_only", "off_regimen": "c_only",
         "on_days": 3.0, "off_days": 2.0},
    ]
    scenario = Scenario.from_dict(config)
    n = 70
    whole = simulate(scenario, realizations=n, seed=SEED, backend=backend)
    assert set(whole.strategy.values) == {"adaptive", "ctdna", "pulsed"}
    assert whole.progressed.any() and (whole.regimen_switches.sel(strategy="ctdna") > 0).any()
    assert np.isfinite(whole.ctdna_detection_time).any()
    assert np.isfinite(whole.observed_burden).any()
    chunked = chunked_count(backend, n)
    xr.testing.assert_identical(
        simulate(scenario, realizations=chunked, seed=SEED, batch=7, backend=backend),
        window_of(whole, 0, chunked))
    part = simulate(scenario, realizations=30, seed=SEED, start=40, backend=backend)
    window = whole.sel(realization=slice(40, 69), traced_realization=[])
    xr.testing.assert_identical(part, window)
    assert "strategy" not in whole.cells_at_start.dims and "strategy" in whole.cured.dims
