"""The peer benchmark's (bench_peer.py) report: what the JSON says about the model, notes on
reading it, and the table printed at the end."""

from __future__ import annotations

import math
from typing import Any

from _peer_types import Rates

NOTES = [
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
]


def model_summary(rates: Rates, sizes: tuple[float, ...]) -> dict[str, Any]:
    """The model both sides simulate: rates, survival, oncosweep's dt and growth per day,
    gillespy2's end times and reactions."""
    return {
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
    }


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
