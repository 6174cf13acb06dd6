"""Peer benchmark: oncosweep's engines against gillespy2's C solvers on one growth model.

Realizations per second when one founder cell's lineage grows to a final tumour size M
(default 1e4, 1e6 and 1e9 cells). Units: cells, days, rates per day, mutation probabilities
per daughter cell, seconds of wall time.

The model (``configs/peer_growth.yaml``): cell types S (sensitive, the founder) and R (one
resistance locus, no fitness cost, no drug: a neutral marker); birth b = 0.25 and death
d = 0.18 per day for both (net r = b - d = 0.07 per day); each daughter of an S division is R
with probability u = 1e-7; no therapy. A lineage survives with probability 1 - d/b = 0.28.
One realization is ONE lineage from one cell, on both sides:

* **oncosweep** (``oncosweep.simulate(scenario, realizations=K, seed=1, backend=B)``; B =
  ``numpy``, the reference array engine, and ``cpu``, the fused kernel's source compiled for
  the host, with 1 thread and with every core, when that backend exists): the discrete-time
  multi-type branching process of docs/model.md, dt = 1 day, exact binomial draws, stopped
  when the total first reaches M (detection; survivors end with M to ~1.07 M cells) or the
  lineage dies out (``max_restarts: 0``: no restart, ``detected = False``; with the default
  restarts a realization would be a successful lineage plus on average d / r = 2.6 failed
  attempts). Its growth rate per day is ln(1 + r dt) / dt = 0.0677 (O(dt), docs/model.md).
* **gillespy2** (``model.run(solver=..., number_of_trajectories=K)`` with ``SSACSolver``,
  exact, and ``TauLeapingCSolver``, approximate, tau_tol 0.03; both single-threaded):
  the continuous-time Markov process with species S, R and reactions (rates per cell per day)

      S -> 2S       b (1 - u)^2     neither daughter mutated
      S -> S + R    2 b u (1 - u)   exactly one daughter mutated
      S -> 2R       b u^2           both daughters mutated
      S -> 0        d
      R -> 2R       b
      R -> 0        d

  i.e. per-daughter mutation exactly as oncosweep's (S divides at rate b in all). gillespy2
  runs to a fixed time, not to a size: each trajectory runs to

      t_M = ln((r M + d) / b) / r   days,

  at which a surviving lineage has on average exactly M cells (linear birth-death process:
  E[N(t) | N(t) > 0] = (b e^{rt} - d) / r; mutation does not change the total). Not ln(M)/r:
  at that time a survivor has on average M b / r = 3.6 M cells (N e^{-rt} | survival is
  ~exponential). An SSA's cost is proportional to its events, about (b + d) / r = 6.1 events
  per cell made, so matching the mean size of survivors matches the mean work of oncosweep's
  stop-at-M runs. gillespy2's ODE solver is not comparable (one deterministic trajectory: no
  extinction, no discrete mutant cells) and is not run.

Each measurement reports the survivors' fraction, final size and time, so that both sides
can be seen to simulate the same thing (exact SSA: survival 0.28, survivors' mean size M).

Timing: wall seconds of one call with K realizations, which includes oncosweep's xarray
Dataset and gillespy2's process launch and output decoding; compilation is timed separately
and excluded (gillespy2: building each solver, once; oncosweep cpu: its first call, which
builds or loads the host library). K is chosen so that a call takes about ``--target-s``
(default 5 s; gillespy2: ``--peer-target-s``, 10 s), at least a floor per engine: one numpy
batch (8192), 4096 for cpu, 64 trajectories for gillespy2 (a trajectory's cost varies a lot,
coefficient of variation ~2.5 for an SSA, so K = 64 leaves ~30 %: a survivor's size is
~ M x Exp(1) at t_M and 72 % of lineages die early; ``work_ratio``, cells made / e^{r t_M},
reports each gillespy2 sample's luck, and ``fit_work_normalised`` repeats the fit with it
divided out). Engines are measured at increasing sizes (oncosweep: the table's; gillespy2:
half decades from 1e2) until K_min realizations would take more than ``--budget-s`` (default
60 s; also gillespy2's timeout); beyond that, seconds per realization come from a
least-squares fit of log(seconds per realization) on log(M) over the measured sizes in the
top two decades (at least the three largest), s(M) = a M^k, and are labelled extrapolated.
For an SSA k is about 1 (events are proportional to M).

gillespy2 behaviours that this benchmark meets (gillespy2 1.8.3):

* populations are 32-bit integers in the C solvers (SSA: unsigned int, max 4.29e9;
  tau-leaping: int, max 2.15e9), and a survivor's size at t_M is ~ M x Exp(1): at M = 1e9
  about 12 % of surviving tau-leaping trajectories would overflow. Peers are measured only
  where M <= limit / 20 (overflow probability < e^-20); larger sizes are extrapolated.
* ``TauLeapingCSolver`` with rare mutants: while R has between 1 and 10 cells (its critical
  threshold) the step selection (``Tau/tau.cpp``) marks the system critical and takes
  tau = 1 / (largest propensity of all reactions), about one S event per leap, so once a
  mutant appears a tau-leaping trajectory costs about as much as an SSA (without mutation it
  runs ~100 realizations/s at M = 1e8). Its cost therefore jumps between 1e5 and 1e6 cells
  and its power-law extrapolation is rough. Tau-leaping also overestimates survival at these
  small founder numbers (see the diagnostics).
* gillespy2 runs SCons as ``<resolved sys.executable> -m SCons`` when no ``scons`` is on PATH,
  which in a virtual environment is the base interpreter, without SCons; this script puts the
  interpreter's own bin folder on PATH when it holds ``scons``.

    pip install gillespy2 scons     # the peers (C solvers need g++ and SCons)
    python benchmarks/bench_peer.py [--sizes 1e4,1e6,1e9] [--backends numpy,cpu]
        [--peers ssa,tau] [--budget-s 60] [--target-s 5] [--peer-target-s 10] [--quick]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from oncosweep import Scenario, simulate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs/peer_growth.yaml"
TABLE_SIZES = (1e4, 1e6, 1e9)
HALF_DECADES = tuple(float(f"{m}e{e}") for e in range(2, 13) for m in (1, 3))
QUICK_PEER_SIZES = (1e2, 1e3, 1e4)
FIT_DECADES = 2.0  # the fit for extrapolation uses the measured sizes >= largest / 10**2,
FIT_POINTS = 3  # and at least the three largest
OVERFLOW_MARGIN = 20.0  # peers run only where M <= 32-bit limit / 20
TAU_TOL = 0.03  # gillespy2's default tau tolerance
SEED = 1
PEERS = {"ssa": "gillespy2_ssa_c", "tau": "gillespy2_tau_leaping_c"}


class Rates(NamedTuple):
    """The model's parameters: birth and death rates (per day), the mutation probability per
    daughter cell and oncosweep's time step (days)."""

    birth: float
    death: float
    mutation: float
    dt: float

    @property
    def net(self) -> float:
        """Net growth rate r = b - d, per day."""
        return self.birth - self.death

    def end_time(self, size: float) -> float:
        """t_M (days): the time at which a surviving continuous-time lineage from one cell has
        on average ``size`` cells, ln((r M + d) / b) / r."""
        return math.log((self.net * size + self.death) / self.birth) / self.net


class Run(NamedTuple):
    """One timed call: ``realizations`` simulated in ``seconds`` (wall), with the outputs'
    ``diagnostics`` (cells, days, fractions)."""

    size: float
    realizations: int
    seconds: float
    diagnostics: dict[str, float]

    @property
    def per_realization(self) -> float:
        """Seconds per realization."""
        return self.seconds / self.realizations

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "realizations": self.realizations, "seconds": self.seconds,
                "realizations_per_s": self.realizations / self.seconds,
                "seconds_per_realization": self.per_realization, **self.diagnostics}


# (size in cells, realizations, timeout in s or None) -> Run, or None when it timed out
Runner = Callable[[float, int, float | None], Run | None]


class Engine(NamedTuple):
    """An engine to measure: its ``runner``, the ``sizes`` (cells) to try in increasing
    order, realizations per call (``k_min`` .. ``k_max``, a multiple of ``k_quantum``), the
    exponent assumed for predicting cost from one measured size, a population limit (cells)
    above which it is not run, and whether it honours a timeout."""

    name: str
    description: str
    runner: Runner
    sizes: tuple[float, ...]
    k_min: int
    k_max: int
    k_quantum: int = 1
    assumed_exponent: float = 1.0
    size_limit: float = math.inf
    limit_reason: str = ""
    timeout: bool = False
    extra: dict[str, Any] | None = None


# ----------------------------------------------------------------------------- oncosweep side

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
            "survivors_mean_cells": _mean(totals[detected]),
            "survivors_mean_days": _mean(ds["time_to_detection"].values[detected]),
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


# ----------------------------------------------------------------------------- gillespy2 side

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
            "survivors_mean_cells": _mean(totals[alive]),
            "survivors_mean_days": end,
            "mean_R_cells": float(r.mean()),
            "end_time_days": end,
            # cells made per trajectory / the exact mean e^{r t_M}: the SSA's work is about
            # proportional to it, so it shows how lucky a measurement's sample was
            "work_ratio": float(totals.mean() / math.exp(rates.net * end)),
            "calls": 1,
        })

    return run


# ----------------------------------------------------------------------------- measuring

def predict(runs: list[Run], size: float, assumed_exponent: float) -> float | None:
    """Predicted seconds per realization at ``size`` cells: from the two largest measured
    sizes' local exponent (clipped to [0, 3]), or ``assumed_exponent`` with one."""
    if not runs:
        return None
    last = runs[-1]
    exponent = assumed_exponent
    if len(runs) >= 2:
        prev = runs[-2]
        exponent = math.log(last.per_realization / prev.per_realization) / math.log(
            last.size / prev.size)
        exponent = min(3.0, max(0.0, exponent))
    return last.per_realization * (size / last.size) ** exponent


def choose_k(engine: Engine, per_realization: float | None, target_s: float) -> int:
    """Realizations for a call of about ``target_s`` seconds, in [k_min, k_max], rounded up
    to a multiple of k_quantum."""
    if per_realization is None:
        return engine.k_min
    k = math.ceil(target_s / max(per_realization, 1e-12))
    k = math.ceil(k / engine.k_quantum) * engine.k_quantum
    return int(min(engine.k_max, max(engine.k_min, k)))


def measure(engine: Engine, target_s: float, budget_s: float, log: Callable[[str], None]
            ) -> tuple[list[Run], dict[float, str]]:
    """Runs at ``engine.sizes`` in increasing order; returns the measured runs and, for sizes
    not measured, why (over the population limit, over budget)."""
    runs: list[Run] = []
    skipped: dict[float, str] = {}
    stop = ""
    for size in engine.sizes:
        if size > engine.size_limit:
            skipped[size] = engine.limit_reason
            continue
        predicted = predict(runs, size, engine.assumed_exponent)
        if not stop and predicted is not None and predicted * engine.k_min > budget_s:
            stop = (f"over budget: {engine.k_min} realizations predicted to take "
                    f"{predicted * engine.k_min:.3g} s > {budget_s:g} s")
        if stop:
            skipped[size] = stop
            continue
        k = choose_k(engine, predicted, target_s)
        # A first call stops at 4x the target; if it is interrupted (a prediction far too
        # low), one more call with k_min realizations gets the whole budget.
        first_timeout = min(budget_s, max(4 * target_s, 1.0)) if k > engine.k_min else budget_s
        run = engine.runner(size, k, first_timeout if engine.timeout else None)
        timed_out = run is None
        if run is None and k > engine.k_min:
            log(f"  {engine.name} M={size:.0e}: {k} realizations passed {first_timeout:.3g} s;"
                f" again with {engine.k_min}")
            interrupted = {"interrupted_call_realizations": k,
                           "interrupted_call_seconds": first_timeout}
            k = engine.k_min
            run = engine.runner(size, k, budget_s)
            if run is not None:  # kept: with heavy-tailed costs, k_min may be a lucky sample
                run = run._replace(diagnostics={**run.diagnostics, **interrupted})
        if run is None:
            skipped[size] = (f"over budget: {k} realizations took more than {budget_s:g} s "
                             f"(>= {budget_s / k:.3g} s per realization)")
            stop = skipped[size]
            continue
        if not timed_out and run.seconds < 0.5 * target_s and k < engine.k_max:
            # short of the target (a pilot, or a low prediction): one more call, pooled
            # (not after a timeout: that size's cost is too variable to aim at a target)
            more_k = min(choose_k(engine, run.per_realization, target_s - run.seconds),
                         engine.k_max - k)
            more = engine.runner(size, more_k,
                                 budget_s - run.seconds if engine.timeout else None)
            run = pool(run, more) if more is not None else run
        runs.append(run)
        log(f"  {engine.name:28s} M={size:8.0e}  K={run.realizations:8d}  "
            f"{run.seconds:7.3f} s  {run.realizations / run.seconds:10.4g} /s  "
            f"survivors {run.diagnostics['surviving_fraction']:.3f}, mean "
            f"{run.diagnostics['survivors_mean_cells'] or 0:.4g} cells"
            + (f", work ratio {run.diagnostics['work_ratio']:.2f}"
               if "work_ratio" in run.diagnostics else ""))
    return runs, skipped


def pool(a: Run, b: Run) -> Run:
    """Two calls at one size as one measurement: realizations and seconds add up; the
    diagnostics are averaged over realizations (over survivors for the survivors' ones)."""
    survivors_a = a.realizations * a.diagnostics["surviving_fraction"]
    survivors_b = b.realizations * b.diagnostics["surviving_fraction"]
    diagnostics: dict[str, Any] = {}
    for key, x in a.diagnostics.items():
        y = b.diagnostics[key]
        if key == "calls":
            diagnostics[key] = x + y
        elif key.startswith("survivors_"):
            diagnostics[key] = _weighted(x, survivors_a, y, survivors_b)
        else:
            diagnostics[key] = _weighted(x, a.realizations, y, b.realizations)
    return Run(a.size, a.realizations + b.realizations, a.seconds + b.seconds, diagnostics)


def fit_power_law(runs: list[Run], normalise: bool = False) -> dict[str, Any] | None:
    """Least squares of log(seconds per realization) on log(M) over the measured sizes in the
    top FIT_DECADES decades, at least the FIT_POINTS largest: s(M) = prefactor_s *
    M**exponent (None with fewer than 2 sizes). ``normalise``: seconds per realization
    divided by the sample's work_ratio (gillespy2), i.e. corrected to the mean work."""
    ordered = sorted(runs, key=lambda run: run.size)
    if not ordered:
        return None
    floor = min(ordered[-1].size / 10**FIT_DECADES, ordered[-FIT_POINTS:][0].size)
    use = [run for run in ordered if run.size >= floor]
    if len(use) < 2:
        return None
    x = np.log([run.size for run in use])
    y = np.log([run.per_realization / (run.diagnostics["work_ratio"] if normalise else 1.0)
                for run in use])
    exponent, intercept = np.polyfit(x, y, 1)
    return {"exponent": float(exponent), "prefactor_s": float(math.exp(intercept)),
            "sizes": [run.size for run in use],
            "law": "seconds per realization = prefactor_s * M**exponent (M in cells)"}


def table_entry(size: float, runs: list[Run], fit: dict[str, Any] | None,
                skipped: dict[float, str]) -> dict[str, Any] | str:
    """The measured, or else extrapolated, rate at ``size`` cells; else why there is none."""
    for run in runs:
        if run.size == size:
            return {"realizations_per_s": run.realizations / run.seconds,
                    "seconds_per_realization": run.per_realization, "extrapolated": False,
                    "realizations": run.realizations, "seconds": run.seconds}
    if fit is not None:
        seconds = fit["prefactor_s"] * size ** fit["exponent"]
        return {"realizations_per_s": 1.0 / seconds, "seconds_per_realization": seconds,
                "extrapolated": True, "fit_exponent": fit["exponent"],
                "fit_sizes": fit["sizes"], "beyond_largest_measured": size / max(fit["sizes"]),
                "why": skipped.get(size, "not measured")}
    return f"not measured: {skipped.get(size, 'fewer than two measured sizes to fit')}"


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(CONFIG))
    parser.add_argument("--sizes", default=None,
                        help="final tumour sizes M in cells (default 1e4,1e6,1e9)")
    parser.add_argument("--backends", default=None,
                        help="oncosweep backends from numpy,cpu (default both; quick: numpy)")
    parser.add_argument("--peers", default="ssa,tau", help="gillespy2 solvers from ssa,tau")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="most seconds for one measurement (default 60; quick 5)")
    parser.add_argument("--target-s", type=float, default=None,
                        help="seconds a measurement aims at (default 5; quick 0.3)")
    parser.add_argument("--peer-target-s", type=float, default=None,
                        help="seconds a gillespy2 measurement aims at (default 10; quick 0.3)")
    parser.add_argument("--peer-min-realizations", type=int, default=None,
                        help="fewest trajectories per gillespy2 call (default 64; quick 16)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run (< 30 s): small calls, peers up to 1e4 cells")
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results)")
    args = parser.parse_args(argv)

    quick = args.quick
    sizes = tuple(sorted(float(s) for s in args.sizes.split(","))) if args.sizes else TABLE_SIZES
    backends = _names(args.backends or ("numpy" if quick else "numpy,cpu"), ("numpy", "cpu"))
    peers = _names(args.peers, tuple(PEERS))
    budget_s = args.budget_s or (5.0 if quick else 60.0)
    target_s = args.target_s or (0.3 if quick else 5.0)
    peer_target_s = args.peer_target_s or (0.3 if quick else 10.0)
    peer_k_min = args.peer_min_realizations or (16 if quick else 64)
    started = time.perf_counter()
    base, rates = load_base(Path(args.config))
    cores = os.cpu_count() or 1

    def log(line: str) -> None:
        print(line, flush=True)

    engines: list[Engine] = []
    status: dict[str, str] = {}
    compile_s: dict[str, float] = {}
    descriptions: dict[str, str] = {}

    # oncosweep: a first small call per engine (imports; cpu: builds or loads its library)
    # realizations per call: (fewest, most, multiple of); numpy runs batches of 8192
    numpy_k = 256 if quick else 8192
    on_k = {"numpy": (numpy_k, 1 << 20, numpy_k), "cpu": (1024 if quick else 4096, 1 << 20, 1024)}
    for backend in backends:
        if backend == "cpu":
            ok, what = cpu_backend()
            status["cpu"] = f"measured ({what})" if ok else what
            if not ok:
                log(f"oncosweep cpu backend {what}")
                continue
            thread_counts = sorted({1, cores})
        else:
            status["numpy"] = "measured"
            thread_counts = [0]
        for threads in thread_counts:
            name = "oncosweep_numpy" if backend == "numpy" else f"oncosweep_cpu_{threads}t"
            runner = oncosweep_runner(base, backend, threads or None)
            first = time.perf_counter()
            runner(sizes[0], 64, None)
            compile_s[name] = time.perf_counter() - first
            descriptions[name] = (
                "oncosweep numpy array engine (batches of 8192)" if backend == "numpy" else
                f"oncosweep cpu backend (compiled fused kernel), {threads} thread(s)")
            k_min, k_max, k_quantum = on_k[backend]
            engines.append(Engine(name, descriptions[name], runner, sizes, k_min, k_max,
                                  k_quantum=k_quantum, assumed_exponent=0.2,
                                  extra={"threads": threads or None, "backend": backend}))

    versions: dict[str, str | None] = {"gillespy2": None, "scons": None, "gxx": _gxx()}
    peer_sizes = tuple(s for s in (QUICK_PEER_SIZES if quick else HALF_DECADES)
                       if s <= max(sizes))
    try:
        import gillespy2  # noqa: PLC0415 - optional peer
    except ImportError as exc:
        for peer in peers:
            status[PEERS[peer]] = f"skipped: gillespy2 not importable ({exc}); pip install " \
                                  "gillespy2 scons"
        peers = []
    else:
        versions["gillespy2"] = gillespy2.__version__
        versions["scons"] = _version("scons")
        ensure_scons_on_path()
    if peers:
        model = gillespy2_model(rates)
        log(f"building gillespy2 solvers {', '.join(PEERS[p] for p in peers)} ...")
        try:
            solvers, built_s = build_solvers(model, peers, parallel=quick)
        except Exception as exc:  # noqa: BLE001 - e.g. no g++ or SCons: skip the peers
            for peer in peers:
                status[PEERS[peer]] = f"skipped: build failed: {type(exc).__name__}: {exc}"
            solvers, built_s = {}, {}
        compile_s.update(built_s)
        limits = {"gillespy2_ssa_c": (2**32 - 1, "unsigned int"),
                  "gillespy2_tau_leaping_c": (2**31 - 1, "int")}
        for name, solver in solvers.items():
            status[name] = "measured"
            limit, ctype = limits[name]
            descriptions[name] = ("gillespy2 SSACSolver (exact SSA), 1 thread" if "ssa" in name
                                  else f"gillespy2 TauLeapingCSolver (tau_tol {TAU_TOL}), "
                                       "1 thread")
            engines.append(Engine(
                name, descriptions[name], gillespy2_runner(model, solver, rates), peer_sizes,
                peer_k_min, 1 << 17, assumed_exponent=1.0,
                size_limit=limit / OVERFLOW_MARGIN,
                limit_reason=(f"not run above {limit / OVERFLOW_MARGIN:.3g} cells: populations "
                              f"are 32-bit {ctype} (max {limit:.3g}) in gillespy2's C solver"),
                timeout=True))

    results: dict[str, Any] = {}
    for engine in engines:
        log(f"{engine.name}: {engine.description}")
        runs, skipped = measure(engine, peer_target_s if engine.timeout else target_s,
                                budget_s, log)
        fit = fit_power_law(runs)
        extra: dict[str, Any] = {}
        if runs and "work_ratio" in runs[0].diagnostics:
            normalised = fit_power_law(runs, normalise=True)
            extra["fit_work_normalised"] = normalised and {
                **normalised,
                "seconds_per_realization": {f"{size:g}": normalised["prefactor_s"]
                                            * size ** normalised["exponent"] for size in sizes},
                "meaning": "the same fit with each measurement's seconds divided by its "
                           "work_ratio: the mean cost, if cost is proportional to the cells "
                           "made (true for the SSA, one step per event; rough for "
                           "tau-leaping); not used in the table",
            }
        results[engine.name] = {
            "description": engine.description,
            **(engine.extra or {}),
            "compile_or_first_call_s": compile_s.get(engine.name),
            "measurements": [run.to_json() for run in runs],
            "not_measured": {f"{size:g}": why for size, why in skipped.items()},
            "fit": fit,
            **extra,
            "table": {f"{size:g}": table_entry(size, runs, fit, skipped) for size in sizes},
        }

    # engines not measured (cpu backend missing, gillespy2 missing) keep a column: why
    if "cpu" in backends and not status["cpu"].startswith("measured"):
        status["oncosweep_cpu"] = status["cpu"]
    names = list(results) + [name for name in status if name not in results
                             and name.startswith(("gillespy2", "oncosweep_cpu"))]
    table = []
    for size in sizes:
        row: dict[str, Any] = {"size": size}
        for name in names:
            row[name] = results[name]["table"][f"{size:g}"] if name in results else status[name]
        table.append(row)

    out = {
        "config": _relative(Path(args.config)),
        "quick": quick,
        "model": {
            "birth_rate_per_day": rates.birth, "death_rate_per_day": rates.death,
            "net_growth_per_day": rates.net,
            "mutation_probability_per_daughter_cell": rates.mutation,
            "founder_cells": 1, "fitness_cost_of_R": 0.0,
            "survival_probability": 1 - rates.death / rates.birth,
            "oncosweep_dt_days": rates.dt,
            "oncosweep_growth_per_day": math.log1p(rates.net * rates.dt) / rates.dt,
            "sizes_cells": list(sizes),
            "gillespy2_end_time_days": {f"{size:g}": rates.end_time(size) for size in sizes},
            "gillespy2_reactions": [
                "S -> 2S at b(1-u)^2", "S -> S + R at 2bu(1-u)", "S -> 2R at bu^2",
                "S -> 0 at d", "R -> 2R at b", "R -> 0 at d"],
            "realization": "one lineage from one S cell: dies out, or grows to M cells "
                           "(oncosweep: first passage of M, dt = 1 day, no restart; "
                           "gillespy2: run to t_M = ln((rM + d)/b)/r, where survivors have "
                           "M cells on average)",
            "not_compared": "gillespy2 ODE solvers (deterministic: no extinction, no "
                            "discrete mutants)",
        },
        "settings": {"budget_s": budget_s, "target_s": target_s,
                     "peer_target_s": peer_target_s,
                     "peer_min_realizations": peer_k_min, "peer_sizes": list(peer_sizes),
                     "fit_decades": FIT_DECADES, "fit_points": FIT_POINTS,
                     "tau_tol": TAU_TOL, "seed": SEED,
                     "cores": cores, "concurrent_gillespy2_build": quick},
        "versions": versions,
        "backends": {"numpy": status.get("numpy", "not requested"),
                     "cpu": status.get("cpu", "not requested")},
        "status": status,
        "compile_seconds": compile_s,
        "exponents": {name: (r["fit"] or {}).get("exponent") for name, r in results.items()},
        "table": table,
        "engines": results,
        "notes": [
            "realizations_per_s: realizations / wall seconds of one call (oncosweep.simulate "
            "or gillespy2 model.run), compilation excluded; extrapolated entries come from "
            "the fit over the measured sizes in the top two decades (at least the three "
            "largest); work_ratio (gillespy2) = cells made per trajectory / e^(r t_M): a "
            "measurement's luck, since an SSA's cost is about proportional to it",
            "gillespy2 C solvers are single-threaded: compare them with oncosweep_cpu_1t per "
            "core",
            "gillespy2 TauLeapingCSolver: while R has 1-10 cells every leap is ~one event "
            "(critical-reaction rule over all reactions), so its cost jumps once mutants "
            "appear (~1e5-1e6 cells) and its extrapolation is rough",
        ],
        "total_seconds": time.perf_counter() - started,
    }
    path = write_result("bench_peer", out, args.output)
    print_table(out, names)
    print(f"written to {path} ({out['total_seconds']:.0f} s)")
    return out


def print_table(out: dict[str, Any], names: list[str]) -> None:
    """Realizations per second by final size (rows) and engine (columns); ``~`` and ``*``
    mark extrapolated values."""
    width = max(14, *(len(name) for name in names)) + 1
    print("\nrealizations per second (one founder lineage to M cells; ~x* = extrapolated)")
    print(f"{'M (cells)':>10s} " + "".join(f"{name:>{width}s}" for name in names))
    for row in out["table"]:
        cells = []
        for name in names:
            entry = row.get(name)
            if isinstance(entry, dict):
                text = f"{entry['realizations_per_s']:.3g}"
                cells.append(f"~{text}*" if entry["extrapolated"] else text)
            else:
                cells.append(str(entry).split(":")[0])
        print(f"{row['size']:>10.0e} " + "".join(f"{cell:>{width}s}" for cell in cells))
    print("fitted exponents k (seconds per realization ~ M^k): " + ", ".join(
        f"{name} {k:.2f}" for name, k in out["exponents"].items() if k is not None))
    print("compile / first-call seconds: " + ", ".join(
        f"{name} {s:.1f}" for name, s in out["compile_seconds"].items()))
    print("backends: " + ", ".join(f"{k}: {v}" for k, v in out["backends"].items()))


def _names(text: str, allowed: tuple[str, ...]) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise SystemExit(f"unknown {', '.join(unknown)}: choose from {', '.join(allowed)}")
    return list(dict.fromkeys(names))


def _weighted(x: float | None, wx: float, y: float | None, wy: float) -> float | None:
    if x is None or wx <= 0:
        return y
    if y is None or wy <= 0:
        return x
    return (x * wx + y * wy) / (wx + wy)


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _gxx() -> str | None:
    try:
        text = subprocess.run(["g++", "--version"], capture_output=True, text=True,
                              check=False).stdout
    except OSError:
        return None
    return text.splitlines()[0] if text else None


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
