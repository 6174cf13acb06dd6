"""The peer benchmark's (bench_peer.py) measuring: realizations per call aimed at a target time,
sizes tried until over budget, calls pooled, and the power law fitted for extrapolation."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from _peer_types import Engine, Run

FIT_DECADES = 2.0  # the fit for extrapolation uses the measured sizes >= largest / 10**2,
FIT_POINTS = 3  # and at least the three largest


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


def _weighted(x: float | None, wx: float, y: float | None, wy: float) -> float | None:
    if x is None or wx <= 0:
        return y
    if y is None or wy <= 0:
        return x
    return (x * wx + y * wy) / (wx + wy)
