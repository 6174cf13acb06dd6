"""Dose intensity: each realization's drug exposure relative to the drug's standard continuous
regimen over the same time.

``drug_exposure`` (concentration x days) is the area under the plasma concentration curve from
treatment start to the horizon, death or cure. The reference is the area the drug's own
``dosing`` (dose factor 1, from treatment start, never interrupted) gives over that same time,
with the realization's own half-life where it varies between patients (``drawn_drugs_<i>_
half_life``). One compartment, first-order elimination k = ln 2 / half_life (the engine's PK,
``gpu_engine/pharmacology.py``), T days on study:

* boluses every tau days (doses at 0, tau, ... < T):
  AUC = (dose / k) (n - e^{-k T} (e^{k n tau} - 1) / (e^{k tau} - 1)), n = ceil(T / tau),
  evaluated as (dose / k)(n - (e^{k (n tau - T)} - e^{-k T}) / (e^{k tau} - 1)) (no overflow
  over years of daily doses);
* boluses at listed times t_j < T: AUC = sum_j (dose / k)(1 - e^{-k (T - t_j)});
* an infusion R per day: AUC = (R / k)(T - (1 - e^{-k T}) / k).

So continuous standard dosing has intensity 1 (to rounding), intermittent high-dose pulses more
or less than 1, a sequence of drugs a share for each (their sum is the total exposure in units
of one drug's standard dosing).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from oncosweep.analysis._data import horizon_days

__all__ = ["dose_intensity", "reference_exposure"]


def reference_exposure(half_life: Any, dosing: dict[str, Any], days: Any) -> np.ndarray:
    """AUC (concentration x days) of ``dosing`` (the scenario's dosing mapping of one drug:
    ``dose`` with ``every`` or ``times``, or ``infusion``) over ``days`` days from treatment
    start, with elimination half-life ``half_life`` days; arrays broadcast."""
    half_life, days = np.broadcast_arrays(np.asarray(half_life, float), np.asarray(days, float))
    k = math.log(2.0) / half_life
    if dosing.get("infusion") is not None:
        rate = float(dosing["infusion"])
        return rate / k * (days - (-np.expm1(-k * days)) / k)
    dose = float(dosing["dose"])
    if dosing.get("every") is not None:
        tau = float(dosing["every"])
        n = np.ceil(days / tau)
        # e^{-kT} (e^{k n tau} - 1) written without the overflowing e^{k n tau}: n tau - T is
        # in [0, tau), so the first exponent is bounded
        tail = (np.exp(k * (n * tau - days)) - np.exp(-k * days)) / np.expm1(k * tau)
        return dose / k * (n - tail)
    out = np.zeros(days.shape)
    for t in dosing["times"]:
        given = days > float(t)
        out += np.where(given, dose / k * -np.expm1(-k * np.maximum(days - float(t), 0.0)), 0.0)
    return out


def dose_intensity(ds: Any) -> Any:
    """``drug_exposure`` / the reference exposure of each drug (module docstring), an
    xarray.DataArray with the dims of ``drug_exposure``; NaN for realizations never treated.

    Raises ValueError when the dataset lacks what is needed (its scenario, the outcomes), or
    when a sweep axis changes a drug's dosing or half-life (the reference would differ between
    grid points)."""
    import xarray as xr  # noqa: PLC0415
    import yaml  # noqa: PLC0415

    for name in ("drug_exposure", "detected", "died", "time_to_death", "cured", "time_to_cure"):
        if name not in ds.variables:
            raise ValueError(f"ds: dose intensity needs the variable {name!r}")
    for dim in ds["drug_exposure"].dims:
        if dim.startswith("drugs[") and ("dosing" in dim or "half_life" in dim):
            raise ValueError(f"ds: dose intensity is not available when a sweep axis ({dim}) "
                             "changes a drug's dosing or half-life")
    horizon = horizon_days(ds)
    drugs = yaml.safe_load(ds.attrs["scenario"]).get("drugs") or []
    on_study = xr.where(ds["died"], ds["time_to_death"],
                        xr.where(ds["cured"], ds["time_to_cure"], horizon))
    parts = []
    for i, drug in enumerate(drugs):
        drawn = f"drawn_drugs_{i}_half_life"
        half_life = ds[drawn] if drawn in ds.variables else float(drug["half_life"])
        days, hl = xr.broadcast(on_study, xr.DataArray(half_life) if np.isscalar(half_life)
                                else half_life)
        reference = xr.DataArray(reference_exposure(hl.values, drug["dosing"], days.values),
                                 dims=days.dims, coords=days.coords)
        parts.append(ds["drug_exposure"].isel(drug=i) / reference)
    out = xr.concat(parts, dim="drug").transpose(*ds["drug_exposure"].dims)
    out = out.where(ds["detected"] & (on_study > 0))
    out.attrs = {"long_name": "drug exposure relative to the drug's standard continuous "
                              "regimen over the same time", "units": "1"}
    return out.rename("dose_intensity")
