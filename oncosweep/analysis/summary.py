"""A short plain-text summary of a realization dataset (printed by the CLI and the demo)."""

from __future__ import annotations

from typing import Any

import numpy as np


def resistant_at_detection(ds: Any) -> Any:
    """Per realization: some cell carries at least one resistance mutation at detection.

    Reads the ``cell_type`` labels (``wt/...`` is the wild type), so it needs no engine.
    """
    mutant = np.array([not str(label).startswith("wt/") for label in ds["cell_type"].values])
    return (ds["cells_at_detection"].isel(cell_type=np.nonzero(mutant)[0]) > 0).any("cell_type")


def summarize(ds: Any, *, compact: bool = False) -> str:
    """Summary lines: counts, detection time, restarts, resistance at detection, outcomes
    per strategy. ``compact``: one line before the strategy table and no footnote."""
    n = ds.sizes["realization"]
    detected = ds["detected"].values
    if compact:
        resistant = resistant_at_detection(ds).values[detected].mean() if detected.any() else 0
        ttd = np.median(ds["time_to_detection"].values[detected]) if detected.any() else np.nan
        lines = [f"{n} realizations: detection after {ttd:.0f} days (median), resistance "
                 f"present in {resistant:.3f} of tumours"]
        return "\n".join(lines + _outcome_table(ds, detected, footnote=False))
    lines = [f"realizations        {n} (seed {ds.attrs.get('seed')}, "
             f"backend {ds.attrs.get('backend')})"]
    if not detected.all():
        undetected = int((~detected).sum())
        lines.append(f"not detected        {undetected} (budget or max_restarts ran out)")
    ttd = ds["time_to_detection"].values[detected]
    if ttd.size:
        q1, med, q3 = np.percentile(ttd, [25, 50, 75])
        lines.append(f"time to detection   median {med:.1f} days (IQR {q1:.1f}-{q3:.1f})")
    from oncosweep.analysis.assay import assay_line  # noqa: PLC0415

    assay = assay_line(ds.attrs.get("scenario"))
    if assay is not None:
        lines.append(assay)
    restarts = ds["restarts"].values
    lines.append(f"restarts            mean {restarts.mean():.2f} per realization "
                 f"(early extinctions of the founder clone)")
    if ds.sizes["cell_type"] > 1 and detected.any():
        cells = ds["cells_at_detection"].values[detected] > 0
        genotypes = [str(label).split("/")[0] for label in ds["cell_type"].values]
        loci = sorted({name for g in genotypes if g != "wt" for name in g.split("+")},
                      key=lambda name: min(i for i, g in enumerate(genotypes) if name in g))
        lines.append("resistance present at detection (fraction of tumours +- SE):")
        for name in ["any", *loci]:
            carriers = [g != "wt" if name == "any" else name in g.split("+") for g in genotypes]
            p = cells[:, np.array(carriers)].any(axis=1).mean()
            se = np.sqrt(p * (1 - p) / cells.shape[0])
            lines.append(f"  {name:18s}{p:.3f} +- {se:.3f}")
    if "resistant_at_start" in ds and ds.sizes.get("drug", 0) and detected.any():
        for drug in ds["drug"].values:
            p = float(ds["resistant_at_start"].sel(drug=drug).values[detected].mean())
            se = np.sqrt(p * (1 - p) / int(detected.sum()))
            lines.append(f"resistant to {drug} at treatment start  {p:.3f} +- {se:.3f}")
    lines += _outcome_table(ds, detected, footnote=True)
    return "\n".join(lines)


FOOTNOTE = ("(median TTP: Kaplan–Meier, days from treatment start, censored at death and, for "
            "cured or surviving tumours, at the horizon; ctDNA lead: median days of the first "
            "ctDNA call ahead of the first imaging progression; dosed: mean share of time on a "
            "regimen; dose int.: mean drug exposure relative to standard continuous dosing "
            "over the same time, summed over drugs)")


def _outcome_table(ds: Any, detected: np.ndarray, *, footnote: bool) -> list[str]:
    if "cured" not in ds or not detected.any():
        return []
    strategies = ds["strategy"].values if "strategy" in ds.dims else [None]
    lines = [f"{'strategy':14s}{'progressed':>12s}{'median TTP':>13s}{'cured':>8s}"
             f"{'died':>8s}{'switches':>10s}{'ctDNA lead':>12s}{'dosed':>8s}{'dose int.':>11s}"]
    intensity = _total_intensity(ds)
    for name in strategies:
        one = ds.sel(strategy=name) if name is not None else ds
        total = None if intensity is None else (
            intensity.sel(strategy=name) if name is not None else intensity)
        lines.append(_outcome_row(one, detected, str(name or ds.attrs.get("strategy") or "-"),
                                  total))
    return [*lines, FOOTNOTE] if footnote else lines


def _total_intensity(ds: Any) -> Any:
    """Dose intensity summed over drugs (analysis.exposure), or None where not available."""
    from oncosweep.analysis.exposure import dose_intensity  # noqa: PLC0415

    try:
        return dose_intensity(ds).sum("drug", min_count=1)
    except (ValueError, KeyError):
        return None


def _outcome_row(ds: Any, detected: np.ndarray, name: str, intensity: Any = None) -> str:
    progressed = ds["progressed"].values[detected]
    ttp = ds["time_to_progression"].values[detected]
    # censoring: at death (death without progression is not progression); a cured tumour
    # never progresses, so it is censored at the horizon (inf), like a tumour still alive
    end = np.where(ds["died"].values, ds["time_to_death"].values, np.inf)[detected]
    median = km_median(ttp, progressed, end)
    median_text = f"{median:.0f}" if np.isfinite(median) else "not reached"
    lead = ds["ctdna_lead_time"].values[detected]
    lead_text = f"{np.nanmedian(lead):.0f}" if np.isfinite(lead).any() else "-"
    return (f"{name:14s}{progressed.mean():12.3f}{median_text:>13s}"
            f"{ds['cured'].values[detected].mean():8.3f}"
            f"{ds['died'].values[detected].mean():8.3f}"
            f"{ds['regimen_switches'].values[detected].mean():10.2f}{lead_text:>12s}"
            f"{np.nanmean(ds['treated_fraction'].values[detected]):8.2f}"
            + (f"{'-':>11s}" if intensity is None
               else f"{np.nanmean(intensity.values[detected]):11.2f}"))


def km_median(times: np.ndarray, event: np.ndarray, censor_at: np.ndarray) -> float:
    """Kaplan–Meier median of event times (``censor_at``: censoring times of the others, inf
    = the horizon, taken as the largest observed time); NaN when the curve stays above 1/2."""
    from scipy import stats  # noqa: PLC0415 - analysis-only dependency

    observed = times[event]
    horizon = np.nanmax(np.concatenate([observed, censor_at[np.isfinite(censor_at)], [0.0]]))
    censored = np.where(np.isfinite(censor_at[~event]), censor_at[~event], horizon)
    if observed.size == 0:
        return float("nan")
    curve = stats.ecdf(stats.CensoredData(uncensored=observed, right=censored)).sf
    below = np.nonzero(curve.probabilities <= 0.5)[0]
    return float(curve.quantiles[below[0]]) if below.size else float("nan")


def summarize_sweep(ds: Any) -> str:
    """Per point of the non-strategy axes of a sweep store: the strategy table of
    :func:`summarize` (a sweep store's variables carry the sweep axes in front)."""
    import itertools  # noqa: PLC0415
    import json  # noqa: PLC0415

    axes = json.loads(ds.attrs["axes"])
    other = [name for name, _, strategy in axes if not strategy]
    strategy_axis = next((name for name, _, strategy in axes if strategy), None)
    blocks = []
    for index in itertools.product(*(range(ds.sizes[name]) for name in other)):
        point = ds.isel(dict(zip(other, index, strict=True)))
        label = ", ".join(f"{name} = {point[name].values}" for name in other) or "all"
        if strategy_axis is not None:
            point = point.rename({strategy_axis: "strategy"})
            # pre-treatment outputs are the same for every strategy (common random numbers)
            for name in ("detected", "time_to_detection", "restarts", "cells_at_detection",
                         "cells_at_start", "resistant_at_start"):
                point[name] = point[name].isel(strategy=0, drop=True)
        blocks.append(f"--- {label}\n{summarize(point, compact=True)}")
    from oncosweep.analysis.assay import assay_line  # noqa: PLC0415

    assay = assay_line(ds.attrs.get("scenario"))
    return "\n".join([*([assay] if assay else []), *blocks, FOOTNOTE])
