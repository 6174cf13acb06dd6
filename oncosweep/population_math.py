"""Inverse CDFs and the Gaussian copula of virtual patient populations.

A scenario parameter may be a probability distribution (``oncosweep.scenario.distributions``);
each realization draws its value as ``x = Q(u)``, the exact inverse CDF (quantile function) of
the law at a counter-based uniform ``u`` in ``(0, 1)``. Correlated parameters first pass their
uniforms through a Gaussian copula. The engine's uniforms lie in ``[U_MIN, U_MAX]`` =
``[2**-53, 1 - 2**-53]``, so ``Q(U_MIN)`` and ``Q(U_MAX)`` are the extreme values a draw can take.

A law is given as ``(kind, params)``, params in this order (the scenario's ``spec()``):

==============  ==========================  ================================================
kind            params                      Q(u)
==============  ==========================  ================================================
lognormal       median, sigma               ``median exp(sigma z)``, ``z = Phi^-1(u)``
normal          mean, sd                    ``mean + sd z``
truncnormal     mean, sd, low, high         normal restricted to [low, high] (see below)
uniform         low, high                   ``low + u (high - low)``
loguniform      low, high                   ``low (high / low)**u``
beta            a, b, low, high             ``low + (high - low) I^-1_u(a, b)``
gamma           shape, scale                ``scale P^-1(shape, u)``
choice          v_1..v_n, p_1..p_n          the first ``v_i`` (listed order) with ``u < c_i``
==============  ==========================  ================================================

``Phi`` is the standard normal CDF, ``I^-1`` the inverse regularized incomplete beta function
(scipy ``betaincinv``: Boost.Math ``ibeta_inv``, an initial estimate refined by Halley steps),
``P^-1`` the inverse regularized lower incomplete gamma function (scipy ``gammaincinv``: Cephes
``igami``, the DiDonato-Morris estimate, ACM TOMS 12 (1986) 377-393, refined by Newton/Halley
steps), ``c_i = (p_1 + ... + p_i) / sum(p)``. ``Phi^-1`` is scipy's ``ndtri`` (Cephes: rational
approximations on three ranges of u, accurate to a few ulp). Each result carries the
parameters' units. Degenerate laws (sigma 0, sd 0, low == high, one value with positive
probability) return their single value exactly, bit for bit.

**Truncated normal.** With ``a = (low - mean) / sd``, ``b = (high - mean) / sd``:

* ``a < 0 < b``: ``y = Phi^-1(Phi(a) + u (Phi(b) - Phi(a)))`` (the mass is near 0: no loss);
* ``a >= 0`` (both bounds above the mean): on the upper tail, in log space, so that a
  truncation at ``mean + 40 sd`` neither underflows nor returns inf/nan. With ``S = 1 - Phi``,
  ``log S(y) = log S(a) + log((1 - u) + u r)``, ``r = S(b) / S(a) = exp(log S(b) - log S(a))``,
  and ``y = -Phi^-1(exp(log S(y)))`` by scipy ``ndtri_exp`` (log_ndtr and its inverse);
* ``b <= 0``: the mirror image (``y -> -y``, ``[a, b] -> [-b, -a]``, ``u -> 1 - u``).

Then ``x = mean + sd y`` clipped into ``[low, high]`` (rounding only). This is the inversion of
N. Chopin, "Fast simulation of truncated Gaussian distributions", Stat. Comput. 21 (2011)
275-288, section 2 (inversion on the tail side), in log space.

Each realization's drawn value of a parameter is the result dataset's variable
:func:`drawn_name` of its path (a format shared by the engine, the sweep store and the
analysis, which is why it is declared here, below all of them).

This module imports with numpy alone; scipy.special is imported inside the functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

DRAWN_PREFIX = "drawn_"
"""Prefix of the dataset variables of drawn parameters."""
_SLUG = re.compile(r"[^A-Za-z0-9]+")


def drawn_name(path: str) -> str:
    """The dataset variable of a varying parameter: ``tumour.birth_rate`` ->
    ``drawn_tumour_birth_rate``, ``drugs[0].ic50`` -> ``drawn_drugs_0_ic50`` (every run of
    other characters becomes ``_``, none at either end)."""
    return DRAWN_PREFIX + _SLUG.sub("_", str(path)).strip("_")

__all__ = [
    "DRAWN_PREFIX",
    "KINDS",
    "U_MAX",
    "U_MIN",
    "check_correlation",
    "drawn_name",
    "gaussian_copula",
    "normal_cdf",
    "normal_quantile",
    "quantile",
]

#: The smallest and largest uniform the engine draws.
U_MIN = 2.0**-53
U_MAX = 1.0 - 2.0**-53
#: The kinds :func:`quantile` knows, with their number of parameters (choice: 2n, n >= 1).
KINDS = {
    "lognormal": 2,
    "normal": 2,
    "truncnormal": 4,
    "uniform": 2,
    "loguniform": 2,
    "beta": 4,
    "gamma": 2,
    "choice": None,
}
_SYMMETRY_TOL = 1e-12  # |C_ij - C_ji| and |C_ii - 1| tolerated in a correlation matrix


def normal_quantile(u: np.ndarray) -> np.ndarray:
    """``Phi^-1(u)``: the standard normal quantile (scipy ``ndtri``), float64."""
    from scipy.special import ndtri

    return np.asarray(ndtri(np.asarray(u, dtype=np.float64)), dtype=np.float64)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """``Phi(z) = (1 + erf(z / sqrt 2)) / 2``: the standard normal CDF (scipy ``ndtr``)."""
    from scipy.special import ndtr

    return np.asarray(ndtr(np.asarray(z, dtype=np.float64)), dtype=np.float64)


def quantile(kind: str, params: Sequence[float], u: np.ndarray) -> np.ndarray:
    """The inverse CDF ``Q(u)`` of law ``(kind, params)`` (see the module docstring).

    ``u``: uniforms strictly in (0, 1), any shape. Returns float64 of the same shape, in the
    parameters' units.
    """
    u = np.asarray(u, dtype=np.float64)
    p = tuple(float(x) for x in params)
    if kind not in KINDS:
        raise ValueError(f"unknown distribution {kind!r}; known: {', '.join(KINDS)}")
    count = KINDS[kind]
    if count is None:
        if len(p) < 2 or len(p) % 2:
            raise ValueError(f"choice needs 2n parameters (values, probabilities), got {len(p)}")
    elif len(p) != count:
        raise ValueError(f"{kind} needs {count} parameters, got {len(p)}")
    return _QUANTILES[kind](p, u)


def _full(u: np.ndarray, value: float) -> np.ndarray:
    return np.full(u.shape, value, dtype=np.float64)


def _lognormal(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    median, sigma = p
    if sigma == 0:
        return _full(u, median)
    return median * np.exp(sigma * normal_quantile(u))


def _normal(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    mean, sd = p
    if sd == 0:
        return _full(u, mean)
    return mean + sd * normal_quantile(u)


def _upper_tail(a: float, b: float, wa: np.ndarray, wb: np.ndarray) -> np.ndarray:
    """``y`` in ``[a, b]`` (``0 <= a < b <= inf``) with ``S(y) = wa S(a) + wb S(b)``,
    ``wa + wb = 1``, in log space (``S = 1 - Phi``)."""
    from scipy.special import log_ndtr, ndtri_exp

    log_sa = float(log_ndtr(-a))
    log_sb = float(log_ndtr(-b))
    ratio = math.exp(log_sb - log_sa)  # S(b) / S(a) in [0, 1]
    return -ndtri_exp(log_sa + np.log(wa + wb * ratio))


def _truncnormal(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    mean, sd, low, high = p
    if sd == 0:
        return _full(u, mean)
    a, b = (low - mean) / sd, (high - mean) / sd
    if a >= 0:
        y = _upper_tail(a, b, 1.0 - u, u)
    elif b <= 0:
        y = -_upper_tail(-b, -a, u, 1.0 - u)
    else:
        cdf_a, cdf_b = normal_cdf(np.float64(a)), normal_cdf(np.float64(b))
        y = normal_quantile(cdf_a + u * (cdf_b - cdf_a))
    return np.clip(mean + sd * y, low, high)


def _uniform(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    low, high = p
    if low == high:
        return _full(u, low)
    return np.clip(low + u * (high - low), low, high)


def _loguniform(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    low, high = p
    if low == high:
        return _full(u, low)
    return np.clip(low * np.exp(u * math.log(high / low)), low, high)


def _beta(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    from scipy.special import betaincinv

    a, b, low, high = p
    return np.clip(low + (high - low) * betaincinv(a, b, u), low, high)


def _gamma(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    from scipy.special import gammaincinv

    shape, scale = p
    return scale * gammaincinv(shape, u)


def _choice(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    n = len(p) // 2
    values = np.array(p[:n], dtype=np.float64)
    weights = np.array(p[n:], dtype=np.float64)
    positive = np.flatnonzero(weights > 0)
    if positive.size == 0:
        raise ValueError("choice needs a value with positive probability")
    if positive.size == 1:
        return _full(u, values[positive[0]])
    cumulative = np.cumsum(weights) / math.fsum(weights)
    index = np.searchsorted(cumulative, u, side="right")  # first i with u < c_i
    # rounding may leave c_n just below u, or trailing zero probabilities: never select them
    return values[np.minimum(index, positive[-1])]


_QUANTILES = {
    "lognormal": _lognormal,
    "normal": _normal,
    "truncnormal": _truncnormal,
    "uniform": _uniform,
    "loguniform": _loguniform,
    "beta": _beta,
    "gamma": _gamma,
    "choice": _choice,
}


def gaussian_copula(u: np.ndarray, cholesky: np.ndarray) -> np.ndarray:
    """Correlate independent uniforms with a Gaussian copula.

    ``u``: (R, K) independent uniforms in (0, 1); ``cholesky``: (K, K) lower Cholesky factor
    ``L`` of the correlation matrix ``C = L L^T`` (:func:`check_correlation`). Returns (R, K)
    uniforms ``Phi(Phi^-1(u) L^T)`` clipped into ``[U_MIN, U_MAX]``: each column is still
    uniform, and the normal scores of a row have correlation ``C`` (so the Spearman rank
    correlation of columns i, j is ``6 / pi asin(C_ij / 2)``). For the identity ``L`` the
    input is returned unchanged, bit for bit (as a float64 copy).
    """
    u = np.asarray(u, dtype=np.float64)
    chol = np.asarray(cholesky, dtype=np.float64)
    if u.ndim != 2 or chol.shape != (u.shape[1], u.shape[1]):
        raise ValueError(f"cholesky must be ({u.shape[-1]}, {u.shape[-1]}), got {chol.shape}")
    if np.array_equal(chol, np.eye(chol.shape[0])):
        return u.copy()
    correlated = normal_quantile(u) @ chol.T
    return np.clip(normal_cdf(correlated), U_MIN, U_MAX)


def check_correlation(matrix: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """The lower Cholesky factor ``L`` (``C = L L^T``) of correlation matrix ``C``.

    ``C`` must be square, finite, symmetric and have 1 on the diagonal (both within 1e-12;
    it is then symmetrized and its diagonal set to 1), entries in [-1, 1] and be positive
    definite. Raises ValueError with a plain message otherwise.
    """
    try:
        c = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("correlation matrix must be a square table of numbers") from None
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.size == 0:
        raise ValueError(f"correlation matrix must be square, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("correlation matrix entries must be finite numbers")
    gap = np.abs(c - c.T)
    if np.any(gap > _SYMMETRY_TOL):
        i, j = np.unravel_index(int(np.argmax(gap)), gap.shape)
        raise ValueError(
            f"correlation matrix is not symmetric: entry [{i}, {j}] is {c[i, j]:g} "
            f"but [{j}, {i}] is {c[j, i]:g}"
        )
    diagonal = np.diagonal(c)
    if np.any(np.abs(diagonal - 1.0) > _SYMMETRY_TOL):
        i = int(np.argmax(np.abs(diagonal - 1.0)))
        raise ValueError(f"correlation matrix diagonal must be 1, entry [{i}, {i}] is {c[i, i]:g}")
    if np.any(np.abs(c) > 1.0 + _SYMMETRY_TOL):
        raise ValueError("correlation matrix entries must be in [-1, 1]")
    c = (c + c.T) / 2.0
    np.fill_diagonal(c, 1.0)
    smallest = float(np.linalg.eigvalsh(c)[0])
    problem = f"correlation matrix is not positive definite (smallest eigenvalue {smallest:.2g})"
    if smallest <= 0:
        raise ValueError(problem)
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValueError(problem) from None
