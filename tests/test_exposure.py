"""Dose intensity (analysis/exposure.py): the reference exposure by hand, and the engine's
exposure under continuous standard dosing equal to it (intensity 1), pulses and holidays at
their long-run ratios."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from oncosweep import Scenario, simulate
from oncosweep.analysis.exposure import dose_intensity, reference_exposure
from oncosweep.analysis.summary import summarize
from oncosweep.gpu_engine import cuda_build

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_reference_exposure_by_hand() -> None:
    k = math.log(2.0) / 1.5
    # boluses of 10 at 0, 1, 2 (< 2.5 days): sum of (10 / k)(1 - e^{-k (T - t_j)})
    want = sum(10.0 / k * (1.0 - math.exp(-k * (2.5 - t))) for t in (0.0, 1.0, 2.0))
    got = reference_exposure(1.5, {"dose": 10.0, "every": 1.0}, 2.5)
    assert float(got) == pytest.approx(want, rel=1e-12)
    # listed times: only those before T count
    got = reference_exposure(1.5, {"dose": 4.0, "times": [0.0, 2.0, 7.0]}, 5.0)
    want = sum(4.0 / k * (1.0 - math.exp(-k * (5.0 - t))) for t in (0.0, 2.0))
    assert float(got) == pytest.approx(want, rel=1e-12)
    # an infusion: the integral of (R / k)(1 - e^{-k s}) over [0, T], by the trapezoid rule
    s = np.linspace(0.0, 30.0, 300_001)
    c = 2.0 / k * (1.0 - np.exp(-k * s))
    numeric = float(np.sum((c[1:] + c[:-1]) * 0.5 * np.diff(s)))
    got = reference_exposure(1.5, {"infusion": 2.0}, 30.0)
    assert float(got) == pytest.approx(numeric, rel=1e-8)


@pytest.mark.skipif(cuda_build.host_compiler() is None, reason="no host C++ compiler (the "
                    "cpu backend; the numpy engine would take minutes here)")
def test_engine_exposure_against_the_reference() -> None:
    scenario = Scenario.from_yaml(CONFIGS / "strategy_intermittent.yaml").with_parameters(
        {"simulation.horizon": 300.0})
    ds = simulate(scenario, realizations=24, seed=5, backend="cpu", progress=False)
    intensity = dose_intensity(ds)
    detected = ds["detected"].values
    continuous = intensity.sel(strategy="continuous").values[detected]
    # the engine's PK is exact on the step grid: continuous standard dosing is the reference
    np.testing.assert_allclose(continuous, 1.0, rtol=1e-9)
    # 2 days at 8x and 5 days at 1/3x per week: (2 x 8 + 5 / 3) / 7 in the long run
    pulsed = intensity.sel(strategy="pulsed").values[detected]
    assert np.all(np.abs(pulsed / ((2 * 8 + 5 / 3) / 7) - 1.0) < 0.02)
    # 3 weeks on, 1 off: about 3/4 (the drug given before a holiday is still cleared in it)
    on_off = intensity.sel(strategy="on_off").values[detected]
    assert np.all(np.abs(on_off - 0.75) < 0.03)
    assert "dose int." in summarize(ds)


def test_reference_exposure_over_years_of_daily_doses_is_finite_and_linear() -> None:
    """Five years of daily boluses with a 1.5-day half-life: e^{k n tau} alone would overflow;
    the long-run AUC is dose / k per day (steady state), so the total is close to that."""
    k = math.log(2.0) / 1.5
    got = float(reference_exposure(1.5, {"dose": 10.0, "every": 1.0}, 1825.0))
    assert math.isfinite(got)
    assert got == pytest.approx(10.0 / k * 1825.0, rel=1e-3)
