"""Kendall's transition law of a linear birth–death process (gpu_engine/kendall.py and its
CUDA twin cuda/kendall.cuh): closed forms, moments, the semigroup property that defines the
time-varying law, and the numpy and host-built C++ copies giving the same doubles."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest

from oncosweep.gpu_engine import cuda_build, kendall

HARNESS = Path(__file__).parent / "cuda" / "host_kendall.cu"
RATES = [(1.0, 0.0), (1.0, 0.9), (0.9, 1.0), (0.5, 0.5), (2.0, 1e-9), (1e-9, 2.0),
         (0.25, 0.675), (1.0, 1.0 + 1e-12), (0.0, 0.3), (3.0, 0.2)]


def _closed(birth: float, death: float, t: float) -> tuple[float, float]:
    """alpha, beta of Kendall's law in the textbook form (constant rates, birth != death)."""
    e = np.exp((birth - death) * t)
    return death * (e - 1) / (birth * e - death), birth * (e - 1) / (birth * e - death)


@pytest.mark.parametrize(("birth", "death"), RATES)
@pytest.mark.parametrize("t", [0.01, 0.5, 1.0, 7.0])
def test_constant_rates_match_the_textbook_form_and_the_moments(birth: float, death: float,
                                                                t: float) -> None:
    alpha, beta, odds = kendall.constant_rates(np, np.float64(birth), np.float64(death), t)
    assert 0.0 <= alpha <= 1.0 and 0.0 <= beta < 1.0
    assert odds == pytest.approx(beta / (1 - beta), rel=1e-6)
    rho = birth - death
    if abs(rho * t) > 1e-6:  # the textbook form cancels near rho = 0
        a, b = _closed(birth, death, t)
        assert alpha == pytest.approx(a, rel=1e-12, abs=1e-300)
        assert beta == pytest.approx(b, rel=1e-12, abs=1e-300)
    # mean exp(rho t) and variance (b + d)/(b - d) e^{rho t}(e^{rho t} - 1) (or 2 b t at b = d)
    mean = kendall.mean_cells(np, alpha, odds)
    assert mean == pytest.approx(np.exp(rho * t), rel=1e-13)
    # E[K^2] of the geometric K >= 1 of a surviving line: (1 + beta) / (1 - beta)^2
    second = (1 - alpha) * (1 + odds) * (1 + 2 * odds)
    variance = second - mean**2
    expected = (2 * birth * t if rho == 0 else
                (birth + death) / rho * np.exp(rho * t) * np.expm1(rho * t))
    assert variance == pytest.approx(expected, rel=1e-8, abs=1e-15)


def test_equal_rates_are_the_limit_of_unequal_ones() -> None:
    t = 0.5
    flat = kendall.constant_rates(np, np.float64(0.7), np.float64(0.7), t)
    near = kendall.constant_rates(np, np.float64(0.7), np.float64(0.7 - 1e-13), t)
    assert flat[2] == pytest.approx(0.7 * t, rel=1e-15)
    assert flat[0] == pytest.approx(0.7 * t / (1 + 0.7 * t), rel=1e-15)
    np.testing.assert_allclose(near, flat, rtol=1e-12)


@pytest.mark.parametrize(("birth", "death"), [(1.0, 0.5), (0.5, 1.0)])
def test_long_run_extinction_is_death_over_birth_or_one(birth: float, death: float) -> None:
    alpha, _, _ = kendall.constant_rates(np, np.float64(birth), np.float64(death), 200.0)
    assert alpha == pytest.approx(min(1.0, death / birth), rel=1e-12)


def _pgf(alpha: float, beta: float, s: np.ndarray) -> np.ndarray:
    return alpha + (1 - alpha) * (1 - beta) * s / (1 - beta * s)


@pytest.mark.parametrize("pieces", [[(1.0, 0.9, 0.3), (0.2, 1.5, 0.2)],
                                    [(0.4, 0.1, 0.25), (0.4, 2.0, 0.1), (1.2, 0.3, 0.15)]])
def test_integrated_law_is_the_composition_of_its_pieces(pieces) -> None:
    """A step with piecewise-constant rates: the law from the integrals R and I equals the
    composition of the pieces' laws (the branching property), pgf by pgf."""
    s = np.linspace(0.0, 0.99, 12)
    composite = s.copy()
    for birth, death, t in reversed(pieces):
        alpha, beta, _ = kendall.constant_rates(np, np.float64(birth), np.float64(death), t)
        composite = _pgf(alpha, beta, composite)
    net, weighted = 0.0, 0.0
    for birth, death, t in pieces:
        g = float(kendall.step_growth(np, np.float64(birth), np.float64(death), t))
        # int over the piece of birth exp(-R(s)) = exp(-R0) birth g exp(-rho t)
        weighted += np.exp(-net) * birth * g * np.exp(-(birth - death) * t)
        net += (birth - death) * t
    alpha, beta, odds = kendall.integrated_rates(np, np.float64(net), np.float64(weighted))
    np.testing.assert_allclose(_pgf(alpha, beta, s), composite, rtol=1e-12)
    assert kendall.mean_cells(np, alpha, odds) == pytest.approx(np.exp(net), rel=1e-12)


@pytest.mark.skipif(cuda_build.host_compiler() is None, reason="no host C++ compiler")
def test_numpy_and_the_host_built_cuda_source_give_the_same_doubles() -> None:
    lib = cuda_build.build_host_library(str(HARNESS))
    rng = np.random.default_rng(14)
    birth = np.concatenate([rng.uniform(0, 3, 4000), rng.uniform(0, 1e-6, 500),
                            np.array([r[0] for r in RATES])])
    death = np.concatenate([rng.uniform(0, 3, 4000), rng.uniform(0, 1e-6, 500),
                            np.array([r[1] for r in RATES])])
    death[:300] = birth[:300]  # equal rates take the dt branch
    count = birth.size
    out = [np.empty(count) for _ in range(6)]

    def p(a: np.ndarray) -> ctypes.c_void_p:
        return a.ctypes.data_as(ctypes.c_void_p)

    for dt in (0.1, 0.5, 1.0):
        lib.os_host_kendall_constant(ctypes.c_int64(count), p(birth), p(death),
                                     ctypes.c_double(dt), p(out[0]), p(out[1]), p(out[2]))
        expected = kendall.constant_rates(np, birth, death, dt)
        # expm1 may differ by an ulp between numpy's loops and glibc (docs/rng.md section 5)
        same = [int(np.sum(a != b)) for a, b in zip(out[:3], expected, strict=True)]
        for got, want in zip(out[:3], expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=8e-16, atol=0)
        assert max(same) <= count // 100, (dt, same)
    net = rng.normal(0, 2, count)
    weighted = rng.uniform(0, 5, count)
    lib.os_host_kendall_integrated(ctypes.c_int64(count), p(net), p(weighted), p(out[3]),
                                   p(out[4]), p(out[5]))
    expected = kendall.integrated_rates(np, net, weighted)
    for got, want in zip(out[3:], expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=8e-16, atol=1e-300)
