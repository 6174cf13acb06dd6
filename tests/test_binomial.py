"""Exact binomial sampler: distribution, stability of the log ratio, addressing, edge cases.

All draws use fixed keys, slots and realizations, so every test is deterministic. Statistical
tests use a p-value floor of 1e-4: a correct sampler fails one of them with probability 1e-4
per choice of key, and a failing one here is a real discrepancy at the stated sample size.
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sampler_checks import grouped_chisq_pvalue
from scipy import stats

from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.binomial import (
    BINV_MAX_MEAN,
    FC_TABLE,
    binomial,
    binomial_btrs,
    binomial_inversion,
    btrs_accept,
    btrs_constants,
    inversion_bound,
    log_pmf_ratio,
    stirling_tail,
)

P_FLOOR = 1e-4
KEY = rng.make_key(20240607, 11)
DRAWS = 200_000


def lanes(m: int, n, p, *, cell=1, event=rng.EVENT_BIRTH, first=0):
    """(slot_base, realization, n, p) arrays for m lanes of one (n, p)."""
    slot = np.full(m, rng.slot(cell, event), dtype=np.uint64)
    real = np.arange(first, first + m, dtype=np.uint64)
    return slot, real, np.full(m, n, dtype=np.int64), np.full(m, p, dtype=np.float64)


def chisq_pvalue(x: np.ndarray, n: int, p: float) -> float:
    """Chi-square goodness of fit of draws x against scipy.stats.binom(n, p).

    Cells are the integers of a window mu +- 12 sd (+- 10), the tails merged into the end
    cells, then adjacent cells merged left to right until every expected count is >= 5 (the
    last short group joins its neighbour). dof = cells - 1.
    """
    mu, sd = n * p, math.sqrt(n * p * (1 - p))
    lo = max(0, math.floor(mu - 12 * sd - 10))
    hi = min(n, math.ceil(mu + 12 * sd + 10))
    ks = np.arange(lo, hi + 1)
    cdf = stats.binom.cdf(ks, n, p)
    prob = np.diff(np.concatenate([[0.0], cdf]))  # cell lo holds P(X <= lo)
    prob[-1] += stats.binom.sf(hi, n, p)
    assert abs(prob.sum() - 1) < 1e-9
    return grouped_chisq_pvalue(x, lo, hi, prob)


# --------------------------------------------------------------------------------------------
# Distribution
# --------------------------------------------------------------------------------------------

REGIMES = [
    # (n, p, method expected after mirroring)
    (50, 0.01, "inv"),  # n p < 1
    (1000, 0.0099, "inv"),  # n p = 9.9, just below the switch
    (1000, 0.0101, "btrs"),  # n p = 10.1, just above
    (25, 0.38, "inv"),  # n p = 9.5 with small n, large p
    (20, 0.5, "btrs"),  # smallest BTRS case: n p = 10, p = 1/2
    (10**4, 0.1, "btrs"),  # n p = 1e3
    (10**12, 1e-12, "inv"),  # inversion with huge n (n p = 1)
    (10**12, 1e-9, "btrs"),  # n p = 1e3 with huge n
    (10**12, 3e-7, "btrs"),  # n p = 3e5
    (10**6, 1e-8, "inv"),  # p near 0 (n p = 0.01)
    (1000, 0.999, "inv"),  # p near 1: mirrored, n p' = 1
    (10**5, 0.99, "btrs"),  # p near 1: mirrored, n p' = 1e3
    (10**6, 0.5, "btrs"),  # p = 1/2
]


@pytest.mark.parametrize(("n", "p", "method"), REGIMES)
def test_chi_square_against_scipy(n, p, method):
    slot, real, nn, pp = lanes(DRAWS, n, p, cell=3, first=n % 1000)
    x, att = binomial(np, KEY, slot, 5, real, nn, pp, return_attempts=True)
    assert x.dtype == np.int64 and x.shape == (DRAWS,)
    assert x.min() >= 0 and x.max() <= n
    pm = min(p, 1 - p)
    assert (n * pm < BINV_MAX_MEAN) == (method == "inv")
    if method == "inv":  # one uniform, one attempt (a retry has probability < 1e-20)
        assert np.all(att == 1)
    pval = chisq_pvalue(x, n, p)
    assert pval > P_FLOOR, (n, p, pval)


def test_huge_n_moments_and_normal_shape():
    # n = 1e15, p = 0.3: sd = 1.45e7. scipy's binom cdf is not trusted this far out, so:
    # mean and variance within 5 standard errors (SE(mean) = sd / sqrt(N),
    # SE(var) = var sqrt(2 / (N - 1)) as the excess kurtosis ~ 1 / (n p q) is nil), and a KS
    # test of the standardised draws against N(0, 1) (discreteness 7e-8 sd is negligible).
    n, p = 10**15, 0.3
    slot, real, nn, pp = lanes(DRAWS, n, p, cell=4)
    x = binomial(np, KEY, slot, 0, real, nn, pp)
    assert x.min() >= 0 and x.max() <= n
    mu, var = n * p, n * p * (1 - p)
    d = (x - round(mu)).astype(np.float64)  # exact: |x - mu| << 2**53
    assert abs(d.mean()) < 5 * math.sqrt(var / DRAWS)
    assert abs(d.var(ddof=1) - var) < 5 * var * math.sqrt(2 / (DRAWS - 1))
    ks = stats.kstest(d / math.sqrt(var), "norm")
    assert ks.pvalue > P_FLOOR, ks


def test_forced_methods_agree_with_scipy_outside_the_dispatch():
    # BINV well above n p = 10 (n p = 30) and BTRS at its lower edge, called directly.
    slot, real, nn, pp = lanes(DRAWS, 300, 0.1, cell=6)
    x = binomial_inversion(np, KEY, slot, 1, real, nn, pp)
    assert chisq_pvalue(x, 300, 0.1) > P_FLOOR
    slot, real, nn, pp = lanes(DRAWS, 40, 0.25, cell=6)
    x = binomial_btrs(np, KEY, slot, 2, real, nn, pp)
    assert chisq_pvalue(x, 40, 0.25) > P_FLOOR


def test_btrs_mean_attempts():
    # Expected blocks per draw, from the hat area (integrated independently; see docs/rng.md):
    # 1.41 at n p = 10, p = 1/2; 1.35 at n p = 10.1; 1.155 at n p = 1e3; 1.13 for n p >> 1e3.
    # Bounds are +- 0.01, i.e. > 10 standard errors at 2e5 draws.
    expected = [(20, 0.5, 1.410), (1000, 0.0101, 1.346), (10**4, 0.1, 1.155),
                (10**12, 3e-7, 1.130)]  # fmt: skip
    for n, p, e in expected:
        slot, real, nn, pp = lanes(DRAWS, n, p, cell=7)
        _, att = binomial_btrs(np, KEY, slot, 0, real, nn, pp, return_attempts=True)
        assert abs(att.mean() - e) < 0.01, (n, p, att.mean())
        assert att.min() == 1 and att.max() <= 20


def test_btrs_hat_dominates_and_squeeze_is_inside():
    # Hörmann's hat: for every U, f(k)/f(m) <= (a / us^2 + b) / alpha (the sampler is exact
    # only if so), and the immediate-acceptance box (us >= 0.07, V <= v_r) lies under
    # f(k)/f(m) (a / us^2 + b) / alpha. Checked on a U grid over n p >= 10, p <= 1/2.
    u = np.linspace(-0.5, 0.5, 40_001)[1:-1]
    us = 0.5 - np.abs(u)
    worst_hat, worst_box = 0.0, -1.0
    for n in (20, 23, 30, 100, 10**3, 10**6, 10**9, 10**12, 10**15):
        for p in np.geomspace(10 / n, 0.5, 9):
            nf, pf = np.array([float(n)]), np.array([p])
            c = btrs_constants(np, nf, pf)
            k = np.floor((c["a2"] / us + c["b"]) * u + c["c"])
            ok = (k >= 0) & (k <= n)
            k1, us1 = k[ok], us[ok]
            m = np.full_like(k1, math.floor((n + 1) * p))
            one = np.ones_like(k1)
            lr = log_pmf_ratio(np, k1, m, n * one, p * one, (1 - p) * one)
            g = np.exp(lr) * (c["a"] / us1**2 + c["b"]) / c["alpha"]
            worst_hat = max(worst_hat, float(g.max()))
            worst_box = max(worst_box, float(np.max(np.where(us1 >= 0.07, c["vr"] - g, -1))))
    assert worst_hat < 1.0  # observed 0.995
    assert worst_box < 0.0  # observed -0.0046


def test_exhaustion_returns_the_mode():
    # With a budget of one attempt, the ~13 % of BTRS lanes rejected at attempt 0 are
    # "exhausted": value floor((n + 1) p), attempts = budget + 1; the accepted lanes agree with
    # the full budget run.
    slot, real, nn, pp = lanes(20_000, 10**6, 0.3, cell=8)
    x1, a1 = binomial(np, KEY, slot, 0, real, nn, pp, return_attempts=True, max_attempts=1)
    x, a = binomial(np, KEY, slot, 0, real, nn, pp, return_attempts=True)
    ex = a1 == 2
    assert 0.05 < ex.mean() < 0.25
    assert np.all(x1[ex] == math.floor((10**6 + 1) * 0.3))
    assert np.array_equal(x1[~ex], x[~ex])
    assert np.all(a[~ex] == 1) and np.all(a[ex] >= 2)
    with pytest.raises(ValueError):
        binomial(np, KEY, slot, 0, real, nn, pp, max_attempts=0)
    with pytest.raises(ValueError):
        binomial(np, KEY, slot, 0, real, nn, pp, max_attempts=rng.MAX_ATTEMPTS + 1)


def test_btrs_rejects_u0_equal_one():
    # u0 == 1 gives U = 1/2, us = 0 (clamped): the candidate lies far above n and is rejected.
    n, p = np.array([50.0, 1e15]), np.array([0.4, 0.3])
    c = btrs_constants(np, n, p)
    k, acc = btrs_accept(np, np.ones(2), np.full(2, 1e-3), n, p, c)
    assert not acc.any()
    assert np.all(k > n)
    # and u0 = 1/2 (U = 0, us = 1/2), tiny V: accepted at floor(c), near the mode
    k, acc = btrs_accept(np, np.full(2, 0.5), np.full(2, 1e-3), n, p, c)
    assert acc.all()
    assert np.array_equal(k, np.floor(n * p + 0.5))


# --------------------------------------------------------------------------------------------
# Stable log f(k)/f(m)
# --------------------------------------------------------------------------------------------

getcontext().prec = 60
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")
_HALF_LOG_2PI = (2 * _PI).ln() / 2


def _log_factorial(x: int) -> Decimal:
    """log x! to ~50 digits: exact factorial below 1000, Stirling with 5 terms above
    (truncation < 1e-30 there)."""
    if x < 1000:
        return Decimal(math.factorial(x)).ln()
    z = Decimal(x + 1)
    s = 1 / (12 * z) - 1 / (360 * z**3) + 1 / (1260 * z**5) - 1 / (1680 * z**7)
    return (x + Decimal("0.5")) * z.ln() - z + _HALF_LOG_2PI + s + 1 / (1188 * z**9)


def _ref_log_ratio(k: int, m: int, n: int, p: float) -> float:
    pd = Decimal(p)  # exact binary value
    lr = _log_factorial(m) + _log_factorial(n - m) - _log_factorial(k) - _log_factorial(n - k)
    return float(lr + (k - m) * (pd / (1 - pd)).ln())


def test_fc_table_is_correctly_rounded():
    for x, v in enumerate(FC_TABLE):
        exact = Decimal(math.factorial(x)).ln() - (
            (x + Decimal("0.5")) * Decimal(x + 1).ln() - (x + 1) + _HALF_LOG_2PI
        )
        assert v == float(exact)
    xs = np.arange(0.0, 10.0)
    assert np.array_equal(stirling_tail(np, xs), np.array(FC_TABLE))


def test_stirling_series_error_bound():
    # x >= 10: truncation error < 1/(1680 z^7), z = x + 1 (3.1e-11 at x = 10).
    for x in (10, 11, 15, 30, 100, 1000, 10**6):
        exact = _log_factorial(x) - (
            (x + Decimal("0.5")) * Decimal(x + 1).ln() - (x + 1) + _HALF_LOG_2PI
        )
        got = float(stirling_tail(np, np.array([float(x)]))[0])
        assert abs(got - float(exact)) <= 1 / (1680 * (x + 1) ** 7) + 1e-17


@pytest.mark.parametrize(
    ("n", "p", "tol"),
    [
        # tolerances: |k - m| * few ulp of the log terms, plus the fc series error (< 3.1e-11
        # per fc term with argument >= 10, i.e. up to 1.3e-10 when m, k, n - m are all ~10)
        (20, 0.5, 1.3e-10),  # observed 6.0e-11 (fc(10) twice)
        (1000, 0.3, 1e-11),
        (10**6, 0.01, 1e-11),
        (10**9, 0.2, 1e-9),
        (10**12, 0.3, 1e-8),
        (10**15, 0.3, 1e-7),  # observed 2.3e-8, mostly from q = fl(1 - p): (k - m) * 1e-16
        (10**15, 0.5, 1e-7),
        (10**15, 1e-13, 1e-11),
    ],
)
def test_log_ratio_against_high_precision(n, p, tol):
    # k over mu +- 8 sd; reference: 60-digit decimal log-factorials (exact factorials for
    # small arguments, a 5-term Stirling series for large ones).
    m = math.floor((n + 1) * p)
    sd = math.sqrt(n * p * (1 - p))
    ks = sorted({min(n, max(0, round(m + z * sd))) for z in np.linspace(-8, 8, 41)})
    k = np.array(ks, dtype=np.float64)
    one = np.ones_like(k)
    got = log_pmf_ratio(np, k, m * one, n * one, p * one, (1 - p) * one)
    ref = np.array([_ref_log_ratio(kk, m, n, p) for kk in ks])
    assert np.max(np.abs(got - ref)) < tol


def test_log_ratio_against_scipy_logpmf():
    # moderate n, where scipy's logpmf is accurate to ~1e-12 relative
    for n, p in [(30, 0.4), (500, 0.05), (10**4, 0.25), (10**5, 0.5)]:
        m = math.floor((n + 1) * p)
        k = np.arange(0, n + 1, max(1, n // 400), dtype=np.float64)
        one = np.ones_like(k)
        got = log_pmf_ratio(np, k, m * one, n * one, p * one, (1 - p) * one)
        ref = stats.binom.logpmf(k, n, p) - stats.binom.logpmf(m, n, p)
        fin = ref > -700  # where the pmf does not underflow
        assert np.allclose(got[fin], ref[fin], rtol=1e-10, atol=1e-9)


# --------------------------------------------------------------------------------------------
# Inversion bound
# --------------------------------------------------------------------------------------------


def test_inversion_bound_tail_mass():
    # The mass beyond the search bound is < 1e-20 for every n p < 10 (worst ~1.6e-22).
    worst = 0.0
    for n in (1, 2, 5, 19, 100, 10**4, 10**9, 10**15):
        for mu in np.geomspace(1e-6, 9.999, 60):
            p = mu / n
            if p > 0.5:
                continue
            b = float(inversion_bound(np, np.array([float(n)]), np.array([p]))[0])
            worst = max(worst, float(stats.binom.sf(b, n, p)))
    assert worst < 1e-20


# --------------------------------------------------------------------------------------------
# Addressing and dispatch
# --------------------------------------------------------------------------------------------


def _mixed():
    ns = [0, 5, 0, 1, 1, 20, 50, 1000, 1000, 10**4, 10**6, 10**12, 10**15, 2**53, 7, 10**9]
    ps = [0.3, 0.0, 1.0, 0.3, 0.7, 0.5, 0.01, 0.0101, 0.999, 0.9, 1e-8, 3e-7, 0.3, 1.0, 1.0,
          0.6]  # fmt: skip
    reps = 40
    n = np.repeat(np.array(ns, dtype=np.int64), reps)
    p = np.repeat(np.array(ps), reps)
    cell = np.arange(n.size) % 5
    slot = np.array([rng.slot(int(c), rng.EVENT_DEATH) for c in cell], dtype=np.uint64)
    real = (np.arange(n.size, dtype=np.uint64) * 7919) % 1000
    return slot, real, n, p


def test_mixed_lanes_equal_separate_calls():
    slot, real, n, p = _mixed()
    x, att = binomial(np, KEY, slot, 3, real, n, p, return_attempts=True)
    assert np.all((x >= 0) & (x <= n))
    # each lane alone
    for i in range(0, n.size, 13):
        xi = binomial(np, KEY, slot[i : i + 1], 3, real[i : i + 1], n[i : i + 1], p[i : i + 1])
        assert xi[0] == x[i]
    # a permutation of the lanes permutes the results; the chunk size changes nothing
    perm = np.random.default_rng(5).permutation(n.size)
    xp_ = binomial(np, KEY, slot[perm], 3, real[perm], n[perm], p[perm], chunk=17)
    assert np.array_equal(xp_, x[perm])
    # step as a per-lane array equal to 3
    xs = binomial(np, KEY, slot, np.full(n.size, 3, dtype=np.uint64), real, n, p)
    assert np.array_equal(xs, x)
    # the dispatch equals the forced samplers on p' = min(p, 1 - p)
    pm = np.minimum(p, 1 - p)
    live = (n > 0) & (pm > 0)
    inv = live & (n * pm < BINV_MAX_MEAN)
    btr = live & ~inv
    xi = binomial_inversion(np, KEY, slot[inv], 3, real[inv], n[inv], pm[inv])
    xb = binomial_btrs(np, KEY, slot[btr], 3, real[btr], n[btr], pm[btr])
    y = np.where(p > 0.5, n - x, x)
    assert np.array_equal(y[inv], xi)
    assert np.array_equal(y[btr], xb)
    assert np.all(att[~live] == 0) and np.all(att[live] >= 1)


def test_trivial_lanes_are_exact():
    n = np.array([0, 0, 0, 7, 7, 10**15, 2**53, 2**53, 1], dtype=np.int64)
    p = np.array([0.0, 0.5, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    x, att = binomial(np, KEY, 0, 0, 0, n, p, return_attempts=True)
    assert x.tolist() == [0, 0, 0, 0, 7, 10**15, 2**53, 0, 1]
    assert np.all(att == 0)


def test_deterministic_and_streams_differ():
    slot, real, n, p = lanes(50_000, 10**6, 0.3, cell=9)
    a = binomial(np, KEY, slot, 4, real, n, p)
    assert np.array_equal(a, binomial(np, KEY, slot.copy(), 4, real.copy(), n, p))
    # sd = 458: two independent draws coincide with probability ~ 1 / (2 sqrt(pi) sd) = 6e-4
    others = [
        binomial(np, KEY, slot + np.uint64(1 << 8), 4, real, n, p),  # next event's range
        binomial(np, KEY, slot, 5, real, n, p),  # next step
        binomial(np, KEY, slot, 4, real + np.uint64(1), n, p),  # next realization
        binomial(np, KEY, slot, 4, real + np.uint64(1 << 32), n, p),  # high word
        binomial(np, rng.make_key(KEY[0], KEY[1] + 1), slot, 4, real, n, p),  # other point
    ]
    for b in others:
        assert np.mean(a == b) < 3e-3
    # small-mean lanes (inversion): equal with prob sum f(k)^2 = 0.2 for n p = 2
    slot, real, n, p = lanes(50_000, 200, 0.01, cell=9)
    a = binomial(np, KEY, slot, 4, real, n, p)
    b = binomial(np, KEY, slot, 4, real + np.uint64(1 << 32), n, p)
    assert np.mean(a == b) < 0.25


def test_scalar_and_shape_handling():
    x = binomial(np, KEY, rng.slot(1, 0), 0, 12, 1000, 0.3)
    assert x.shape == () and x.dtype == np.int64
    slot = np.full((3, 4), rng.slot(1, 0), dtype=np.uint64)
    real = np.arange(4, dtype=np.uint64)
    x2 = binomial(np, KEY, slot, 0, real, np.int64(1000), 0.3)
    assert x2.shape == (3, 4)
    assert np.array_equal(x2[0], x2[2])
    assert x2[0, 2] == binomial(np, KEY, rng.slot(1, 0), 0, 2, 1000, 0.3)


def test_input_validation():
    with pytest.raises(ValueError):
        binomial(np, KEY, 0, 0, 0, np.array([5]), np.array([1.5]))
    with pytest.raises(ValueError):
        binomial(np, KEY, 0, 0, 0, np.array([5]), np.array([np.nan]))
    with pytest.raises(ValueError):
        binomial(np, KEY, 0, 0, 0, np.array([-1]), np.array([0.5]))
    with pytest.raises(ValueError):
        binomial(np, KEY, 0, 0, 0, np.array([2**53 + 1]), np.array([0.5]))
    with pytest.raises(ValueError):
        binomial_btrs(np, KEY, 0, 0, 0, np.array([100]), np.array([0.6]))


def test_methods_are_reexported_by_the_dispatcher_module():
    """BINV and BTRS live in their own modules; every public name stays in ``binomial``."""
    from oncosweep.gpu_engine import binomial as dispatcher  # noqa: PLC0415
    from oncosweep.gpu_engine import binomial_btrs, binomial_inversion  # noqa: PLC0415

    for module in (binomial_btrs, binomial_inversion):
        for name in module.__all__:
            assert getattr(dispatcher, name) is getattr(module, name), name
    assert dispatcher._US_MIN == 1e-300


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 2**53),
    p=st.one_of(
        st.floats(0.0, 1.0),
        st.sampled_from([5e-324, 1e-300, 1e-16, 0.5, 1 - 2**-53, 1.0]),
    ),
    real=st.integers(0, 2**64 - 1),
)
def test_results_within_support(n, p, real):
    m = 64
    slot = np.full(m, rng.slot(2, rng.EVENT_BIRTH), dtype=np.uint64)
    reals = (np.uint64(real) + np.arange(m, dtype=np.uint64)) if real < 2**64 - m else real
    x = binomial(np, KEY, slot, 1, reals, np.full(m, n, np.int64), np.full(m, p))
    assert x.dtype == np.int64
    assert np.all(x >= 0) and np.all(x <= n)
    if n * min(p, 1 - p) > 1e6:  # far from the edges: near the mean
        assert np.all(np.abs(x - n * p) < 12 * math.sqrt(n * p * (1 - p)) + 1)


def test_batching_never_changes_values():
    # Large batches compress the inversion search and gather BTRS retries across chunks;
    # tiny chunks do neither. Both must give identical values.
    g = np.random.default_rng(8)
    m = 6000
    n = g.integers(1, 400, m)
    p = g.uniform(0.0, 1.0, m) * np.where(g.random(m) < 0.5, 0.06, 1.0)
    slot = np.full(m, rng.slot(5, rng.EVENT_DEATH), dtype=np.uint64)
    real = np.arange(m, dtype=np.uint64)
    a, att_a = binomial(np, KEY, slot, 2, real, n, p, return_attempts=True)
    b, att_b = binomial(np, KEY, slot, 2, real, n, p, return_attempts=True, chunk=97)
    assert np.array_equal(a, b) and np.array_equal(att_a, att_b)
    assert (att_a > 1).any()  # some BTRS retries happened


# --------------------------------------------------------------------------------------------
# Scalar reference: the algorithm as a kernel would run it, one lane at a time
# --------------------------------------------------------------------------------------------

_M32 = 0xFFFFFFFF


def _philox_ref(c0, c1, c2, c3, k0, k1):
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & _M32, (k1 + 0xBB67AE85) & _M32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _M32, (p0 >> 32) ^ c3 ^ k1, p0 & _M32
    return c0, c1, c2, c3


def _ref_uniforms(key, slot, step, real):
    w = _philox_ref(slot, step, real & _M32, real >> 32, *key)
    u0 = ((((w[0] >> 5) << 26) | (w[1] >> 6)) + 1) * 2.0**-53
    u1 = ((((w[2] >> 5) << 26) | (w[3] >> 6)) + 1) * 2.0**-53
    return u0, u1


def _ref_fc(x):
    if x < 10:
        return FC_TABLE[int(x)]
    z = x + 1.0
    z2 = z * z
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (z2 * 1260.0)) / z2) / z


def _ref_lr(k, m, n, p, q):
    return (
        (m + 0.5) * math.log1p((m - k) / (k + 1.0))
        + (n - m + 0.5) * math.log1p((k - m) / (n - k + 1.0))
        + (m - k) * math.log(((k + 1.0) * q) / ((n - k + 1.0) * p))
        + _ref_fc(m)
        - _ref_fc(k)
        + _ref_fc(n - m)
        - _ref_fc(n - k)
    )


def ref_binomial(key, slot_base, step, real, n, p):
    """One lane, literally as documented in docs/rng.md (math module, Python floats)."""
    if n == 0 or p == 0.0:
        return 0
    if p == 1.0:
        return n
    flip = p > 0.5
    p = 1.0 - p if flip else p
    q = 1.0 - p
    nf = float(n)
    x = None
    if nf * p < BINV_MAX_MEAN:
        s = p / q
        a = (nf + 1.0) * s
        r0 = math.exp(math.log1p(-p) * nf)
        np_ = nf * p
        bound = min(nf, math.floor(np_ + 15.0 * math.sqrt(np_ * q + 1.0)))
        for attempt in range(rng.MAX_ATTEMPTS):
            u, _ = _ref_uniforms(key, slot_base + attempt, step, real)
            r, k = r0, 0
            while u > r:
                u -= r
                k += 1
                r *= a / k - s
                if k > bound:
                    break
            if k <= bound:
                x = k
                break
    else:
        spq = math.sqrt(nf * p * q)
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * p
        c = nf * p + 0.5
        vr = 0.92 - 4.2 / b
        alpha = (2.83 + 5.1 / b) * spq
        m = math.floor((nf + 1.0) * p)
        for attempt in range(rng.MAX_ATTEMPTS):
            u0, v = _ref_uniforms(key, slot_base + attempt, step, real)
            u = u0 - 0.5
            us = 0.5 - abs(u)
            if us == 0.0:
                continue
            k = math.floor((2.0 * a / us + b) * u + c)
            if k < 0 or k > nf:
                continue
            if us >= 0.07 and v <= vr:
                x = k
                break
            lhs = math.log(v * alpha / (a / (us * us) + b))
            if lhs <= _ref_lr(float(k), float(m), nf, p, q):
                x = k
                break
    if x is None:
        x = math.floor((nf + 1.0) * p)
    return n - x if flip else x


def test_matches_scalar_reference_draw_for_draw():
    # The vectorised sampler equals the scalar algorithm lane by lane (a mismatch would need a
    # comparison to fall within one ulp of its threshold: probability ~1e-16 per decision).
    cases = [(50, 0.01), (1000, 0.0099), (1000, 0.0101), (20, 0.5), (10**12, 1e-12),
             (10**12, 3e-7), (1000, 0.999), (10**5, 0.99), (10**15, 0.3), (7, 0.2)]  # fmt: skip
    m = 300
    for j, (n, p) in enumerate(cases):
        slot, real, nn, pp = lanes(m, n, p, cell=10 + j, first=2**32 - 100)
        x = binomial(np, KEY, slot, 77, real, nn, pp)
        ref = [ref_binomial(KEY, int(slot[i]), 77, int(real[i]), n, p) for i in range(m)]
        assert x.tolist() == ref, (n, p)
