"""The ``cpu`` backend (the fused kernel's per-realization simulation built for the CPU) equals
the numpy engine, whatever its thread count or chunking.

``cuda/host_engine.cu`` compiles the very headers the GPU kernel runs (realization.cuh and
below) with the host C++ compiler; this is what ties the CUDA copy of the model to the numpy
reference on machines without a GPU. Every strategy of every config is compared realization
by realization, on 1, 2 and 3 threads and over uneven chunks: integer and boolean outputs
exactly; float outputs exactly too, except that a value formed through a transcendental
function (log, exp, cos, pow: numpy's SIMD loops and glibc may round the last bit differently)
may differ by a few ulp (relative 1e-13). Draws made from such a value could in principle
differ too; the test counts realizations with any difference beyond that and requires none
(measured: none on the configs below). The runs on several threads and chunkings must equal
the one-thread run exactly (same library, same arithmetic).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from oncosweep import Scenario
from oncosweep.gpu_engine import cuda_build
from oncosweep.gpu_engine.compile import compile_scenario
from oncosweep.gpu_engine.realization import run_engine
from oncosweep.gpu_engine.record import EngineResult, concatenate_results

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TRANSCENDENTAL_RTOL = 1e-13

pytestmark = pytest.mark.skipif(cuda_build.host_compiler() is None,
                                reason="no host C++ compiler (g++/c++) to build the kernel")
CHUNKINGS = ((1, (None,)), (2, (None,)), (3, (5, 1, None)))
"""(threads, chunk sizes): realizations split into consecutive chunks of these sizes (None:
the rest), each run on that many threads."""

# (config, realizations, horizon in days or None for the config's own): the numpy engine's
# cost is mostly per step, so long horizons are shortened (every strategy still switches,
# progresses and visits within them) to keep the suite's run time down.
CASES = [
    ("quickstart.yaml", 12, 420.0),
    ("strategy_continuous.yaml", 48, 600.0),
    ("strategy_intermittent.yaml", 48, 600.0),
    ("strategy_sequential.yaml", 48, 600.0),
    ("adaptive_competition.yaml", 12, 500.0),
    ("ctdna_monitoring.yaml", 32, 600.0),
    ("bench_standard.yaml", 24, None),
    ("bozic2013_dual.yaml", 12, 400.0),
    *[(path.name, 60, None) for path in sorted(CONFIGS.glob("mech_*.yaml"))],
]
# Scenarios no shipped config covers: case id -> (config, realizations, parameter updates).
# A new parameter that no config sets gets a case here (docs/contributing.md), so that the
# engines are tied on a scenario that uses it.
EDITED = {
    # small steps (the quickstart runs at dt 1 above): drug pieces, switching, visits
    "sequential_dt_0.25": ("strategy_sequential.yaml", 16, {"simulation.dt": 0.25,
                                                            "simulation.horizon": 300.0}),
    # the euler scheme (the configs run the default exact scheme): drugs, switching,
    # migration, mutation trees and crowding between them
    "quickstart_euler": ("quickstart.yaml", 16, {"simulation.scheme": "euler",
                                                 "simulation.horizon": 300.0}),
    "persister_euler": ("mech_persister.yaml", 40, {"simulation.scheme": "euler"}),
    "sanctuary_euler": ("mech_sanctuary.yaml", 40, {"simulation.scheme": "euler"}),
    "competition_euler": ("adaptive_competition.yaml", 8, {"simulation.scheme": "euler",
                                                           "simulation.horizon": 300.0}),
    # the ctDNA assay model (copies in a tube, reads with errors, clonal haematopoiesis)
    "ctdna_assay": ("ctdna_monitoring.yaml", 32, {
        "monitoring.ctdna.assay": {"shedding": 1.4e-4, "error_rate": 1e-4, "ch_vaf": 2e-5},
        "monitoring.ctdna.depth": 20000, "simulation.horizon": 400.0}),
    # lesions and RECIST 1.1: progression by PD, a new baseline at the switch, best response
    "sequential_recist": ("strategy_sequential.yaml", 48, {
        "monitoring.recist": {}, "simulation.horizon": 600.0}),
    # two compartments as two lesions (a new lesion when the brain is seeded), tiny lesions
    "sanctuary_recist": ("mech_sanctuary.yaml", 40, {"monitoring": {
        "visit_every": 14.0, "imaging": {"cv": 0.0, "detection_limit": 1e2},
        "recist": {"cells_per_cm3": 1e3}}}),
    # the exact scheme with large steps: several pieces of strongly varying drug effect
    "persister_exact_dt_1": ("mech_persister.yaml", 40, {"simulation.dt": 1.0}),
    # derived quadrature piece counts above 2 (derived.kendall_pieces): a 0.2-day half-life
    # takes 3 pieces per half at dt = 0.5 and the most, 8, at dt = 1
    "persister_pieces_6": ("mech_persister.yaml", 40, {"drugs[0].half_life": 0.2}),
    "persister_pieces_8": ("mech_persister.yaml", 40, {"drugs[0].half_life": 0.2,
                                                       "simulation.dt": 1.0}),
}


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


def run_chunked(model, *, realizations: int, seed: int, point: int, start: int, threads: int,
                sizes: tuple[int | None, ...]) -> EngineResult:
    """The cpu backend over consecutive chunks of ``sizes`` on ``threads`` threads."""
    from oncosweep.gpu_engine.cpu_engine import run_cpu  # noqa: PLC0415 - builds on use

    parts, first, end = [], start, start + realizations
    for size in sizes:
        count = end - first if size is None else min(size, end - first)
        if count <= 0:
            break
        parts.append(run_cpu(model, realizations=count, seed=seed, point=point, start=first,
                             threads=threads))
        first += count
    return concatenate_results(parts)


def same_results(a: EngineResult, b: EngineResult) -> bool:
    """Every output identical (NaN where NaN), and the same chunk statistics."""
    for name in EngineResult.__dataclass_fields__:
        if name != "stats" and not np.array_equal(getattr(a, name), getattr(b, name),
                                                  equal_nan=getattr(a, name).dtype.kind == "f"):
            return False
    return all(a.stats[k] == b.stats[k] for k in ("lane_steps", "nontrivial_draws"))

# The exact step's jumps (kendall_step._jump) on model structures no config has: three
# phenotypes (one multinomial over the final states, two-hop moves included; the persister's
# switching follows the drug, so while the persister type is empty its sources take the
# two-jump fallback), three compartments (migration only) and phenotypes with compartments
# (always the two jumps). Case id -> (config, realizations, tumour entries replaced).
PERSISTER = {"name": "persister", "birth_factor": 0.1, "death_factor": 0.5,
             "drug_effect_factor": 0.01}
JUMP_CASES = {
    "persister_three_states": ("mech_persister.yaml", 40, {
        "phenotypes": [{"name": "proliferating"}, PERSISTER,
                       {"name": "dormant", "birth_factor": 0.01, "death_factor": 0.2,
                        "drug_effect_factor": 0.01}],
        "switching": [
            {"from": "proliferating", "to": "persister", "rate": 1.0e-3, "rate_on_drug": 0.05},
            {"from": "persister", "to": "proliferating", "rate": 0.01},
            {"from": "persister", "to": "dormant", "rate": 0.02, "rate_on_drug": 0.08},
            {"from": "dormant", "to": "proliferating", "rate": 0.03}]}),
    "sanctuary_three_compartments": ("mech_sanctuary.yaml", 40, {
        "compartments": [{"name": "bulk"}, {"name": "brain", "drug_penetration": 0.01},
                         {"name": "marrow", "drug_penetration": 0.1}],
        "migration": [{"from": "bulk", "to": "brain", "rate": 1.0e-3},
                      {"from": "brain", "to": "bulk", "rate": 1.0e-3},
                      {"from": "bulk", "to": "marrow", "rate": 2.0e-2},
                      {"from": "marrow", "to": "brain", "rate": 1.0e-2}]}),
    "sanctuary_persister": ("mech_sanctuary.yaml", 40, {
        "phenotypes": [{"name": "proliferating"}, PERSISTER],
        "switching": [
            {"from": "proliferating", "to": "persister", "rate": 1.0e-3, "rate_on_drug": 0.05},
            {"from": "persister", "to": "proliferating", "rate": 0.01}]}),
}


@pytest.mark.parametrize(
    ("config", "realizations", "updates"),
    [(c, n, {} if h is None else {"simulation.horizon": h}) for c, n, h in CASES]
    + list(EDITED.values()),
    ids=[c for c, _, _ in CASES] + list(EDITED))
def test_host_build_equals_numpy_engine(config: str, realizations: int,
                                        updates: dict[str, float]) -> None:
    # a config that is a population runs at its reference values here: the numpy engine runs
    # a population one model per realization, and test_population.py ties the engines on
    # every config with its parameters varying
    scenario = Scenario.from_yaml(CONFIGS / config).at_reference()
    if updates:
        scenario = scenario.with_parameters(updates)
    assert_engines_tied(scenario, config, realizations)


@pytest.mark.parametrize(("config", "realizations", "tumour"), list(JUMP_CASES.values()),
                         ids=list(JUMP_CASES))
def test_host_build_equals_numpy_engine_on_jump_structures(config: str, realizations: int,
                                                           tumour: dict[str, Any]) -> None:
    data = yaml.safe_load((CONFIGS / config).read_text(encoding="utf-8"))
    data["tumour"].update(tumour)
    assert_engines_tied(Scenario.from_dict(data), config, realizations)


def assert_engines_tied(scenario: Scenario, config: str, realizations: int) -> None:
    """The numpy engine and the host build give the same results, chunked in every way."""
    names = [plan.name for plan in scenario.strategy_plans()] or [None]
    for name in names:
        model = compile_scenario(scenario, name)
        # start > 0 and a seed/point pair exercise the full counter addressing
        reference = run_engine(model, realizations=realizations, seed=2026, point=5, start=11,
                               count_draws=True)
        runs = {(threads, sizes): run_chunked(model, realizations=realizations, seed=2026,
                                              point=5, start=11, threads=threads, sizes=sizes)
                for threads, sizes in CHUNKINGS}
        host = runs[CHUNKINGS[0]]
        assert differing_realizations(reference, host) == {}, (config, name)
        for stat in ("iterations", "lane_steps", "logical_draws", "nontrivial_draws"):
            assert host.stats[stat] == reference.stats[stat], (config, name, stat)
        for layout, run in runs.items():
            assert same_results(run, host), (config, name, layout)


def test_host_build_is_chunk_invariant() -> None:
    """A realization's values depend on its global index only, not on the chunk."""
    from oncosweep.gpu_engine.cpu_engine import run_cpu  # noqa: PLC0415

    model = compile_scenario(Scenario.from_yaml(CONFIGS / "strategy_sequential.yaml"))
    whole = run_cpu(model, realizations=40, seed=3, threads=2)
    parts = [run_cpu(model, realizations=n, seed=3, start=s, threads=t)
             for s, n, t in ((0, 7, 1), (7, 33, 3))]
    for name in ("detected", "time_to_detection", "cells_at_detection", "time_to_progression",
                 "drug_exposure", "regimen_switches"):
        joined = np.concatenate([getattr(p, name) for p in parts])
        np.testing.assert_array_equal(getattr(whole, name), joined, err_msg=name)


def test_packer_matches_compiled_layout() -> None:
    """The Python packer reads layout.cuh; each compiled library reports the same sizes and the
    capacities it was built for."""
    from oncosweep.gpu_engine import cpu_engine  # noqa: PLC0415
    from oncosweep.gpu_engine.layout import (  # noqa: PLC0415
        MAX_KERNEL_LOCI,
        int_header_size,
        layout,
    )

    for capacity in (8, 16):
        lib = cpu_engine.library(capacity)
        assert lib.os_host_layout(0) == int_header_size()
        assert lib.os_host_layout(1) == len(layout()["OS_FLOAT_SCALARS"])
        assert lib.os_host_layout(2) == len(layout()["OS_OUTPUTS"])
        assert (lib.os_host_layout(4), lib.os_host_layout(5)) == (capacity, MAX_KERNEL_LOCI)


def test_each_model_gets_the_smallest_library_that_holds_it() -> None:
    from oncosweep.gpu_engine.layout import pack_model  # noqa: PLC0415

    quick = compile_scenario(Scenario.from_yaml(CONFIGS / "quickstart.yaml"))
    bench = compile_scenario(Scenario.from_yaml(CONFIGS / "bench_standard.yaml"))
    assert (quick.n_types, pack_model(quick).type_capacity) == (32, 32)  # 4 loci x 2 states
    assert (bench.n_types, pack_model(bench).type_capacity) == (16, 16)


def test_kernel_capacity_errors_name_the_field() -> None:
    from oncosweep.gpu_engine.layout import check_capacity  # noqa: PLC0415

    scenario = Scenario.from_yaml(CONFIGS / "quickstart.yaml")
    model = compile_scenario(scenario)
    assert check_capacity(model) == (32, model.n_loci)
    too_many = model.replace(emax=np.ones(9), drug_names=tuple("abcdefghi"))
    with pytest.raises(ValueError, match="n_drugs"):
        check_capacity(too_many)


def test_bad_probability_is_an_error_not_a_number() -> None:
    """birth_rate x dt > 1: the numpy engine raises; the kernel flags the realization and the
    launcher raises instead of returning numbers."""
    from oncosweep.gpu_engine.cpu_engine import run_cpu  # noqa: PLC0415

    model = compile_scenario(Scenario.from_yaml(CONFIGS / "mech_target.yaml"))
    broken = model.replace(birth_rate=model.birth_rate * 1e3, scheme="euler")
    with pytest.raises(ValueError):
        run_engine(broken, realizations=2, seed=1)
    for threads in (1, 2):
        with pytest.raises(RuntimeError, match="probability"):
            run_cpu(broken, realizations=2, seed=1, threads=threads)


def test_threads_must_be_a_positive_whole_number() -> None:
    from oncosweep.gpu_engine.cpu_engine import run_cpu  # noqa: PLC0415

    model = compile_scenario(Scenario.from_yaml(CONFIGS / "mech_target.yaml"))
    for bad, error in ((0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="^threads: "):
            run_cpu(model, realizations=2, seed=1, threads=bad)


def test_progress_is_reported_and_cancel_stops_before_any_realization() -> None:
    """``on_iteration`` ends at 0 active realizations; a raised cancel flag (what Ctrl-C sets)
    stops the threads before they take a realization, leaving the outputs as allocated."""
    import ctypes  # noqa: PLC0415

    from oncosweep.gpu_engine import cpu_engine, rng  # noqa: PLC0415
    from oncosweep.gpu_engine.layout import layout, pack_model  # noqa: PLC0415
    from oncosweep.gpu_engine.record import allocate_raw, trace_rows  # noqa: PLC0415

    model = compile_scenario(Scenario.from_yaml(CONFIGS / "quickstart.yaml"))
    seen: list[int] = []
    cpu_engine.run_cpu(model, realizations=300, seed=1, threads=2,
                       on_iteration=lambda _it, active: seen.append(active))
    assert seen and seen[-1] == 0 and seen == sorted(seen, reverse=True)

    packed = pack_model(model)
    lib = cpu_engine.library(packed.type_capacity)
    traced, rows = trace_rows(model, 0, 50)
    outputs = allocate_raw(np, model, 50, traced.size)
    addresses = np.array([a.ctypes.data for a in outputs.values()], dtype=np.uint64)
    stats = np.zeros(len(layout()["OS_STATS"]), dtype=np.uint64)
    done, cancel = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
    key = rng.make_key(1, 0)
    used = lib.os_host_simulate(packed.fparams.ctypes.data, packed.iparams.ctypes.data, 0, 0,
                                key[0],
                                key[1], 0, 50, rows.ctypes.data, addresses.ctypes.data,
                                stats.ctypes.data, 2, done.ctypes.data, cancel.ctypes.data)
    assert used == 2 and int(done[0]) == 0 and not stats.any()
    assert not outputs["detect_it"].any() and ctypes.sizeof(ctypes.c_int64) == 8


def test_concurrent_processes_build_one_library(tmp_path: Path) -> None:
    """Several processes asking for the same library at once (Dask workers starting together)
    all load it; it is built once, under the file lock, with no temporary file left behind."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = ("from oncosweep.gpu_engine import cpu_engine; lib = cpu_engine.library(8); "
            "print(lib.os_host_layout(4))")
    env = {**__import__("os").environ, "ONCOSWEEP_BUILD_DIR": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == ["8", "8", "8"]
    libraries = sorted(f.name for f in tmp_path.iterdir() if f.suffix == ".so")
    assert len(libraries) == 1 and "OS_HOST_TMAX8" in libraries[0], libraries
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]
