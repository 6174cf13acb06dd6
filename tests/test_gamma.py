"""Exact gamma sampler (gamma.py, cuda/gamma.cuh): numpy and C++ agree double for double, the
draws follow Gamma(shape, 1), a lane depends only on its counter, and the attempt budget.

* (a) numpy vs the host build of gamma.cuh (``tests/cuda/host_gamma.cu`` through ctypes):
  every piece and every draw BITWISE equal (values compared as int64 bit patterns), with the
  blocks used. No tolerance: the sampler calls no platform transcendental function (its
  log / exp / cos are fdlibm's written in + - * /, sqrt, floor), so there is no ulp noise to
  allow for. Measured while writing this: 0 differing doubles or attempt counts in 1e7 draws
  (random shapes 1e-4 .. 1e15, keys and counters), besides the 1.4e6 draws and 2e6 piece
  evaluations here.
* (b) statistics against theory, fixed keys: mean and variance within 5 standard errors
  (SE(mean) = sqrt(k / N), SE(var) = sqrt((mu4 - k^2) / N) with mu4 = 3 k^2 + 6 k), KS tests
  against scipy.stats.gamma with a p-value floor of 1e-4, the small-shape tail, and the
  acceptance rate against Marsaglia-Tsang's by quadrature.
* (c) a lane's value depends only on its counter and shape (chunks, order, subsets, mixing).
* (d) the attempt budget: trial counts, exhaustion, the block layout.

Also: the elementary functions against 80-bit long double, and the device builds (nvcc PTX
without a single fma, NVRTC). About 20 s on 2 cores (``-n 2``), 10 s of it start-up.
"""

from __future__ import annotations

import ctypes
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine import gamma as G
from oncosweep.gpu_engine.gamma import standard_gamma
from oncosweep.gpu_engine.philox import uniform_pair

HARNESS = Path(__file__).parent / "cuda" / "host_gamma.cu"
P_FLOOR = 1e-4
KEY = rng.make_key(20240607, 11)
SHAPES = [1e-3, 0.3, 0.999, 1.0, 1.5, 10.0, 1e3, 1e9, 1e15]

needs_cxx = pytest.mark.skipif(cuda_build.host_compiler() is None,
                               reason="no host C++ compiler (g++ / c++ / clang++, ONCOSWEEP_CXX)")


def lanes(m: int, shape: float, *, cell: int = 1, event: int = 3, first: int = 0):
    """(slot_base, realization, shape) arrays for m lanes of one shape."""
    slot = np.full(m, rng.slot(cell, event), dtype=np.uint64)
    real = np.arange(first, first + m, dtype=np.uint64)
    return slot, real, np.full(m, float(shape))


def bits(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64).view(np.int64)


def acceptance(a: float) -> float:
    """P(one Marsaglia-Tsang trial accepts) at a >= 1: the integral over x of phi(x) min(1,
    exp(x^2/2 + d (1 - v + log v))) on 1 + c x > 0 (the squeeze lies inside the exact test)."""
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)

    def f(x: float) -> float:
        v = (1.0 + c * x) ** 3
        return stats.norm.pdf(x) * min(1.0, math.exp(0.5 * x * x + d * (1.0 - v + math.log(v))))

    return integrate.quad(f, max(-1.0 / c, -40.0), 40.0, points=[0.0], limit=400,
                          epsabs=1e-13, epsrel=1e-12)[0]  # fmt: skip


# --------------------------------------------------------------------------------------------
# The host library
# --------------------------------------------------------------------------------------------


class Host:
    """ctypes wrappers over tests/cuda/host_gamma.cu; inputs become contiguous arrays."""

    def __init__(self) -> None:
        self.lib = cuda_build.build_host_library(str(HARNESS))

    @staticmethod
    def _arr(v, dtype, size):
        return np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=dtype), (size,)))

    @staticmethod
    def _p(a):
        return a.ctypes.data_as(ctypes.c_void_p)

    def gamma(self, key, slot, step, real, shape, max_attempts=256):
        """(values, status) of os_standard_gamma."""
        size = np.size(shape)
        ins = [self._arr(slot, np.uint32, size), self._arr(step, np.uint32, size),
               self._arr(real, np.uint64, size), self._arr(shape, np.float64, size)]
        out, status = np.empty(size), np.empty(size, dtype=np.int32)
        self.lib.os_host_standard_gamma(ctypes.c_int64(size), ctypes.c_uint32(key[0]),
                                        ctypes.c_uint32(key[1]), *map(self._p, ins),
                                        ctypes.c_int32(max_attempts), self._p(out),
                                        self._p(status))  # fmt: skip
        return out, status.astype(np.int64)

    def elementwise(self, name, width, *args, out_dtype=np.float64):
        size = np.size(args[0])
        ins = [self._arr(a, np.float64, size) for a in args]
        out = np.empty((size, width) if width > 1 else size, dtype=out_dtype)
        getattr(self.lib, name)(ctypes.c_int64(size), *map(self._p, ins), self._p(out))
        return out

    def trial(self, a, u0, u1, u):
        size = np.size(a)
        ins = [self._arr(v, np.float64, size) for v in (a, u0, u1, u)]
        value, acc = np.empty(size), np.empty(size, dtype=np.uint8)
        self.lib.os_host_gamma_trial(ctypes.c_int64(size), *map(self._p, ins), self._p(value),
                                     self._p(acc))
        return value, acc.astype(bool)

    def constants(self):
        out = np.empty(42)
        self.lib.os_host_gamma_constants_table(self._p(out))
        return out


@pytest.fixture(scope="module")
def host():
    if cuda_build.host_compiler() is None:
        pytest.skip("no host C++ compiler (g++ / c++ / clang++, ONCOSWEEP_CXX)")
    return Host()


def random_uniforms(gen: np.random.Generator, m: int) -> np.ndarray:
    """u = j 2**-53, j = 1 .. 2**53 (the Philox uniforms' grid), with the edges."""
    j = gen.integers(1, 2**53, size=m, dtype=np.int64, endpoint=True)
    u = j.astype(np.float64) * 2.0**-53
    u[:6] = [2.0**-53, 1.0, 0.25, 0.5, 0.75, 1.0 - 2.0**-53]
    return u


# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------


def test_constants_are_fdlibms():
    # the hex spellings equal fdlibm's decimal literals (e_log.c, e_exp.c, k_sin.c, k_cos.c)
    decimal = {
        G.LN2_HI: "6.93147180369123816490e-01", G.LN2_LO: "1.90821492927058770002e-10",
        G.INV_LN2: "1.44269504088896338700e+00", G.EXP_UNDERFLOW: "-7.45133219101941108420e+02",
        G.LG[0]: "6.666666666666735130e-01", G.LG[1]: "3.999999999940941908e-01",
        G.LG[2]: "2.857142874366239149e-01", G.LG[3]: "2.222219843214978396e-01",
        G.LG[4]: "1.818357216161805012e-01", G.LG[5]: "1.531383769920937332e-01",
        G.LG[6]: "1.479819860511658591e-01",
        G.EXP_P[0]: "1.66666666666666019037e-01", G.EXP_P[1]: "-2.77777777770155933842e-03",
        G.EXP_P[2]: "6.61375632143793436117e-05", G.EXP_P[3]: "-1.65339022054652515390e-06",
        G.EXP_P[4]: "4.13813679705723846039e-08",
        G.SIN_S[0]: "-1.66666666666666324348e-01", G.SIN_S[1]: "8.33333333332248946124e-03",
        G.SIN_S[2]: "-1.98412698298579493134e-04", G.SIN_S[3]: "2.75573137070700676789e-06",
        G.SIN_S[4]: "-2.50507602534068634195e-08", G.SIN_S[5]: "1.58969099521155010221e-10",
        G.COS_C[0]: "4.16666666666666019037e-02", G.COS_C[1]: "-1.38888888888741095749e-03",
        G.COS_C[2]: "2.48015872894767294178e-05", G.COS_C[3]: "-2.75573143513906633035e-07",
        G.COS_C[4]: "2.08757232129817482790e-09", G.COS_C[5]: "-1.13596475577881948265e-11",
    }  # fmt: skip
    for value, text in decimal.items():
        assert value == float(text), text
    assert G.SQRT2 == math.sqrt(2.0) and G.PIO2 == math.pi / 2 and G.TWO_M1000 == 2.0**-1000
    assert G.BOOST_BLOCK == rng.MAX_ATTEMPTS - 1 == 255 and G.MAX_TRIALS == 127


@needs_cxx
def test_host_constants_match_python(host):
    c = host.constants()
    expected = [rng.MAX_ATTEMPTS, G.BLOCKS_PER_TRIAL, G.BOOST_BLOCK, G.MAX_TRIALS, G.SQUEEZE,
                G.EXP_CUT, G.ONE_THIRD, G.LN2_HI, G.LN2_LO, G.INV_LN2, G.SQRT2, G.PIO2,
                G.EXP_UNDERFLOW, G.TWO_M1000, *G.LG, *G.EXP_P, *G.SIN_S, *G.COS_C,
                G.trial_budget(256), G.trial_budget(2), G.trial_budget(255), G.trial_budget(7)]
    assert c.tolist() == [float(v) for v in expected]


# --------------------------------------------------------------------------------------------
# Elementary functions: accuracy (80-bit long double reference) and special values
# --------------------------------------------------------------------------------------------

needs_x87 = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63,
                               reason="needs an 80-bit (or wider) long double reference")


def ulps(ours: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|ours - ref| in units of the double spacing at ref."""
    spacing = np.spacing(np.abs(ref.astype(np.float64))).astype(np.longdouble)
    return np.abs((ours.astype(np.longdouble) - ref) / spacing).astype(np.float64)


@needs_x87
def test_elementary_functions_accuracy():
    gen = np.random.default_rng(5)
    ld = np.longdouble
    # log: the uniforms, values of v = (1 + c x)^3 (wide and near 1)
    x = np.concatenate([random_uniforms(gen, 200_000), np.exp(gen.uniform(-110.0, 5.0, 100_000)),
                        1.0 + gen.uniform(-1e-7, 1e-7, 50_000)])  # fmt: skip
    assert ulps(G.gamma_log(np, x), np.log(x.astype(ld))).max() < 0.9  # measured 0.81
    # exp on [-745, 0] (the boost's range), normal results
    t = np.concatenate([gen.uniform(-708.0, 0.0, 200_000), -gen.uniform(0.0, 1e-9, 1000)])
    assert ulps(G.gamma_exp(np, t), np.exp(t.astype(ld))).max() < 1.0  # measured 0.89
    # subnormal results: within one unit of 2**-1074
    t = gen.uniform(-745.0, -708.5, 20_000)
    err = np.abs(G.gamma_exp(np, t).astype(ld) - np.exp(t.astype(ld))) / ld(2.0**-1074)
    assert err.max() < 1.0
    # cos(2 pi u): reference with the same exact reduction, the kernel in long double
    u = random_uniforms(gen, 200_000)
    w = u * 4.0
    q = np.floor(w)
    f = w - q
    up = f > 0.5
    f, q = np.where(up, f - 1.0, f), np.where(up, q + 1.0, q) % 4
    y = f.astype(ld) * (ld("3.14159265358979323846264338327950288") / 2)
    ref = np.select([q == 0, q == 1, q == 2], [np.cos(y), -np.sin(y), -np.cos(y)], np.sin(y))
    ours = G.cos_2pi(np, u)
    assert ulps(ours, ref).max() < 2.0  # measured 1.81 (the rounding of f pi/2)
    assert float(np.abs(ours.astype(ld) - ref).max()) < 2e-16  # measured 1.37e-16


def test_elementary_functions_special_values():
    assert G.cos_2pi(np, np.array([0.0, 0.25, 0.5, 0.75, 1.0])).tolist() == [1, 0, -1, 0, 1]
    assert G.gamma_log(np, np.array([1.0, 2.0, 0.5])).tolist() == [0.0, math.log(2), -math.log(2)]
    assert G.gamma_log(np, np.array([2.0**-53, 2.0**-1022])).tolist() == [
        math.log(2.0**-53), math.log(2.0**-1022)]  # fmt: skip
    t = np.array([0.0, -0.0, -1e-300, -745.2, -745.14, -1e300, -np.inf])
    assert G.gamma_exp(np, t).tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert G.gamma_exp(np, np.array([-745.13])).tolist() == [5e-324]
    # the boost factor: U = 1 gives 1, tiny shapes underflow without overflow warnings
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        f = G.boost_factor(np, np.array([1.0, 0.5, 2.0**-53, 2.0**-53, 0.5]),
                           np.array([1e-300, 1.0, 0.5, 1e-3, 1e-3]))
    assert f[[0, 1, 3]].tolist() == [1.0, 0.5, 0.0]
    assert f[2] == pytest.approx(2.0**-106, rel=1e-15)  # exp(log(2**-53) / 0.5): one ulp off
    assert f[4] == pytest.approx(2.0**-1000, rel=1e-12)


# --------------------------------------------------------------------------------------------
# (a) numpy vs the host C++ build: bitwise
# --------------------------------------------------------------------------------------------


@needs_cxx
def test_pieces_bitwise(host):
    gen = np.random.default_rng(11)
    u0, u1, u = (random_uniforms(gen, 300_000) for _ in range(3))
    x = np.concatenate([u, np.exp(gen.uniform(-300.0, 300.0, 100_000)),
                        1.0 + gen.uniform(-1e-6, 1e-6, 100_000)])  # fmt: skip
    assert np.array_equal(bits(G.gamma_log(np, x)), bits(host.elementwise("os_host_gamma_log",
                                                                            1, x)))
    t = np.concatenate([gen.uniform(-800.0, 0.0, 200_000), gen.uniform(-1.0, 0.0, 50_000),
                        [-np.inf, -0.0, 0.0, -745.13, -745.14]])  # fmt: skip
    assert np.array_equal(bits(G.gamma_exp(np, t)), bits(host.elementwise("os_host_gamma_exp",
                                                                            1, t)))
    assert np.array_equal(bits(G.cos_2pi(np, u1)),
                          bits(host.elementwise("os_host_gamma_cos_2pi", 1, u1)))
    assert np.array_equal(bits(G.box_muller(np, u0, u1)),
                          bits(host.elementwise("os_host_gamma_box_muller", 1, u0, u1)))
    shape = 10.0 ** gen.uniform(-320.0, 0.0, u.size)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # none in the boost
        boost = G.boost_factor(np, u, shape)
    assert np.array_equal(bits(boost),
                          bits(host.elementwise("os_host_gamma_boost_factor", 1, u, shape)))
    a = np.concatenate([1.0 + 10.0 ** gen.uniform(-12.0, 0.0, 1000), 10.0 ** gen.uniform(0, 15,
                                                                                       1000)])
    d, c = G.gamma_constants(np, a)
    dc = host.elementwise("os_host_gamma_constants", 2, a)
    assert np.array_equal(bits(d), bits(dc[:, 0])) and np.array_equal(bits(c), bits(dc[:, 1]))
    # one trial, at shapes where the exact test runs often (a near 1) and rarely
    a = np.repeat([1.0, 1.0 + 1e-9, 1.7, 12.0, 1e6, 1e15], u.size // 6)
    d, c = G.gamma_constants(np, a)
    value, acc = G.mt_trial(np, d, c, u0, u1, u)
    value_c, acc_c = host.trial(a, u0, u1, u)
    assert np.array_equal(acc, acc_c)
    assert np.array_equal(bits(value), bits(value_c))


def _random_counters(gen, m):
    cell = gen.integers(0, rng.MAX_CELL_TYPES, m)
    event = gen.integers(0, rng.MAX_EVENTS, m)
    slot = rng.slot(cell, event).astype(np.uint64)
    step = gen.integers(0, 2**32, m, dtype=np.uint64)
    real = gen.integers(0, 2**63, m, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return slot, step, real


@needs_cxx
@pytest.mark.parametrize("shape", SHAPES)
def test_draws_bitwise(host, shape):
    # 120_000 lanes per shape over three keys, random channels, steps and 64-bit realizations
    gen = np.random.default_rng(int(shape * 7) % 2**32)
    for seed, point in [(0, 0), (20240607, 11), (2**32 - 1, 2**32 - 1)]:
        key = rng.make_key(seed, point)
        slot, step, real = _random_counters(gen, 40_000)
        x, att = standard_gamma(np, key, slot, step, real, shape, return_attempts=True)
        xc, att_c = host.gamma(key, slot, step, real, np.full(slot.size, shape))
        assert np.array_equal(att, att_c)
        same = bits(x) == bits(xc)
        assert same.all(), (shape, key, int((~same).sum()), x[~same][:3], xc[~same][:3])
        assert np.all(x >= 0.0) and np.all(np.isfinite(x))


@needs_cxx
def test_mixed_shapes_and_budgets_bitwise(host):
    # per-lane shapes log-uniform over 1e-6 .. 1e15 (and exact 1, boundaries), one step
    gen = np.random.default_rng(3)
    m = 200_000
    shape = 10.0 ** gen.uniform(-6.0, 15.0, m)
    shape[:8] = [1.0, np.nextafter(1.0, 0.0), np.nextafter(1.0, 2.0), 5e-324, 1e-300, 2.0**53,
                 1e300, 1.7e308]
    slot, _, real = _random_counters(gen, m)
    x, att = standard_gamma(np, KEY, slot, 17, real, shape, return_attempts=True)
    xc, att_c = host.gamma(KEY, slot, 17, real, shape)
    assert np.array_equal(bits(x), bits(xc)) and np.array_equal(att, att_c)
    # small budgets (exhaustion) agree too, values and markers
    for budget in (2, 3, 4, 9, 255):
        x, att = standard_gamma(np, KEY, slot[:20_000], 17, real[:20_000], shape[:20_000],
                                max_attempts=budget, return_attempts=True)
        xc, att_c = host.gamma(KEY, slot[:20_000], 17, real[:20_000], shape[:20_000], budget)
        assert np.array_equal(bits(x), bits(xc)) and np.array_equal(att, att_c)
        assert (att == budget + 1).any() == (budget <= 4)


@needs_cxx
def test_host_invalid_shape_is_nan_and_status_zero(host):
    x, status = host.gamma(KEY, 0, 0, 0, np.array([0.0, -1.0, np.inf, np.nan, -0.0]))
    assert np.isnan(x).all() and (status == 0).all()


# --------------------------------------------------------------------------------------------
# (b) statistics
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_mean_and_variance_within_5_se(shape):
    n = 200_000
    slot, real, sh = lanes(n, shape, cell=7, first=int(shape) % 1000)
    x = standard_gamma(np, KEY, slot, 4, real, sh)
    y = x - shape  # exact for huge shapes (same binade, multiples of the ulp)
    mean_dev = float(y.mean())
    var = float(np.mean((y - mean_dev) ** 2)) * n / (n - 1)
    se_mean = math.sqrt(shape / n)
    se_var = math.sqrt((2.0 * shape * shape + 6.0 * shape) / n)
    assert abs(mean_dev) < 5 * se_mean, (shape, mean_dev / se_mean)
    assert abs(var - shape) < 5 * se_var, (shape, (var - shape) / se_var)


@pytest.mark.parametrize("shape", [0.3, 1.0, 2.5, 50.0, 1e9])
def test_kolmogorov_smirnov_against_scipy(shape):
    n = 100_000
    slot, real, sh = lanes(n, shape, cell=2, event=9, first=12345)
    x = standard_gamma(np, KEY, slot, 11, real, sh)
    pval = stats.kstest(x, stats.gamma(shape).cdf).pvalue
    assert pval > P_FLOOR, (shape, pval)


def test_small_shape_tail_and_underflow():
    # shape 1e-3: P(X <= t) = t^a / Gamma(1 + a) (1 + O(t)); a third of the mass lies below
    # 1e-300 and 47.5 % below 2**-1074, where the boost underflows to exactly 0.
    a, n = 1e-3, 200_000
    slot, real, sh = lanes(n, a, cell=5)
    x = standard_gamma(np, KEY, slot, 2, real, sh)
    for log_t, count in [(math.log(1e-10), np.sum(x <= 1e-10)),
                         (math.log(1e-300), np.sum(x <= 1e-300)),
                         (-1075 * math.log(2.0), np.sum(x == 0.0))]:  # t = 2**-1075
        p = math.exp(a * log_t - math.lgamma(1.0 + a))
        se = math.sqrt(p * (1 - p) / n)
        assert abs(count / n - p) < 5 * se, (log_t, count / n, p)
    assert 0.45 < np.mean(x == 0.0) < 0.50


def test_acceptance_rate_matches_quadrature():
    # the documented minimum acceptance (a = 1) and its growth with a; the mean number of
    # trials per lane equals 1 / acceptance within 5 SE (geometric: sd = sqrt(1 - p) / p)
    assert acceptance(1.0) == pytest.approx(0.9516677, abs=2e-7)
    assert G.MIN_ACCEPTANCE <= acceptance(1.0)
    grid = [1.0, 1.01, 1.1, 1.5, 2.0, 5.0, 30.0, 1e3, 1e5]
    rates = [acceptance(a) for a in grid]
    assert all(r2 > r1 for r1, r2 in zip(rates, rates[1:], strict=False))
    assert (1 - rates[0]) ** G.MAX_TRIALS < 1e-166  # the exhaustion bound of the docstring
    assert 0.05 ** G.MAX_TRIALS < 1e-165
    n = 200_000
    for a, p in [(1.0, rates[0]), (1.5, rates[3]), (5.0, rates[5])]:
        slot, real, sh = lanes(n, a, cell=9)
        _, att = standard_gamma(np, KEY, slot, 1, real, sh, return_attempts=True)
        trials = att / G.BLOCKS_PER_TRIAL
        se = math.sqrt(1 - p) / p / math.sqrt(n)
        assert abs(trials.mean() - 1 / p) < 5 * se, (a, trials.mean(), 1 / p)


# --------------------------------------------------------------------------------------------
# (c) a lane depends only on its counter and shape
# --------------------------------------------------------------------------------------------


def test_chunk_order_subset_and_mixing_invariance():
    gen = np.random.default_rng(8)
    m = 30_000
    shape = np.where(gen.random(m) < 0.5, 10.0 ** gen.uniform(-4, 0, m),
                     10.0 ** gen.uniform(0, 15, m))  # fmt: skip
    slot, step, real = _random_counters(gen, m)
    ref, att = standard_gamma(np, KEY, slot, step, real, shape, return_attempts=True)
    for chunk, sub in [(1, slice(0, 300)), (7, slice(0, 3000)), (4096, slice(None))]:
        x = standard_gamma(np, KEY, slot[sub], step[sub], real[sub], shape[sub], chunk=chunk)
        assert np.array_equal(bits(x), bits(ref[sub]))
    perm = gen.permutation(m)
    x = standard_gamma(np, KEY, slot[perm], step[perm], real[perm], shape[perm], chunk=5000)
    assert np.array_equal(bits(x), bits(ref[perm]))
    pick = np.sort(gen.choice(m, 500, replace=False))
    for i in pick[:40]:  # one lane at a time, scalar arguments
        one = standard_gamma(np, KEY, int(slot[i]), int(step[i]), int(real[i]), float(shape[i]))
        assert one.shape == () and bits(one) == bits(ref[i])
    # lanes that retried (and exhausted ones, with a small budget) keep their values in subsets
    retried = np.nonzero(att > 3)[0]
    assert retried.size > 100
    x = standard_gamma(np, KEY, slot[retried], step[retried], real[retried], shape[retried])
    assert np.array_equal(bits(x), bits(ref[retried]))


def test_streams_differ_and_broadcasting():
    slot, real, sh = lanes(1000, 2.5)
    base = standard_gamma(np, KEY, slot, 3, real, sh)
    assert np.array_equal(base, standard_gamma(np, KEY, slot, 3, real, sh))
    others = [standard_gamma(np, KEY, slot, 4, real, sh),
              standard_gamma(np, KEY, slot + np.uint64(256), 3, real, sh),
              standard_gamma(np, rng.make_key(1, 11), slot, 3, real, sh),
              standard_gamma(np, KEY, slot, 3, real + np.uint64(2**32), sh)]  # fmt: skip
    for other in others:
        assert np.mean(other == base) < 0.01
    # 2-D lane shapes, scalar slot / step, array step: same values lane by lane
    x = standard_gamma(np, KEY, int(slot[0]), np.full((50, 1), 3, dtype=np.uint64),
                       real.reshape(50, 20), 2.5)  # fmt: skip
    assert x.shape == (50, 20) and np.array_equal(x.reshape(-1), base)


# --------------------------------------------------------------------------------------------
# (d) attempt budget, block layout, validation
# --------------------------------------------------------------------------------------------


def _scalar_reference(key, slot, step, real, shape, max_attempts=rng.MAX_ATTEMPTS):
    """The documented block layout, one lane at a time from the pieces: trial t reads blocks
    2 t and 2 t + 1, the boost block 255."""
    a = shape + 1.0 if shape < 1.0 else shape
    d, c = G.gamma_constants(np, np.array([a]))
    value, used = d[0], max_attempts + 1
    for t in range(G.trial_budget(max_attempts)):
        u0, u1 = uniform_pair(np, key, np.array([slot + 2 * t], dtype=np.uint64), step, real)
        u, _ = uniform_pair(np, key, np.array([slot + 2 * t + 1], dtype=np.uint64), step, real)
        v, acc = G.mt_trial(np, d, c, u0, u1, u)
        if acc[0]:
            value, used = v[0], 2 * t + 2
            break
    if shape < 1.0:
        ub, _ = uniform_pair(np, key, np.array([slot + 255], dtype=np.uint64), step, real)
        value = value * G.boost_factor(np, ub, np.array([shape]))[0]
        used += used <= max_attempts
    return value, used


def test_block_layout_against_a_scalar_reference():
    gen = np.random.default_rng(21)
    slot, step, real = _random_counters(gen, 2000)
    shape = np.where(np.arange(2000) % 2 == 0, 0.37, 1.0)
    x, att = standard_gamma(np, KEY, slot, step, real, shape, return_attempts=True)
    check = list(range(60)) + list(np.nonzero(att > 3)[0][:60])  # include retried lanes
    for i in check:
        ref = _scalar_reference(KEY, int(slot[i]), int(step[i]), int(real[i]), float(shape[i]))
        assert (bits(np.array(ref[0])), ref[1]) == (bits(x[i]), att[i])
    for i in range(20):
        ref = _scalar_reference(KEY, int(slot[i]), int(step[i]), int(real[i]), float(shape[i]), 2)
        x2, a2 = standard_gamma(np, KEY, slot[i], step[i], real[i], shape[i], max_attempts=2,
                                return_attempts=True)
        assert (bits(np.array(ref[0])), ref[1]) == (bits(x2), a2)


def test_budget_prefix_and_exhaustion():
    n = 100_000
    slot, real, sh = lanes(n, 1.0, cell=6)
    full, att = standard_gamma(np, KEY, slot, 8, real, sh, return_attempts=True)
    assert set(np.unique(att)) <= set(range(2, 2 * G.MAX_TRIALS + 1, 2))
    one, att1 = standard_gamma(np, KEY, slot, 8, real, sh, max_attempts=2, return_attempts=True)
    done = att1 == 2
    assert np.array_equal(one[done], full[done]) and np.array_equal(att[done], att1[done])
    ex = ~done
    assert np.all(att1[ex] == 3) and np.all(one[ex] == 1.0 - 1.0 / 3.0)  # d at a = 1
    p = acceptance(1.0)  # exhausted fraction with one trial: 1 - p within 5 SE
    assert abs(ex.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    # boosted lanes: the boost block is read after any number of trials, also on exhaustion
    slot, real, sh = lanes(20_000, 0.4, cell=6)
    full, att = standard_gamma(np, KEY, slot, 8, real, sh, return_attempts=True)
    assert np.all(att % 2 == 1) and att.max() <= 2 * G.MAX_TRIALS + 1
    one, att1 = standard_gamma(np, KEY, slot, 8, real, sh, max_attempts=3, return_attempts=True)
    done = att1 == 3
    assert np.array_equal(one[done], full[done]) and np.all(att1[~done] == 4)
    u, _ = uniform_pair(np, KEY, slot[~done] + np.uint64(255), 8, real[~done])
    d = 1.4 - 1.0 / 3.0
    assert np.array_equal(one[~done], d * G.boost_factor(np, u, np.full(u.size, 0.4)))
    # budgets: 256 and 255 both give 127 trials (block 254 is never read)
    assert [G.trial_budget(b) for b in (2, 3, 4, 254, 255, 256)] == [1, 1, 2, 127, 127, 127]
    for bad in (0, 1, 257):
        with pytest.raises(ValueError, match="max_attempts"):
            standard_gamma(np, KEY, slot[:3], 8, real[:3], 1.0, max_attempts=bad)


def test_shape_validation():
    for bad in (0.0, -1.0, np.inf, np.nan, -0.0):
        with pytest.raises(ValueError, match="shape"):
            standard_gamma(np, KEY, 0, 0, np.arange(5, dtype=np.uint64),
                           np.array([1.0] * 4 + [bad]))
    assert standard_gamma(np, KEY, 0, 0, 0, 5e-324) >= 0.0  # the smallest subnormal is valid


# --------------------------------------------------------------------------------------------
# Device builds of the whole sampler
# --------------------------------------------------------------------------------------------

KERNEL = """#include "gamma.cuh"
extern "C" __global__ void os_gamma_kernel(const double* shape, double* out, int* status,
                                           unsigned long long n) {
    unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    OsKey key = {20240607u, 11u};
    out[i] = os_standard_gamma(key, 256u, 3u, i, shape[i], OS_GAMMA_MAX_ATTEMPTS, status + i);
    out[n + i] = os_gamma_log(shape[i]) + os_gamma_exp(-shape[i]) + os_gamma_cos_2pi(out[i]);
}
"""


@pytest.mark.skipif(cuda_build.nvcc_path() is None, reason="nvcc not found")
def test_device_code_has_no_fma(tmp_path):
    # --fmad=false keeps one rounding per operation; the sampler calls no libdevice function,
    # so the PTX of the whole sampler has no fma at all (sqrt.rn / div.rn are single ops).
    path = tmp_path / "gamma_kernel.cu"
    path.write_text(KERNEL)
    ptx = cuda_build.compile_with_nvcc(path, arch="sm_80", output_dir=tmp_path, mode="--ptx")
    text = ptx.read_text()
    assert "os_gamma_kernel" in text and "fma." not in text
    assert "sqrt.rn.f64" in text and "div.rn.f64" in text


@pytest.mark.skipif(cuda_build.nvrtc_library() is None, reason="libnvrtc not found")
def test_nvrtc_compiles_the_sampler():
    ptx = cuda_build.compile_with_nvrtc("gamma_kernel.cu", code=KERNEL)
    assert ".entry os_gamma_kernel" in ptx and "fma." not in ptx
