"""What a tumour carries when it progresses: the share of progressions with each resistance
locus (e.g. T790M in about 60 % of progressions on erlotinib, Oxnard et al., Clin Cancer Res
2011;17:1616-1622), from ``cells_at_progression`` (cells of each type at the visit of the first
imaging progression, on any line)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["loci_at_progression"]


def _loci(cell_types: Any) -> list[str]:
    """Locus names in the genotype part of ``genotype/phenotype[/compartment]`` labels."""
    names: list[str] = []
    for label in map(str, cell_types):
        for locus in label.split("/")[0].split("+"):
            if locus != "wt" and locus not in names:
                names.append(locus)
    return names


def loci_at_progression(ds: Any, *, share: float = 0.1) -> Any:
    """Per locus (new dim ``locus``) and group (strategy, sweep axes): ``fraction``, the share
    of detected tumours with an imaging progression whose cells at that progression carry the
    locus in at least ``share`` of them (a biopsy or plasma test positive for it), and ``n``,
    the number of such progressions. An xarray.Dataset; ValueError when the dataset lacks
    ``cells_at_progression`` or ``share`` is not in (0, 1]."""
    import xarray as xr  # noqa: PLC0415

    if not 0.0 < share <= 1.0:
        raise ValueError(f"share: must be in (0, 1], got {share!r}")
    for name in ("cells_at_progression", "detected"):
        if name not in ds.variables:
            raise ValueError(f"ds: loci at progression need the variable {name!r}")
    cells = ds["cells_at_progression"].astype(float)
    total = cells.sum("cell_type")
    progressed = (total > 0) & ds["detected"]
    labels = [str(c) for c in ds["cell_type"].values]
    loci = _loci(labels)
    fractions, counts = [], []
    n = progressed.sum("realization")
    for locus in loci:
        carriers = [c for c in labels if locus in c.split("/")[0].split("+")]
        carried = cells.sel(cell_type=carriers).sum("cell_type")
        positive = progressed & (carried >= share * total)
        counts.append(positive.sum("realization"))
        fractions.append(xr.where(n > 0, positive.sum("realization") / n.where(n > 0), np.nan))
    out = xr.Dataset({"fraction": xr.concat(fractions, dim="locus"),
                      "positive": xr.concat(counts, dim="locus"), "n": n})
    out = out.assign_coords(locus=loci)
    out["fraction"].attrs = {"long_name": f"share of progressions with the locus in >= {share:g} "
                                          "of the cells", "units": "1"}
    return out
