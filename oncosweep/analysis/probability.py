"""Probabilities of outcomes with binomial confidence intervals: cure, resistance at treatment
start and progression by a given time, per strategy and sweep point.

Dataset conventions (detected realizations only; times in days since treatment start;
the horizon of the scenario) are those of :mod:`oncosweep.analysis._data`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy import special, stats

from oncosweep.analysis import _data

METHODS = ("wilson", "clopper-pearson")
OUTCOMES = {
    "cured": "the tumour went extinct after treatment start, within the horizon",
    "resistant_at_start": "some cell at treatment start resists at least one drug "
                          "(resistant_at_start, any drug)",
    "progressed_by": "progression (strategy failure) at or before by_time days",
}


class ProportionCI(NamedTuple):
    """A proportion and its two-sided confidence interval (floats for scalar input, arrays
    of the broadcast input shape otherwise). NaN where trials = 0 (undefined)."""

    estimate: Any
    lower: Any
    upper: Any


def _counts(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name}: must be non-negative integer counts, got dtype {array.dtype}")
    as_float = array.astype(float)
    if not np.all(np.isfinite(as_float)) or np.any(as_float < 0) or \
            np.any(as_float != np.floor(as_float)):
        raise ValueError(f"{name}: must be non-negative integer counts")
    return as_float


def proportion_ci(successes: Any, trials: Any, *, level: float = 0.95,
                  method: str = "wilson") -> ProportionCI:
    """Estimate k/n of a binomial proportion with a two-sided confidence interval,
    vectorised over (broadcast) arrays of counts.

    Parameters
    ----------
    successes, trials
        Non-negative integer counts k <= n (integer-valued floats are accepted).
    level
        Confidence level in (0, 1).
    method
        ``"wilson"``: the Wilson score interval without continuity correction,
        (k + z²/2)/(n + z²) -+ z/(n + z²) * sqrt(k(n - k)/n + z²/4), z = Φ⁻¹((1 + level)/2),
        with the bound exactly 0 at k = 0 and exactly 1 at k = n (as
        ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``).
        ``"clopper-pearson"``: the exact interval from beta quantiles,
        [B⁻¹(α/2; k, n - k + 1), B⁻¹(1 - α/2; k + 1, n - k)], 0 at k = 0 and 1 at k = n
        (scipy's ``method="exact"``, which finds the same bounds by root finding).

    Returns
    -------
    ProportionCI
        (estimate, lower, upper); all three NaN where n = 0 (the proportion is undefined).
    """
    level = _data.check_level(level)
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(map(repr, METHODS))}, "
                         f"got {method!r}")
    k = _counts(successes, "successes")
    n = _counts(trials, "trials")
    try:
        k, n = np.broadcast_arrays(k, n)
    except ValueError:
        raise ValueError(f"successes, trials: shapes {k.shape} and {n.shape} do not "
                         "broadcast") from None
    if np.any(k > n):
        raise ValueError("successes: must be <= trials")
    empty = n == 0
    safe_n = np.where(empty, 1.0, n)
    estimate = k / safe_n
    alpha = 1.0 - level
    if method == "wilson":
        z = special.ndtri(1.0 - alpha / 2)
        center = (k + z * z / 2) / (safe_n + z * z)
        half = z / (safe_n + z * z) * np.sqrt(k * (safe_n - k) / safe_n + z * z / 4)
        lower, upper = center - half, center + half
    else:
        with np.errstate(invalid="ignore"):
            lower = stats.beta.ppf(alpha / 2, k, safe_n - k + 1)
            upper = stats.beta.ppf(1 - alpha / 2, k + 1, safe_n - k)
    lower = np.where(k == 0, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(k == safe_n, 1.0, np.clip(upper, 0.0, 1.0))
    result = [np.where(empty, np.nan, x) for x in (estimate, lower, upper)]
    if np.ndim(result[0]) == 0:
        return ProportionCI(*(float(x) for x in result))
    return ProportionCI(*result)


def probabilities(ds: Any, *, by_time: float | None = None, level: float = 0.95,
                  method: str = "wilson") -> Any:
    """Probabilities of the outcomes in :data:`OUTCOMES` per strategy and sweep point, over
    detected realizations, with confidence intervals (:func:`proportion_ci`).

    * ``cured``: cured within the horizon;
    * ``resistant_at_start``: ``resistant_at_start`` for any drug (a pre-treatment outcome,
      identical for every strategy of a point; broadcast where it lacks ``strategy``);
    * ``progressed_by``: progressed with ``time_to_progression <= by_time`` (days; default
      and maximum: the horizon). A tumour that died first counts as not progressed: this is
      the cumulative incidence of progression with death as a competing risk, not
      1 - Kaplan–Meier (no tumour is censored before the horizon).

    Returns an ``xarray.Dataset`` with dims (group dims..., ``outcome``) and variables
    ``estimate``, ``lower``, ``upper`` (NaN where no realization was detected), ``successes``
    and ``trials`` (detected realizations).
    """
    import xarray as xr  # noqa: PLC0415

    level = _data.check_level(level)
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(map(repr, METHODS))}, "
                         f"got {method!r}")
    _data.require(ds, ["detected", "cured", "resistant_at_start", "progressed",
                       "time_to_progression"], "probabilities")
    horizon = _data.horizon_days(ds)
    by_time = horizon if by_time is None else _data.check_days(by_time, "by_time",
                                                                horizon=horizon)
    dims = _data.group_dims(ds, "progressed")
    detected = _data.aligned(ds, "detected", dims).astype(bool)
    progressed = _data.aligned(ds, "progressed", dims).astype(bool)
    ttp = _data.aligned(ds, "time_to_progression", dims).astype(float)
    with np.errstate(invalid="ignore"):
        progressed_by = progressed & (ttp <= by_time)
    outcomes = {
        "cured": _data.aligned(ds, "cured", dims).astype(bool),
        "resistant_at_start": _data.aligned(ds, "resistant_at_start", dims,
                                            reduce_any=("drug",)).astype(bool),
        "progressed_by": progressed_by,
    }
    successes = np.stack([(x & detected).sum(axis=-1) for x in outcomes.values()], axis=-1)
    trials = np.broadcast_to(detected.sum(axis=-1)[..., None], successes.shape)
    estimate, lower, upper = proportion_ci(successes, trials, level=level, method=method)
    out_dims = (*dims, "outcome")
    coords = _data.group_coords(ds, dims)
    coords["outcome"] = list(OUTCOMES)
    variables = {
        "estimate": (out_dims, estimate, {"long_name": "proportion of detected tumours",
                                          "units": "1"}),
        "lower": (out_dims, lower, {"long_name": f"lower bound ({method}, level {level})",
                                    "units": "1"}),
        "upper": (out_dims, upper, {"long_name": f"upper bound ({method}, level {level})",
                                    "units": "1"}),
        "successes": (out_dims, successes.astype(np.int64), {"units": "realizations"}),
        "trials": (out_dims, np.array(trials, dtype=np.int64),
                   {"long_name": "detected realizations", "units": "realizations"}),
    }
    return xr.Dataset(variables, coords=coords,
                      attrs={"by_time_days": by_time, "horizon_days": horizon, "level": level,
                             "method": method,
                             "outcomes": "; ".join(f"{k}: {v}" for k, v in OUTCOMES.items())})
