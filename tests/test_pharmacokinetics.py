"""PK: the engine's concentrations equal the analytic one-compartment solution.

Concentrations are traced every step after treatment start and compared with the closed form
(relative tolerance 1e-12: the recursion is exact up to floating-point rounding); the
per-realization exposure (AUC) with the closed-form integral. The drug's IC50 is huge, so the
tumour is untouched and survives to the horizon.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncosweep import Scenario, simulate

DT, HORIZON, HALF_LIFE = 0.1, 12.0, 1.5
K = math.log(2) / HALF_LIFE


def scenario_with(dosing: dict) -> Scenario:
    return Scenario.from_dict({
        "tumour": {"initial_cells": 100, "detection_size": 100, "birth_rate": 0.1,
                   "death_rate": 0.05},
        "simulation": {"dt": DT, "horizon": HORIZON},
        "trace": {"realizations": 1},
        "drugs": [{"name": "inert", "mode": "kill", "emax": 0.1, "ic50": 1e12,
                   "half_life": HALF_LIFE, "dosing": dosing}],
        "regimens": [{"name": "only", "drugs": ["inert"]}],
        "treatment": {"regimen": "only"},
    })


def traced(dosing: dict) -> tuple[np.ndarray, np.ndarray, float]:
    ds = simulate(scenario_with(dosing), realizations=1, seed=1)
    conc = ds.concentration.isel(traced_realization=0, drug=0).values
    return ds.time.values, conc, float(ds.drug_exposure.isel(realization=0, drug=0))


def bolus_curve(t: np.ndarray, dose: float, times: list[float]) -> np.ndarray:
    """Concentration just after the boluses due at t (superposition of exponentials)."""
    return sum(np.where(t >= s - 1e-9, dose * np.exp(-K * (t - s)), 0.0) for s in times)


def test_periodic_bolus_equals_the_analytic_solution() -> None:
    t, conc, auc = traced({"dose": 4.0, "every": 2.0})
    times = list(np.arange(0, HORIZON + 1e-9, 2.0))
    np.testing.assert_allclose(conc, bolus_curve(t, 4.0, times), rtol=1e-12)
    # AUC over [0, HORIZON]; the bolus at t = HORIZON adds nothing
    expected = sum(4.0 * (1 - math.exp(-K * (HORIZON - s))) / K for s in times)
    assert auc == pytest.approx(expected, rel=1e-12)


def test_listed_bolus_times_equal_the_analytic_solution() -> None:
    listed = [0.0, 0.5, 3.0, 7.3]
    t, conc, auc = traced({"dose": 2.5, "times": listed})
    np.testing.assert_allclose(conc, bolus_curve(t, 2.5, listed), rtol=1e-12, atol=1e-300)
    expected = sum(2.5 * (1 - math.exp(-K * (HORIZON - s))) / K for s in listed)
    assert auc == pytest.approx(expected, rel=1e-12)


def test_infusion_equals_the_analytic_solution() -> None:
    rate = 3.0
    t, conc, auc = traced({"infusion": rate})
    np.testing.assert_allclose(conc, rate / K * (1 - np.exp(-K * t)), rtol=1e-12, atol=1e-15)
    expected = rate / K * (HORIZON - (1 - math.exp(-K * HORIZON)) / K)
    assert auc == pytest.approx(expected, rel=1e-12)
    # steady state: the infusion approaches R / k
    assert conc[-1] == pytest.approx(rate / K * (1 - math.exp(-K * HORIZON)), rel=1e-12)


def test_no_treatment_means_no_drug() -> None:
    scenario = scenario_with({"infusion": 1.0}).model_copy(update={"treatment": None})
    ds = simulate(scenario, realizations=3, seed=1)
    assert float(ds.drug_exposure.max()) == 0.0
    assert float(ds.concentration.max()) == 0.0
