"""Philox4x32-10 counter-based generator on an array namespace ``xp`` (numpy or cupy).

Reference: J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel random numbers:
as easy as 1, 2, 3", Proc. SC'11 (2011), and its Random123 library (``philox4x32`` with
``R = 10`` rounds; known-answer vectors from Random123's ``kat_vectors``).

One block maps a 128-bit counter ``(c0, c1, c2, c3)`` and a 64-bit key ``(k0, k1)`` (all 32-bit
words) to four 32-bit words. A round is

    hi0, lo0 = mulhilo32(0xD2511F53, c0)
    hi1, lo1 = mulhilo32(0xCD9E8D57, c2)
    (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)

and the key is bumped by the Weyl constants ``(0x9E3779B9, 0xBB67AE85)`` (mod 2**32) between
rounds. All words are held in ``uint64`` arrays whose values stay below 2**32, so the 32 x 32-bit
product fits one 64-bit multiply: ``hi = prod >> 32``, ``lo = prod & 0xFFFFFFFF``. Only ufuncs
that numpy and cupy share are used (``multiply``, ``right_shift``, ``bitwise_and``,
``bitwise_xor`` with ``out=``), so the same code runs on either.

The addressing of blocks (which counter and key a draw uses) is fixed in
:mod:`oncosweep.gpu_engine.rng`; see ``docs/rng.md``.
"""

from __future__ import annotations

from typing import Any

PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85
PHILOX_ROUNDS = 10

MASK32 = 0xFFFFFFFF
TWO_M53 = 2.0**-53  # 1.1102230246251565e-16

__all__ = [
    "PHILOX_M0",
    "PHILOX_M1",
    "PHILOX_ROUNDS",
    "PHILOX_W0",
    "PHILOX_W1",
    "philox4x32_10",
    "uniform_pair",
    "words_to_uniform",
]


def _is_scalar(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def philox4x32_10(xp: Any, c0: Any, c1: Any, c2: Any, c3: Any, k0: Any, k1: Any) -> tuple:
    """Philox4x32-10 blocks for counters ``(c0, c1, c2, c3)`` under keys ``(k0, k1)``.

    Every argument is a Python int or an integer array of 32-bit values (``0 <= v < 2**32``;
    not checked); arrays broadcast together. Returns four ``uint64`` arrays (values < 2**32) of
    the broadcast shape, the output words ``(x0, x1, x2, x3)`` in Random123 order.

    Keys that are Python ints stay Python ints (their Weyl bumps cost nothing). Round 1 reads
    the inputs and allocates the four state words; every later round works in place with one
    scratch buffer: 2 multiplies + 8 shift/and/xor passes per round, 100 passes per block.
    """
    u64 = xp.uint64
    words = [xp.asarray(c, dtype=u64) for c in (c0, c1, c2, c3)]
    key_arrays = [xp.asarray(k, dtype=u64) for k in (k0, k1) if not _is_scalar(k)]
    shape = out_shape = xp.broadcast_arrays(*words, *key_arrays)[0].shape
    if not shape:  # all scalars: work on one lane (numpy ufuncs return scalars for 0-d)
        shape = (1,)
    ka: Any = int(k0) & MASK32 if _is_scalar(k0) else xp.asarray(k0, dtype=u64)
    kb: Any = int(k1) & MASK32 if _is_scalar(k1) else xp.asarray(k1, dtype=u64)
    # Round 1 reads the inputs and allocates the four owned full-shape state words (no copies);
    # rounds 2..10 then work in place with one scratch buffer.
    a = xp.multiply(xp.broadcast_to(words[0], shape), PHILOX_M0)  # M0 c0
    c = xp.multiply(xp.broadcast_to(words[2], shape), PHILOX_M1)  # M1 c2
    b = xp.right_shift(c, 32)
    b ^= words[1]
    b ^= ka  # new c0 = hi(M1 c2) ^ c1 ^ k0
    d = xp.right_shift(a, 32)
    d ^= words[3]
    d ^= kb  # new c2 = hi(M0 c0) ^ c3 ^ k1
    c &= MASK32  # new c1 = lo(M1 c2)
    a &= MASK32  # new c3 = lo(M0 c0)
    a, b, c, d = b, c, d, a
    t = xp.empty(shape, dtype=u64)
    for _ in range(1, PHILOX_ROUNDS):
        ka = (ka + PHILOX_W0) & MASK32  # Weyl key bumps (Python ints or fresh small arrays)
        kb = (kb + PHILOX_W1) & MASK32
        xp.multiply(a, PHILOX_M0, out=a)
        xp.multiply(c, PHILOX_M1, out=c)
        xp.right_shift(c, 32, out=t)
        b ^= t
        b ^= ka
        xp.right_shift(a, 32, out=t)
        d ^= t
        d ^= kb
        c &= MASK32
        a &= MASK32
        a, b, c, d = b, c, d, a
    if out_shape != shape:
        return (
            a.reshape(out_shape),
            b.reshape(out_shape),
            c.reshape(out_shape),
            d.reshape(out_shape),
        )
    return a, b, c, d


def words_to_uniform(xp: Any, hi: Any, lo: Any) -> Any:
    """Double in (0, 1] from two 32-bit words: ``x = ((hi >> 5) << 26) | (lo >> 6)`` is a
    53-bit integer in [0, 2**53 - 1] and ``u = (x + 1) * 2**-53``.

    ``u`` takes the 2**53 equally likely values ``j * 2**-53``, ``j = 1 .. 2**53``: never 0 (so
    ``log(u)`` is finite), exactly 1 with probability 2**-53. Consumes (overwrites) ``hi``
    and ``lo`` when they are ``uint64`` arrays owned by the caller (as philox outputs are).
    """
    hi >>= 5
    hi <<= 26
    lo >>= 6
    hi |= lo
    hi += 1
    u = hi.astype(xp.float64)
    u *= TWO_M53
    return u


def uniform_pair(xp: Any, key: Any, slot: Any, step: Any, realization: Any) -> tuple:
    """Two doubles in (0, 1] from the one Philox block addressed by the oncosweep contract.

    counter = (slot, step, realization & 0xFFFFFFFF, realization >> 32), key = (k0, k1) = key.
    ``slot`` and ``realization`` are ``uint64`` arrays or Python ints, ``step`` an int or
    array; they broadcast. ``u0`` is made from output words (x0, x1) and ``u1`` from (x2, x3)
    with :func:`words_to_uniform`; both lie in (0, 1] (multiples of 2**-53).
    """
    if _is_scalar(realization):
        r_lo: Any = int(realization) & MASK32
        r_hi: Any = int(realization) >> 32
    else:
        realization = xp.asarray(realization, dtype=xp.uint64)
        r_lo = realization & MASK32
        r_hi = realization >> 32
    k0, k1 = key
    w0, w1, w2, w3 = philox4x32_10(xp, slot, step, r_lo, r_hi, k0, k1)
    return words_to_uniform(xp, w0, w1), words_to_uniform(xp, w2, w3)
