"""The peer benchmark's (bench_peer.py) gillespy2 side: the continuous-time model, its compiled C
solvers and timed ``model.run`` calls (gillespy2 is optional: imported inside the functions)."""

from __future__ import annotations

import concurrent.futures
import math
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _peer_types import PEERS, SEED, Rates, Run, Runner, mean_or_none

TAU_TOL = 0.03  # gillespy2's default tau tolerance


def ensure_scons_on_path() -> None:
    """Put this interpreter's bin folder on PATH when it holds ``scons`` and PATH has none
    (gillespy2 otherwise runs SCons with the resolved, base interpreter)."""
    if shutil.which("scons") is None:
        folder = Path(sys.executable).parent
        if (folder / "scons").exists():
            os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


def gillespy2_model(rates: Rates) -> Any:
    """The continuous-time model: species S (one cell) and R; six mass-action reactions with
    rates per cell per day (module docstring)."""
    import gillespy2  # noqa: PLC0415 - optional peer

    b, d, u = rates.birth, rates.death, rates.mutation
    model = gillespy2.Model(name="peer_growth")
    constants = {"k_ss": b * (1 - u) ** 2, "k_sr": 2 * b * u * (1 - u), "k_rr": b * u * u,
                 "k_b": b, "k_d": d}
    model.add_parameter([gillespy2.Parameter(name=name, expression=repr(value))
                         for name, value in constants.items()])
    model.add_species([gillespy2.Species(name="S", initial_value=1, mode="discrete"),
                       gillespy2.Species(name="R", initial_value=0, mode="discrete")])
    reactions = (("S_divide", {"S": 1}, {"S": 2}, "k_ss"),
                 ("S_divide_one_mutant", {"S": 1}, {"S": 1, "R": 1}, "k_sr"),
                 ("S_divide_two_mutants", {"S": 1}, {"R": 2}, "k_rr"),
                 ("S_die", {"S": 1}, {}, "k_d"),
                 ("R_divide", {"R": 1}, {"R": 2}, "k_b"),
                 ("R_die", {"R": 1}, {}, "k_d"))
    model.add_reaction([gillespy2.Reaction(name=name, reactants=reactants, products=products,
                                           rate=rate)
                        for name, reactants, products, rate in reactions])
    return model


def build_solvers(model: Any, peers: list[str], parallel: bool
                  ) -> tuple[dict[str, Any], dict[str, float]]:
    """The compiled gillespy2 solvers by engine name, and their build times (s). Built
    concurrently (separate build folders) in quick runs, where the times overlap."""
    from gillespy2 import SSACSolver, TauLeapingCSolver  # noqa: PLC0415

    classes = {"ssa": SSACSolver, "tau": TauLeapingCSolver}

    def build(peer: str) -> tuple[Any, float]:
        start = time.perf_counter()
        solver = classes[peer](model=model)
        return solver, time.perf_counter() - start

    if parallel:
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(peers)) as pool:
            built = dict(zip(peers, pool.map(build, peers), strict=True))
    else:
        built = {peer: build(peer) for peer in peers}
    return ({PEERS[p]: built[p][0] for p in peers}, {PEERS[p]: built[p][1] for p in peers})


def gillespy2_runner(model: Any, solver: Any, rates: Rates) -> Runner:
    """Times ``model.run(solver=solver, number_of_trajectories=K, seed=...)`` to t_M, with two
    output times (0 and t_M). The end time is set on the solver's own copy of the model (the
    compiled executable takes it as an argument: no rebuild)."""
    from gillespy2.solvers.cpp.c_solver import SimulationReturnCode  # noqa: PLC0415

    calls = [0]

    def run(size: float, realizations: int, timeout: float | None) -> Run | None:
        end = rates.end_time(size)
        solver.model.timespan(np.array([0.0, end]))
        calls[0] += 1
        limit = 0 if timeout is None else max(1, math.ceil(timeout))
        start = time.perf_counter()
        try:
            results = model.run(solver=solver, number_of_trajectories=realizations,
                                seed=SEED + calls[0], timeout=limit)
        except Exception:
            if limit and time.perf_counter() - start >= 0.95 * limit:
                return None  # interrupted at the timeout
            raise
        seconds = time.perf_counter() - start
        if solver.rc == SimulationReturnCode.PAUSED:
            return None
        s = np.array([trajectory["S"][-1] for trajectory in results], dtype=np.float64)
        r = np.array([trajectory["R"][-1] for trajectory in results], dtype=np.float64)
        totals = s + r
        alive = totals > 0
        return Run(size, realizations, seconds, {
            "surviving_fraction": float(alive.mean()),
            "survivors_mean_cells": mean_or_none(totals[alive]),
            "survivors_mean_days": end,
            "mean_R_cells": float(r.mean()),
            "end_time_days": end,
            # cells made per trajectory / the exact mean e^{r t_M}: the SSA's work is about
            # proportional to it, so it shows how lucky a measurement's sample was
            "work_ratio": float(totals.mean() / math.exp(rates.net * end)),
            "calls": 1,
        })

    return run
