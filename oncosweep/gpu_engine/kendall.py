"""Kendall's exact transition law of a linear birth–death process over one step: the
building block of an exact step scheme (issue 14; not yet used by the engines).

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
