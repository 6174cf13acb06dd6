"""The CUDA samplers (cuda/philox.cuh, cuda/binomial.cuh) built for the CPU agree with numpy.

The per-realization code of the fused CUDA kernel is ``__host__ __device__``; here it is built
with the host C++ compiler (``cuda_build.build_host_library``, no FMA contraction) and run
serially through ctypes (``tests/cuda/host_samplers.cu``, a harness outside the package),
then compared with the numpy reference
(``philox.py``, ``binomial.py``) on the same keys and counters:

* Philox words and uniforms: equal on 1e6 random blocks and the Random123 known answers;
* every floating-point piece that uses no transcendental function (BTRS and BINV constants,
  search bound, Stirling tail, BTRS trial candidates): bitwise equal to numpy's;
* the pieces that use log / log1p / exp: bitwise equal to a scalar Python transcription of the
  same operation order (Python's ``math`` calls the same glibc functions as the C++ build);
  numpy's own SIMD log1p / log / exp differ from glibc's by one ulp in ~0.3-10 % of calls,
  so against numpy these are only close;
* binomial draws: 1.15e6 lanes across the regimes (inversion n p < 1 and in [1, 10), BTRS
  from n = 20 to 1e15, Poisson-like n = 2**50, mirrored p > 0.5, p = 1/2, p in {0, 1}, n = 0,
  n = 2**53), plus 0.36e6 for the forced methods, small attempt budgets (exhaustion) and the
  benchmark kernel's loop, must be EQUAL to numpy's, with the attempt counts too.

Tolerance: none. A one-ulp difference in log / log1p / exp can flip a decision only when a
compared quantity lies within that ulp of its threshold. Measured while writing this test:
0 differing draws in 2.1e8 (random n up to 1e15, random p), and an estimated flip probability
below 2e-14 per BTRS exact test (the density of lhs - log f(k)/f(m) near 0 times the size of
the numpy/glibc difference there), so a mismatch here is a real bug, not rounding noise.
"""

from __future__ import annotations

import ctypes
import math
from pathlib import Path

import numpy as np
import pytest
from sampler_checks import contiguous, pointer
from test_philox import KAT  # Random123 kat_vectors, philox4x32 R=10 (one copy)

from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine.binomial import (
    BINV_MAX_MEAN,
    BINV_TAIL_SDS,
    BTRS_FAST_US,
    FC_TABLE,
    MAX_EXACT_N,
    binomial,
    binomial_btrs,
    binomial_inversion,
    btrs_accept,
    btrs_constants,
    inversion_bound,
    log_pmf_ratio,
    stirling_tail,
)
from oncosweep.gpu_engine.philox import philox4x32_10, uniform_pair, words_to_uniform

HARNESS = Path(__file__).parent / "cuda" / "host_samplers.cu"
"""The test harness: ctypes entry points over the package's sampler headers."""

pytestmark = pytest.mark.skipif(
    cuda_build.host_compiler() is None,
    reason="no host C++ compiler (g++ / c++ / clang++ on PATH, or ONCOSWEEP_CXX) to build "
    "the CUDA samplers for the CPU",
)

KEY = rng.make_key(20240607, 11)
M32 = 0xFFFFFFFF
AUTO, INVERSION, BTRS = -1, 0, 1


# --------------------------------------------------------------------------------------------
# The host library and thin wrappers
# --------------------------------------------------------------------------------------------


class Host:
    """ctypes wrappers over tests/cuda/host_samplers.cu; inputs become contiguous arrays."""

    def __init__(self) -> None:
        self.lib = cuda_build.build_host_library(str(HARNESS))

    _arr = staticmethod(contiguous)
    _p = staticmethod(pointer)

    def philox(self, c0, c1, c2, c3, k0, k1):
        size = np.broadcast_shapes(*(np.shape(v) for v in (c0, c1, c2, c3, k0, k1)))[0]
        ins = [self._arr(v, np.uint32, size) for v in (c0, c1, c2, c3, k0, k1)]
        out = np.empty((size, 4), dtype=np.uint32)
        self.lib.os_host_philox(ctypes.c_int64(size), *map(self._p, ins), self._p(out))
        return out

    def words_to_uniform(self, hi, lo):
        hi, lo = self._arr(hi, np.uint32), self._arr(lo, np.uint32)
        out = np.empty(hi.size)
        self.lib.os_host_words_to_uniform(ctypes.c_int64(hi.size), self._p(hi), self._p(lo),
                                          self._p(out))  # fmt: skip
        return out

    def uniform_pair(self, key, slot, step, real):
        size = real.size
        s, t, r = (self._arr(slot, np.uint32, size), self._arr(step, np.uint32, size),
                   self._arr(real, np.uint64, size))  # fmt: skip
        u0, u1 = np.empty(size), np.empty(size)
        self.lib.os_host_uniform_pair(ctypes.c_int64(size), ctypes.c_uint32(key[0]),
                                      ctypes.c_uint32(key[1]), self._p(s), self._p(t),
                                      self._p(r), self._p(u0), self._p(u1))  # fmt: skip
        return u0, u1

    def binomial(self, key, slot, step, real, n, p, *, method=AUTO, max_attempts=256):
        """(values, attempts) of os_binomial_ex."""
        size = np.size(n)
        ins = [self._arr(slot, np.uint32, size), self._arr(step, np.uint32, size),
               self._arr(real, np.uint64, size), self._arr(n, np.int64, size),
               self._arr(p, np.float64, size)]  # fmt: skip
        out = np.empty(size, dtype=np.int64)
        att = np.empty(size, dtype=np.int32)
        self.lib.os_host_binomial_ex(ctypes.c_int64(size), ctypes.c_uint32(key[0]),
                                     ctypes.c_uint32(key[1]), *map(self._p, ins),
                                     ctypes.c_int32(method), ctypes.c_int32(max_attempts),
                                     self._p(out), self._p(att))  # fmt: skip
        return out, att.astype(np.int64)

    def entry(self, name, key, slot, step, real, n, p):
        """os_host_binomial / _inversion / _btrs (the public one-lane entry points)."""
        size = np.size(n)
        ins = [self._arr(slot, np.uint32, size), self._arr(step, np.uint32, size),
               self._arr(real, np.uint64, size), self._arr(n, np.int64, size),
               self._arr(p, np.float64, size)]  # fmt: skip
        out = np.empty(size, dtype=np.int64)
        getattr(self.lib, name)(ctypes.c_int64(size), ctypes.c_uint32(key[0]),
                                ctypes.c_uint32(key[1]), *map(self._p, ins), self._p(out))
        return out

    def elementwise(self, name, width, *args, out_dtype=np.float64):
        ins = [self._arr(a, np.float64) for a in args]
        size = ins[0].size
        out = np.empty((size, width) if width > 1 else size, dtype=out_dtype)
        getattr(self.lib, name)(ctypes.c_int64(size), *map(self._p, ins), self._p(out))
        return out

    def constants(self):
        out = np.empty(17)
        self.lib.os_host_constants(self._p(out))
        return out


@pytest.fixture(scope="module")
def host() -> Host:
    return Host()


def counters(g: np.random.Generator, m: int):
    """Random attempt-0 slots (low 8 bits zero), steps and 64-bit realizations."""
    slot = g.integers(0, 1 << 24, m, dtype=np.uint64) << np.uint64(8)
    step = g.integers(0, 1 << 32, m, dtype=np.uint64)
    real = g.integers(0, 1 << 64, m, dtype=np.uint64, endpoint=False)
    return slot, step, real


def assert_equal_draws(got, want, n, p, label):
    bad = np.nonzero(got != want)[0]
    assert bad.size == 0, (
        f"{label}: {bad.size} of {got.size} draws differ, e.g. "
        + "; ".join(f"n={int(n[i])} p={float(p[i])!r}: host {int(got[i])} numpy "
                    f"{int(want[i])}" for i in bad[:5])  # fmt: skip
    )


# --------------------------------------------------------------------------------------------
# Constants, Philox, uniforms
# --------------------------------------------------------------------------------------------


def test_constants_match_python(host):
    c = host.constants()
    assert c[0] == rng.MAX_ATTEMPTS
    assert c[1] == BINV_MAX_MEAN and c[2] == BINV_TAIL_SDS and c[3] == BTRS_FAST_US
    assert c[4] == 1e-300  # binomial._US_MIN
    assert c[5] == MAX_EXACT_N and c[6] == rng.ATTEMPT_BITS
    assert c[7:].tolist() == list(FC_TABLE)  # the literal digits, bit for bit


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_philox_known_answers(host, ctr, key, expected):
    out = host.philox(*([v] for v in ctr), [key[0]], [key[1]])
    assert tuple(int(w) for w in out[0]) == expected


def test_philox_million_random_blocks(host):
    g = np.random.default_rng(2024)
    words = g.integers(0, 1 << 32, size=(6, 1_000_000), dtype=np.uint64)
    words[:, :4] = [0, M32, 0x80000000, 1]  # edge words (all six) in the first lanes
    want = np.stack(philox4x32_10(np, *words), axis=1)
    got = host.philox(*words)
    assert np.array_equal(got.astype(np.uint64), want)


def test_uniforms_equal_numpy(host):
    g = np.random.default_rng(7)
    hi = g.integers(0, 1 << 32, 200_000, dtype=np.uint64)
    lo = g.integers(0, 1 << 32, 200_000, dtype=np.uint64)
    hi[:3], lo[:3] = [0, M32, 0], [0, M32, 63]  # u = 2**-53, 1, 2**-53
    got = host.words_to_uniform(hi, lo)
    want = words_to_uniform(np, hi.copy(), lo.copy())
    assert np.array_equal(got, want)
    assert got[0] == 2.0**-53 and got[1] == 1.0 and got[2] == 2.0**-53
    # the addressed pairs, realizations across the 32-bit boundary
    slot, step, real = counters(g, 300_000)
    real[:4] = [0, M32, 1 << 32, (1 << 64) - 1]
    u0, u1 = host.uniform_pair(KEY, slot, step, real)
    v0, v1 = uniform_pair(np, KEY, slot, step, real)
    assert np.array_equal(u0, v0) and np.array_equal(u1, v1)


# --------------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------------


def _ref_fc(x: float) -> float:
    if x < 10:
        return FC_TABLE[int(x)]
    z = x + 1.0
    z2 = z * z
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (z2 * 1260.0)) / z2) / z


def _ref_log_ratio(k: float, m: float, n: float, p: float, q: float) -> float:
    """binomial.log_pmf_ratio's operation order with Python floats and glibc's log/log1p."""
    return (
        (m + 0.5) * math.log1p((m - k) / (k + 1.0))
        + (n - m + 0.5) * math.log1p((k - m) / (n - k + 1.0))
        + (m - k) * math.log(((k + 1.0) * q) / ((n - k + 1.0) * p))
        + _ref_fc(m)
        - _ref_fc(k)
        + _ref_fc(n - m)
        - _ref_fc(n - k)
    )


def test_transcendental_free_pieces_bitwise(host):
    g = np.random.default_rng(11)
    # Stirling tail: the table, the switch-over and the series up to 2**53
    x = np.concatenate([np.arange(0.0, 200.0), np.floor(10 ** g.uniform(0, 15.9, 50_000))])
    assert np.array_equal(host.elementwise("os_host_stirling_tail", 1, x), stirling_tail(np, x))
    # BTRS constants over n p >= 10, p <= 1/2
    n = np.floor(10 ** g.uniform(1.4, 15, 100_000))
    p = np.minimum(0.5, 10 ** g.uniform(np.log10(10 / n), np.log10(0.5)))
    got = host.elementwise("os_host_btrs_constants", 8, n, p)
    c = btrs_constants(np, n, p)
    for j, name in enumerate(("a", "a2", "b", "c", "vr", "alpha")):
        assert np.array_equal(got[:, j], c[name]), name
    assert np.array_equal(got[:, 6], np.floor((n + 1.0) * p))
    assert np.array_equal(got[:, 7], 1.0 - p)
    # BINV bound over n p < 10
    n = np.floor(10 ** g.uniform(0, 15, 100_000))
    p = np.minimum(0.5, g.uniform(0, 10, n.size) / n)
    got = host.elementwise("os_host_inversion_bound", 1, n, p)
    assert np.array_equal(got, inversion_bound(np, n, p))
    # BINV set-up: s, a and the bound exactly; r0 = exp(n log1p(-p)) against glibc
    got = host.elementwise("os_host_inversion_constants", 4, n, p)
    s = p / (1.0 - p)
    assert np.array_equal(got[:, 0], s) and np.array_equal(got[:, 1], (n + 1.0) * s)
    r0 = np.array([math.exp(math.log1p(-pp) * nn) for nn, pp in zip(n, p, strict=True)])
    assert np.array_equal(got[:, 2], r0)
    assert np.array_equal(got[:, 3], inversion_bound(np, n, p))


def test_log_pmf_ratio_bitwise_against_scalar_order(host):
    # Bitwise against the scalar transcription (glibc's log/log1p, like the C++ build), and
    # within |m - k| * 1e-15 + 1e-12 of numpy's (whose SIMD log1p/log may differ by an ulp).
    g = np.random.default_rng(12)
    rows = []
    for n in (20, 100, 10**3, 10**6, 10**9, 10**12, 10**15, 2**50):
        for p in (10 / n if n > 20 else 0.5, 1e-3, 0.3, 0.5):
            if p > 0.5 or n * p < 10:
                continue
            m = math.floor((n + 1) * p)
            sd = math.sqrt(n * p * (1 - p))
            k = np.clip(np.round(m + g.normal(0, 3, 2_000) * sd), 0, n)
            rows.append(np.stack([k, np.full(k.size, m), np.full(k.size, n), np.full(k.size, p)]))
    k, m, n, p = np.concatenate(rows, axis=1).astype(np.float64)
    q = 1.0 - p
    got = host.elementwise("os_host_log_pmf_ratio", 1, k, m, n, p, q)
    ref = np.array([_ref_log_ratio(*v) for v in zip(k, m, n, p, q, strict=True)])
    assert np.array_equal(got, ref)
    want = log_pmf_ratio(np, k, m, n, p, q)
    assert np.all(np.abs(got - want) <= np.abs(m - k) * 1e-15 + 1e-12)


def test_btrs_trial_equals_numpy(host):
    # candidates and decisions equal numpy's; the two logarithms of the exact test equal the
    # scalar transcription of numpy's operation order bit for bit
    g = np.random.default_rng(13)
    size = 200_000
    n = np.floor(10 ** g.uniform(1.4, 15, size))
    p = np.minimum(0.5, 10 ** g.uniform(np.log10(10 / n), np.log10(0.5)))
    u0 = (g.integers(0, 1 << 53, size) + 1) * 2.0**-53
    u1 = (g.integers(0, 1 << 53, size) + 1) * 2.0**-53
    u0[:3] = [1.0, 0.5, 2.0**-53]  # us == 0 (rejected), U = 0, U = -1/2 + tiny
    k = np.empty(size)
    acc = np.empty(size, dtype=np.uint8)
    logs = np.empty((size, 2))
    ins = [np.ascontiguousarray(v) for v in (u0, u1, n, p)]
    host.lib.os_host_btrs_accept(ctypes.c_int64(size), *map(Host._p, ins), Host._p(k),
                                 Host._p(acc), Host._p(logs))  # fmt: skip
    c = btrs_constants(np, n, p)
    want_k, want_acc = btrs_accept(np, u0.copy(), u1, n, p, c)
    assert np.array_equal(k, want_k)
    assert np.array_equal(acc.astype(bool), want_acc)
    assert not acc[0] and 0.5 < acc.mean() < 0.95
    us = np.maximum(0.5 - np.abs(u0 - 0.5), 1e-300)
    slow = (k >= 0) & (k <= n) & ~((us >= BTRS_FAST_US) & (u1 <= c["vr"]))
    assert np.array_equal(~np.isnan(logs[:, 0]), slow) and 0.1 < slow.mean() < 0.5
    for i in np.nonzero(slow)[0][:30_000]:
        lhs = math.log(u1[i] * c["alpha"][i] / (c["a"][i] / (us[i] * us[i]) + c["b"][i]))
        m = math.floor((n[i] + 1.0) * p[i])
        rhs = _ref_log_ratio(k[i], float(m), n[i], p[i], 1.0 - p[i])
        assert (logs[i, 0], logs[i, 1]) == (lhs, rhs), i


def test_inversion_search_equals_numpy(host):
    # forced BINV with one attempt: x and the bound decision equal numpy's; the final (u, r)
    # equal the scalar transcription of the vectorised loop bit for bit
    g = np.random.default_rng(14)
    size = 200_000
    n = np.floor(10 ** g.uniform(0, 12, size))
    p = np.minimum(0.5, g.uniform(0, 12, size) / n)  # n p up to 12: beyond the switch too
    slot, step, real = counters(g, size)
    u, _ = uniform_pair(np, KEY, slot, step, real)
    x = np.empty(size, dtype=np.int64)
    ok = np.empty(size, dtype=np.uint8)
    state = np.empty((size, 2))
    ins = [np.ascontiguousarray(v) for v in (u, n, p)]
    host.lib.os_host_inversion_search(ctypes.c_int64(size), *map(Host._p, ins), Host._p(x),
                                      Host._p(ok), Host._p(state))  # fmt: skip
    want, att = binomial_inversion(np, KEY, slot, step, real, n.astype(np.int64), p,
                                   return_attempts=True, max_attempts=1)  # fmt: skip
    live = (n > 0) & (p > 0)
    assert np.array_equal(ok[live].astype(bool), att[live] == 1)
    assert np.array_equal(x[live & (att == 1)], want[live & (att == 1)])
    for i in range(20_000):
        nn, pp, uu = float(n[i]), float(p[i]), float(u[i])
        s = pp / (1.0 - pp)
        a = (nn + 1.0) * s
        r = math.exp(math.log1p(-pp) * nn)
        bound = float(inversion_bound(np, n[i : i + 1], p[i : i + 1])[0])
        j = 0
        while uu > r:
            j += 1
            uu -= r
            r *= a / j - s
            if bound < j:
                break
        assert (int(x[i]), float(state[i, 0]), float(state[i, 1])) == (j, uu, r), i


# --------------------------------------------------------------------------------------------
# Draws
# --------------------------------------------------------------------------------------------


def _regime(name: str, g: np.random.Generator, m: int):
    """(n int64, p float64) arrays of one regime."""
    u = g.uniform(0, 1, m)
    if name == "inversion np<1":
        n = g.integers(1, 10**9, m)
        return n, np.minimum(0.5, u / n)
    if name == "inversion np in [1,10)":
        n = g.integers(2, 10**7, m)
        return n, np.minimum(0.5, g.uniform(1, 10, m) / n)
    if name == "btrs n~1000":
        return np.full(m, 1000), g.uniform(0.01, 0.5, m)
    if name == "btrs n=10^U(3,9)":
        n = np.floor(10 ** g.uniform(3, 9, m)).astype(np.int64)
        return n, u
    if name == "n=1e12":
        return np.full(m, 10**12), 10 ** g.uniform(-12, 0, m)
    if name == "n=1e15":
        return np.full(m, 10**15), 10 ** g.uniform(-15, 0, m)
    if name == "n=2**50 Poisson-like":  # monitoring.py: Bin(2**50, mean / 2**50)
        return np.full(m, 2**50), 10 ** g.uniform(-3, 3, m) / 2**50
    if name == "mirrored p>0.5":
        n = np.floor(10 ** g.uniform(0, 12, m)).astype(np.int64)
        return n, 1.0 - 10 ** g.uniform(-13, np.log10(0.5), m)
    if name == "p=0.5":
        return g.integers(1, 10**12, m), np.full(m, 0.5)
    if name == "edges":  # n p' at the switch, smallest n, p in {0, 1}, n = 0, n = 2**53
        n = g.choice(np.array([0, 1, 2, 19, 20, 21, 1000, 10**15, 2**53], dtype=np.int64), m)
        pick = np.array([0.0, 1.0, 0.5, 0.01, 0.99, 10 / 1000, 1 - 10 / 1000, 5e-324,
                         1 - 2**-53, 2**-53])  # fmt: skip
        return n, g.choice(pick, m)
    raise AssertionError(name)


REGIMES = {
    "inversion np<1": 150_000,
    "inversion np in [1,10)": 150_000,
    "btrs n~1000": 100_000,
    "btrs n=10^U(3,9)": 150_000,
    "n=1e12": 100_000,
    "n=1e15": 150_000,
    "n=2**50 Poisson-like": 150_000,
    "mirrored p>0.5": 100_000,
    "p=0.5": 50_000,
    "edges": 50_000,
}  # 1.15e6 draws, plus the forced and exhaustion tests below


@pytest.mark.parametrize("name", list(REGIMES))
def test_binomial_draw_for_draw(host, name):
    g = np.random.default_rng(list(REGIMES).index(name))
    m = REGIMES[name]
    n, p = _regime(name, g, m)
    slot, step, real = counters(g, m)
    want, want_att = binomial(np, KEY, slot, step, real, n, p, return_attempts=True)
    got, att = host.binomial(KEY, slot, step, real, n, p)
    assert_equal_draws(got, want, n, p, name)
    assert np.array_equal(att, want_att)
    # the public entry point os_binomial is the same function
    assert np.array_equal(host.entry("os_host_binomial", KEY, slot, step, real, n, p), want)
    if name == "edges":
        trivial = (n == 0) | (p == 0.0) | (p == 1.0)
        assert np.all(att[trivial] == 0)
        assert np.array_equal(got[trivial], np.where(p[trivial] == 1.0, n[trivial], 0))


def test_forced_methods_draw_for_draw(host):
    g = np.random.default_rng(99)
    m = 60_000
    # BINV: n p up to 30 (beyond the dispatch switch), BTRS: n p from 10 (its lower edge)
    n = g.integers(1, 10**6, m)
    p = np.minimum(0.5, g.uniform(0, 30, m) / n)
    p[:100] = 0.0
    slot, step, real = counters(g, m)
    want = binomial_inversion(np, KEY, slot, step, real, n, p)
    got = host.entry("os_host_binomial_inversion", KEY, slot, step, real, n, p)
    assert_equal_draws(got, want, n, p, "forced inversion")
    n = np.floor(10 ** g.uniform(1.4, 15, m)).astype(np.int64)
    p = np.minimum(0.5, 10 ** g.uniform(np.log10(10 / n), np.log10(0.5)))
    want = binomial_btrs(np, KEY, slot, step, real, n, p)
    got = host.entry("os_host_binomial_btrs", KEY, slot, step, real, n, p)
    assert_equal_draws(got, want, n, p, "forced BTRS")


@pytest.mark.parametrize("budget", [1, 2, 5])
def test_attempt_budget_and_exhaustion(host, budget):
    # Small budgets exhaust ~13 % (1), ~2 % (2), ... of the BTRS lanes, which then return the
    # mode (mirrored); numpy evaluates retries speculatively, the kernel one attempt at a time:
    # same first accepted attempt, same value, same count.
    g = np.random.default_rng(budget)
    m = 40_000
    n = np.floor(10 ** g.uniform(1.4, 12, m)).astype(np.int64)
    p = g.uniform(0, 1, m)
    p = np.where(n * np.minimum(p, 1 - p) < 10, 0.5, p)  # keep every lane on BTRS
    slot, step, real = counters(g, m)
    want, want_att = binomial(np, KEY, slot, step, real, n, p, return_attempts=True,
                              max_attempts=budget)  # fmt: skip
    got, att = host.binomial(KEY, slot, step, real, n, p, max_attempts=budget)
    assert_equal_draws(got, want, n, p, f"budget {budget}")
    assert np.array_equal(att, want_att)
    assert np.any(att == budget + 1)  # the exhaustion path ran


def test_sampler_floor_checksum(host):
    # The benchmark kernel's per-thread loop (sampler_floor.cu), run on the CPU: its checksum is
    # the sum of numpy's draws at the same addresses (draw d of thread t reads slot d << 8,
    # step d >> 24, realization t, with (n, p) = pool[(t + d) mod pool size]).
    g = np.random.default_rng(5)
    threads, draws = 3000, 40
    pool_n = np.array([0, 7, 50, 1000, 10**6, 10**12, 10**15, 2**50, 25, 10**9], dtype=np.int64)
    pool_p = np.array([0.3, 1.0, 0.01, 0.3, 0.999, 3e-7, 0.5, 5 / 2**50, 0.38, g.uniform()])
    t = np.repeat(np.arange(threads, dtype=np.uint64), draws)
    d = np.tile(np.arange(draws, dtype=np.uint64), threads)
    j = (t + d) % np.uint64(pool_n.size)
    want = binomial(np, KEY, d << np.uint64(8), d >> np.uint64(24), t, pool_n[j], pool_p[j])
    host.lib.os_host_sampler_floor.restype = ctypes.c_ulonglong
    got = host.lib.os_host_sampler_floor(
        ctypes.c_uint32(KEY[0]), ctypes.c_uint32(KEY[1]), ctypes.c_int64(threads),
        ctypes.c_int64(draws), Host._p(pool_n), Host._p(pool_p), ctypes.c_int64(pool_n.size))
    assert got == int(want.astype(np.uint64).sum(dtype=np.uint64))
