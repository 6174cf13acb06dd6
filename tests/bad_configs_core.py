"""``BAD_CONFIGS`` cases that break ``VALID_CONFIG`` (no therapy): values out of range, wrong
types, NaN / infinity, whole numbers, missing / unknown fields, names, cross-field checks."""

from __future__ import annotations

import math
from typing import Any

from bad_configs_edits import DELETE, Edit


def _nine_loci(config: dict[str, Any]) -> None:
    config["tumour"]["loci"] = [{"name": f"L{i}", "mutation_rate": 1e-8} for i in range(9)]
    config["tumour"]["epistasis"] = []


def _nine_phenotypes(config: dict[str, Any]) -> None:
    config["tumour"]["phenotypes"] = [{"name": f"P{i}"} for i in range(8)]
    config["tumour"]["phenotypes"].insert(0, {"name": "proliferating"})


def _top_level_section_typo(config: dict[str, Any]) -> None:
    config["simulaton"] = config.pop("simulation")


CORE_CASES: list[tuple[str, Edit, str]] = [
    # out of range
    (
        "mutation_rate_above_one",
        {"tumour.loci.1.mutation_rate": 2.5},
        "tumour.loci[1].mutation_rate",
    ),
    ("negative_birth_rate", {"tumour.birth_rate": -0.1}, "tumour.birth_rate"),
    ("zero_birth_rate", {"tumour.birth_rate": 0}, "tumour.birth_rate"),
    ("negative_death_rate", {"tumour.death_rate": -0.01}, "tumour.death_rate"),
    ("fitness_cost_one", {"tumour.loci.0.fitness_cost": 1.0}, "tumour.loci[0].fitness_cost"),
    (
        "negative_birth_factor",
        {"tumour.phenotypes.1.birth_factor": -1},
        "tumour.phenotypes[1].birth_factor",
    ),
    ("negative_switching_rate", {"tumour.switching.0.rate": -1e-3}, "tumour.switching[0].rate"),
    ("zero_dt", {"simulation.dt": 0}, "simulation.dt"),
    ("negative_horizon", {"simulation.horizon": -1}, "simulation.horizon"),
    ("negative_max_restarts", {"simulation.max_restarts": -1}, "simulation.max_restarts"),
    ("zero_initial_cells", {"tumour.initial_cells": 0}, "tumour.initial_cells"),
    (
        "detection_size_too_large",
        {"tumour.detection_size": 1e16, "tumour.lethal_size": 1e17},
        "tumour.detection_size",
    ),
    # wrong types
    ("string_birth_rate", {"tumour.birth_rate": "abc"}, "tumour.birth_rate"),
    ("bool_birth_rate", {"tumour.birth_rate": True}, "tumour.birth_rate"),
    ("list_death_rate", {"tumour.death_rate": [0.1]}, "tumour.death_rate"),
    ("null_dt", {"simulation.dt": None}, "simulation.dt"),
    ("loci_not_a_list", {"tumour.loci": "R1"}, "tumour.loci"),
    ("tumour_not_a_mapping", {"tumour": 5}, "tumour"),
    ("name_not_a_string", {"name": 123}, "name"),
    ("locus_name_not_a_string", {"tumour.loci.0.name": 7}, "tumour.loci[0].name"),
    # NaN / infinity
    ("nan_death_rate", {"tumour.death_rate": math.nan}, "tumour.death_rate"),
    (
        "inf_mutation_rate",
        {"tumour.loci.0.mutation_rate": math.inf},
        "tumour.loci[0].mutation_rate",
    ),
    ("nan_string_dt", {"simulation.dt": "nan"}, "simulation.dt"),
    # whole numbers
    ("fractional_initial_cells", {"tumour.initial_cells": 2.5}, "tumour.initial_cells"),
    ("fractional_detection_size", {"tumour.detection_size": 1.5e3 + 0.5}, "tumour.detection_size"),
    ("fractional_realizations", {"trace.realizations": 2.5}, "trace.realizations"),
    # missing / unknown
    ("missing_birth_rate", {"tumour.birth_rate": DELETE}, "tumour.birth_rate"),
    ("missing_dt", {"simulation.dt": DELETE}, "simulation.dt"),
    ("missing_tumour", {"tumour": DELETE}, "tumour"),
    (
        "missing_locus_mutation_rate",
        {"tumour.loci.1.mutation_rate": DELETE},
        "tumour.loci[1].mutation_rate",
    ),
    ("unknown_field_with_hint", {"tumour.birthrate": 0.3}, "tumour.birthrate"),
    ("unknown_field_without_hint", {"tumour.loci.0.zzz": 1}, "tumour.loci[0].zzz"),
    ("top_level_section_typo", _top_level_section_typo, "simulaton"),
    ("epistasis_without_rates", {"tumour.epistasis.0.birth_rate": DELETE}, "tumour.epistasis[0]"),
    # names
    ("reserved_locus_name", {"tumour.loci.0.name": "wt"}, "tumour.loci[0].name"),
    ("locus_name_with_space", {"tumour.loci.0.name": "R 1"}, "tumour.loci[0].name"),
    ("duplicate_locus_name", {"tumour.loci.1.name": "R1"}, "tumour.loci[1].name"),
    (
        "duplicate_phenotype_name",
        {"tumour.phenotypes.1.name": "proliferating"},
        "tumour.phenotypes[1].name",
    ),
    (
        "unknown_locus_in_epistasis",
        {"tumour.epistasis.0.genotype": ["R1", "X"]},
        "tumour.epistasis[0].genotype",
    ),
    (
        "repeated_locus_in_epistasis",
        {"tumour.epistasis.0.genotype": ["R1", "R1"]},
        "tumour.epistasis[0].genotype",
    ),
    ("unknown_locus_in_founder", {"tumour.founder.genotype": ["R3"]}, "tumour.founder.genotype"),
    (
        "unknown_founder_phenotype",
        {"tumour.founder.phenotype": "dormant"},
        "tumour.founder.phenotype",
    ),
    ("unknown_switching_phenotype", {"tumour.switching.0.to": "dormant"}, "tumour.switching[0].to"),
    ("switch_to_itself", {"tumour.switching.0.to": "proliferating"}, "tumour.switching[0].to"),
    (
        "duplicate_switch",
        lambda c: c["tumour"]["switching"].append(dict(c["tumour"]["switching"][0])),
        "tumour.switching[1]",
    ),
    (
        "duplicate_epistasis_genotype",
        lambda c: c["tumour"]["epistasis"].append({"genotype": ["R1", "R2"], "death_rate": 0.1}),
        "tumour.epistasis[1].genotype",
    ),
    ("too_many_loci", _nine_loci, "tumour.loci"),
    ("too_many_phenotypes", _nine_phenotypes, "tumour.phenotypes"),
    (
        "no_phenotypes",
        {"tumour.phenotypes": [], "tumour.switching": [], "tumour.founder.phenotype": None},
        "tumour.phenotypes",
    ),
    # cross-field
    (
        "detection_below_initial_cells",
        {"tumour.initial_cells": 100, "tumour.detection_size": 50},
        "tumour.detection_size",
    ),
    ("lethal_equals_detection", {"tumour.lethal_size": 1.0e9}, "tumour.lethal_size"),
    ("infeasible_dt", {"simulation.dt": 2.5, "simulation.scheme": "euler", "trace.every": None},
     "simulation.dt"),
    ("non_growing_founder", {"tumour.death_rate": 0.3}, "tumour.birth_rate"),
    ("too_many_steps", {"simulation.dt": 1e-6}, "simulation.dt"),
    ("trace_every_not_a_multiple", {"trace.every": 0.25}, "trace.every"),
    ("trace_every_below_dt", {"trace.every": 0.05}, "trace.every"),
    ("duplicate_trace_realization", {"trace.realizations": [0, 3, 3]}, "trace.realizations[2]"),
    ("negative_trace_realization", {"trace.realizations": [-1]}, "trace.realizations[0]"),
]
