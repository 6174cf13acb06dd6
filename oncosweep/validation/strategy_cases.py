"""Validation cases of the treatment strategies and monitoring (published directions).

Each builds its scenario from the shipped configs (adaptive_competition, ctdna_monitoring) or
from the Bozic 2013 scenario of ``cases.py``, so the checks follow the documented models.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from oncosweep.validation.cases import BOZIC, _proportion, _simulate, bozic_config
from oncosweep.validation.core import Case, Estimate

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def bozic_strategies_config() -> dict[str, Any]:
    """Bozic 2013 under two strategies on the same tumours: simultaneous (both drugs) and
    sequential (drug 1 until imaging progression, visits every 30 days, then drug 2)."""
    config = copy.deepcopy(bozic_config(True))
    config.pop("treatment")
    config["regimens"] = [*config["regimens"],
                          {"name": "first", "drugs": ["drug1"],
                           "combination": "highest_single_agent"},
                          {"name": "second", "drugs": ["drug2"],
                           "combination": "highest_single_agent"}]
    config["monitoring"] = {"visit_every": 30.0,
                            "imaging": {"cv": 0.0, "detection_limit": 1.0e7},
                            "progression": {"reference": "nadir", "factor": 1.2,
                                            "floor": 1.0e8}}
    config["strategies"] = [
        {"name": "simultaneous", "kind": "continuous", "regimen": "dual"},
        {"name": "sequential", "kind": "sequential", "regimens": ["first", "second"]},
    ]
    return config


def bozic_sequential(n: int, seed: int) -> Estimate:
    config = bozic_strategies_config()
    config["strategies"] = config["strategies"][1:]
    ds = _simulate(config, n, seed)
    return _proportion(int(ds.cured.sum()), n, 0.0)


def _config(name: str) -> dict[str, Any]:
    import yaml  # noqa: PLC0415

    return yaml.safe_load((CONFIGS / name).read_text())


def _superiority(ds: Any, better: str, worse: str, horizon: float) -> Estimate:
    """Ratio of Kaplan–Meier median times to progression and the two-sided log-rank p."""
    from scipy import stats  # noqa: PLC0415

    from oncosweep.analysis.summary import km_median  # noqa: PLC0415

    data, medians = {}, {}
    for name in (better, worse):
        ttp = ds.time_to_progression.sel(strategy=name).values
        event = ~np.isnan(ttp)
        data[name] = stats.CensoredData(uncensored=ttp[event],
                                        right=np.full(int((~event).sum()), horizon))
        medians[name] = km_median(ttp, event, np.full(ttp.shape, np.inf))
    test = stats.logrank(data[better], data[worse])
    ratio = medians[better] / medians[worse] if np.isfinite(medians[better]) else np.inf
    return Estimate(float(ratio), float("nan"), float(test.pvalue))


def adaptive_vs_continuous(n: int, seed: int) -> Estimate:
    ds = _simulate(_config("adaptive_competition.yaml"), n, seed)
    return _superiority(ds, "adaptive", "continuous", 1500.0)


def ctdna_switch_vs_sequential(n: int, seed: int) -> Estimate:
    config = _config("ctdna_monitoring.yaml")
    config["strategies"] = [s for s in config["strategies"] if s["name"] != "continuous"]
    ds = _simulate(config, n, seed)
    return _superiority(ds, "ctdna_switch", "sequential", 1500.0)


def ctdna_lead_time(n: int, seed: int) -> Estimate:
    """Median lead time of ctDNA over imaging (days) and a sign test of lead > 0."""
    from scipy import stats  # noqa: PLC0415

    config = _config("ctdna_monitoring.yaml")
    config["strategies"] = [s for s in config["strategies"] if s["name"] == "continuous"]
    lead = _simulate(config, n, seed).ctdna_lead_time.values
    lead = lead[~np.isnan(lead)]
    test = stats.binomtest(int((lead > 0).sum()), int((lead != 0).sum()), alternative="greater")
    return Estimate(float(np.median(lead)), float("nan"), float(test.pvalue))


STRATEGY = "strategies"
CASES = [
    Case("bozic2013-sequential", STRATEGY, "P(cure), sequential", 0.0, BOZIC, "proportion",
         bozic_sequential, n_full=1000, n_quick=200),
    Case("adaptive-vs-continuous", STRATEGY, "median TTP ratio adaptive / continuous", 1.0,
         "Zhang et al. 2017, Nat Commun 8:1816 (direction)", "superiority",
         adaptive_vs_continuous, n_full=200, n_quick=40),
    Case("ctdna-lead-time", STRATEGY, "median ctDNA lead over imaging (days)", 0.0,
         "Siravegna et al. 2015, Nat Med 21:795 (direction)", "superiority", ctdna_lead_time,
         n_full=400, n_quick=100),
    Case("ctdna-switch-vs-sequential", STRATEGY, "median TTP ratio ctDNA switch / sequential",
         1.0, "ctDNA-guided switching (docs/strategies.md; direction)", "superiority",
         ctdna_switch_vs_sequential, n_full=200, n_quick=60),
]
