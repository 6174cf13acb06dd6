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


def summarize(ds: Any) -> str:
    """Summary lines: counts, detection time, restarts, resistance at detection, deaths."""
    n = ds.sizes["realization"]
    detected = ds["detected"].values
    lines = [f"realizations        {n} (seed {ds.attrs.get('seed')}, "
             f"backend {ds.attrs.get('backend')})"]
    if not detected.all():
        undetected = int((~detected).sum())
        lines.append(f"not detected        {undetected} (budget or max_restarts ran out)")
    ttd = ds["time_to_detection"].values[detected]
    if ttd.size:
        q1, med, q3 = np.percentile(ttd, [25, 50, 75])
        lines.append(f"time to detection   median {med:.1f} days (IQR {q1:.1f}-{q3:.1f})")
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
    if "cured" in ds and detected.any():
        n_detected = int(detected.sum())
        for name, flag, times, what in (
            ("cured", "cured", "time_to_cure", "after treatment start"),
            ("reached lethal size", "died", "time_to_death", "after treatment start"),
        ):
            hit = ds[flag].values[detected]
            p = hit.mean()
            se = np.sqrt(p * (1 - p) / n_detected)
            line = f"{name:20s}{p:.3f} +- {se:.3f} of tumours"
            if hit.any():
                line += f"; median {np.median(ds[times].values[detected][hit]):.1f} days {what}"
            lines.append(line)
    if "resistant_at_start" in ds and ds.sizes.get("drug", 0) and detected.any():
        for drug in ds["drug"].values:
            p = float(ds["resistant_at_start"].sel(drug=drug).values[detected].mean())
            se = np.sqrt(p * (1 - p) / int(detected.sum()))
            lines.append(f"resistant to {drug} at treatment start  {p:.3f} +- {se:.3f}")
    return "\n".join(lines)
