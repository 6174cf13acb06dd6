"""Logistic, Gompertz and Lotka–Volterra growth: in the large-population limit the engine's
mean trajectories match the ODEs (scipy.integrate.solve_ivp) within 1 %.

Populations of 1e5-1e7 cells and 64 realizations keep the Monte Carlo error of the mean below
~0.2 % (a resistant clone from 1e4 cells has a relative SD of ~1.2 % per realization);
dt = 0.01 day keeps the time-discretisation error (crowding is held over a step: O(dt), in
both schemes) well inside the 1 % tolerance.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

from oncosweep import Scenario, simulate

DT, HORIZON, N = 0.01, 30.0, 64


def run(config: dict) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    config.setdefault("simulation", {"dt": DT, "horizon": HORIZON})
    config.setdefault("trace", {"realizations": N, "every": 1.0})
    ds = simulate(Scenario.from_dict(config), realizations=N, seed=9)
    mean = ds.trajectory.mean("traced_realization")
    return ds.time.values, {str(c): mean.sel(cell_type=c).values for c in ds.cell_type.values}


def ode(rhs, y0: list[float], t: np.ndarray) -> np.ndarray:
    sol = solve_ivp(rhs, (0, t[-1]), y0, t_eval=t, rtol=1e-10, atol=1e-6, method="LSODA")
    assert sol.success
    return sol.y


def one_type(law: dict, n0: float) -> dict:
    return {"tumour": {"initial_population": [{"cell_type": "wt/proliferating", "cells": n0}],
                       "detection_size": n0, "birth_rate": 0.6, "death_rate": 0.1},
            "growth": law}


def test_logistic_mean_matches_the_ode() -> None:
    capacity, n0, r = 1e7, 1e5, 0.5
    t, mean = run(one_type({"law": "logistic", "carrying_capacity": capacity}, n0))
    (expected,) = ode(lambda _, y: r * y * (1 - y / capacity), [n0], t)
    np.testing.assert_allclose(mean["wt/proliferating"], expected, rtol=0.01)
    assert expected[-1] > 0.9 * capacity  # the plateau is reached


def test_gompertz_mean_matches_the_ode() -> None:
    capacity, n0, r = 1e8, 1e5, 0.5
    t, mean = run(one_type({"law": "gompertz", "carrying_capacity": capacity}, n0))
    (expected,) = ode(lambda _, y: r / math.log(capacity) * y * np.log(capacity / y), [n0], t)
    np.testing.assert_allclose(mean["wt/proliferating"], expected, rtol=0.01)


def test_lotka_volterra_mean_matches_the_ode() -> None:
    """Sensitive S (birth 0.6) and resistant R (fitness cost 0.2: birth 0.48), death 0.1,
    K = 1e7 each, alpha = [[1, 0.7], [1.3, 1]]."""
    k_s = k_r = 1e7
    alpha = [[1.0, 0.7], [1.3, 1.0]]
    config = {
        "tumour": {"initial_population": [{"cell_type": "wt/proliferating", "cells": 1e5},
                                          {"cell_type": "R/proliferating", "cells": 1e4}],
                   "detection_size": 1.1e5, "birth_rate": 0.6, "death_rate": 0.1,
                   "loci": [{"name": "R", "mutation_rate": 0.0, "fitness_cost": 0.2}]},
        "growth": {"law": "lotka_volterra",
                   "groups": [{"name": "sensitive", "loci": [], "carrying_capacity": k_s},
                              {"name": "resistant", "loci": ["R"], "carrying_capacity": k_r}],
                   "alpha": alpha},
    }
    t, mean = run(config)
    r_s, r_r = 0.5, 0.38

    def rhs(_, y):
        s, r = y
        return [r_s * s * (1 - (alpha[0][0] * s + alpha[0][1] * r) / k_s),
                r_r * r * (1 - (alpha[1][0] * s + alpha[1][1] * r) / k_r)]

    s_exp, r_exp = ode(rhs, [1e5, 1e4], t)
    np.testing.assert_allclose(mean["wt/proliferating"], s_exp, rtol=0.01)
    np.testing.assert_allclose(mean["R/proliferating"], r_exp, rtol=0.01)
    assert r_exp[-1] < r_exp.max() * 0.9  # competition really suppresses R in this window
