"""Analysis of result datasets: survival, probabilities, robustness of strategies, plots and
the HTML report (docs/analysis.md).

This layer reads datasets only (``oncosweep.simulate`` output or a sweep store opened with
``oncosweep.open_results``); it never imports the engine. Importing it registers the
``ds.oncosweep`` dataset accessor. The plotting and report functions (matplotlib) are imported
on first use.
"""

from __future__ import annotations

from typing import Any

from oncosweep.analysis import accessor as _accessor  # noqa: F401 - registers ds.oncosweep
from oncosweep.analysis.exposure import dose_intensity
from oncosweep.analysis.probability import ProportionCI, probabilities, proportion_ci
from oncosweep.analysis.progression import carries_at_progression, loci_at_progression
from oncosweep.analysis.robustness import rank_strategies, robustness, robustness_criteria
from oncosweep.analysis.stratify import (
    benefit_by_parameter,
    drawn_parameters,
    stratified_survival,
)
from oncosweep.analysis.summary import summarize, summarize_sweep
from oncosweep.analysis.survival import (
    KMCurve,
    compare_strategies,
    km_curve,
    logrank,
    median_survival,
    rmst,
    survival_curves,
    survival_table,
)

_LAZY = {
    "plot_survival": "oncosweep.analysis.plots",
    "plot_muller": "oncosweep.analysis.plots",
    "plot_heatmap": "oncosweep.analysis.plots",
    "plot_ctdna_lead": "oncosweep.analysis.plots",
    "plot_burden": "oncosweep.analysis.plots",
    "plot_benefit": "oncosweep.analysis.stratify",
    "build_report": "oncosweep.analysis.report",
}

__all__ = [
    "KMCurve",
    "ProportionCI",
    "benefit_by_parameter",
    "build_report",
    "carries_at_progression",
    "compare_strategies",
    "dose_intensity",
    "drawn_parameters",
    "km_curve",
    "loci_at_progression",
    "logrank",
    "median_survival",
    "plot_benefit",
    "plot_burden",
    "plot_ctdna_lead",
    "plot_heatmap",
    "plot_muller",
    "plot_survival",
    "probabilities",
    "proportion_ci",
    "rank_strategies",
    "rmst",
    "robustness",
    "robustness_criteria",
    "stratified_survival",
    "summarize",
    "summarize_sweep",
    "survival_curves",
    "survival_table",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'oncosweep.analysis' has no attribute {name!r}")
