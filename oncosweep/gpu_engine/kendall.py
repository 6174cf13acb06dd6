"""Kendall's exact transition law of a linear birth–death process over one step: the
building block of the exact step scheme (``kendall_step.py``).

One cell whose line divides at rate ``lambda(s)`` and dies at rate ``mu(s)`` (per day, per
cell, every cell independently) for ``0 <= s <= t`` leaves, at time t (D. G. Kendall, "On the
generalized 'birth-and-death' process", Ann. Math. Statist. 19 (1948) 1-15):

    N(t) = 0 with probability alpha,    P(N(t) = k) = (1 - alpha) (1 - beta) beta**(k - 1),  k >= 1

    alpha = 1 - 1 / W,   beta = 1 - exp(-R) / W = I / W,   W = exp(-R) + I,
    R = int_0^t (lambda - mu) ds,   I = int_0^t lambda(s) exp(-int_0^s (lambda - mu)) ds.

So n cells leave S ~ Binomial(n, 1 - alpha) surviving lines holding S + NegBin(S, 1 - beta)
cells (gamma–Poisson). The mean is n exp(R) for any rates.

With constant rates over the step, ``g = expm1(rho t) / rho`` (``t`` at rho = 0) gives
W exp(rho t) = 1 + lambda g and the forms used here, free of cancellation for every rho:

    alpha = mu g / (1 + lambda g),   beta = lambda g / (1 + lambda g),
    odds = beta / (1 - beta) = lambda g          (the scale of the gamma–Poisson offspring).

The odds are returned directly because 1 - beta cannot be formed from beta when a line grows
a lot (beta near 1): a surviving line holds 1 + NegBin(1, 1 - beta) cells, whose gamma–Poisson
form needs only the odds. With integrated rates, odds = I exp(R).

Every expression is evaluated in the same order as the CUDA twin ``cuda/kendall.cuh`` (one
IEEE rounding per operation; ``expm1`` and ``exp`` may differ by an ulp between libraries, see
docs/rng.md section 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def step_growth(xp: Any, birth: Any, death: Any, dt: float) -> Any:
    """``g = expm1((birth - death) dt) / (birth - death)``, or ``dt`` where the rates are
    equal (days): the expected number of cell-days per initial cell over the step, divided by
    exp(rho dt)."""
    rho = birth - death
    flat = rho == 0.0
    safe = xp.where(flat, 1.0, rho)
    return xp.where(flat, dt, xp.expm1(safe * dt) / safe)


def constant_rates(xp: Any, birth: Any, death: Any, dt: float) -> tuple[Any, Any, Any]:
    """(alpha, beta, odds) of the step for constant per-day rates ``birth``, ``death`` >= 0
    and a step of ``dt`` days."""
    g = step_growth(xp, birth, death, dt)
    odds = birth * g
    denominator = 1.0 + odds
    return death * g / denominator, odds / denominator, odds


def integrated_rates(xp: Any, net: Any, weighted: Any) -> tuple[Any, Any, Any]:
    """(alpha, beta, odds) from the integrals of time-varying rates over the step: ``net`` = R
    and ``weighted`` = I (both dimensionless), as in the module docstring."""
    survive = xp.exp(-net)
    w = survive + weighted
    return (w - 1.0) / w, weighted / w, weighted / survive


def mean_cells(xp: Any, alpha: Any, odds: Any) -> Any:
    """Expected cells at the end of the step per initial cell: (1 - alpha) (1 + odds)."""
    return (1.0 - alpha) * (1.0 + odds)


# ---- piecewise-constant rates: the accumulators of the exact step -------------------------
#
# Over a stretch of the step cut into pieces of h days with constant rates on each piece,
# Kendall's integrals compose exactly. With ``ghat = expm1(-rho h) / -rho`` (h at rho = 0),
# the integral of exp(-rho s) over the piece, and S = exp(-R) before the piece:
#
#     I += S birth ghat        D += S death ghat        S *= exp(-rho h)
#
# where D = W - 1 = integral of death exp(-R(s)) ds (every term >= 0: alpha = D / (1 + D) has no
# cancellation, and alpha = 0 exactly without death). Then 1 - alpha = 1 / (1 + D) and
# odds = I / S; the mean is 1 / S = exp(R). Two stretches compose as
# S = S1 S2, I = I1 + S1 I2, D = D1 + S1 D2.


@dataclass
class Span:
    """Kendall accumulators of one stretch of the step, per pair (arrays of one shape)."""

    survive: Any
    """S = exp(-R), R = integral of (birth' - death') over the stretch (effective rates)."""
    weighted: Any
    """I = integral of birth' exp(-R(s)) ds."""
    deaths: Any
    """D = integral of death' exp(-R(s)) ds = W - 1."""
    growth: Any
    """exp(R_e): expected cells of the type per initial cell, transitions out included."""
    divisions: Any
    """Integral of birth E[N(s)] ds per initial cell: expected divisions (transitions out
    included)."""


def empty_span(xp: Any, like: Any) -> Span:
    """The identity stretch (no time) with the shape of ``like``."""
    zero = xp.zeros_like(like, dtype=xp.float64)
    return Span(zero + 1.0, zero, zero, zero + 1.0, zero)


def add_piece(xp: Any, span: Span, birth: Any, kept_birth: Any, loss: Any, out: Any,
              h: float) -> Span:
    """``span`` followed by a piece of ``h`` days with constant per-day rates: ``birth`` (all
    divisions), ``kept_birth`` (divisions leaving two daughters of the type), ``loss`` (death
    and divisions leaving none) and ``out`` (switching and migration)."""
    rho = kept_birth - loss
    flat = rho == 0.0
    safe = xp.where(flat, 1.0, rho)
    shrunk = xp.expm1(-safe * h)  # exp(-rho h) - 1
    ghat = xp.where(flat, h, shrunk / -safe)
    decay = xp.where(flat, 1.0, 1.0 + shrunk)
    weighted = span.weighted + span.survive * kept_birth * ghat
    deaths = span.deaths + span.survive * loss * ghat
    rho_e = rho - out
    flat_e = rho_e == 0.0
    # exp(rho_e h) - 1: from the same expm1 without transitions (one transcendental a piece)
    grown = xp.where(out != 0.0, xp.expm1(rho_e * h), xp.where(flat, 0.0, -shrunk / decay))
    g_e = xp.where(flat_e, h, grown / xp.where(flat_e, 1.0, rho_e))
    divisions = span.divisions + span.growth * birth * g_e
    return Span(span.survive * decay, weighted, deaths, span.growth * (1.0 + grown), divisions)


def compose(first: Span, second: Span) -> Span:
    """The stretch ``first`` followed by ``second`` (per pair)."""
    return Span(first.survive * second.survive,
                first.weighted + first.survive * second.weighted,
                first.deaths + first.survive * second.deaths,
                first.growth * second.growth,
                first.divisions + first.growth * second.divisions)


def span_law(xp: Any, span: Span) -> tuple[Any, Any]:
    """(1 - alpha, odds) of the stretch: the probability that a cell's line survives it and
    the odds of the geometric number of cells of a surviving line."""
    return 1.0 / (1.0 + span.deaths), span.weighted / span.survive
