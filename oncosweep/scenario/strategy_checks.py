"""Checks of the ``strategies`` section against the sections before it: the treatment
shorthand, regimen names, time steps and the monitoring that a strategy acts on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oncosweep.scenario.drugs import Regimen
from oncosweep.scenario.errors import Problem
from oncosweep.scenario.monitoring import Monitoring
from oncosweep.scenario.simulation import Simulation, step_multiple_problems
from oncosweep.scenario.strategies import KINDS_WITH_MONITORING, Intermittent, Strategy
from oncosweep.scenario.tumour_checks import listing

__all__ = ["strategy_problems"]


def strategy_problems(strategies: Sequence[Strategy], data: Mapping[str, Any]) -> list[Problem]:
    """Problems of a validated ``strategies`` section with the sections before it in ``data``,
    relative to the section. A section that did not validate is absent from ``data``: the
    checks that need it are skipped (no cascade)."""
    if not strategies:
        return []
    out: list[Problem] = []
    if data.get("treatment") is not None:
        message = (
            "give either treatment or strategies, not both "
            "(treatment: {regimen: X} is short for a continuous strategy)"
        )
        out.append(((), message))
    names = [s.name for s in strategies]
    for i, name in enumerate(names):
        if name in names[:i]:
            out.append(((i, "name"), f"duplicate strategy name {name!r}"))
    regimens: Sequence[Regimen] | None = data.get("regimens")
    for i, strategy in enumerate(strategies):
        if regimens is not None:
            out += [((i, *loc), m) for loc, m in _regimen_problems(strategy, regimens)]
        simulation: Simulation | None = data.get("simulation")
        if simulation is not None and isinstance(strategy, Intermittent):
            for key in ("on_days", "off_days"):
                out += step_multiple_problems((i, key), getattr(strategy, key), simulation.dt)
        if "monitoring" in data:
            out += _monitoring_problems(i, strategy, data["monitoring"])
    return out


def _regimen_problems(strategy: Strategy, regimens: Sequence[Regimen]) -> list[Problem]:
    out: list[Problem] = []
    known = {r.name: r for r in regimens}
    refs = strategy.regimen_refs()
    given: list[str] = []
    for loc, name in refs:
        if name not in known:
            out.append((loc, f"unknown regimen {name!r} {listing('regimens', list(known))}"))
        elif loc[0] == "regimens" and name in given:
            out.append((loc, f"duplicate regimen {name!r}"))
        elif loc[0] == "off_regimen" and name in given:
            out.append((loc, f"must differ from regimen ({name})"))
        given.append(name)
    if out:
        return out
    first = known[refs[0][1]]
    for loc, name in refs[1:]:
        if known[name].combination != first.combination:
            message = (
                f"regimen {name!r} combines its drugs by {known[name].combination}, but "
                f"{first.name!r} by {first.combination}: the regimens of one strategy must "
                "share one combination rule"
            )
            out.append((loc, message))
    return out


def _monitoring_problems(
    i: int, strategy: Strategy, monitoring: Monitoring | None
) -> list[Problem]:
    kind = strategy.kind
    if kind not in KINDS_WITH_MONITORING:
        return []
    if monitoring is None:
        extra = " with ctdna" if kind == "ctdna_switch" else ""
        return [((i,), f"kind {kind!r} needs a monitoring section{extra}")]
    if kind == "ctdna_switch" and monitoring.ctdna is None:
        return [((i,), f"kind {kind!r} needs monitoring.ctdna (ctDNA sampling at visits)")]
    return []
