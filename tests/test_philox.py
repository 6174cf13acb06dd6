"""Philox4x32-10 and the uniform conversion: known answers, broadcasting, uniformity.

Statistical tests use fixed keys and counters, so they are deterministic; their p-value floor
is 1e-4 (a correct generator fails one such test with probability 1e-4 per seed choice).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.philox import (
    PHILOX_M0,
    PHILOX_M1,
    PHILOX_W0,
    PHILOX_W1,
    philox4x32_10,
    uniform_pair,
    words_to_uniform,
)

P_FLOOR = 1e-4
M32 = 0xFFFFFFFF

# Random123 kat_vectors, philox4x32 R=10: counter[4] key[2] -> out[4]
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]  # fmt: skip


def philox_ref(ctr: tuple[int, ...], key: tuple[int, int]) -> tuple[int, ...]:
    """Scalar pure-Python Philox4x32-10 (Salmon et al. 2011), independent of the array code."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + PHILOX_W0) & M32, (k1 + PHILOX_W1) & M32
        p0, p1 = PHILOX_M0 * c0, PHILOX_M1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
    return c0, c1, c2, c3


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_known_answers(ctr, key, expected):
    assert philox_ref(ctr, key) == expected
    out = philox4x32_10(np, *ctr, *key)
    assert all(w.dtype == np.uint64 for w in out)
    assert tuple(int(w) for w in out) == expected
    # same block with every word given as an array, keys too
    arrs = [np.array([v, v], dtype=np.uint64) for v in (*ctr, *key)]
    out = philox4x32_10(np, *arrs)
    for w, e in zip(out, expected, strict=True):
        assert w.shape == (2,)
        assert np.all(w == e)


def test_matches_scalar_reference_on_random_blocks():
    g = np.random.default_rng(12345)
    words = g.integers(0, 2**32, size=(6, 200), dtype=np.uint64)
    out = philox4x32_10(np, *words)
    for j in range(200):
        ref = philox_ref(tuple(int(v) for v in words[:4, j]), (int(words[4, j]), int(words[5, j])))
        assert tuple(int(w[j]) for w in out) == ref


def test_broadcasting_equals_scalar_calls():
    c0 = np.arange(7, dtype=np.uint64)[:, None] * 1000003  # (7, 1)
    c2 = np.arange(5, dtype=np.uint64)[None, :] + 2**31  # (1, 5)
    out = philox4x32_10(np, c0, 11, c2, 3, 0xDEADBEEF, 42)
    assert all(w.shape == (7, 5) and w.max() < 2**32 for w in out)
    for i in range(7):
        for j in range(5):
            ref = philox4x32_10(np, int(c0[i, 0]), 11, int(c2[0, j]), 3, 0xDEADBEEF, 42)
            assert tuple(int(w[i, j]) for w in out) == tuple(int(v) for v in ref)
    # the inputs are not modified
    assert c0[3, 0] == 3 * 1000003


def test_words_to_uniform_extremes():
    lo = words_to_uniform(np, np.array([0], np.uint64), np.array([0], np.uint64))
    hi = words_to_uniform(np, np.array([M32], np.uint64), np.array([M32], np.uint64))
    assert lo[0] == 2.0**-53
    assert hi[0] == 1.0
    # the 53 bits: 27 from the first word, 26 from the second
    x = words_to_uniform(np, np.array([1 << 5], np.uint64), np.array([1 << 6], np.uint64))
    assert x[0] == ((1 << 26) + 1 + 1) * 2.0**-53


def test_uniform_pair_addressing():
    key = rng.make_key(7, 3)
    slot = np.array([rng.slot(2, rng.EVENT_DEATH, 5)] * 3, dtype=np.uint64)
    real = np.array([0, 2**32 + 5, 2**64 - 1], dtype=np.uint64)
    u0, u1 = uniform_pair(np, key, slot, 9, real)
    for j in range(3):
        r = int(real[j])
        w = philox_ref((int(slot[j]), 9, r & M32, r >> 32), key)
        x0 = ((w[0] >> 5) << 26) | (w[1] >> 6)
        x1 = ((w[2] >> 5) << 26) | (w[3] >> 6)
        assert u0[j] == (x0 + 1) * 2.0**-53
        assert u1[j] == (x1 + 1) * 2.0**-53
    # Python ints work too and agree
    s0, s1 = uniform_pair(np, key, int(slot[1]), 9, int(real[1]))
    assert float(s0) == u0[1] and float(s1) == u1[1]
    # step as an array
    t0, _ = uniform_pair(np, key, slot, np.array([9, 9, 9], dtype=np.uint64), real)
    assert np.array_equal(t0, u0)


@pytest.fixture(scope="module")
def million():
    key = rng.make_key(2024, 1)
    real = np.arange(1_000_000, dtype=np.uint64)
    return uniform_pair(np, key, rng.slot(0, rng.EVENT_BIRTH), 0, real)


def test_uniform_range(million):
    for u in million:
        assert u.dtype == np.float64
        assert u.min() > 0.0
        assert u.max() <= 1.0


def test_uniform_chi_square(million):
    for u in million:
        counts = np.bincount(np.minimum((u * 100).astype(np.int64), 99), minlength=100)
        res = stats.chisquare(counts)  # expected 1e4 per bin
        assert res.pvalue > P_FLOOR, res


def test_neighbouring_counters_uncorrelated(million):
    # u0 at counter c and c + 1 (adjacent realizations), and u0 against u1 of one block:
    # |corr| within 5 standard errors, SE = 1/sqrt(N) for independent uniforms.
    u0, u1 = million
    se = 1.0 / np.sqrt(u0.size - 1)
    assert abs(np.corrcoef(u0[:-1], u0[1:])[0, 1]) < 5 * se
    assert abs(np.corrcoef(u0, u1)[0, 1]) < 5 * se
    # adjacent slots (attempt a and a + 1) for the same realizations
    key = rng.make_key(2024, 1)
    real = np.arange(200_000, dtype=np.uint64)
    a0, _ = uniform_pair(np, key, rng.slot(0, rng.EVENT_BIRTH, 0), 0, real)
    a1, _ = uniform_pair(np, key, rng.slot(0, rng.EVENT_BIRTH, 1), 0, real)
    assert abs(np.corrcoef(a0, a1)[0, 1]) < 5 / np.sqrt(real.size - 1)
    # adjacent steps
    b1, _ = uniform_pair(np, key, rng.slot(0, rng.EVENT_BIRTH, 0), 1, real)
    assert abs(np.corrcoef(a0, b1)[0, 1]) < 5 / np.sqrt(real.size - 1)
