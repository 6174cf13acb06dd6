"""Exact Poisson sampler (gpu_engine/poisson.py) and its CUDA twin (cuda/poisson.cuh).

* numpy vs the host-built C++ (``tests/cuda/host_poisson.cu`` through ctypes, built without FMA
  contraction by ``cuda_build.build_host_library``): the draws and attempt counts must be
  EQUAL lane by lane, on ~1.1e6 lanes across both regimes, the switch at 10, means from
  5e-324 to 2**52, several keys, steps and realizations, and small attempt budgets; the
  transcendental-free pieces are bitwise equal, the ones using log / exp bitwise equal to a
  scalar transcription with Python's ``math`` (glibc, as the C++ build).
* statistics with fixed keys: mean and variance within 5 standard errors, chi-square against
  ``scipy.stats.poisson`` (p-value floor 1e-4: a correct sampler fails one test with
  probability 1e-4 per choice of key), blocks per draw;
* exactness of PTRS: the hat, squeeze and quick-rejection conditions, checked exactly per
  candidate k (Hörmann's own constants fail them; the corrected ones pass);
* log f(k) against 60-digit arithmetic, the inversion bound's tail mass against scipy;
* addressing: a lane's value depends only on its counter and mean (chunks, order, other
  lanes), the attempt budget and exhaustion, input validation;
* the same code on cupy (skipped without cupy and a CUDA device), and the header compiled for
  the device by NVRTC and nvcc with every function instantiated (skipped without them).

Tolerance of the numpy / C++ comparison: none. The two differ only where log or exp round
differently, and then a draw changes only when a compared quantity lies within ~1e-14 of its
threshold (see the module docstring), so a mismatch here is a real bug.
"""

from __future__ import annotations

import ctypes
import math
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pytest
from sampler_checks import contiguous, grouped_chisq_pvalue, pointer
from scipy import stats

from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine.backend import probe_cuda
from oncosweep.gpu_engine.binomial import FC_TABLE, stirling_tail
from oncosweep.gpu_engine.philox import uniform_pair
from oncosweep.gpu_engine.poisson import (
    BD0_SERIES_MAX_V,
    HALF_LOG_2PI,
    INVERSION_MAX_MEAN,
    MAX_MEAN,
    PTRS_FAST_US,
    PTRS_HAT_SCALE,
    PTRS_SQUEEZE_SCALE,
    PTRS_TAIL_US,
    bd0,
    inversion_bound,
    log_pmf,
    poisson,
    ptrs_accept,
    ptrs_constants,
)

HARNESS = Path(__file__).parent / "cuda" / "host_poisson.cu"
"""The test harness: ctypes entry points over cuda/poisson.cuh."""

P_FLOOR = 1e-4
KEY = rng.make_key(20240607, 11)
KEYS = [KEY, rng.make_key(1, 0), rng.make_key(rng.MAX_SEED, rng.MAX_POINT)]
M32 = 0xFFFFFFFF
DRAWS = 200_000

def lanes(m: int, mean: float, *, cell: int = 1, first: int = 0):
    """(slot_base, realization, mean) arrays for m lanes of one mean."""
    slot = np.full(m, rng.slot(cell, rng.EVENT_BIRTH), dtype=np.uint64)
    real = np.arange(first, first + m, dtype=np.uint64)
    return slot, real, np.full(m, mean, dtype=np.float64)


def counters(g: np.random.Generator, m: int):
    """Random attempt-0 slots (low 8 bits zero), steps and 64-bit realizations."""
    slot = g.integers(0, 1 << 24, m, dtype=np.uint64) << np.uint64(8)
    step = g.integers(0, 1 << 32, m, dtype=np.uint64)
    real = g.integers(0, 1 << 64, m, dtype=np.uint64, endpoint=False)
    return slot, step, real


# --------------------------------------------------------------------------------------------
# The host library and thin wrappers
# --------------------------------------------------------------------------------------------


class Host:
    """ctypes wrappers over tests/cuda/host_poisson.cu; inputs become contiguous arrays."""

    def __init__(self) -> None:
        self.lib = cuda_build.build_host_library(str(HARNESS))

    _arr = staticmethod(contiguous)
    _p = staticmethod(pointer)

    def _ins(self, slot, step, real, mean):
        size = np.size(mean)
        return size, [self._arr(slot, np.uint32, size), self._arr(step, np.uint32, size),
                      self._arr(real, np.uint64, size), self._arr(mean, np.float64, size)]

    def poisson(self, key, slot, step, real, mean, *, max_attempts=rng.MAX_ATTEMPTS):
        """(values, attempts) of os_poisson_ex."""
        size, ins = self._ins(slot, step, real, mean)
        out = np.empty(size, dtype=np.int64)
        att = np.empty(size, dtype=np.int32)
        self.lib.os_host_poisson_ex(ctypes.c_int64(size), ctypes.c_uint32(key[0]),
                                    ctypes.c_uint32(key[1]), *map(self._p, ins),
                                    ctypes.c_int32(max_attempts), self._p(out),
                                    self._p(att))  # fmt: skip
        return out, att.astype(np.int64)

    def poisson_short(self, key, slot, step, real, mean):
        """os_poisson (the full budget, no attempt count)."""
        size, ins = self._ins(slot, step, real, mean)
        out = np.empty(size, dtype=np.int64)
        self.lib.os_host_poisson(ctypes.c_int64(size), ctypes.c_uint32(key[0]),
                                 ctypes.c_uint32(key[1]), *map(self._p, ins), self._p(out))
        return out

    def elementwise(self, name, width, *args):
        ins = [self._arr(a, np.float64) for a in args]
        size = ins[0].size
        out = np.empty((size, width) if width > 1 else size)
        getattr(self.lib, name)(ctypes.c_int64(size), *map(self._p, ins), self._p(out))
        return out

    def constants(self):
        out = np.empty(11)
        self.lib.os_host_poisson_constants(self._p(out))
        return out


@pytest.fixture(scope="module")
def host() -> Host:
    if cuda_build.host_compiler() is None:
        pytest.skip("no host C++ compiler to build the CUDA sampler for the CPU")
    return Host()


def assert_equal_draws(got, want, mean, label):
    bad = np.nonzero(got != want)[0]
    assert bad.size == 0, (
        f"{label}: {bad.size} of {got.size} draws differ, e.g. "
        + "; ".join(f"mean={float(mean[i])!r}: host {int(got[i])} numpy {int(want[i])}"
                    for i in bad[:5])  # fmt: skip
    )


# --------------------------------------------------------------------------------------------
# Scalar transcription (Python floats, math = glibc): the documented algorithm, one lane
# --------------------------------------------------------------------------------------------


def _ref_uniforms(key, slot, step, real):
    c0, c1, c2, c3 = slot & M32, step & M32, real & M32, real >> 32
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
    u0 = ((((c0 >> 5) << 26) | (c1 >> 6)) + 1) * 2.0**-53
    u1 = ((((c2 >> 5) << 26) | (c3 >> 6)) + 1) * 2.0**-53
    return u0, u1


def _ref_fc(x: float) -> float:
    if x < 10:
        return FC_TABLE[int(x)]
    z = x + 1.0
    z2 = z * z
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (z2 * 1260.0)) / z2) / z


def _ref_bd0(y: float, mean: float) -> float:
    d = y - mean
    v = d / (y + mean)
    if abs(v) < 0.1:
        v2 = v * v
        s = v2 * (1.0 / 17.0)
        for j in range(7, 0, -1):
            s = (s + 1.0 / (2 * j + 1)) * v2
        return d * v + y * 2.0 * v * s
    return math.log(y / mean) * y - d


def _ref_log_pmf(k: float, mean: float) -> float:
    y = k + 1.0
    return (math.log(y) * 0.5 - (math.log(mean) + HALF_LOG_2PI) - _ref_bd0(y, mean)
            - _ref_fc(k))  # fmt: skip


def ref_poisson(key, slot_base, step, real, mean, max_attempts=rng.MAX_ATTEMPTS):
    """(value, blocks used) of one lane, literally as documented in poisson.py."""
    if mean == 0.0:
        return 0, 0
    if mean < 10.0:
        r0 = math.exp(-mean)
        bound = math.floor(mean + 15.0 * math.sqrt(mean + 1.0))
        for attempt in range(max_attempts):
            u, _ = _ref_uniforms(key, slot_base + attempt, step, real)
            r, x = r0, 0
            while u > r:
                x += 1
                u -= r
                r *= mean / x
                if x > bound:
                    break
            if x <= bound:
                return x, attempt + 1
    else:
        b = math.sqrt(mean) * 2.53 + 0.931
        a = b * 0.02483 - 0.059
        inv_alpha = (1.1328 / (b - 3.4) + 1.1239) * 1.01
        vr = (0.9277 - 3.6224 / (b - 2.0)) * 0.98
        c = mean + 0.43
        for attempt in range(max_attempts):
            u0, v = _ref_uniforms(key, slot_base + attempt, step, real)
            u = u0 - 0.5
            us = 0.5 - abs(u)
            if us == 0.0:  # u0 == 1: the quick rejection (us clamped to 1e-300 < v)
                continue
            k = math.floor((a * 2.0 / us + b) * u + c)
            if k < 0:
                continue
            if us >= 0.07 and v <= vr:
                return k, attempt + 1
            if us < 0.013 and v > us:
                continue
            if math.log(v * inv_alpha / (a / (us * us) + b)) <= _ref_log_pmf(float(k), mean):
                return k, attempt + 1
    return math.floor(mean), max_attempts + 1


# --------------------------------------------------------------------------------------------
# (a) numpy vs the host-built C++, lane by lane
# --------------------------------------------------------------------------------------------

LISTED = [0.0, 5e-324, 1e-300, 0.5, 9.999, math.nextafter(10.0, 0.0), 10.0, 10.001, 14.048186,
          27.234585, 37.0, 1e3, 1e6, 1e12, 1e15, MAX_MEAN]  # fmt: skip


def _random_means(g: np.random.Generator, m: int) -> np.ndarray:
    """Half uniform on [0, 12] (inversion, the switch, PTRS's edge), half log-uniform on
    [1e-3, 2**52]."""
    return np.where(g.random(m) < 0.5, g.uniform(0, 12, m), 10 ** g.uniform(-3, 52 * 0.30103, m))


def test_constants_match_python(host):
    c = host.constants()
    assert c[0] == rng.MAX_ATTEMPTS and c[1] == INVERSION_MAX_MEAN and c[2] == MAX_MEAN
    assert c[3] == PTRS_FAST_US and c[4] == PTRS_TAIL_US
    assert c[5] == PTRS_HAT_SCALE and c[6] == PTRS_SQUEEZE_SCALE
    assert c[7] == HALF_LOG_2PI and c[8] == BD0_SERIES_MAX_V
    assert c[9] == 15.0 and c[10] == 1e-300


@pytest.mark.parametrize("key", KEYS)
def test_draw_for_draw_listed_and_random_means(host, key):
    # 16 listed means x 12_000 lanes + 180_000 random means, per key (3 keys: 1.1e6 lanes)
    g = np.random.default_rng(key[0] % 1000)
    mean = np.concatenate([np.repeat(LISTED, 12_000), _random_means(g, 180_000)])
    slot, step, real = counters(g, mean.size)
    real[:4] = [0, M32, 1 << 32, (1 << 64) - 1]
    want, want_att = poisson(np, key, slot, step, real, mean, return_attempts=True)
    got, att = host.poisson(key, slot, step, real, mean)
    assert_equal_draws(got, want, mean, f"key {key}")
    assert np.array_equal(att, want_att)
    assert np.array_equal(host.poisson_short(key, slot, step, real, mean), want)
    assert np.all(att[mean == 0.0] == 0) and np.all(got[mean == 0.0] == 0)
    assert np.all(att[mean > 0.0] >= 1) and (att > 1).any()


@pytest.mark.parametrize("budget", [1, 2, 5])
def test_attempt_budget_draw_for_draw(host, budget):
    # Small budgets exhaust up to ~25 % (1), ~6 % (2), ... of the PTRS lanes, which return the
    # mode; numpy evaluates retries speculatively, the C++ one attempt at a time.
    g = np.random.default_rng(100 + budget)
    m = 40_000
    mean = 10 ** g.uniform(1, 13, m)
    mean[:1000] = g.uniform(0, 10, 1000)
    slot, step, real = counters(g, m)
    want, want_att = poisson(np, KEY, slot, step, real, mean, return_attempts=True,
                             max_attempts=budget)  # fmt: skip
    got, att = host.poisson(KEY, slot, step, real, mean, max_attempts=budget)
    assert_equal_draws(got, want, mean, f"budget {budget}")
    assert np.array_equal(att, want_att)
    assert np.any(att == budget + 1)  # the exhaustion path ran


def test_transcendental_free_pieces_bitwise(host):
    g = np.random.default_rng(21)
    small = g.uniform(0, 10, 50_000)
    assert np.array_equal(host.elementwise("os_host_poisson_inversion_bound", 1, small),
                          inversion_bound(np, small))  # fmt: skip
    mean = 10 ** g.uniform(1, 15.65, 100_000)
    got = host.elementwise("os_host_ptrs_constants", 6, mean)
    c = ptrs_constants(np, mean)
    for j, name in enumerate(("a", "a2", "b", "c", "vr", "inv_alpha")):
        assert np.array_equal(got[:, j], c[name]), name
    # bd0 in its series region (|v| < 0.1): + - * / only, so bitwise equal to numpy's
    y = np.floor(mean * (1 + g.uniform(-0.18, 0.22, mean.size))) + 1.0
    series = np.abs((y - mean) / (y + mean)) < BD0_SERIES_MAX_V
    assert series.mean() > 0.8
    got = host.elementwise("os_host_poisson_bd0", 1, y, mean)
    assert np.array_equal(got[series], bd0(np, y, mean)[series])


def test_log_pieces_bitwise_against_scalar_order(host):
    # log f(k) (and bd0 outside the series region): bitwise equal to the scalar transcription
    # (glibc's log, like the C++ build); against numpy (whose SIMD log may differ by an ulp on
    # other machines) within 1e-13 absolute, plus 1e-15 relative for the far tails.
    g = np.random.default_rng(22)
    mean = 10 ** g.uniform(1, 15.65, 60_000)
    k = np.maximum(0.0, np.round(mean + g.normal(0, 6, mean.size) * np.sqrt(mean)))
    k[:2000] = np.floor(g.uniform(0, 40, 2000))
    got = host.elementwise("os_host_poisson_log_pmf", 1, k, mean)
    ref = np.array([_ref_log_pmf(kk, mm) for kk, mm in zip(k.tolist(), mean.tolist(),
                                                            strict=True)])  # fmt: skip
    assert np.array_equal(got, ref)
    want = log_pmf(np, k, mean)
    assert np.all(np.abs(got - want) <= 1e-13 + 1e-15 * np.abs(want))
    y = k + 1.0
    got = host.elementwise("os_host_poisson_bd0", 1, y, mean)
    ref = np.array([_ref_bd0(yy, mm) for yy, mm in zip(y.tolist(), mean.tolist(), strict=True)])
    assert np.array_equal(got, ref)


def test_ptrs_trial_equals_numpy(host):
    g = np.random.default_rng(23)
    size = 200_000
    mean = 10 ** g.uniform(1, 15.65, size)
    u0 = (g.integers(0, 1 << 53, size) + 1) * 2.0**-53
    u1 = (g.integers(0, 1 << 53, size) + 1) * 2.0**-53
    u0[:4] = [1.0, 0.5, 2.0**-53, 1.0 - 2.0**-53]  # us == 0 (rejected), U = 0, both edges
    u1[:4] = [2.0**-53, 1e-3, 2.0**-53, 2.0**-53]
    k = np.empty(size)
    acc = np.empty(size, dtype=np.uint8)
    logs = np.empty((size, 2))
    ins = [np.ascontiguousarray(v) for v in (u0, u1, mean)]
    host.lib.os_host_ptrs_accept(ctypes.c_int64(size), *map(Host._p, ins), Host._p(k),
                                 Host._p(acc), Host._p(logs))  # fmt: skip
    c = ptrs_constants(np, mean)
    want_k, want_acc = ptrs_accept(np, u0.copy(), u1, mean, c)
    assert np.array_equal(k, want_k)
    assert np.array_equal(acc.astype(bool), want_acc)
    assert not acc[0] and acc[1] and k[1] == np.floor(mean[1] + 0.43)
    assert 0.6 < acc.mean() < 0.95
    us = np.maximum(0.5 - np.abs(u0 - 0.5), 1e-300)
    squeeze = (us >= PTRS_FAST_US) & (u1 <= c["vr"])
    quick = (us < PTRS_TAIL_US) & (u1 > us)
    slow = (k >= 0) & ~squeeze & ~quick
    assert np.array_equal(~np.isnan(logs[:, 0]), slow) and 0.05 < slow.mean() < 0.5
    for i in np.nonzero(slow)[0][:20_000]:
        lhs = math.log(u1[i] * c["inv_alpha"][i] / (c["a"][i] / (us[i] * us[i]) + c["b"][i]))
        assert (logs[i, 0], logs[i, 1]) == (lhs, _ref_log_pmf(k[i], mean[i])), i


def test_inversion_search_equals_scalar_order(host):
    g = np.random.default_rng(24)
    size = 100_000
    mean = g.uniform(0, 10, size)
    slot, step, real = counters(g, size)
    u, _ = uniform_pair(np, KEY, slot, step, real)
    u[:2] = 1.0  # the largest uniform: the longest search
    x = np.empty(size, dtype=np.int64)
    ok = np.empty(size, dtype=np.uint8)
    state = np.empty((size, 2))
    ins = [np.ascontiguousarray(v) for v in (u, mean)]
    host.lib.os_host_poisson_inversion_search(ctypes.c_int64(size), *map(Host._p, ins),
                                              Host._p(x), Host._p(ok), Host._p(state))
    assert ok[2:].all()  # u == 1 may run into the bound (its search ends on rounding)
    for i in range(20_000):
        m, uu = float(mean[i]), float(u[i])
        r, j, bound = math.exp(-m), 0, math.floor(m + 15.0 * math.sqrt(m + 1.0))
        while uu > r:
            j += 1
            uu -= r
            r *= m / j
            if j > bound:
                break
        want = (j, uu, r, j <= bound)
        assert (int(x[i]), float(state[i, 0]), float(state[i, 1]), bool(ok[i])) == want, i


def test_matches_scalar_reference(host):
    # The vectorised sampler and the C++ both equal the documented algorithm lane by lane.
    g = np.random.default_rng(25)
    for j, mean in enumerate([*LISTED, 3.3, 123.4]):
        slot, real, mm = lanes(150, mean, cell=10 + j, first=2**32 - 75)
        x, att = poisson(np, KEY, slot, 77, real, mm, return_attempts=True)
        ref = [ref_poisson(KEY, int(slot[i]), 77, int(real[i]), mean) for i in range(150)]
        assert list(zip(x.tolist(), att.tolist(), strict=True)) == ref, mean
    mean = _random_means(g, 2000)
    slot, step, real = counters(g, mean.size)
    x, att = host.poisson(KEY, slot, step, real, mean, max_attempts=3)
    ref = [ref_poisson(KEY, int(slot[i]), int(step[i]), int(real[i]), float(mean[i]), 3)
           for i in range(mean.size)]  # fmt: skip
    assert list(zip(x.tolist(), att.tolist(), strict=True)) == ref


# --------------------------------------------------------------------------------------------
# (b) Statistics against theory
# --------------------------------------------------------------------------------------------


def chisq_pvalue(x: np.ndarray, mean: float) -> float:
    """Chi-square goodness of fit of draws x against scipy.stats.poisson(mean).

    Cells are the integers of mean +- 12 sd (+- 10), the tails merged into the end cells, then
    adjacent cells merged left to right until every expected count is >= 5. dof = cells - 1.
    """
    sd = math.sqrt(mean)
    lo = max(0, math.floor(mean - 12 * sd - 10))
    hi = math.ceil(mean + 12 * sd + 10)
    ks = np.arange(lo, hi + 1)
    prob = np.diff(np.concatenate([[0.0], stats.poisson.cdf(ks, mean)]))  # lo holds P(X <= lo)
    prob[-1] += stats.poisson.sf(hi, mean)
    assert abs(prob.sum() - 1) < 1e-9
    return grouped_chisq_pvalue(x, lo, hi, prob)


@pytest.mark.parametrize("mean", [0.05, 3.0, 9.999, 10.0, 14.048186, 27.234585, 40.0, 1000.0])
def test_chi_square_against_scipy(mean):
    slot, real, mm = lanes(DRAWS, mean, cell=3, first=int(mean * 1000) % 7919)
    x, att = poisson(np, KEY, slot, 5, real, mm, return_attempts=True)
    assert x.dtype == np.int64 and x.shape == (DRAWS,) and x.min() >= 0
    if mean < INVERSION_MAX_MEAN:  # one uniform, one attempt (a retry: probability < 1e-14)
        assert np.all(att == 1)
    pval = chisq_pvalue(x, mean)
    assert pval > P_FLOOR, (mean, pval)


@pytest.mark.parametrize("mean", [1e-3, 0.5, 9.999, 10.0, 37.0, 1e3, 1e6, 1e12, 1e15, MAX_MEAN])
def test_mean_and_variance_within_five_standard_errors(mean):
    # SE(mean) = sqrt(mean / N); SE(sample variance) = sqrt((mu4 - var^2) / N) with the
    # Poisson fourth central moment mu4 = mean (1 + 3 mean), i.e. sqrt((mean + 2 mean^2) / N).
    slot, real, mm = lanes(DRAWS, mean, cell=4, first=12345)
    x = poisson(np, KEY, slot, 9, real, mm)
    d = (x - math.floor(mean)).astype(np.float64) - (mean - math.floor(mean))  # |d| << 2**53
    assert abs(d.mean()) < 5 * math.sqrt(mean / DRAWS)
    assert abs(d.var(ddof=1) - mean) < 5 * math.sqrt((mean + 2 * mean**2) / DRAWS)


def test_ptrs_blocks_per_draw():
    # Measured with 1e6 draws (module docstring): 1.342 at mean 10, 1.241 at 27.23, 1.150 at
    # 1e3, 1.136 from 1e6 on. Bounds +- 0.01 are > 7 standard errors at 2e5 draws.
    for mean, expected in [(10.0, 1.342), (27.23, 1.241), (1e3, 1.150), (1e12, 1.136)]:
        slot, real, mm = lanes(DRAWS, mean, cell=7)
        _, att = poisson(np, KEY, slot, 0, real, mm, return_attempts=True)
        assert abs(att.mean() - expected) < 0.01, (mean, att.mean())
        assert att.min() == 1 and att.max() <= 30


# --------------------------------------------------------------------------------------------
# Exactness of PTRS: hat, squeeze, quick rejection
# --------------------------------------------------------------------------------------------


def _ptrs_extremes(mean: float, hat_scale: float, squeeze_scale: float) -> tuple:
    """(sup g, inf g / v_r over the squeeze box, sup g / us over the quick-rejection region)
    with g(U) = f(k) (a / us^2 + b) / inv_alpha, k = floor(G(U)), G(U) = (2 a / us + b) U + c.

    G is increasing with G'(U) = a / us^2 + b, which grows with |U|: on the U-interval of each
    k (where k <= G < k + 1), g is largest at the end farther from U = 0 and smallest at the
    nearer end (U = 0 itself where the interval contains it), so the sup and inf are exact
    from the two ends, found by inverting G in closed form: for D = |x - c|,
    |U| = D / (P + sqrt(P^2 - 2 b D)), P = 2 a + b / 2 + D. The quick-rejection region
    (us < 0.013, the far tails) is checked on a U grid.
    """
    b = math.sqrt(mean) * 2.53 + 0.931
    a = b * 0.02483 - 0.059
    inv_alpha = (1.1328 / (b - 3.4) + 1.1239) * hat_scale
    vr = (0.9277 - 3.6224 / (b - 2.0)) * squeeze_scale
    c = mean + 0.43
    sd = math.sqrt(mean)
    lo, hi = max(0.0, math.floor(mean - 12 * sd - 10)), math.ceil(mean + 12 * sd + 10)
    k = np.arange(lo, hi + 1) if hi - lo < 200_000 else np.floor(np.linspace(lo, hi, 200_000))
    f = np.exp(stats.poisson.logpmf(k, mean) if mean <= 1e5 else log_pmf(np, k, mean + 0 * k))

    def ends(x):
        dd = np.abs(x - c)
        pp = 2 * a + 0.5 * b + dd
        us = 0.5 - dd / (pp + np.sqrt(pp * pp - 2 * b * dd))
        return us, a / (us * us) + b

    us0, g0 = ends(k)
    us1, g1 = ends(k + 1.0)
    straddle = (k <= c) & (c < k + 1)
    sup = f * np.maximum(g0, g1) / inv_alpha
    inf = f * np.where(straddle, 4 * a + b, np.minimum(g0, g1)) / inv_alpha
    in_box = np.where(straddle, 0.5, np.maximum(us0, us1)) >= PTRS_FAST_US
    u = 0.5 - np.geomspace(1e-16, PTRS_TAIL_US, 20_000)[:-1]
    u = np.concatenate([u, -u])
    us = 0.5 - np.abs(u)
    kt = np.floor((2 * a / us + b) * u + c)
    ok = kt >= 0
    ft = np.exp(log_pmf(np, kt[ok], np.full(ok.sum(), mean)))
    tail = ft * (a / us[ok] ** 2 + b) / inv_alpha / us[ok]
    return float(sup.max()), float((inf[in_box] / vr).min()), float(tail.max())


# the worst means of an exact scan of 10..100 (steps of 1e-3), 100..3000 (0.1), then to 2**52
WORST = [10.0, 14.048186, 26.014749, 27.234585, 28.447782, 28.448521, 29.65701]
SPREAD = [10.5, 12.0, 20.0, 40.0, 57.6, 100.0, 333.3, 1000.0, 1584.3, 1e4, 1e6, 1e9, 1e12,
          1e15, MAX_MEAN]  # fmt: skip


@pytest.mark.parametrize("mean", WORST + SPREAD)
def test_ptrs_hat_squeeze_and_quick_rejection_are_exact(mean):
    hat, box, tail = _ptrs_extremes(mean, PTRS_HAT_SCALE, PTRS_SQUEEZE_SCALE)
    assert hat < 0.9960  # worst 0.99583 at mean 14.048186
    assert box > 1.0035  # worst 1.0039 at mean 27.234585
    assert tail < 0.65  # worst 0.637 at mean 10


def test_hormanns_constants_are_not_exact():
    # Why the constants are corrected: with Hörmann's (and numpy legacy's) inv_alpha and v_r
    # the hat falls below the pmf (g > 1) and the squeeze box pokes above it (g / v_r < 1).
    hat, _, _ = _ptrs_extremes(14.048186, 1.0, 1.0)
    _, box, _ = _ptrs_extremes(27.234585, 1.0, 1.0)
    assert 1.0057 < hat < 1.0059 and 0.9936 < box < 0.9938
    assert _ptrs_extremes(1e6, 1.0, 1.0)[0] < 1.0  # fine for large means


def test_squeeze_and_u0_equal_one_edges():
    # u0 == 1 (us == 0, clamped): rejected whatever V; U = 0 with a small V: floor(mean + 0.43)
    mean = np.array([10.0, 1e3, 1e15, MAX_MEAN])
    c = ptrs_constants(np, mean)
    for v in (2.0**-53, 0.5, 1.0):
        _, acc = ptrs_accept(np, np.ones(4), np.full(4, v), mean, c)
        assert not acc.any()
    k, acc = ptrs_accept(np, np.full(4, 0.5), np.full(4, 1e-3), mean, c)
    assert acc.all() and np.array_equal(k, np.floor(mean + 0.43))
    # the squeeze region never proposes k < 0 (smallest k: 4 at mean 10)
    u = np.linspace(-0.43, 0.43, 100_001)
    us = 0.5 - np.abs(u)
    c10 = ptrs_constants(np, np.array([10.0]))
    assert np.floor((c10["a2"] / us + c10["b"]) * u + c10["c"]).min() == 4.0


# --------------------------------------------------------------------------------------------
# log f(k) and the inversion bound
# --------------------------------------------------------------------------------------------

getcontext().prec = 60
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")
_HALF_LOG_2PI = (2 * _PI).ln() / 2


def _log_factorial(x: int) -> Decimal:
    """log x! to ~50 digits: exact factorial below 1000, Stirling with 5 terms above."""
    if x < 1000:
        return Decimal(math.factorial(x)).ln()
    z = Decimal(x + 1)
    s = 1 / (12 * z) - 1 / (360 * z**3) + 1 / (1260 * z**5) - 1 / (1680 * z**7)
    return (x + Decimal("0.5")) * z.ln() - z + _HALF_LOG_2PI + s + 1 / (1188 * z**9)


def test_half_log_2pi_is_correctly_rounded():
    assert float(_HALF_LOG_2PI) == HALF_LOG_2PI
    assert np.array_equal(stirling_tail(np, np.arange(10.0)), np.array(FC_TABLE))


@pytest.mark.parametrize(
    ("mean", "tol"),
    [
        (10.0, 3.1e-11),  # the fc series error at k = 10 (3.0e-11) dominates for small means
        (37.25, 3.1e-11),
        (1e3, 3e-13),  # observed 1.1e-13 (k at 8 sd lies outside the series region)
        (12345.678, 1e-13),
        (1e6, 5e-14),  # observed 7e-15 from here on
        (1e9, 5e-14),
        (1e12, 5e-14),
        (1e15, 5e-14),
        (MAX_MEAN, 5e-14),
    ],
)
def test_log_pmf_against_high_precision(mean, tol):
    # k over mean +- 8 sd; reference: k log(mean) - mean - log k! with 60 digits (mean's exact
    # binary value). lgamma would be off by ~1e-2 at mean = 1e12.
    sd = math.sqrt(mean)
    ks = sorted({max(0, round(mean + z * sd)) for z in np.linspace(-8, 8, 41)})
    k = np.array(ks, dtype=np.float64)
    got = log_pmf(np, k, np.full(k.size, mean))
    m = Decimal(mean)
    ref = np.array([float(kk * m.ln() - m - _log_factorial(kk)) for kk in ks])
    assert np.max(np.abs(got - ref)) < tol


def test_log_pmf_against_scipy():
    # every k up to 3 means + 40, against scipy's lgamma-based logpmf (itself good to ~1e-11
    # relative here: observed max difference 3.0e-11 up to mean 1e3 (our fc(10)), 2.1e-10 at 2e4)
    for mean, tol in ((10.0, 4e-11), (55.5, 4e-11), (1000.0, 4e-11), (2e4, 5e-10)):
        k = np.arange(0, int(3 * mean) + 40, dtype=np.float64)
        got = log_pmf(np, k, np.full(k.size, mean))
        assert np.max(np.abs(got - stats.poisson.logpmf(k, mean))) < tol


def test_inversion_bound_tail_mass():
    # The mass above the search bound is < 1e-21 for every mean < 10 (worst 2.16e-22 near
    # mean = 1.29); with 10 standard deviations instead of 15 it would reach 3.1e-13.
    mean = np.concatenate([np.geomspace(1e-8, 9.9999, 3000), [1.2913]])
    b = inversion_bound(np, mean)
    assert b.max() == 59.0
    assert stats.poisson.sf(b, mean).max() < 1e-21
    b10 = np.floor(mean + 10 * np.sqrt(mean + 1))
    assert stats.poisson.sf(b10, mean).max() > 1e-13


# --------------------------------------------------------------------------------------------
# (c) Addressing: chunks, order, other lanes; (d) the attempt budget; validation
# --------------------------------------------------------------------------------------------


def _mixed():
    means = [0.0, 5e-324, 0.3, 2.0, 9.9, 10.0, 10.5, 50.0, 1e3, 1e6, 1e12, 1e15, MAX_MEAN, 7.0]
    mean = np.repeat(np.array(means), 60)
    cell = np.arange(mean.size) % 5
    slot = np.array([rng.slot(int(c), rng.EVENT_DEATH) for c in cell], dtype=np.uint64)
    real = (np.arange(mean.size, dtype=np.uint64) * 7919) % 1000
    return slot, real, mean


def test_value_depends_only_on_counter_and_mean():
    slot, real, mean = _mixed()
    x, att = poisson(np, KEY, slot, 3, real, mean, return_attempts=True)
    assert np.all(x >= 0)
    for i in range(0, mean.size, 11):  # each lane alone
        xi = poisson(np, KEY, slot[i : i + 1], 3, real[i : i + 1], mean[i : i + 1])
        assert xi[0] == x[i]
    perm = np.random.default_rng(5).permutation(mean.size)  # order, tiny chunks
    xp_, att_p = poisson(np, KEY, slot[perm], 3, real[perm], mean[perm], chunk=17,
                         return_attempts=True)  # fmt: skip
    assert np.array_equal(xp_, x[perm]) and np.array_equal(att_p, att[perm])
    xs = poisson(np, KEY, slot, np.full(mean.size, 3, dtype=np.uint64), real, mean)
    assert np.array_equal(xs, x)  # step as a per-lane array
    # other lanes in the call (here: a copy of the lanes with other means) change nothing
    both = poisson(np, KEY, np.concatenate([slot, slot]), 3, np.concatenate([real, real]),
                   np.concatenate([mean, mean[::-1]]))  # fmt: skip
    assert np.array_equal(both[: mean.size], x)


def test_batching_never_changes_values():
    # large batches compress the inversion search and speculate PTRS retries; chunk=97 does
    # neither much: identical values and attempt counts
    g = np.random.default_rng(8)
    m = 8000
    mean = _random_means(g, m)
    slot = np.full(m, rng.slot(5, rng.EVENT_DEATH), dtype=np.uint64)
    real = np.arange(m, dtype=np.uint64)
    a, att_a = poisson(np, KEY, slot, 2, real, mean, return_attempts=True)
    b, att_b = poisson(np, KEY, slot, 2, real, mean, return_attempts=True, chunk=97)
    assert np.array_equal(a, b) and np.array_equal(att_a, att_b)
    assert (att_a > 1).any()


def test_deterministic_and_streams_differ():
    slot, real, mean = lanes(50_000, 1e6, cell=9)
    a = poisson(np, KEY, slot, 4, real, mean)
    assert np.array_equal(a, poisson(np, KEY, slot.copy(), 4, real.copy(), mean))
    # sd = 1000: two independent draws coincide with probability ~ 1 / (2 sqrt(pi) sd) = 3e-4
    others = [
        poisson(np, KEY, slot + np.uint64(1 << 8), 4, real, mean),  # next event's range
        poisson(np, KEY, slot, 5, real, mean),  # next step
        poisson(np, KEY, slot, 4, real + np.uint64(1), mean),  # next realization
        poisson(np, KEY, slot, 4, real + np.uint64(1 << 32), mean),  # high word
        poisson(np, rng.make_key(KEY[0], KEY[1] + 1), slot, 4, real, mean),  # other point
    ]
    for b in others:
        assert np.mean(a == b) < 2e-3


def test_exhaustion_returns_the_mode():
    # With a budget of one attempt the ~12 % of PTRS lanes rejected at attempt 0 are
    # "exhausted": value floor(mean), attempts = 2; the others agree with the full budget.
    slot, real, mean = lanes(20_000, 1e6 + 0.75, cell=8)
    x1, a1 = poisson(np, KEY, slot, 0, real, mean, return_attempts=True, max_attempts=1)
    x, a = poisson(np, KEY, slot, 0, real, mean, return_attempts=True)
    ex = a1 == 2
    assert 0.08 < ex.mean() < 0.16
    assert np.all(x1[ex] == 1_000_000)
    assert np.array_equal(x1[~ex], x[~ex])
    assert np.all(a[~ex] == 1) and np.all(a[ex] >= 2)
    for bad in (0, rng.MAX_ATTEMPTS + 1):
        with pytest.raises(ValueError, match="max_attempts"):
            poisson(np, KEY, slot, 0, real, mean, max_attempts=bad)


def test_zero_mean_draws_nothing_and_input_validation():
    x, att = poisson(np, KEY, 0, 0, 0, np.array([0.0, 0.0, 5e-324]), return_attempts=True)
    assert x.tolist() == [0, 0, 0] and att.tolist() == [0, 0, 1]
    for bad in (-1e-300, -1.0, np.nan, np.inf, -np.inf, MAX_MEAN * 2):
        with pytest.raises(ValueError, match="mean"):
            poisson(np, KEY, 0, 0, np.arange(3, dtype=np.uint64), np.array([1.0, bad, 2.0]))
    assert poisson(np, KEY, 0, 0, 0, MAX_MEAN) > 0


def test_scalar_and_shape_handling():
    x = poisson(np, KEY, rng.slot(1, 0), 0, 12, 37.0)
    assert x.shape == () and x.dtype == np.int64
    slot = np.full((3, 4), rng.slot(1, 0), dtype=np.uint64)
    x2 = poisson(np, KEY, slot, 0, np.arange(4, dtype=np.uint64), 37.0)
    assert x2.shape == (3, 4) and np.array_equal(x2[0], x2[2])
    assert x2[0, 2] == poisson(np, KEY, rng.slot(1, 0), 0, 2, 37.0)
    assert poisson(np, KEY, 0, 0, np.zeros(0, dtype=np.uint64), 5.0).shape == (0,)


# --------------------------------------------------------------------------------------------
# (e) cupy, and the header compiled for the device
# --------------------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not probe_cuda().usable, reason="needs cupy and a CUDA device")
def test_cupy_equals_numpy():
    import cupy  # noqa: PLC0415 - optional dependency

    g = np.random.default_rng(31)
    mean = np.concatenate([np.repeat(LISTED, 2000), _random_means(g, 100_000)])
    slot, step, real = counters(g, mean.size)
    want, want_att = poisson(np, KEY, slot, step, real, mean, return_attempts=True)
    got, att = poisson(cupy, KEY, *(cupy.asarray(v) for v in (slot, step, real, mean)),
                       return_attempts=True)  # fmt: skip
    # cupy's log / exp are libdevice's: a draw may differ only at the ~1e-14 rate (docstring)
    assert np.array_equal(cupy.asnumpy(got), want)
    assert np.array_equal(cupy.asnumpy(att), want_att)


DEVICE_STUB = """#include "poisson.cuh"
extern "C" __global__ void os_stub(const double* d, int64_t* out, double* o, int* att) {
    OsKey key = {1u, 2u};
    out[0] = os_poisson(key, 256u, 3u, 4ull, d[0]);
    out[1] = os_poisson_ex(key, 256u, 3u, 4ull, d[1], OS_MAX_ATTEMPTS, att);
    o[0] = os_poisson_inversion_bound(d[2]) + os_poisson_bd0(d[3], d[4])
           + os_poisson_bd0_series(d[3], d[5], d[6]) + os_poisson_log_pmf(d[7], d[8]);
    int64_t x;
    o[1] = os_poisson_inversion_search(d[2], d[9], d[10], d[11], &x, o + 2) ? (double)x : -1;
    OsPtrsConstants c = os_ptrs_constants(d[12]);
    double k;
    o[4] = os_ptrs_accept(c, d[12], d[13], d[14], &k, o + 5) ? k : -1.0;
    o[7] = c.a + c.a2 + c.b + c.c + c.vr + c.inv_alpha + OS_POISSON_INVERSION_MAX_MEAN
           + OS_POISSON_MAX_MEAN + OS_PTRS_FAST_US + OS_PTRS_TAIL_US + OS_PTRS_HAT_SCALE
           + OS_PTRS_SQUEEZE_SCALE + OS_HALF_LOG_2PI + OS_BD0_SERIES_MAX_V;
}
"""

NOFMA_STUB = """#include "poisson.cuh"
extern "C" __global__ void os_nofma(double* d) {
    OsPtrsConstants c = os_ptrs_constants(d[0]);
    d[1] = c.a + c.a2 + c.b + c.c + c.vr + c.inv_alpha + os_poisson_inversion_bound(d[2]);
    d[3] = os_poisson_bd0_series(d[4], d[5], d[6]);
    int64_t x;
    d[7] = os_poisson_inversion_search(d[2], d[8], d[9], d[10], &x) ? (double)x : 0.0;
}
"""


@pytest.mark.skipif(cuda_build.nvrtc_library() is None, reason="libnvrtc not found")
def test_nvrtc_instantiates_every_function():
    ptx = cuda_build.compile_with_nvrtc("stub_poisson.cu", code=DEVICE_STUB)
    assert ".entry os_stub" in ptx


@pytest.mark.skipif(cuda_build.nvcc_path() is None, reason="nvcc not found")
def test_nvcc_instantiates_every_function_without_fma(tmp_path):
    # every function really generated for the device; and with --fmad=false the
    # transcendental-free pieces (constants, bound, bd0 series, inversion search) contain no
    # fma, so they round like numpy (libdevice's log/exp use fma internally: left out)
    stub = tmp_path / "stub_poisson.cu"
    stub.write_text(DEVICE_STUB)
    assert cuda_build.compile_with_nvcc(stub, arch="sm_80", output_dir=tmp_path,
                                        mode="--cubin").stat().st_size > 0  # fmt: skip
    path = tmp_path / "nofma_poisson.cu"
    path.write_text(NOFMA_STUB)
    text = cuda_build.compile_with_nvcc(path, arch="sm_80", output_dir=tmp_path,
                                        mode="--ptx").read_text()  # fmt: skip
    assert "os_nofma" in text and "fma." not in text
