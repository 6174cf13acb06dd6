"""What a tumour carries when it progresses: the share of progressions with each resistance
locus (e.g. T790M in about 60 % of progressions on erlotinib, Oxnard et al., Clin Cancer Res
2011;17:1616-1622), from ``cells_at_progression`` (cells of each type at the visit of the first
imaging progression, on any line)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["carries_at_progression", "loci_at_progression"]


def _loci(cell_types: Any) -> list[str]:
    """Locus names in the genotype part of ``genotype/phenotype[/compartment]`` labels."""
    names: list[str] = []
    for label in map(str, cell_types):
        for locus in label.split("/")[0].split("+"):
            if locus != "wt" and locus not in names:
                names.append(locus)
    return names


def _at_progression(ds: Any, share: float) -> tuple[Any, Any, Any]:
    """(cells at the first imaging progression, their total, detected tumours that progressed),
    after checking ``share`` and the variables."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share: must be in (0, 1], got {share!r}")
    for name in ("cells_at_progression", "detected"):
        if name not in ds.variables:
            raise ValueError(f"ds: loci at progression need the variable {name!r}")
    cells = ds["cells_at_progression"].astype(float)
    total = cells.sum("cell_type")
    return cells, total, (total > 0) & ds["detected"]


def _carried(cells: Any, locus: str) -> Any:
    """Cells carrying ``locus`` (summed over the cell types whose genotype has it)."""
    carriers = [str(c) for c in cells["cell_type"].values
                if locus in str(c).split("/")[0].split("+")]
    return cells.sel(cell_type=carriers).sum("cell_type")


def carries_at_progression(ds: Any, locus: str, *, share: float = 0.1) -> Any:
    """Per realization (and group): the tumour progressed on imaging and at least ``share`` of
    its cells at that progression carry ``locus`` (a boolean xarray.DataArray), e.g. the
    T790M-positive progressions that AURA3 treated with osimertinib."""
    cells, total, progressed = _at_progression(ds, share)
    return progressed & (_carried(cells, locus) >= share * total)


def loci_at_progression(ds: Any, *, share: float = 0.1) -> Any:
    """Per locus (new dim ``locus``) and group (strategy, sweep axes): ``fraction``, the share
    of detected tumours with an imaging progression whose cells at that progression carry the
    locus in at least ``share`` of them (a biopsy or plasma test positive for it), and ``n``,
    the number of such progressions. An xarray.Dataset; ValueError when the dataset lacks
    ``cells_at_progression`` or ``share`` is not in (0, 1]."""
    import xarray as xr  # noqa: PLC0415

    cells, total, progressed = _at_progression(ds, share)
    loci = _loci(ds["cell_type"].values)
    n = progressed.sum("realization")
    fractions, counts = [], []
    for locus in loci:
        positive = progressed & (_carried(cells, locus) >= share * total)
        counts.append(positive.sum("realization"))
        fractions.append(xr.where(n > 0, positive.sum("realization") / n.where(n > 0), np.nan))
    out = xr.Dataset({"fraction": xr.concat(fractions, dim="locus"),
                      "positive": xr.concat(counts, dim="locus"), "n": n})
    out = out.assign_coords(locus=loci)
    out["fraction"].attrs = {"long_name": f"share of progressions with the locus in >= {share:g} "
                                          "of the cells", "units": "1"}
    return out
