"""Clones of a traced trajectory and their Muller-plot layout (numbers only, no drawing).

A clone is a genotype: the part of a cell-type label before ``/`` (``wt`` is the wild type;
``R1+R2/persister@sanctuary`` belongs to clone ``R1+R2``). A clone's parent is the genotype
with one resistance mutation fewer that was most abundant when the clone appeared; the
layout nests each clone inside its parent's band, so that
:func:`oncosweep.analysis.plots.plot_muller` draws new clones emerging from the middle of the
clone they arose in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["WILD_TYPE", "clone_cells", "fate", "genotype", "muller_layout", "parents"]

WILD_TYPE = "wt"


def genotype(label: str) -> str:
    """The clone (genotype) of a cell-type label: the part before ``/``."""
    return str(label).split("/", 1)[0]


def _loci(genotype: str) -> frozenset[str]:
    return frozenset() if genotype == WILD_TYPE else frozenset(genotype.split("+"))


def clone_cells(trajectory: Any) -> tuple[list[str], np.ndarray]:
    """Cells per clone of one traced trajectory ``(time, cell_type)``.

    A clone is a genotype: the part of the cell-type label before ``/`` (``wt`` is the wild
    type; ``R1+R2/persister@sanctuary`` belongs to clone ``R1+R2``), summed over phenotypes
    and compartments. Returns the genotypes in label order and an array (time, genotype) of
    cells (NaN where the trajectory is NaN: after death, not simulated)."""
    labels = [str(label) for label in trajectory["cell_type"].values]
    genotypes = list(dict.fromkeys(genotype(label) for label in labels))
    values = np.asarray(trajectory.transpose("time", "cell_type").values, dtype=float)
    cells = np.stack([values[:, [i for i, label in enumerate(labels)
                                 if genotype(label) == g]].sum(axis=1)
                      for g in genotypes], axis=1)
    return genotypes, cells


def parents(genotypes: Sequence[str], cells: np.ndarray) -> dict[str, str | None]:
    """Parent clone of each genotype: the genotype with one mutation fewer that had the most
    cells when the clone first appeared (``wt`` for single mutants; None for the root)."""
    present = {g: np.nan_to_num(cells[:, i]) > 0 for i, g in enumerate(genotypes)}
    column = {g: i for i, g in enumerate(genotypes)}
    by_loci = {_loci(g): g for g in genotypes}
    out: dict[str, str | None] = {}
    root = WILD_TYPE if WILD_TYPE in column else genotypes[0]
    for g in genotypes:
        if g == root:
            out[g] = None
            continue
        loci = _loci(g)
        candidates = [by_loci[loci - {locus}] for locus in sorted(loci)
                      if loci - {locus} in by_loci]
        if not candidates:
            out[g] = root
            continue
        first = int(np.argmax(present[g])) if present[g].any() else 0
        out[g] = max(candidates, key=lambda c: np.nan_to_num(cells[first, column[c]]))
    return out


def muller_layout(genotypes: Sequence[str], parents: Mapping[str, str | None],
                  freq: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(genotype, lower, upper) per genotype, parents before their descendants: a clone's
    span covers its own frequency, split in two halves around its descendants' spans, so
    descendants (drawn over it) emerge from the middle of the clone they arose in."""
    children: dict[str, list[str]] = {g: [] for g in genotypes}
    for g, parent in parents.items():
        if parent is not None:
            children[parent].append(g)
    column = {g: i for i, g in enumerate(genotypes)}
    spans: list[tuple[str, np.ndarray, np.ndarray]] = []

    def place(g: str, bottom: np.ndarray) -> np.ndarray:
        own = freq[:, column[g]]
        slot = len(spans)
        spans.append((g, bottom, bottom))
        top = bottom + (own / 2 if children[g] else own)
        for child in children[g]:
            top = place(child, top)
        if children[g]:
            top = top + own / 2
        spans[slot] = (g, bottom, top)
        return top

    bottom = np.zeros(freq.shape[0])
    for root in (g for g in genotypes if parents[g] is None):
        bottom = place(root, bottom)
    return spans


def fate(time: np.ndarray, total: np.ndarray) -> tuple[str, float] | None:
    """('died' | 'cured', time) at the first sample after which the tumour is gone."""
    gone = ~np.isfinite(total) | (total <= 0)
    if not gone.any() or gone.all():
        return None
    first = int(np.argmax(gone))
    if first == 0:
        return None
    return ("cured" if np.isfinite(total[first]) else "died"), float(time[first])
