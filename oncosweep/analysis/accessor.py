"""The ``ds.oncosweep`` accessor on xarray Datasets: thin methods delegating to the analysis
functions (see each function for conventions and units)::

    import oncosweep.analysis.accessor  # registers the accessor (oncosweep.analysis does too)
    ds = oncosweep.open_results("results/quickstart_sweep.zarr")
    ds.oncosweep.survival_table(endpoint="progression")
    ds.oncosweep.rank_strategies(metric="rmst_progression", criterion="cvar")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import xarray as xr

# Modules by import_module: ``oncosweep.analysis`` re-exports functions named like two of them
# (``robustness``), so attribute access on the package would find the function.
probability = importlib.import_module("oncosweep.analysis.probability")
robustness = importlib.import_module("oncosweep.analysis.robustness")
stratify = importlib.import_module("oncosweep.analysis.stratify")
survival = importlib.import_module("oncosweep.analysis.survival")


@xr.register_dataset_accessor("oncosweep")
class OncosweepAccessor:
    """Analysis of an oncosweep result dataset (realizations or a sweep store)."""

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def survival_curves(self, *, endpoint: str = "progression",
                        level: float = 0.95) -> survival.SurvivalCurves:
        """Kaplan–Meier curves per group: :func:`~oncosweep.analysis.survival.survival_curves`."""
        return survival.survival_curves(self._ds, endpoint=endpoint, level=level)

    def survival_table(self, *, endpoint: str = "progression", tau: float | None = None,
                       level: float = 0.95) -> xr.Dataset:
        """Medians and RMST per group: :func:`~oncosweep.analysis.survival.survival_table`."""
        return survival.survival_table(self._ds, endpoint=endpoint, tau=tau, level=level)

    def compare_strategies(self, *, endpoint: str = "progression",
                           reference: str | None = None) -> xr.Dataset:
        """Log-rank tests against a reference strategy:
        :func:`~oncosweep.analysis.survival.compare_strategies`."""
        return survival.compare_strategies(self._ds, endpoint=endpoint, reference=reference)

    def probabilities(self, *, by_time: float | None = None, level: float = 0.95,
                      method: str = "wilson") -> xr.Dataset:
        """Outcome probabilities with intervals:
        :func:`~oncosweep.analysis.probability.probabilities`."""
        return probability.probabilities(self._ds, by_time=by_time, level=level,
                                         method=method)

    def robustness(self, *, metric: str | Callable[[Any], float],
                   strategy_dim: str = "strategy", alpha: float = 0.25,
                   higher_is_better: bool | None = None, n_boot: int = 200, seed: int = 0,
                   tau: float | None = None) -> xr.Dataset:
        """Robustness criteria with bootstrap SEs:
        :func:`~oncosweep.analysis.robustness.robustness`."""
        return robustness.robustness(self._ds, metric=metric, strategy_dim=strategy_dim,
                                     alpha=alpha, higher_is_better=higher_is_better,
                                     n_boot=n_boot, seed=seed, tau=tau)

    def rank_strategies(self, *, metric: str | Callable[[Any], float],
                        criterion: str = "cvar", z: float = 2.0,
                        strategy_dim: str = "strategy", alpha: float = 0.25,
                        higher_is_better: bool | None = None, n_boot: int = 200,
                        seed: int = 0, tau: float | None = None) -> Any:
        """:meth:`robustness` then :func:`~oncosweep.analysis.robustness.rank_strategies`
        (a pandas DataFrame)."""
        robust = self.robustness(metric=metric, strategy_dim=strategy_dim, alpha=alpha,
                                 higher_is_better=higher_is_better, n_boot=n_boot, seed=seed,
                                 tau=tau)
        return robustness.rank_strategies(robust, criterion=criterion, z=z)

    def stratified_survival(self, parameter: str, *, quantiles: int = 4,
                            endpoint: str = "progression", tau: float | None = None,
                            level: float = 0.95) -> xr.Dataset:
        """Survival and cure by quantile stratum of a drawn parameter:
        :func:`~oncosweep.analysis.stratify.stratified_survival`."""
        return stratify.stratified_survival(self._ds, parameter, quantiles=quantiles,
                                            endpoint=endpoint, tau=tau, level=level)

    def benefit_by_parameter(self, parameter: str, *, reference: str, strategy: str,
                             metric: str = "rmst", bins: int = 5,
                             endpoint: str = "progression", tau: float | None = None,
                             level: float = 0.95, n_boot: int = 1000,
                             seed: int = 0) -> xr.Dataset:
        """Benefit of a strategy over a reference by a drawn parameter:
        :func:`~oncosweep.analysis.stratify.benefit_by_parameter`."""
        return stratify.benefit_by_parameter(self._ds, parameter, reference=reference,
                                             strategy=strategy, metric=metric, bins=bins,
                                             endpoint=endpoint, tau=tau, level=level,
                                             n_boot=n_boot, seed=seed)
