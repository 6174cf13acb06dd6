"""The peer benchmark's (bench_peer.py) oncosweep side: the config checked to be the peer
growth model, and timed ``oncosweep.simulate`` calls."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import yaml
from _peer_types import SEED, Rates, Run, Runner, mean_or_none

from oncosweep import Scenario, simulate


def load_base(path: Path) -> tuple[dict[str, Any], Rates]:
    """The config as a dict and its rates; refuses a config that is not the one-locus growth
    model this benchmark's gillespy2 model reproduces."""
    data = yaml.safe_load(path.read_text())
    scenario = Scenario.from_dict(data)
    tumour, sim = scenario.tumour, scenario.simulation
    loci = tumour.loci
    problems = []
    if tumour.initial_cells != 1:
        problems.append("tumour.initial_cells must be 1")
    if len(loci) != 1 or loci[0].fitness_cost != 0 or loci[0].mechanisms:
        problems.append("tumour must have one locus without fitness cost or mechanisms")
    if len(tumour.phenotypes) != 1 or tumour.switching or len(tumour.compartments) != 1:
        problems.append("tumour must have one phenotype and one compartment")
    if scenario.drugs or scenario.strategies or scenario.treatment is not None:
        problems.append("the scenario must have no therapy")
    if scenario.growth.law != "exponential" or scenario.immune is not None:
        problems.append("growth must be exponential without immune kill")
    if sim.max_restarts != 0:
        problems.append("simulation.max_restarts must be 0 (one lineage per realization)")
    if problems:
        raise SystemExit(f"{path}: not the peer growth model: " + "; ".join(problems))
    return data, Rates(tumour.birth_rate, tumour.death_rate, loci[0].mutation_rate, sim.dt)


def scenario_at(base: dict[str, Any], size: float) -> Scenario:
    """The config with ``detection_size`` = ``size`` cells."""
    data = copy.deepcopy(base)
    data["tumour"]["detection_size"] = size
    return Scenario.from_dict(data)


def oncosweep_runner(base: dict[str, Any], backend: str, threads: int | None) -> Runner:
    """Times ``simulate(scenario, realizations=K, seed=1, backend=backend[, threads=])``."""
    scenarios: dict[float, Scenario] = {}
    options: dict[str, Any] = {} if threads is None else {"threads": threads}
    next_start = [0]  # each call simulates new realizations (global indices)

    def run(size: float, realizations: int, timeout: float | None) -> Run:
        del timeout  # oncosweep calls are not interrupted; their cost is predicted instead
        if size not in scenarios:
            scenarios[size] = scenario_at(base, size)
        first = next_start[0]
        next_start[0] += realizations
        start = time.perf_counter()
        ds = simulate(scenarios[size], realizations=realizations, seed=SEED, start=first,
                      backend=backend, **options)
        seconds = time.perf_counter() - start
        detected = ds["detected"].values
        cells = ds["cells_at_detection"].values
        totals = cells.sum(axis=1)
        ds_backend = ds.attrs.get("backend")
        if ds_backend != backend:
            raise RuntimeError(f"asked for backend {backend!r}, {ds_backend!r} ran")
        return Run(size, realizations, seconds, {
            "surviving_fraction": float(detected.mean()),
            "survivors_mean_cells": mean_or_none(totals[detected]),
            "survivors_mean_days": mean_or_none(ds["time_to_detection"].values[detected]),
            "mean_R_cells": float(cells[:, 1:].sum(axis=1).mean()),
            "calls": 1,
        })

    return run


def cpu_backend() -> tuple[bool, str]:
    """(True, how it is built) when oncosweep's ``cpu`` backend resolves here, else (False,
    ``"skipped: <reason>"``)."""
    try:
        from oncosweep.gpu_engine.backend import resolve_backend  # noqa: PLC0415

        chosen = resolve_backend("cpu")
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return False, f"skipped: resolve_backend('cpu') failed: {type(exc).__name__}: {exc}"
    if chosen.name != "cpu":
        return False, f"skipped: backend 'cpu' resolved to {chosen.name!r}"
    return True, chosen.reason
