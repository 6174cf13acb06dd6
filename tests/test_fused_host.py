"""The fused kernel's per-realization simulation, built for the CPU, equals the numpy engine.

``cuda/host_engine.cu`` compiles the very headers the GPU kernel runs (realization.cuh and
below) with the host C++ compiler; this is what ties the CUDA copy of the model to the numpy
reference on machines without a GPU. Every strategy of every config is compared realization
by realization: integer and boolean outputs exactly; float outputs exactly too, except that a
value formed through a transcendental function (log, exp, cos, pow: numpy's SIMD loops and
glibc may round the last bit differently) may differ by a few ulp (relative 1e-13). Draws made
from such a value could in principle differ too; the test counts realizations with any
difference beyond that and requires none (measured: none on the configs below).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oncosweep import Scenario
from oncosweep.gpu_engine import cuda_build
from oncosweep.gpu_engine.compile import compile_scenario
from oncosweep.gpu_engine.engine import EngineResult, run_engine

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TRANSCENDENTAL_RTOL = 1e-13

pytestmark = pytest.mark.skipif(cuda_build.host_compiler() is None,
                                reason="no host C++ compiler (g++/c++) to build the kernel")

# (config, realizations, horizon in days or None for the config's own): the numpy engine's
# cost is mostly per step, so long horizons are shortened (every strategy still switches,
# progresses and visits within them) to keep the suite's run time down.
CASES = [
    ("quickstart.yaml", 24, 600.0),
    ("strategy_continuous.yaml", 48, 600.0),
    ("strategy_intermittent.yaml", 48, 600.0),
    ("strategy_sequential.yaml", 48, 600.0),
    ("adaptive_competition.yaml", 12, 500.0),
    ("ctdna_monitoring.yaml", 32, 600.0),
    ("bench_standard.yaml", 24, None),
    ("bozic2013_dual.yaml", 12, 400.0),
    *[(path.name, 60, None) for path in sorted(CONFIGS.glob("mech_*.yaml"))],
]


def differing_realizations(a: EngineResult, b: EngineResult) -> dict[str, np.ndarray]:
    """Output name -> indices (rows) of realizations / traced rows whose values differ."""
    found = {}
    for name in EngineResult.__dataclass_fields__:
        if name == "stats":
            continue
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        if x.dtype.kind == "f":
            same = np.isclose(x, y, rtol=TRANSCENDENTAL_RTOL, atol=0.0) | (
                np.isnan(x) & np.isnan(y))
        else:
            same = x == y
        if same.size == 0:
            continue
        rows = np.nonzero(~same.reshape(same.shape[0], -1).all(axis=1))[0]
        if rows.size:
            found[name] = rows
    return found


@pytest.mark.parametrize(("config", "realizations", "horizon"), CASES,
                         ids=[c for c, _, _ in CASES])
def test_host_build_equals_numpy_engine(config: str, realizations: int,
                                        horizon: float | None) -> None:
    from oncosweep.gpu_engine.host_engine import run_host  # noqa: PLC0415 - builds on import

    scenario = Scenario.from_yaml(CONFIGS / config)
    if horizon is not None:
        scenario = scenario.with_parameters({"simulation.horizon": horizon})
    names = [plan.name for plan in scenario.strategy_plans()] or [None]
    for name in names:
        model = compile_scenario(scenario, name)
        # start > 0 and a seed/point pair exercise the full counter addressing
        reference = run_engine(model, realizations=realizations, seed=2026, point=5, start=11,
                               count_draws=True)
        host = run_host(model, realizations=realizations, seed=2026, point=5, start=11)
        assert differing_realizations(reference, host) == {}, (config, name)
        for stat in ("iterations", "lane_steps", "logical_draws", "nontrivial_draws"):
            assert host.stats[stat] == reference.stats[stat], (config, name, stat)


def test_host_build_is_chunk_invariant() -> None:
    """A realization's values depend on its global index only, not on the chunk."""
    from oncosweep.gpu_engine.host_engine import run_host  # noqa: PLC0415

    model = compile_scenario(Scenario.from_yaml(CONFIGS / "strategy_sequential.yaml"))
    whole = run_host(model, realizations=40, seed=3)
    parts = [run_host(model, realizations=n, seed=3, start=s) for s, n in ((0, 7), (7, 33))]
    for name in ("detected", "time_to_detection", "cells_at_detection", "time_to_progression",
                 "drug_exposure", "regimen_switches"):
        joined = np.concatenate([getattr(p, name) for p in parts])
        np.testing.assert_array_equal(getattr(whole, name), joined, err_msg=name)


def test_packer_matches_compiled_layout() -> None:
    """The Python packer reads layout.cuh; the compiled library reports the same sizes."""
    from oncosweep.gpu_engine import host_engine  # noqa: PLC0415
    from oncosweep.gpu_engine.kernel_layout import int_header_size, layout  # noqa: PLC0415

    lib = host_engine._library()
    assert lib.os_host_layout(0) == int_header_size()
    assert lib.os_host_layout(1) == len(layout()["OS_FLOAT_SCALARS"])
    assert lib.os_host_layout(2) == len(layout()["OS_OUTPUTS"])


def test_kernel_capacity_errors_name_the_field() -> None:
    from oncosweep.gpu_engine.kernel_layout import check_capacity  # noqa: PLC0415

    scenario = Scenario.from_yaml(CONFIGS / "quickstart.yaml")
    model = compile_scenario(scenario)
    assert check_capacity(model) == (8, model.n_loci)
    from dataclasses import replace  # noqa: PLC0415

    too_many = replace(model, emax=np.ones(9), drug_names=tuple("abcdefghi"))
    with pytest.raises(ValueError, match="n_drugs"):
        check_capacity(too_many)


def test_bad_probability_is_an_error_not_a_number() -> None:
    """birth_rate x dt > 1: the numpy engine raises; the kernel flags the realization and the
    launcher raises instead of returning numbers."""
    from dataclasses import replace  # noqa: PLC0415

    from oncosweep.gpu_engine.host_engine import run_host  # noqa: PLC0415

    model = compile_scenario(Scenario.from_yaml(CONFIGS / "mech_target.yaml"))
    broken = replace(model, birth_rate=model.birth_rate * 1e3)
    with pytest.raises(ValueError):
        run_engine(broken, realizations=2, seed=1)
    with pytest.raises(RuntimeError, match="probability"):
        run_host(broken, realizations=2, seed=1)
