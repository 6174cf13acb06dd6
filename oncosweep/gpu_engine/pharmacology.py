"""Pharmacokinetics and pharmacodynamics on ``xp`` arrays (numpy or CuPy), per realization.

PK: one compartment with first-order elimination, k = ln 2 / half_life (per day). Boluses
add ``dose`` (concentration units) at step boundaries; an infusion adds ``R`` (concentration
per day) continuously. Over one step of dt days, from C0 just after the step's boluses,

    C(s)  = C0 e^{-k s} + (R / k)(1 - e^{-k s})                      0 <= s <= dt
    AUC   = C0 (1 - e^{-k dt}) / k + (R / k)(dt - (1 - e^{-k dt}) / k)

which is the analytic solution, so concentrations on the step grid are exact. The drug effect
of a step uses the midpoint concentration C(dt / 2) (midpoint rule: O(dt^2) error in the
exposure-effect integral).

PD: the fraction of maximal effect (occupancy) f = C^h / (C^h + IC50^h), written as
1 / (1 + (IC50 / C)^h) so that C = 0 gives 0 and IC50 = inf (a target mutation that abolishes
binding) gives 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StepDecay:
    """Per-drug constants of one step (D,) for the exact PK update."""

    decay: np.ndarray  # e^{-k dt}
    half_decay: np.ndarray  # e^{-k dt / 2}
    infusion_end: np.ndarray  # (R / k)(1 - e^{-k dt}) per unit infusion rate R: (1 - e^{-k dt}) / k
    infusion_mid: np.ndarray  # (1 - e^{-k dt / 2}) / k
    auc_bolus: np.ndarray  # (1 - e^{-k dt}) / k
    auc_infusion: np.ndarray  # (dt - (1 - e^{-k dt}) / k) / k

    @classmethod
    def from_half_lives(cls, half_life: np.ndarray, dt: float) -> StepDecay:
        k = np.log(2.0) / np.asarray(half_life, dtype=np.float64)
        decay = np.exp(-k * dt)
        half = np.exp(-k * dt / 2)
        one_minus = -np.expm1(-k * dt)
        return cls(
            decay=decay,
            half_decay=half,
            infusion_end=one_minus / k,
            infusion_mid=-np.expm1(-k * dt / 2) / k,
            auc_bolus=one_minus / k,
            auc_infusion=(dt - one_minus / k) / k,
        )


def quadrature_nodes(half_life: np.ndarray, dt: float,
                     pieces: int) -> tuple[np.ndarray, np.ndarray]:
    """(decay, infusion), both (pieces, D): ``exp(-k s_q)`` and ``(1 - exp(-k s_q)) / k`` at the
    midpoints ``s_q = (q + 1/2) dt / pieces`` (days) of the exact step's quadrature pieces, so
    that ``C(s_q) = C0 decay[q] + R infusion[q]`` (R: infusion rate)."""
    k = np.log(2.0) / np.asarray(half_life, dtype=np.float64)
    s = (np.arange(pieces, dtype=np.float64) + 0.5) * (dt / pieces)
    ks = s[:, None] * k[None, :]
    return np.exp(-ks), -np.expm1(-ks) / k[None, :]


def at_nodes(xp: ModuleType, conc: Any, infusion: Any, decay: Any, node_infusion: Any,
             q: int) -> Any:
    """Concentrations (A, D) at the midpoint of quadrature piece ``q`` from the step's start
    values ``conc`` and infusion rates ``infusion`` (``decay``, ``node_infusion``: the
    :func:`quadrature_nodes` tables on ``xp``)."""
    return conc * decay[q] + infusion * node_infusion[q]


def midpoint(xp: ModuleType, conc: Any, infusion: Any, pk: StepDecay) -> Any:
    """Concentration at the middle of the step, (A, D), from the start value ``conc``."""
    return conc * xp.asarray(pk.half_decay) + infusion * xp.asarray(pk.infusion_mid)


def advance(xp: ModuleType, conc: Any, infusion: Any, pk: StepDecay) -> tuple[Any, Any]:
    """(concentration at the end of the step, AUC over the step), both (A, D)."""
    end = conc * xp.asarray(pk.decay) + infusion * xp.asarray(pk.infusion_end)
    auc = conc * xp.asarray(pk.auc_bolus) + infusion * xp.asarray(pk.auc_infusion)
    return end, auc


def occupancy(xp: ModuleType, conc: Any, ic50: Any, hill: float) -> Any:
    """Hill fraction C^h / (C^h + IC50^h) in [0, 1]; 0 where C = 0 or IC50 = inf."""
    present = conc > 0
    # A tiny concentration overflows (IC50 / C)^h to inf, which gives exactly f = 0: intended.
    with np.errstate(over="ignore", divide="ignore"):
        fraction = 1.0 / (1.0 + (ic50 / xp.where(present, conc, 1.0)) ** hill)
    return xp.where(present, fraction, 0.0)


def steady_state_curve(
    dose: float, every_steps: int, infusion: float, half_life: float, dt: float, steps: int
) -> np.ndarray:
    """Analytic concentration at steps 0..steps-1 (after that step's bolus) for a periodic
    bolus from step 0 and/or an infusion from time 0 (reference for tests and docs)."""
    k = np.log(2.0) / half_life
    t = np.arange(steps) * dt
    conc = infusion / k * (1 - np.exp(-k * t))
    if dose > 0 and every_steps > 0:
        for first in range(0, steps, every_steps):
            conc[first:] += dose * np.exp(-k * (t[first:] - t[first]))
    return conc
