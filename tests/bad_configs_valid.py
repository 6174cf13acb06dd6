"""The valid scenarios that ``BAD_CONFIGS`` (tests/bad_configs.py) breaks: ``VALID_CONFIG`` (no
therapy), ``THERAPY_CONFIG`` (every therapy feature) and ``STRATEGY_CONFIG`` (every strategy kind
and monitoring)."""

from __future__ import annotations

import copy
from typing import Any

VALID_CONFIG: dict[str, Any] = {
    "name": "two-loci-persisters",
    "description": "Two resistance loci and a slow-cycling persister phenotype.",
    "tumour": {
        "initial_cells": 10,
        "founder": {"genotype": [], "phenotype": "proliferating"},
        "detection_size": 1.0e9,
        "lethal_size": 1.0e12,
        "birth_rate": 0.25,
        "death_rate": 0.18,
        "loci": [
            {"name": "R1", "mutation_rate": 1.0e-7, "fitness_cost": 0.1},
            {"name": "R2", "mutation_rate": 1.0e-6, "fitness_cost": 0.2},
        ],
        "epistasis": [{"genotype": ["R2", "R1"], "birth_rate": 0.3}],
        "phenotypes": [
            {"name": "proliferating"},
            {"name": "persister", "birth_factor": 0.05, "death_factor": 0.5},
        ],
        "switching": [{"from": "proliferating", "to": "persister", "rate": 1.0e-3}],
    },
    "simulation": {"dt": 0.1, "horizon": 365, "max_detection_time": 36500, "max_restarts": 100},
    "trace": {"realizations": 2, "every": 1.0},
}

#: Every therapy feature: 2 drugs on 2 pathways (a kill and a cytostatic one), 3 loci with all
#: five mechanism types, a drug-tolerant persister, 2 compartments, Lotka-Volterra growth,
#: immune kill, 2 regimens and a treatment. 3 loci x 2 phenotypes x 2 compartments = 32 types.
THERAPY_CONFIG: dict[str, Any] = {
    "name": "therapy-full",
    "description": "EGFR + MET inhibitors against target, bypass, efflux and evasion resistance.",
    "tumour": {
        "initial_population": [
            {"cell_type": "wt/proliferating@bulk", "cells": 1.0e6},
            {"cell_type": "T790M/proliferating@bulk", "cells": 1.0e4},
            {"cell_type": "wt/persister@sanctuary", "cells": 0},
        ],
        "detection_size": 1.0e9,
        "lethal_size": 1.0e12,
        "birth_rate": 0.25,
        "death_rate": 0.18,
        "loci": [
            {
                "name": "T790M",
                "mutation_rate": 5.0e-10,
                "fitness_cost": 0.05,
                "mechanisms": [
                    {"type": "target", "drug": "erlotinib", "ic50_fold": 100},
                    {"type": "immune_evasion", "kill_factor": 0.5},
                ],
            },
            {
                "name": "METamp",
                "mutation_rate": 2.0e-10,
                "fitness_cost": 0.1,
                "mechanisms": [
                    {"type": "bypass", "pathway": "EGFR", "effect_factor": 0.1},
                    {"type": "apoptosis_evasion", "kill_factor": 0.5},
                ],
            },
            {
                "name": "ABCB1",
                "mutation_rate": 1.0e-9,
                "mechanisms": [
                    {"type": "efflux", "drugs": ["crizotinib"], "concentration_factor": 0.3},
                    {"type": "immune_evasion", "kill_factor": 0.8},
                ],
            },
        ],
        "phenotypes": [
            {"name": "proliferating"},
            {
                "name": "persister",
                "birth_factor": 0.05,
                "death_factor": 0.1,
                "drug_effect_factor": 0.05,
            },
        ],
        "switching": [
            {"from": "proliferating", "to": "persister", "rate": 1.0e-3, "rate_on_drug": 0.05},
            {"from": "persister", "to": "proliferating", "rate": 1.0e-2},
        ],
        "compartments": [{"name": "bulk"}, {"name": "sanctuary", "drug_penetration": 0.1}],
        "migration": [
            {"from": "bulk", "to": "sanctuary", "rate": 1.0e-3},
            {"from": "sanctuary", "to": "bulk", "rate": 1.0e-4},
        ],
    },
    "simulation": {"dt": 0.1, "horizon": 365},
    "trace": {"realizations": 1, "every": 7.0},
    "growth": {
        "law": "lotka_volterra",
        "groups": [
            {"name": "sensitive", "loci": [], "carrying_capacity": 1.0e11},
            {"name": "resistant", "loci": ["T790M", "METamp"], "carrying_capacity": 5.0e10},
        ],
        "alpha": [[1.0, 0.8], [1.2, 1.0]],
    },
    "immune": {"kill_rate": 0.02},
    "drugs": [
        {
            "name": "erlotinib",
            "pathway": "EGFR",
            "mode": "kill",
            "emax": 0.6,
            "ic50": 1.0,
            "hill": 1.5,
            "half_life": 1.5,
            "dosing": {"dose": 10.0, "every": 1.0},
        },
        {
            "name": "crizotinib",
            "pathway": "MET",
            "mode": "cytostatic",
            "emax": 0.9,
            "ic50": 0.5,
            "half_life": 2.0,
            "dosing": {"infusion": 2.0},
        },
    ],
    "regimens": [
        {
            "name": "dual",
            "drugs": ["erlotinib", {"drug": "crizotinib", "dose_factor": 0.5}],
            "combination": "bliss",
        },
        {"name": "mono", "drugs": ["erlotinib"], "combination": "highest_single_agent"},
    ],
    "treatment": {"regimen": "dual"},
}

#: ``THERAPY_CONFIG`` with every strategy kind instead of ``treatment``: 3 more regimens
#: (all bliss), monitoring with every field away from its default (ctDNA of METamp and
#: T790M), and 5 strategies, one per kind.
STRATEGY_CONFIG: dict[str, Any] = {
    **{k: v for k, v in copy.deepcopy(THERAPY_CONFIG).items() if k != "treatment"},
    "name": "strategies-full",
    "regimens": [
        *copy.deepcopy(THERAPY_CONFIG["regimens"]),
        {"name": "first", "drugs": ["erlotinib"]},
        {"name": "second", "drugs": [{"drug": "crizotinib", "dose_factor": 2}]},
        {"name": "low", "drugs": [{"drug": "erlotinib", "dose_factor": 0.25}]},
    ],
    "monitoring": {
        "visit_every": 28,
        "imaging": {"cv": 0.2, "detection_limit": 5.0e7},
        "progression": {"reference": "baseline", "factor": 1.25, "floor": 2.0e9},
        "ctdna": {
            "shed_per_death": 2.0e-5,
            "normal_genomes": 2500,
            "depth": 2000,
            "sampling": "poisson",
            "threshold": 4,
            "variants": ["METamp", "T790M"],
        },
    },
    "strategies": [
        {"name": "mtd", "kind": "continuous", "regimen": "dual"},
        {
            "name": "pulsed",
            "kind": "intermittent",
            "regimen": "first",
            "off_regimen": "low",
            "on_days": 14,
            "off_days": 7,
        },
        {"name": "sequential", "kind": "sequential", "regimens": ["first", "second"]},
        {
            "name": "adaptive",
            "kind": "adaptive",
            "regimen": "dual",
            "frac_off": 0.4,
            "frac_on": 0.9,
            "dose_levels": [1.0, 0.5],
        },
        {"name": "ctdna", "kind": "ctdna_switch", "regimens": ["first", "second", "dual"]},
    ],
}
