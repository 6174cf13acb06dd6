"""The ``exact`` step scheme against ``euler`` on the ``cpu`` backend: cost per step and wall
time to a fixed accuracy (issue 14).

(1) **Cost per step.** For ``configs/quickstart.yaml`` (its ``continuous`` strategy) and
``configs/bench_standard.yaml``, at each config's own dt, both schemes run the same
realizations 0 .. R - 1 on the compiled engine (``cpu_engine.run_cpu``) on 1 thread and on
all threads, best of ``--repeats`` calls. Reported: wall seconds, realization-steps (the
engine's ``lane_steps``), seconds per realization-step and their ratio exact / euler (target
<= 2). Identical exact and euler results stop the benchmark (a backend that ignores the
scheme); the full mode also checks the cpu backend's exact scheme equal to the numpy engine's
on a shortened quickstart (detection at 1e6 cells, 140 days of treatment).

(2) **Wall time to 1 % accuracy** on the quickstart (``continuous``). For each scheme and each
dt of a ladder (days; a dt the scenario refuses, e.g. one that does not divide the dosing,
visit or trace interval or that the euler probability check rejects, is recorded as refused)
``--realizations`` realizations run on all threads. Endpoints (detected realizations; the
censoring of ``oncosweep.analysis``: progression censored at death or the horizon):

* ``progression`` (primary): time to progression, days. Progression is only seen at the
  visits (every 42 days in the quickstart), so the Kaplan–Meier median is a visit day that
  jumps by a visit (~15 %): it cannot resolve 1 %. The criterion uses the **interpolated
  median** instead: where the KM curve, linearly interpolated between its event times,
  crosses 1/2 (continuous in the distribution). The plain KM median and its interval are
  reported too.
* ``death`` (secondary): time to lethal size, days, resolved to one step; same estimator.

Standard errors: bootstrap over realizations (``--bootstrap`` resamples). The dt -> 0 value
(the reference) is the exact scheme's value at the smallest dt; Richardson extrapolations
(order 1: 2 m(h) - m(2h), from each scheme's two smallest dt) are reported as a cross-check.
Per scheme, the dt needed for 1 % is the largest dt of the ladder such that the estimate at it
and at every smaller dt is within 1 % of the reference (|m - ref| <= 0.01 ref; also given: the
stricter |m - ref| + 1.96 SE <= 0.01 ref, SE of the difference). Its wall time per 1000
realizations on 1 and all threads: the chosen runs of both schemes re-timed together (the
cost part's realizations and repeats, interleaved, best kept); the ladder run's time is kept.

Full run (500 realizations x best of 5 per cost call, 3000 realizations per ladder point,
dt 2, 1, 0.5, 0.25, 0.125, 0.0625 days): about 10-12 minutes on 2 cores.

    python benchmarks/bench_scheme.py [--quick] [--realizations 3000] [--output PATH]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from oncosweep import Scenario, compile_scenario  # noqa: E402
from oncosweep.analysis.survival import median_survival  # noqa: E402
from oncosweep.gpu_engine import cpu_engine  # noqa: E402
from oncosweep.gpu_engine.realization import run_engine  # noqa: E402
from oncosweep.gpu_engine.record import EngineResult  # noqa: E402
from oncosweep.scenario.errors import ScenarioError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCHEMES = ("exact", "euler")
COST_CONFIGS = {"quickstart": ("configs/quickstart.yaml", "continuous"),
                "bench_standard": ("configs/bench_standard.yaml", None)}
ACCURACY_CONFIG = COST_CONFIGS["quickstart"]
LADDER = (2.0, 1.0, 0.5, 0.25, 0.125, 0.0625)  # dt values (days) of the accuracy ladder
QUICK_LADDER = (1.0, 0.5)
TOLERANCE = 0.01  # relative accuracy asked of the median (1 %)
TARGETS = {"cost_ratio_exact_over_euler_max": 2.0}
ENDPOINTS = ("progression", "death")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny counts and two dt values (for tests; numbers meaningless)")
    for flag, what in (("--cost-realizations", "per cost call (default 500; quick 4)"),
                       ("--repeats", "timed cost calls, best kept (default 5; quick 1)"),
                       ("--realizations", "per ladder point (default 3000; quick 12)"),
                       ("--bootstrap", "resamples per median (default 400; quick 20)")):
        parser.add_argument(flag, type=int, default=None, help=what)
    parser.add_argument("--ladder", default=None, help="comma-separated dt values, days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="'all threads' (default: "
                        "every core this process may use)")
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results)")
    args = parser.parse_args(argv)
    quick = args.quick
    cost_n = args.cost_realizations or (4 if quick else 500)
    repeats = args.repeats or (1 if quick else 5)
    ladder_n = args.realizations or (12 if quick else 3000)
    resamples = args.bootstrap or (20 if quick else 400)
    ladder = (tuple(float(x) for x in args.ladder.split(",")) if args.ladder
              else QUICK_LADDER if quick else LADDER)
    usable, what = cpu_engine.probe()
    if not usable:
        raise SystemExit(f"bench_scheme: the cpu backend is not usable here: {what}")
    threads = args.threads or cpu_engine.default_threads()
    out: dict[str, Any] = {"quick": quick, "seed": args.seed, "threads_all": threads,
                           "compiler": what, "load_average_start": os.getloadavg(),
                           "targets": TARGETS}
    started = time.perf_counter()
    out["cost"] = {"realizations": cost_n, "repeats": repeats, "configs": {
        name: _cost(path, strategy, cost_n, repeats, args.seed, threads)
        for name, (path, strategy) in COST_CONFIGS.items()}}
    out["check_cpu_equals_numpy"] = ("skipped: quick mode" if quick else _check_numpy(args.seed))
    out["accuracy"] = _accuracy(ladder, ladder_n, resamples, args.seed, threads, cost_n,
                                repeats)
    out.update(load_average_end=os.getloadavg(), total_seconds=time.perf_counter() - started)
    out["summary"] = _summary(out)
    _print(out)
    print(f"written to {write_result('bench_scheme', out, args.output)}")
    return out


# ---- scenarios -----------------------------------------------------------------------------


def _data(path: str) -> dict[str, Any]:  # relative to the repository root
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def _scenario(data: dict[str, Any], scheme: str, dt: float | None = None) -> Scenario:
    """``data`` with simulation.scheme (and dt, days) replaced; ScenarioError if refused."""
    data = copy.deepcopy(data)
    data["simulation"]["scheme"] = scheme
    if dt is not None:
        data["simulation"]["dt"] = dt
    return Scenario.from_dict(data)


def _timed(model: Any, realizations: int, seed: int, threads: int
           ) -> tuple[EngineResult, float]:
    """The compiled engine's result and its wall time, seconds."""
    t0 = time.perf_counter()
    result = cpu_engine.run_cpu(model, realizations=realizations, seed=seed, threads=threads)
    return result, time.perf_counter() - t0


# ---- (1) cost per step ---------------------------------------------------------------------


def _cost(path: str, strategy: str | None, realizations: int, repeats: int, seed: int,
          threads: int) -> dict[str, Any]:
    """Seconds per realization-step of both schemes at the config's own dt, 1 and all threads
    (the calls interleaved over schemes and thread counts, so that other load affects both)."""
    data = _data(path)
    out: dict[str, Any] = {"config": path, "strategy": strategy,
                           "dt_days": float(data["simulation"]["dt"])}
    models = {s: compile_scenario(_scenario(data, s), strategy) for s in SCHEMES}
    cases = [(s, label, count) for s in SCHEMES
             for label, count in (("threads_1", 1), ("threads_all", threads))]
    best = dict.fromkeys(cases, float("inf"))
    results: dict[str, EngineResult] = {}
    for _ in range(repeats):
        for case in cases:
            results[case[0]], seconds = _timed(models[case[0]], realizations, seed, case[2])
            best[case] = min(best[case], seconds)
    for (scheme, label, count), seconds in best.items():
        steps = int(results[scheme].stats["lane_steps"])  # the same for every call
        out.setdefault(scheme, {})[label] = {
            "threads": count, "seconds": seconds, "realization_steps": steps,
            "steps_per_realization": steps / realizations,
            "seconds_per_realization_step": seconds / steps}
    if _same(results["exact"], results["euler"]):
        raise SystemExit(f"bench_scheme: exact and euler give identical results on {path}: "
                         "the cpu backend ignores simulation.scheme")
    out["ratio_exact_over_euler"] = {
        label: out["exact"][label]["seconds_per_realization_step"]
        / out["euler"][label]["seconds_per_realization_step"]
        for label in ("threads_1", "threads_all")}
    return out


def _same(a: EngineResult, b: EngineResult) -> bool:
    """Every per-realization output equal (NaN equal to NaN)."""
    for name in (n for n in EngineResult.__dataclass_fields__ if n != "stats"):
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            return False
    return True


def _check_numpy(seed: int, realizations: int = 3) -> dict[str, Any]:
    """The cpu backend's exact scheme against the numpy engine's on a shortened quickstart."""
    data = _data(ACCURACY_CONFIG[0])
    data["tumour"]["detection_size"] = 1.0e6
    data["simulation"]["horizon"] = 140
    model = compile_scenario(_scenario(data, "exact"), ACCURACY_CONFIG[1])
    numpy = run_engine(model, realizations=realizations, seed=seed)
    cpu = cpu_engine.run_cpu(model, realizations=realizations, seed=seed, threads=1)
    if not (_same(numpy, cpu) and numpy.stats["lane_steps"] == cpu.stats["lane_steps"]):
        raise SystemExit("bench_scheme: the cpu backend's exact scheme differs from numpy's")
    return {"realizations": realizations, "detection_size": 1.0e6, "horizon_days": 140,
            "lane_steps": int(cpu.stats["lane_steps"]), "equal": True}


# ---- (2) accuracy ladder -------------------------------------------------------------------


def _kaplan_meier(time_: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct event times, KM survival just after each) of right-censored data (days)."""
    order = np.argsort(time_, kind="stable")
    t, e = time_[order], event[order]
    times, first = np.unique(t, return_index=True)
    at_risk = t.size - first
    deaths = np.add.reduceat(e.astype(np.int64), first) if t.size else np.zeros(0)
    keep = deaths > 0
    return times[keep], np.cumprod(1.0 - deaths[keep] / at_risk[keep])


def interpolated_median(time_: np.ndarray, event: np.ndarray) -> float:
    """Where the KM curve, linearly interpolated between its event times (and from (0, 1)),
    crosses 1/2, days; NaN when it never does."""
    times, survival = _kaplan_meier(time_, event)
    below = np.nonzero(survival <= 0.5)[0]
    if below.size == 0:
        return float("nan")
    i = int(below[0])
    t0, s0 = (0.0, 1.0) if i == 0 else (float(times[i - 1]), float(survival[i - 1]))
    return t0 + (s0 - 0.5) / (s0 - float(survival[i])) * (float(times[i]) - t0)


def _endpoint(result: EngineResult, endpoint: str, horizon: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """(time, event) of the detected realizations, censored as in oncosweep.analysis._data."""
    detected, died = (np.asarray(x, dtype=bool) for x in (result.detected, result.died))
    death_time = np.where(died, np.asarray(result.time_to_death, dtype=float), horizon)
    if endpoint == "progression":
        event = np.asarray(result.progressed, dtype=bool)
        time_ = np.where(event, np.asarray(result.time_to_progression, dtype=float), death_time)
    else:
        event, time_ = died, death_time
    return time_[detected], event[detected]


def _estimate(time_: np.ndarray, event: np.ndarray, resamples: int, seed: int
              ) -> dict[str, Any]:
    """Interpolated median with its bootstrap SE, and the plain KM median with its interval."""
    generator = np.random.default_rng(seed)
    boot = np.array([interpolated_median(time_[rows], event[rows]) for rows in
                     generator.integers(0, time_.size, size=(resamples, time_.size))])
    km = median_survival(time_, event)
    return {"n": int(time_.size), "events": int(event.sum()),
            "median_interpolated_days": interpolated_median(time_, event),
            "se_days": float(np.nanstd(boot, ddof=1)) if resamples > 1 else float("nan"),
            "km_median_days": km.value, "km_median_lower_days": km.lower,
            "km_median_upper_days": km.upper}


def _accuracy(ladder: Sequence[float], realizations: int, resamples: int, seed: int,
              threads: int, retime_n: int, repeats: int) -> dict[str, Any]:
    """Medians per scheme and dt, the reference, and the dt each scheme needs for 1 %, whose
    runs are then re-timed (``retime_n`` realizations, best of ``repeats``, interleaved)."""
    path, strategy = ACCURACY_CONFIG
    data = _data(path)
    horizon = float(data["simulation"]["horizon"])
    runs: dict[str, list[dict[str, Any]]] = {}
    for scheme in SCHEMES:
        runs[scheme] = []
        for dt in ladder:
            row: dict[str, Any] = {"dt_days": dt}
            try:
                model = compile_scenario(_scenario(data, scheme, dt), strategy)
            except ScenarioError as exc:
                row.update(status="refused", reason=str(exc).strip().splitlines()[0])
                runs[scheme].append(row)
                print(f"  {scheme:5s} dt {dt:<7g} refused: {row['reason']}", flush=True)
                continue
            result, seconds = _timed(model, realizations, seed, threads)
            row.update(status="ok", wall_seconds=seconds,
                       wall_seconds_per_1000=seconds / realizations * 1000,
                       steps_per_realization=result.stats["lane_steps"] / realizations)
            for endpoint in ENDPOINTS:
                row[endpoint] = _estimate(*_endpoint(result, endpoint, horizon), resamples,
                                          seed + 1)
            runs[scheme].append(row)
            print(f"  {scheme:5s} dt {dt:<7g} {seconds:7.1f} s   median TTP "
                  f"{row['progression']['median_interpolated_days']:7.2f} "
                  f"+- {row['progression']['se_days']:.2f} d   death "
                  f"{row['death']['median_interpolated_days']:7.2f} "
                  f"+- {row['death']['se_days']:.2f} d", flush=True)
    out: dict[str, Any] = {
        "config": path, "strategy": strategy, "realizations_per_dt": realizations,
        "threads": threads, "bootstrap_resamples": resamples, "tolerance": TOLERANCE,
        "ladder_days": list(ladder), "estimator": "KM curve linearly interpolated between "
        "event times, crossing 1/2; SE by bootstrap over realizations",
        "reference_rule": "exact scheme at its smallest dt", "runs": runs}
    out["endpoints"] = {endpoint: _needed(runs, endpoint) for endpoint in ENDPOINTS}
    chosen = [(s, c) for n in out["endpoints"].values() for s, v in n.get("schemes", {}).items()
              for c in (v["dt_for_1pct"], v["dt_for_1pct_with_se"]) if c is not None]
    models = {(s, c["dt_days"]): compile_scenario(_scenario(data, s, c["dt_days"]), strategy)
              for s, c in chosen}
    counts = {"threads_1": 1, "threads_all": threads}
    best = dict.fromkeys(((pair, label) for pair in models for label in counts), float("inf"))
    for _ in range(repeats):  # interleaved, so that other load affects every pair alike
        for pair, label in best:
            seconds = _timed(models[pair], retime_n, seed, counts[label])[1]
            best[pair, label] = min(best[pair, label], seconds / retime_n * 1000)
    for s, c in chosen:
        c["retimed_seconds_per_1000"] = {label: best[(s, c["dt_days"]), label] for label in counts}
    out["retimed"] = {"realizations": retime_n, "repeats": repeats, "threads": counts}
    return out


def _needed(runs: dict[str, list[dict[str, Any]]], endpoint: str) -> dict[str, Any]:
    """The reference, the Richardson cross-checks and each scheme's dt for 1 % (one endpoint)."""
    ok = {s: sorted((r for r in rows if r["status"] == "ok"), key=lambda r: r["dt_days"])
          for s, rows in runs.items()}
    if not ok["exact"]:
        return {"reference": None}
    base = ok["exact"][0]
    ref, ref_se = base[endpoint]["median_interpolated_days"], base[endpoint]["se_days"]
    out: dict[str, Any] = {"reference": {"days": ref, "se_days": ref_se, "scheme": "exact",
                                         "dt_days": base["dt_days"]},
                           "richardson_order_1": {}, "schemes": {}}
    for scheme, rows in ok.items():
        if len(rows) >= 2 and rows[1]["dt_days"] == 2 * rows[0]["dt_days"]:
            fine, coarse = rows[0][endpoint], rows[1][endpoint]
            value = 2 * fine["median_interpolated_days"] - coarse["median_interpolated_days"]
            se = float(np.hypot(2 * fine["se_days"], coarse["se_days"]))
            out["richardson_order_1"][scheme] = {
                "days": value, "se_days": se, "minus_reference_days": value - ref,
                "from_dt_days": [rows[0]["dt_days"], rows[1]["dt_days"]]}
        points = []
        for row in rows:
            est = row[endpoint]
            diff = est["median_interpolated_days"] - ref
            se = 0.0 if row is base else float(np.hypot(est["se_days"], ref_se))
            points.append({"dt_days": row["dt_days"], "relative_error": diff / ref,
                           "relative_se": se / ref,
                           "within": bool(abs(diff) <= TOLERANCE * ref),
                           "within_with_se": bool(abs(diff) + 1.96 * se <= TOLERANCE * ref)})
        out["schemes"][scheme] = {"points": points, **{
            key: _largest(points, rows, flag) for key, flag in (
                ("dt_for_1pct", "within"), ("dt_for_1pct_with_se", "within_with_se"))}}
    return out


def _largest(points: list[dict[str, Any]], rows: list[dict[str, Any]], flag: str
             ) -> dict[str, Any] | None:
    """The largest dt (points sorted by dt) whose point and every smaller dt's pass ``flag``,
    with the wall time per 1000 realizations at it; None when even the smallest fails."""
    chosen = None
    for point, row in zip(points, rows, strict=True):
        if not point[flag]:
            break
        chosen = {**point, "wall_seconds_per_1000": row["wall_seconds_per_1000"]}
    return chosen


# ---- report --------------------------------------------------------------------------------


def _summary(out: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers: cost ratios and, per endpoint and scheme, dt and wall time."""
    return {"cost_ratio_exact_over_euler": {name: c["ratio_exact_over_euler"] for name, c in
                                            out["cost"]["configs"].items()},
            **{endpoint: {s: v["dt_for_1pct"] for s, v in needed.get("schemes", {}).items()}
               for endpoint, needed in out["accuracy"]["endpoints"].items()}}


def _print(out: dict[str, Any]) -> None:
    """A readable summary on stdout (times in microseconds, days and seconds)."""
    print(f"\ncost per realization-step (best of {out['cost']['repeats']}, "
          f"{out['cost']['realizations']} realizations)")
    for name, c in out["cost"]["configs"].items():
        for label in ("threads_1", "threads_all"):
            ex, eu = c["exact"][label], c["euler"][label]
            print(f"  {name:15s} x{ex['threads']:<2d} exact "
                  f"{ex['seconds_per_realization_step'] * 1e6:7.3f} us   euler "
                  f"{eu['seconds_per_realization_step'] * 1e6:7.3f} us   ratio "
                  f"{c['ratio_exact_over_euler'][label]:.2f} (target <= 2)")
    acc = out["accuracy"]
    print(f"\naccuracy ({acc['realizations_per_dt']} realizations per dt, "
          f"{acc['threads']} threads)")
    for endpoint, needed in acc["endpoints"].items():
        if (ref := needed["reference"]) is None:
            continue
        print(f"  {endpoint}: reference {ref['days']:.2f} +- {ref['se_days']:.2f} d (exact, dt "
              f"{ref['dt_days']:g})")
        for scheme, r in needed["richardson_order_1"].items():
            print(f"    Richardson {scheme}: {r['days']:.2f} +- {r['se_days']:.2f} d")
        for scheme, v in needed["schemes"].items():
            pts = "  ".join(f"{p['dt_days']:g}: {100 * p['relative_error']:+.2f}"
                            f"+-{100 * p['relative_se']:.2f}%" for p in v["points"])
            best = v["dt_for_1pct"]
            need = ("not reached" if best is None else f"dt {best['dt_days']:g}; s per 1000 "
                    "realizations: x1 {threads_1:.2f}, all threads {threads_all:.2f}".format(
                        **best["retimed_seconds_per_1000"]) + " (ladder run: "
                    f"{best['wall_seconds_per_1000']:.2f})")
            print(f"    {scheme:5s} {pts}\n          1 %: {need}")


if __name__ == "__main__":
    main()
