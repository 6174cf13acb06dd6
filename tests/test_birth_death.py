"""One exact birth–death step sampled from Kendall's law (gpu_engine/birth_death.py): the
distribution of the cells after the step against the exact law (chi-square, p-value floor
1e-4), its moments and extinction probability (5 standard errors), and lane invariance.
Fixed keys: deterministic."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from oncosweep.gpu_engine import cuda_build, kendall, rng
from oncosweep.gpu_engine.birth_death import birth_death_step

KEY = rng.make_key(1948, 14)
LANES = 100_000


def _draw(n: int, birth: float, death: float, dt: float, lanes: int = LANES,
          cell_type: int = 3, step: int = 7) -> tuple[np.ndarray, float, float, float]:
    alpha, beta, odds = kendall.constant_rates(np, np.float64(birth), np.float64(death), dt)
    realization = np.arange(lanes, dtype=np.uint64)
    cells = birth_death_step(np, KEY, cell_type, step, realization,
                             np.full(lanes, n, dtype=np.int64), np.full(lanes, 1.0 - alpha),
                             np.full(lanes, odds))
    return cells, float(alpha), float(beta), float(odds)


def _pmf_one(alpha: float, beta: float, k_max: int) -> np.ndarray:
    k = np.arange(k_max + 1)
    pmf = (1 - alpha) * (1 - beta) * beta ** np.maximum(k - 1, 0)
    pmf[0] = alpha
    return pmf


def _chi_square_p(cells: np.ndarray, pmf: np.ndarray) -> float:
    """p-value of a chi-square test, bins with expected count >= 5, the tail lumped."""
    expected = pmf * cells.size
    keep = np.nonzero(expected >= 5)[0]
    edge = keep[-1]
    observed = np.bincount(np.minimum(cells, edge + 1), minlength=edge + 2)[:edge + 2]
    exp = np.append(expected[:edge + 1], cells.size - expected[:edge + 1].sum())
    mask = exp >= 5
    observed, exp = observed[mask], exp[mask]
    exp *= observed.sum() / exp.sum()
    return float(stats.chisquare(observed, exp).pvalue)


@pytest.mark.parametrize(("n", "birth", "death", "dt"), [(1, 1.0, 0.9, 0.5), (1, 0.4, 0.1, 1.0),
                                                          (3, 1.0, 0.9, 0.5), (2, 0.5, 1.0, 1.0),
                                                          (20, 0.5, 0.2, 1.0), (1, 3.0, 0.5, 1.0)])
def test_cells_after_a_step_follow_kendalls_law(n, birth, death, dt) -> None:
    cells, alpha, beta, _ = _draw(n, birth, death, dt)
    one = _pmf_one(alpha, beta, 400)
    pmf = one
    for _ in range(n - 1):
        pmf = np.convolve(pmf, one)[:401]
    assert _chi_square_p(cells, pmf) > 1e-4


@pytest.mark.parametrize(("n", "birth", "death", "dt"), [(1000, 1.0, 0.3, 1.0),
                                                          (10**9, 0.25, 0.675, 0.5),
                                                          (50, 1.0, 1.0, 0.5)])
def test_mean_variance_and_extinction_match_theory(n, birth, death, dt) -> None:
    cells, alpha, _, odds = _draw(n, birth, death, dt, lanes=40_000)
    rho = birth - death
    mean = n * np.exp(rho * dt)
    variance = n * (2 * birth * dt if rho == 0 else
                    (birth + death) / rho * np.exp(rho * dt) * np.expm1(rho * dt))
    se = np.sqrt(variance / cells.size)
    assert abs(cells.mean() - mean) < 5 * se
    # the sample variance within 5 of its standard errors, sqrt((mu4 - sigma^4) / m), with
    # the law's fourth central moment from its cumulants (they add over the n cells)
    one = _pmf_one(alpha, odds / (1 + odds), 4000)
    k = np.arange(one.size)
    m1 = (k * one).sum()
    c = [((k - m1) ** j * one).sum() for j in (2, 3, 4)]
    kappa4 = c[2] - 3 * c[0] ** 2
    mu4 = n * kappa4 + 3 * (n * c[0]) ** 2
    var_se = np.sqrt((mu4 - variance**2) / cells.size)
    assert abs(cells.var(ddof=1) - variance) < 5 * var_se
    extinct = alpha**n
    if extinct > 1e-6:
        p_se = np.sqrt(extinct * (1 - extinct) / cells.size)
        assert abs(np.mean(cells == 0) - extinct) < 5 * p_se


def test_a_lane_depends_only_on_its_own_counter() -> None:
    cells, *_ = _draw(5, 1.0, 0.9, 0.5, lanes=3000)
    alpha, _, odds = kendall.constant_rates(np, np.float64(1.0), np.float64(0.9), 0.5)
    picked = np.array([2999, 7, 1500, 0], dtype=np.uint64)
    again = birth_death_step(np, KEY, 3, 7, picked, np.full(4, 5, dtype=np.int64),
                             np.full(4, 1.0 - alpha), np.full(4, odds))
    assert np.array_equal(again, cells[picked.astype(np.int64)])
    other = birth_death_step(np, KEY, 4, 7, picked, np.full(4, 5, dtype=np.int64),
                             np.full(4, 1.0 - alpha), np.full(4, odds))
    assert not np.array_equal(other, again)  # another cell type reads other slots


def test_nothing_is_drawn_for_empty_or_doomed_lanes() -> None:
    cells = birth_death_step(np, KEY, 0, 1, np.arange(3, dtype=np.uint64),
                             np.array([0, 5, 5]), np.array([0.7, 0.0, 1.0]),
                             np.array([0.5, 0.5, 0.0]))
    assert cells.tolist() == [0, 0, 5]


@pytest.mark.skipif(cuda_build.host_compiler() is None, reason="no host C++ compiler")
def test_numpy_and_the_host_built_cuda_source_give_the_same_cells() -> None:
    lib = cuda_build.build_host_library(str(Path(__file__).parent / "cuda" /
                                            "host_birth_death.cu"))
    gen = np.random.default_rng(5)
    lanes = 30_000
    realization = gen.integers(0, 2**63, lanes, dtype=np.uint64)
    # small n (extra cells by inversion), n around S odds = 10 (both ways), large n
    n = np.concatenate([gen.integers(0, 20, lanes // 3), gen.integers(20, 400, lanes // 3),
                        gen.integers(0, 10**9, lanes - 2 * (lanes // 3))]).astype(np.int64)
    birth, death = gen.uniform(0, 2, lanes), gen.uniform(0, 2, lanes)
    dt = 0.5
    alpha, _, odds = kendall.constant_rates(np, birth, death, dt)
    expected = birth_death_step(np, KEY, 9, 123, realization, n, 1.0 - alpha, odds)
    out = np.empty(lanes, dtype=np.int64)

    def p(a: np.ndarray) -> ctypes.c_void_p:
        return a.ctypes.data_as(ctypes.c_void_p)

    lib.os_host_birth_death_step(ctypes.c_int64(lanes), ctypes.c_uint32(KEY[0]),
                                 ctypes.c_uint32(KEY[1]), ctypes.c_uint32(9),
                                 ctypes.c_uint32(123), p(realization), p(n),
                                 p(1.0 - alpha), p(odds), p(out))
    assert np.array_equal(out, expected)
