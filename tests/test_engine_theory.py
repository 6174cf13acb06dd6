"""The engine against exact theory of the discrete-time branching process.

Tolerances: estimates within 4 standard errors of theory; the Luria–Delbrück distribution by a
chi-square test with a p-value floor of 1e-3. Seeds are fixed, so every test is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from oncosweep import Scenario, simulate


def one_type(birth: float, death: float, **overrides: object) -> dict:
    tumour = {"initial_cells": 1, "detection_size": 1000, "birth_rate": birth,
              "death_rate": death}
    simulation = {"dt": 0.1, "horizon": 0.0}
    tumour.update(overrides.pop("tumour", {}))  # type: ignore[arg-type]
    simulation.update(overrides.pop("simulation", {}))  # type: ignore[arg-type]
    return {"tumour": tumour, "simulation": simulation, **overrides}


@pytest.mark.parametrize(("birth", "death", "dt"), [(1.0, 0.5, 0.1), (0.4, 0.3, 1.0)])
def test_extinction_before_detection_is_d_over_b(birth: float, death: float, dt: float) -> None:
    """Each attempt dies out with probability d/b (exact for this Galton–Watson process, up to
    (d/b)**1000 for reaching detection first), so restarts ~ Geometric(1 - d/b)."""
    scenario = Scenario.from_dict(one_type(birth, death, simulation={"dt": dt}))
    n = 4000
    ds = simulate(scenario, realizations=n, seed=101)
    q = death / birth
    no_restart = float((ds.restarts == 0).mean())
    se = math.sqrt(q * (1 - q) / n)
    assert abs(no_restart - (1 - q)) < 4 * se, (no_restart, 1 - q, se)
    # pooled maximum-likelihood estimate over all attempts: q_hat = failures / attempts, whose
    # standard error for Geometric(1 - q) restart counts is (1 - q) * sqrt(q / n)
    failures = int(ds.restarts.sum())
    q_hat = failures / (failures + n)
    assert abs(q_hat - q) < 4 * (1 - q) * math.sqrt(q / n), (q_hat, q)


@pytest.mark.parametrize("scheme", ["exact", "euler"])
def test_mean_population_after_t_steps(scheme: str) -> None:
    """E[N_t] = N_0 e^{(b - d) t dt} (exact scheme) or N_0 (1 + (b - d) dt)**t (the euler
    scheme's own mean, exactly); detection at the initial size makes the after-detection phase
    the unconditioned process, traced at every step."""
    n0, birth, death, dt = 10, 1.0, 0.5, 0.1
    config = one_type(birth, death, tumour={"initial_cells": n0, "detection_size": n0},
                      simulation={"dt": dt, "horizon": 5.0, "scheme": scheme},
                      trace={"realizations": 4000})
    ds = simulate(Scenario.from_dict(config), realizations=4000, seed=7)
    trajectory = ds.trajectory.isel(cell_type=0)
    for step in (1, 10, 25, 50):
        values = trajectory.isel(time=step).values
        expected = (n0 * math.exp((birth - death) * dt * step) if scheme == "exact" else
                    n0 * (1 + (birth - death) * dt) ** step)
        se = values.std(ddof=1) / math.sqrt(values.size)
        assert abs(values.mean() - expected) < 4 * se, (step, values.mean(), expected, se)
    assert float(ds.time[50]) == pytest.approx(5.0)


def luria_delbruck(m: float, kmax: int) -> np.ndarray:
    """Luria–Delbrück (Lea–Coulson) probabilities p_0..p_kmax by the Ma–Sandri–Sarkar
    recursion p_n = (m / n) sum_{i<n} p_i / (n - i + 1)."""
    p = np.zeros(kmax + 1)
    p[0] = math.exp(-m)
    for n in range(1, kmax + 1):
        p[n] = m / n * sum(p[i] / (n - i + 1) for i in range(n))
    return p


def test_luria_delbruck_reference_values() -> None:
    expected = [0.3679, 0.1839, 0.1073, 0.0690, 0.0475, 0.0343]
    assert luria_delbruck(1.0, 5) == pytest.approx(expected, abs=5e-5)


def test_pure_birth_mutants_follow_luria_delbruck() -> None:
    """Pure birth to N cells; each daughter mutates with u = 1/(2N), so about 2N daughters
    carry m = 2 u N = 1 expected mutations. Mutant counts at detection vs Luria–Delbrück
    (m = 1) by chi-square over 0..5 and a pooled tail; dt = 0.01 keeps the discretisation and
    the detection overshoot (< dt/2 relative) well below the test's resolution."""
    size, n = 4096, 8000
    config = one_type(1.0, 0.0, tumour={"detection_size": size,
                                        "loci": [{"name": "R", "mutation_rate": 1 / (2 * size)}]},
                      simulation={"dt": 0.01})
    ds = simulate(Scenario.from_dict(config), realizations=n, seed=2013)
    mutants = ds.cells_at_detection.sel(cell_type="R/proliferating").values
    p = luria_delbruck(1.0, 5)
    observed = np.array([*(np.sum(mutants == k) for k in range(6)), np.sum(mutants > 5)])
    expected = n * np.append(p, 1 - p.sum())
    chi2 = stats.chisquare(observed, expected)
    assert chi2.pvalue > 1e-3, (observed, expected.round(1), chi2)
