"""Helpers shared by the sampler tests: the grouped chi-square test against a known pmf, and
the contiguous arrays and pointers that the ctypes harnesses (tests/cuda/*.cu) take."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from scipy import stats


def grouped_chisq_pvalue(x: np.ndarray, lo: int, hi: int, prob: np.ndarray) -> float:
    """Chi-square p-value of integer draws ``x`` against the cell probabilities ``prob`` of
    ``lo .. hi`` (the tails already merged into the end cells): draws are clipped into the
    window, adjacent cells merged left to right until every expected count is >= 5 (the last
    short group joins its neighbour); dof = groups - 1."""
    obs = np.bincount(np.clip(x, lo, hi) - lo, minlength=hi - lo + 1).astype(float)
    exp = prob * x.size
    groups_o, groups_e, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(obs, exp, strict=True):
        acc_o += o
        acc_e += e
        if acc_e >= 5:
            groups_o.append(acc_o)
            groups_e.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0:
        groups_o[-1] += acc_o
        groups_e[-1] += acc_e
    go, ge = np.array(groups_o), np.array(groups_e)
    assert go.size >= 2
    stat = float(np.sum((go - ge) ** 2 / ge))
    return float(stats.chi2.sf(stat, go.size - 1))


def contiguous(v: Any, dtype: Any, size: int | None = None) -> np.ndarray:
    """``v`` as a C-contiguous array of ``dtype``, broadcast to ``(size,)`` when given."""
    a = np.ascontiguousarray(v, dtype=dtype)
    if size is not None and a.shape != (size,):
        a = np.ascontiguousarray(np.broadcast_to(a, (size,)))
    return a


def pointer(a: np.ndarray) -> ctypes.c_void_p:
    """The address of an array's data, for a ctypes call."""
    return a.ctypes.data_as(ctypes.c_void_p)
