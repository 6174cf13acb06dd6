"""The validation cases: scenario definitions, estimators and the registry :data:`CASES`.

Scenarios are built here (not read from ``configs/`` or ``tests/``) so that the installed
package validates itself and tests can import the same definitions. Mutation rates are per
daughter cell: a published rate per division is halved (docs/model.md, "Mutation-rate
convention").
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from oncosweep.validation.core import Case, Estimate

# ---------------------------------------------------------------- scenario definitions


def one_type(birth: float, death: float, **overrides: Any) -> dict[str, Any]:
    """One cell type from a single cell, detection at 1000 cells (tests/test_engine_theory)."""
    tumour = {"initial_cells": 1, "detection_size": 1000, "birth_rate": birth,
              "death_rate": death}
    simulation = {"dt": 0.1, "horizon": 0.0}
    tumour.update(overrides.pop("tumour", {}))
    simulation.update(overrides.pop("simulation", {}))
    return {"tumour": tumour, "simulation": simulation, **overrides}


def iwasa_config(resistant_birth: float, resistant_death: float, dt: float = 0.02) -> dict:
    """Iwasa, Michor & Nowak 2006: sensitive birth 1, death 0.5, detection at M = 1e4;
    u = 1e-4 per division = 0.5e-4 per daughter."""
    return {
        "tumour": {"detection_size": 10_000, "birth_rate": 1.0, "death_rate": 0.5,
                   "loci": [{"name": "R", "mutation_rate": 0.5e-4}],
                   "epistasis": [{"genotype": ["R"], "birth_rate": resistant_birth,
                                  "death_rate": resistant_death}]},
        "simulation": {"dt": dt},
    }


_TARGET_R1 = {"type": "target", "drug": "drug1", "ic50_fold": math.inf}
_TARGET_R2 = {"type": "target", "drug": "drug2", "ic50_fold": math.inf}
_BOZIC_DRUG = {"mode": "kill", "emax": 0.04, "ic50": 1.0e-6, "hill": 1.0, "half_life": 0.001,
               "dosing": {"infusion": 1000.0}}

#: configs/bozic2013_dual.yaml (the mapping of the paper is documented there); a test keeps
#: the two identical.
BOZIC2013_DUAL: dict[str, Any] = {
    "name": "bozic2013_dual",
    "description": "Bozic et al. 2013 dual targeted therapy with one cross-resistance "
                   "mutation; probability of eradication (cure) 0.263.",
    "tumour": {
        "initial_cells": 1, "detection_size": 1.0e9, "lethal_size": 1.0e12,
        "birth_rate": 0.14, "death_rate": 0.13,
        "loci": [
            {"name": "R1", "mutation_rate": 2.5e-8, "mechanisms": [_TARGET_R1]},
            {"name": "R2", "mutation_rate": 2.5e-8, "mechanisms": [_TARGET_R2]},
            {"name": "R12", "mutation_rate": 5.0e-10, "mechanisms": [_TARGET_R1, _TARGET_R2]},
        ],
    },
    "simulation": {"dt": 1.0, "horizon": 3000},
    "drugs": [{"name": "drug1", "pathway": "pathway1", **_BOZIC_DRUG},
              {"name": "drug2", "pathway": "pathway2", **_BOZIC_DRUG}],
    "regimens": [{"name": "dual", "drugs": ["drug1", "drug2"],
                  "combination": "highest_single_agent"}],
    "treatment": {"regimen": "dual"},
}


def bozic_config(cross_resistance: bool = True) -> dict[str, Any]:
    """Bozic et al. 2013 simultaneous dual therapy, optionally without the R12 mutation."""
    config = copy.deepcopy(BOZIC2013_DUAL)
    if not cross_resistance:
        config["tumour"]["loci"] = [
            locus for locus in config["tumour"]["loci"] if locus["name"] != "R12"]
    return config


def luria_delbruck(m: float, kmax: int) -> np.ndarray:
    """Luria–Delbrück (Lea–Coulson) p_0..p_kmax by the Ma–Sandri–Sarkar recursion."""
    p = np.zeros(kmax + 1)
    p[0] = math.exp(-m)
    for k in range(1, kmax + 1):
        p[k] = m / k * sum(p[i] / (k - i + 1) for i in range(k))
    return p


# ---------------------------------------------------------------- estimators


def _simulate(config: dict[str, Any], n: int, seed: int) -> Any:
    from oncosweep import Scenario, simulate  # noqa: PLC0415 - keep the CLI start fast

    return simulate(Scenario.from_dict(config), realizations=n, seed=seed)


def _proportion(hits: int, n: int, reference: float) -> Estimate:
    """Binomial proportion; the SE is the larger of the simulated and reference ones, so a
    proportion of exactly 0 or 1 still has a usable SE (as in tests/test_published.py)."""
    p = hits / n
    return Estimate(p, math.sqrt(max(p * (1 - p), reference * (1 - reference)) / n))


def extinction(birth: float, death: float, dt: float) -> Callable[[int, int], Estimate]:
    def run(n: int, seed: int) -> Estimate:
        ds = _simulate(one_type(birth, death, simulation={"dt": dt}), n, seed)
        # restarts ~ Geometric(1 - q): pooled MLE q = failures / attempts, SE (1 - q) sqrt(q/n)
        failures = int(ds.restarts.sum())
        q = failures / (failures + n)
        return Estimate(q, (1 - q) * math.sqrt(q / n))
    return run


MEAN_N0, MEAN_BIRTH, MEAN_DEATH, MEAN_DT, MEAN_STEPS = 10, 1.0, 0.5, 0.1, 50


def mean_population(n: int, seed: int) -> Estimate:
    config = one_type(MEAN_BIRTH, MEAN_DEATH,
                      tumour={"initial_cells": MEAN_N0, "detection_size": MEAN_N0},
                      simulation={"dt": MEAN_DT, "horizon": MEAN_STEPS * MEAN_DT},
                      trace={"realizations": n})
    ds = _simulate(config, n, seed)
    values = ds.trajectory.isel(cell_type=0, time=MEAN_STEPS).values
    return Estimate(float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size)))


LD_SIZE = 4096


def luria_delbruck_m1(n: int, seed: int) -> Estimate:
    """Pure birth to 4096 cells with u = 1/(2N) per daughter: m = 1. Chi-square over 0..5
    mutants and the pooled tail; the value shown is P(0 mutants)."""
    from scipy import stats  # noqa: PLC0415

    config = one_type(1.0, 0.0, tumour={"detection_size": LD_SIZE, "loci": [
        {"name": "R", "mutation_rate": 1 / (2 * LD_SIZE)}]}, simulation={"dt": 0.01})
    mutants = _simulate(config, n, seed).cells_at_detection.sel(
        cell_type="R/proliferating").values
    p = luria_delbruck(1.0, 5)
    observed = np.array([*(np.sum(mutants == k) for k in range(6)), np.sum(mutants > 5)])
    chi2 = stats.chisquare(observed, n * np.append(p, 1 - p.sum()))
    p0 = _proportion(int(observed[0]), n, p[0])
    return Estimate(p0.value, p0.se, float(chi2.pvalue))


def iwasa(resistant_birth: float, resistant_death: float,
          published: float) -> Callable[[int, int], Estimate]:
    def run(n: int, seed: int) -> Estimate:
        ds = _simulate(iwasa_config(resistant_birth, resistant_death), n, seed)
        hits = int((ds.cells_at_detection.sel(cell_type="R/proliferating") == 0).sum())
        return _proportion(hits, n, published)
    return run


def bozic(cross_resistance: bool, published: float) -> Callable[[int, int], Estimate]:
    def run(n: int, seed: int) -> Estimate:
        ds = _simulate(bozic_config(cross_resistance), n, seed)
        if not bool(ds.detected.all()):
            raise RuntimeError("some realizations were never detected")
        return _proportion(int(ds.cured.sum()), n, published)
    return run


# ---------------------------------------------------------------- the registry

EXACT = "exact theory"
IWASA = "Iwasa, Michor & Nowak 2006, Genetics 172:2557"
BOZIC = "Bozic et al. 2013, eLife 2:e00747"

#: The registry, run in this order. Hook: append new cases to this list, e.g. (planned, with
#: the treatment strategies) Bozic 2013 sequential eradication (~0), adaptive vs continuous
#: therapy time to progression, ctDNA lead time over imaging. (A proportion with reference 0
#: and simulated 0 has SE 0 and passes: Case.check requires exact agreement when SE = 0.)
CASES: list[Case] = [
    Case("extinction-dt0.1", EXACT, "P(lineage dies), b=1 d=0.5", 0.5,
         "exact: d/b, any dt (docs/model.md)", "proportion",
         extinction(1.0, 0.5, 0.1), n_full=50_000, n_quick=4_000),
    Case("extinction-dt1", EXACT, "P(lineage dies), b=0.4 d=0.3", 0.75,
         "exact: d/b, any dt (docs/model.md)", "proportion",
         extinction(0.4, 0.3, 1.0), n_full=50_000, n_quick=4_000),
    Case("mean-growth", EXACT, f"E[N] after {MEAN_STEPS * MEAN_DT:g} days from {MEAN_N0}",
         MEAN_N0 * math.exp((MEAN_BIRTH - MEAN_DEATH) * MEAN_STEPS * MEAN_DT),
         "exact: N0 e^{(b-d)t} (docs/model.md)", "mean", mean_population,
         n_full=40_000, n_quick=8_000),
    Case("luria-delbruck-m1", EXACT, "P(0 mutants), chi2 0..5+tail", math.exp(-1.0),
         "Lea & Coulson 1949, J Genet 49:264", "chi2", luria_delbruck_m1,
         n_full=20_000, n_quick=8_000),
    Case("iwasa2006-case1", "published", "P(no resistance at M=1e4)", 0.2353, IWASA,
         "proportion", iwasa(1.2, 0.5, 0.2353), n_full=20_000, n_quick=2_000),
    Case("iwasa2006-case2", "published", "P(no resistance at M=1e4)", 0.3678, IWASA,
         "proportion", iwasa(1.0, 0.9, 0.3678), n_full=20_000, n_quick=2_000),
    Case("bozic2013-dual", "published", "P(cure), simultaneous", 0.263, BOZIC,
         "proportion", bozic(True, 0.263), n_full=4_000, n_quick=1_500),
    Case("bozic2013-dual-no-cross", "published", "P(cure), no R12 mutation", 0.999, BOZIC,
         "proportion", bozic(False, 0.999), n_full=2_000, n_quick=500),
]
