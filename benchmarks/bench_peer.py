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

The pieces are in benchmarks/_peer_*.py: the shared types (_peer_types), the two sides
(_peer_oncosweep, _peer_gillespy2), measuring and fitting (_peer_measure) and the report
(_peer_report); this script parses the options and runs them.

    pip install gillespy2 scons     # the peers (C solvers need g++ and SCons)
    python benchmarks/bench_peer.py [--sizes 1e4,1e6,1e9] [--backends numpy,cpu]
        [--peers ssa,tau] [--budget-s 60] [--target-s 5] [--peer-target-s 10] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402
from _peer_gillespy2 import (  # noqa: E402
    TAU_TOL,
    build_solvers,
    ensure_scons_on_path,
    gillespy2_model,
    gillespy2_runner,
)
from _peer_measure import FIT_DECADES, FIT_POINTS, fit_power_law, measure, table_entry  # noqa: E402
from _peer_oncosweep import cpu_backend, load_base, oncosweep_runner  # noqa: E402
from _peer_report import NOTES, model_summary, print_table  # noqa: E402
from _peer_types import PEERS, SEED, Engine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs/peer_growth.yaml"
TABLE_SIZES = (1e4, 1e6, 1e9)
HALF_DECADES = tuple(float(f"{m}e{e}") for e in range(2, 13) for m in (1, 3))
QUICK_PEER_SIZES = (1e2, 1e3, 1e4)
OVERFLOW_MARGIN = 20.0  # peers run only where M <= 32-bit limit / 20


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
        "model": model_summary(rates, sizes),
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
        "notes": list(NOTES),
        "total_seconds": time.perf_counter() - started,
    }
    path = write_result("bench_peer", out, args.output)
    print_table(out, names)
    print(f"written to {path} ({out['total_seconds']:.0f} s)")
    return out


def _names(text: str, allowed: tuple[str, ...]) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise SystemExit(f"unknown {', '.join(unknown)}: choose from {', '.join(allowed)}")
    return list(dict.fromkeys(names))


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
