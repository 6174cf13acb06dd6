"""Negative binomial inversion (gpu_engine/negative_binomial.py) and its CUDA twin
(cuda/negative_binomial.cuh), the one-uniform draw of Kendall's extra cells.

* the search bound against scipy's tail (mass above it < 2.2e-22 on the whole domain);
* the draws against the exact pmf: grouped chi-square, p-value floor 1e-4, fixed keys;
* numpy vs the host-built C++ (``tests/cuda/host_negative_binomial.cu``): the same integers,
  attempt counts and constants, lane by lane;
* lane independence, the domain check and the exhaustion rule.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest
from sampler_checks import contiguous, grouped_chisq_pvalue, pointer
from scipy import stats

from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine.negative_binomial import (
    NBINV_MAX_MEAN,
    NBINV_MAX_ODDS,
    inversion_bound,
    inversion_constants,
    negative_binomial_inversion,
    uses_inversion,
)

KEY = rng.make_key(1948, 3)
HARNESS = Path(__file__).parent / "cuda" / "host_negative_binomial.cu"
TAIL_MASS = 2.2e-22


def _domain_grid() -> tuple[np.ndarray, np.ndarray]:
    """(count, odds) pairs spread over the domain: odds 1e-8 .. 1, counts 1 .. the largest
    with count odds < 10 (every count up to 60, then geometric)."""
    counts, odds = [], []
    for o in np.geomspace(1e-8, NBINV_MAX_ODDS, 120):
        top = int(np.ceil(NBINV_MAX_MEAN / o))
        c = np.unique(np.concatenate([np.arange(1, min(top, 60) + 1),
                                      np.geomspace(1, top, 40).astype(np.int64)]))
        c = c[c * o < NBINV_MAX_MEAN]
        counts.append(c)
        odds.append(np.full(c.size, o))
    return np.concatenate(counts).astype(float), np.concatenate(odds)


def test_the_bound_leaves_a_negligible_tail() -> None:
    count, odds = _domain_grid()
    assert bool(uses_inversion(np, count, odds).all())
    bound = inversion_bound(np, count, odds)
    tail = stats.nbinom.logsf(bound, count, 1.0 / (1.0 + odds))
    assert float(tail.max()) < np.log(TAIL_MASS)
    assert float(bound.max()) <= 134  # the docstring's longest search
    # without the geometric term the geometric (count 1, odds 1) keeps 2**-27 above it
    plain = np.floor(1.0 + 15.0 * np.sqrt(2.0 + 1.0))
    assert stats.nbinom.sf(plain, 1, 0.5) == pytest.approx(2.0**-27)


def test_the_start_is_the_probability_of_zero() -> None:
    count, odds = _domain_grid()
    r, a, s, _ = inversion_constants(np, count, odds)
    assert np.allclose(r, stats.nbinom.pmf(0, count, 1.0 / (1.0 + odds)), rtol=1e-13)
    beta = odds / (1.0 + odds)
    assert np.array_equal(s, -beta)
    assert np.allclose(a, beta * (count - 1.0), rtol=1e-15)


@pytest.mark.parametrize(("count", "odds"), [(1, 0.1), (1, 1.0), (3, 0.5), (9, 1.0),
                                             (25, 0.3), (999, 0.01), (40_000, 2.4e-4)])
def test_draws_follow_the_negative_binomial_law(count: int, odds: float) -> None:
    lanes = 100_000
    x = negative_binomial_inversion(np, KEY, rng.slot(5, rng.EVENT_OFFSPRING_POISSON), 9,
                                    np.arange(lanes, dtype=np.uint64), count, odds)
    law = stats.nbinom(count, 1.0 / (1.0 + odds))
    hi = int(law.ppf(1 - 1e-9)) + 1
    prob = law.pmf(np.arange(hi + 1))
    prob[-1] += law.sf(hi)
    assert grouped_chisq_pvalue(x, 0, hi, prob) > 1e-4
    mean, var = law.stats()
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / lanes)


def test_a_lane_depends_only_on_its_own_counter() -> None:
    gen = np.random.default_rng(3)
    lanes = 5000
    real = gen.integers(0, 2**63, lanes, dtype=np.uint64)
    count = gen.integers(1, 30, lanes)
    odds = gen.uniform(0.01, 0.3, lanes)
    all_at_once = negative_binomial_inversion(np, KEY, 7 << 8, 4, real, count, odds)
    order = gen.permutation(lanes)
    shuffled = negative_binomial_inversion(np, KEY, 7 << 8, 4, real[order], count[order],
                                           odds[order])
    assert np.array_equal(shuffled, all_at_once[order])
    one = negative_binomial_inversion(np, KEY, 7 << 8, 4, real[17], count[17], odds[17])
    assert int(one) == int(all_at_once[17])


@pytest.mark.parametrize(("count", "odds"), [(1, 1.5), (20, 0.5), (0, 0.5), (3, 0.0)])
def test_lanes_outside_the_domain_are_refused(count: int, odds: float) -> None:
    with pytest.raises(ValueError, match="NBINV needs count >= 1"):
        negative_binomial_inversion(np, KEY, 0, 0, 0, count, odds)


def test_every_lane_is_accepted_on_its_first_attempt() -> None:
    # a search passes the bound with probability < 1e-14, so one attempt is all a lane takes,
    # even at the largest means of the domain
    lanes = 50_000
    real = np.arange(lanes, dtype=np.uint64)
    for count, odds in ((52, 0.19), (1, 1.0), (10**6, 9.9e-6)):
        _, att = negative_binomial_inversion(np, KEY, 0, 0, real, count, odds,
                                             return_attempts=True, max_attempts=1)
        assert bool((att == 1).all())


# ---- numpy vs the host-built CUDA source --------------------------------------------------


@pytest.fixture(scope="module")
def host() -> ctypes.CDLL:
    if cuda_build.host_compiler() is None:
        pytest.skip("no host C++ compiler to build the CUDA sampler for the CPU")
    return cuda_build.build_host_library(str(HARNESS))


def test_host_build_gives_the_same_draws_and_attempts(host: ctypes.CDLL) -> None:
    gen = np.random.default_rng(11)
    lanes = 40_000
    odds = np.concatenate([gen.uniform(1e-6, 1.0, lanes // 2),
                           np.geomspace(1e-9, 1.0, lanes - lanes // 2)])
    top = np.maximum(np.ceil(NBINV_MAX_MEAN / odds) - 1, 1)
    count = np.minimum(gen.integers(1, 2**40, lanes) % top.astype(np.int64) + 1,
                       top.astype(np.int64))
    keep = uses_inversion(np, count.astype(float), odds)
    count, odds = count[keep], odds[keep]
    size = count.size
    slot = contiguous(gen.integers(0, 2**14, size) << 8, np.uint32)
    step = contiguous(gen.integers(0, 2**32, size), np.uint32)
    real = contiguous(gen.integers(0, 2**63, size, dtype=np.uint64), np.uint64)
    want, want_att = negative_binomial_inversion(np, KEY, slot.astype(np.uint64),
                                                 step.astype(np.uint64), real, count, odds,
                                                 return_attempts=True)
    got = np.empty(size, dtype=np.int64)
    att = np.empty(size, dtype=np.int32)
    count_c, odds_c = contiguous(count, np.int64), contiguous(odds, np.float64)
    host.os_host_negative_binomial(ctypes.c_int64(size), ctypes.c_uint32(KEY[0]),
                                   ctypes.c_uint32(KEY[1]), pointer(slot), pointer(step),
                                   pointer(real), pointer(count_c), pointer(odds_c),
                                   ctypes.c_int32(rng.MAX_ATTEMPTS), pointer(got),
                                   pointer(att))
    assert np.array_equal(got, want)
    assert np.array_equal(att, want_att)
    constants = np.empty(4 * size)
    uses = np.empty(size, dtype=np.int32)
    cf = contiguous(count, np.float64)
    host.os_host_negative_binomial_constants(ctypes.c_int64(size), pointer(cf),
                                             pointer(odds_c), pointer(constants), pointer(uses))
    want_c = np.stack(inversion_constants(np, cf, odds_c), axis=1).reshape(-1)
    assert np.array_equal(constants, want_c)
    assert bool(uses.all())
