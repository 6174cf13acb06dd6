"""A valid scenario and a catalogue of broken variants, shared by the schema and CLI tests.

``BAD_CONFIGS`` holds ``(case id, edit, expected path)``. An edit is one of

* a callable that modifies a deep copy of ``VALID_CONFIG`` in place;
* a dict ``{"dotted.path.0.key": value}`` of assignments to a deep copy of ``VALID_CONFIG``
  (list indices as numbers; the value ``DELETE`` removes the key);
* a str: the raw text of the YAML file (syntax errors, empty files, ...).

Use :func:`config_for` / :func:`yaml_text_for` to turn an edit into a dict or YAML text. The
expected path is the path of the first reported problem, e.g. ``tumour.loci[1].mutation_rate``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import yaml

__all__ = [
    "BAD_CONFIGS",
    "DELETE",
    "STRATEGY_CONFIG",
    "THERAPY_CONFIG",
    "VALID_CONFIG",
    "Edit",
    "config_for",
    "yaml_text_for",
]

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


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()
Edit = Callable[[dict[str, Any]], None] | dict[str, Any] | str


def _assign(config: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    node: Any = config
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


def config_for(edit: Edit) -> dict[str, Any]:
    """A deep copy of ``VALID_CONFIG`` with ``edit`` applied (not for raw-text edits)."""
    if isinstance(edit, str):
        raise TypeError("a raw-text edit has no dict form; use yaml_text_for")
    config = copy.deepcopy(VALID_CONFIG)
    if callable(edit):
        edit(config)
    else:
        for dotted, value in edit.items():
            _assign(config, dotted, value if value is DELETE else copy.deepcopy(value))
    return config


def yaml_text_for(edit: Edit) -> str:
    """The YAML file text of an edited config (raw-text edits are returned as they are)."""
    return edit if isinstance(edit, str) else yaml.safe_dump(config_for(edit), sort_keys=False)


def _therapy(edit: dict[str, Any] | Callable[[dict[str, Any]], None]) -> Edit:
    """An edit of ``THERAPY_CONFIG`` (instead of ``VALID_CONFIG``), as a BAD_CONFIGS edit."""

    def apply(config: dict[str, Any]) -> None:
        config.clear()
        config.update(copy.deepcopy(THERAPY_CONFIG))
        if callable(edit):
            edit(config)
        else:
            for dotted, value in edit.items():
                _assign(config, dotted, value if value is DELETE else copy.deepcopy(value))

    return apply


def _strategies(edit: dict[str, Any] | Callable[[dict[str, Any]], None]) -> Edit:
    """An edit of ``STRATEGY_CONFIG`` (instead of ``VALID_CONFIG``), as a BAD_CONFIGS edit."""

    def apply(config: dict[str, Any]) -> None:
        config.clear()
        config.update(copy.deepcopy(STRATEGY_CONFIG))
        if callable(edit):
            edit(config)
        else:
            for dotted, value in edit.items():
                _assign(config, dotted, value if value is DELETE else copy.deepcopy(value))

    return apply


def _adaptive_without_monitoring(config: dict[str, Any]) -> None:
    del config["monitoring"]
    config["strategies"] = [config["strategies"][0], config["strategies"][3]]


def _ctdna_switch_without_monitoring(config: dict[str, Any]) -> None:
    del config["monitoring"]
    config["strategies"] = [config["strategies"][1], config["strategies"][4]]


def _seventeen_strategies(config: dict[str, Any]) -> None:
    config["strategies"] = [
        {"name": f"s{i}", "kind": "continuous", "regimen": "dual"} for i in range(17)
    ]


def _nine_compartments(config: dict[str, Any]) -> None:
    config["tumour"]["compartments"] += [{"name": f"C{i}"} for i in range(7)]


def _duplicate_immune_evasion(config: dict[str, Any]) -> None:
    config["tumour"]["loci"][0]["mechanisms"].append({"type": "immune_evasion", "kill_factor": 1})


def _nine_loci(config: dict[str, Any]) -> None:
    config["tumour"]["loci"] = [{"name": f"L{i}", "mutation_rate": 1e-8} for i in range(9)]
    config["tumour"]["epistasis"] = []


def _nine_phenotypes(config: dict[str, Any]) -> None:
    config["tumour"]["phenotypes"] = [{"name": f"P{i}"} for i in range(8)]
    config["tumour"]["phenotypes"].insert(0, {"name": "proliferating"})


def _top_level_section_typo(config: dict[str, Any]) -> None:
    config["simulaton"] = config.pop("simulation")


_POTENCY = {"drugs[0].emax": [0.3, 0.5], "drugs[0].ic50": [2.0, 1.0]}


def _sweep(axes: dict[str, Any], *, strategies: bool = False, **fields: Any) -> Edit:
    """An edit adding ``sweep: {realizations: 100, axes: axes, **fields}`` to
    ``VALID_CONFIG``, or to ``STRATEGY_CONFIG`` if ``strategies`` or ``fields`` has a zip."""
    edit = {"sweep": {"realizations": 100, "axes": axes, **fields}}
    return _strategies(edit) if strategies or "zip" in fields else edit


def _many(start: float, n: int) -> list[float]:
    """``n`` distinct values from ``start`` in steps of 1e-6."""
    return [round(start + 1e-6 * i, 9) for i in range(n)]


_YAML_SYNTAX_ERROR = """\
name: broken
tumour:
  initial_cells: 10
  birth_rate: [0.25
  death_rate: 0.18
"""
_DUPLICATE_KEY = """\
tumour:
  initial_cells: 10
  detection_size: 1.0e9
  birth_rate: 0.25
  death_rate: 0.18
  birth_rate: 0.3
simulation:
  dt: 0.1
"""

BAD_CONFIGS: list[tuple[str, Edit, str]] = [
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
    ("infeasible_dt", {"simulation.dt": 2.5, "trace.every": None}, "simulation.dt"),
    ("non_growing_founder", {"tumour.death_rate": 0.3}, "tumour.birth_rate"),
    ("too_many_steps", {"simulation.dt": 1e-6}, "simulation.dt"),
    ("trace_every_not_a_multiple", {"trace.every": 0.25}, "trace.every"),
    ("trace_every_below_dt", {"trace.every": 0.05}, "trace.every"),
    ("duplicate_trace_realization", {"trace.realizations": [0, 3, 3]}, "trace.realizations[2]"),
    ("negative_trace_realization", {"trace.realizations": [-1]}, "trace.realizations[0]"),
    # therapy: drugs and dosing
    ("dosing_two_kinds", _therapy({"drugs.1.dosing.every": 1.0}), "drugs[1].dosing"),
    ("dosing_no_kind", _therapy({"drugs.0.dosing": {"dose": 10.0}}), "drugs[0].dosing"),
    ("dose_missing_with_every", _therapy({"drugs.0.dosing.dose": DELETE}), "drugs[0].dosing.dose"),
    ("dose_with_infusion", _therapy({"drugs.1.dosing.dose": 5.0}), "drugs[1].dosing.dose"),
    (
        "dosing_every_not_a_multiple",
        _therapy({"drugs.0.dosing.every": 0.25}),
        "drugs[0].dosing.every",
    ),
    ("dosing_every_below_dt", _therapy({"drugs.0.dosing.every": 0.05}), "drugs[0].dosing.every"),
    (
        "dosing_times_not_sorted",
        _therapy({"drugs.0.dosing": {"dose": 10.0, "times": [0, 14, 7]}}),
        "drugs[0].dosing.times[2]",
    ),
    (
        "dosing_times_duplicate",
        _therapy({"drugs.0.dosing": {"dose": 10.0, "times": [0, 7, 7]}}),
        "drugs[0].dosing.times[2]",
    ),
    (
        "dosing_time_not_a_multiple",
        _therapy({"drugs.0.dosing": {"dose": 10.0, "times": [0, 7.05]}}),
        "drugs[0].dosing.times[1]",
    ),
    (
        "dosing_negative_time",
        _therapy({"drugs.0.dosing": {"dose": 10.0, "times": [-1]}}),
        "drugs[0].dosing.times[0]",
    ),
    ("drug_negative_ic50", _therapy({"drugs.0.ic50": -1.0}), "drugs[0].ic50"),
    ("drug_zero_half_life", _therapy({"drugs.0.half_life": 0}), "drugs[0].half_life"),
    ("drug_zero_hill", _therapy({"drugs.1.hill": 0}), "drugs[1].hill"),
    ("cytostatic_emax_above_one", _therapy({"drugs.1.emax": 1.5}), "drugs[1].emax"),
    ("unknown_drug_mode", _therapy({"drugs.0.mode": "stun"}), "drugs[0].mode"),
    ("duplicate_drug_name", _therapy({"drugs.1.name": "erlotinib"}), "drugs[1].name"),
    ("missing_drug_dosing", _therapy({"drugs.0.dosing": DELETE}), "drugs[0].dosing"),
    ("drugs_not_a_list", _therapy({"drugs": {"name": "erlotinib"}}), "drugs"),
    ("infeasible_dt_with_drug_kill", _therapy({"drugs.0.emax": 20.0}), "simulation.dt"),
    # therapy: resistance mechanisms
    (
        "unknown_mechanism_type",
        _therapy({"tumour.loci.0.mechanisms.0.type": "foo"}),
        "tumour.loci[0].mechanisms[0].type",
    ),
    (
        "missing_mechanism_type",
        _therapy({"tumour.loci.0.mechanisms.0.type": DELETE}),
        "tumour.loci[0].mechanisms[0].type",
    ),
    (
        "mechanism_unknown_drug",
        _therapy({"tumour.loci.0.mechanisms.0.drug": "gefitinib"}),
        "tumour.loci[0].mechanisms[0].drug",
    ),
    (
        "mechanism_unknown_pathway",
        _therapy({"tumour.loci.1.mechanisms.0.pathway": "KRAS"}),
        "tumour.loci[1].mechanisms[0].pathway",
    ),
    (
        "efflux_unknown_drug",
        _therapy({"tumour.loci.2.mechanisms.0.drugs": ["crizotinib", "X"]}),
        "tumour.loci[2].mechanisms[0].drugs[1]",
    ),
    (
        "ic50_fold_below_one",
        _therapy({"tumour.loci.0.mechanisms.0.ic50_fold": 0.5}),
        "tumour.loci[0].mechanisms[0].ic50_fold",
    ),
    (
        "bypass_effect_factor_above_one",
        _therapy({"tumour.loci.1.mechanisms.0.effect_factor": 1.5}),
        "tumour.loci[1].mechanisms[0].effect_factor",
    ),
    (
        "efflux_zero_concentration_factor",
        _therapy({"tumour.loci.2.mechanisms.0.concentration_factor": 0}),
        "tumour.loci[2].mechanisms[0].concentration_factor",
    ),
    (
        "mechanism_unknown_field",
        _therapy({"tumour.loci.0.mechanisms.0.fold": 10}),
        "tumour.loci[0].mechanisms[0].fold",
    ),
    (
        "duplicate_mechanism",
        _therapy(_duplicate_immune_evasion),
        "tumour.loci[0].mechanisms[2]",
    ),
    (
        "drug_effect_factor_above_one",
        _therapy({"tumour.phenotypes.1.drug_effect_factor": 2}),
        "tumour.phenotypes[1].drug_effect_factor",
    ),
    (
        "negative_rate_on_drug",
        _therapy({"tumour.switching.0.rate_on_drug": -0.1}),
        "tumour.switching[0].rate_on_drug",
    ),
    # therapy: compartments and the initial population
    (
        "unknown_migration_compartment",
        _therapy({"tumour.migration.0.to": "blood"}),
        "tumour.migration[0].to",
    ),
    ("migrate_to_itself", _therapy({"tumour.migration.0.to": "bulk"}), "tumour.migration[0].to"),
    (
        "duplicate_compartment_name",
        _therapy({"tumour.compartments.1.name": "bulk"}),
        "tumour.compartments[1].name",
    ),
    (
        "drug_penetration_above_one",
        _therapy({"tumour.compartments.1.drug_penetration": 1.5}),
        "tumour.compartments[1].drug_penetration",
    ),
    ("too_many_compartments", _therapy(_nine_compartments), "tumour.compartments"),
    ("no_compartments", _therapy({"tumour.compartments": []}), "tumour.compartments"),
    (
        "unknown_founder_compartment",
        {"tumour.founder.compartment": "sanctuary"},
        "tumour.founder.compartment",
    ),
    (
        "unknown_initial_cell_type",
        _therapy({"tumour.initial_population.0.cell_type": "x"}),
        "tumour.initial_population[0].cell_type",
    ),
    (
        "initial_cell_type_without_compartment",
        _therapy({"tumour.initial_population.0.cell_type": "wt/proliferating"}),
        "tumour.initial_population[0].cell_type",
    ),
    (
        "duplicate_initial_cell_type",
        _therapy({"tumour.initial_population.1.cell_type": "wt/proliferating@bulk"}),
        "tumour.initial_population[1].cell_type",
    ),
    (
        "fractional_initial_population_cells",
        _therapy({"tumour.initial_population.0.cells": 2.5}),
        "tumour.initial_population[0].cells",
    ),
    (
        "empty_initial_population",
        _therapy({"tumour.initial_population": [{"cell_type": "wt/persister@bulk", "cells": 0}]}),
        "tumour.initial_population",
    ),
    (
        "initial_population_and_initial_cells",
        _therapy({"tumour.initial_cells": 10}),
        "tumour.initial_population",
    ),
    # therapy: growth and immune
    ("unknown_growth_law", _therapy({"growth.law": "linear"}), "growth.law"),
    (
        "logistic_without_capacity",
        _therapy({"growth": {"law": "logistic"}}),
        "growth.carrying_capacity",
    ),
    (
        "capacity_for_exponential",
        {"growth": {"carrying_capacity": 1e10}},
        "growth.carrying_capacity",
    ),
    (
        "capacity_below_detection",
        _therapy({"growth": {"law": "gompertz", "carrying_capacity": 1e8}}),
        "growth.carrying_capacity",
    ),
    (
        "alpha_too_many_rows",
        _therapy({"growth.alpha": [[1, 0.8], [1.2, 1], [1, 1]]}),
        "growth.alpha",
    ),
    ("alpha_short_row", _therapy({"growth.alpha.1": [1.2]}), "growth.alpha[1]"),
    ("alpha_negative_entry", _therapy({"growth.alpha.0.1": -0.8}), "growth.alpha[0][1]"),
    ("two_catch_all_groups", _therapy({"growth.groups.1.loci": []}), "growth.groups"),
    ("group_unknown_locus", _therapy({"growth.groups.1.loci": ["KRAS"]}), "growth.groups[1].loci"),
    ("lotka_volterra_without_groups", _therapy({"growth.groups": DELETE}), "growth.groups"),
    ("negative_immune_kill", _therapy({"immune.kill_rate": -0.02}), "immune.kill_rate"),
    ("immune_kill_stops_growth", _therapy({"immune.kill_rate": 0.2}), "immune.kill_rate"),
    # therapy: regimens and treatment
    (
        "regimen_unknown_drug",
        _therapy({"regimens.0.drugs.1": "gefitinib"}),
        "regimens[0].drugs[1]",
    ),
    (
        "regimen_duplicate_drug",
        _therapy({"regimens.0.drugs.1": "erlotinib"}),
        "regimens[0].drugs[1]",
    ),
    (
        "regimen_zero_dose_factor",
        _therapy({"regimens.0.drugs.1.dose_factor": 0}),
        "regimens[0].drugs[1].dose_factor",
    ),
    (
        "unknown_combination",
        _therapy({"regimens.0.combination": "loewe"}),
        "regimens[0].combination",
    ),
    ("regimen_without_drugs", _therapy({"regimens.0.drugs": []}), "regimens[0].drugs"),
    ("duplicate_regimen_name", _therapy({"regimens.1.name": "dual"}), "regimens[1].name"),
    ("unknown_treatment_regimen", _therapy({"treatment.regimen": "triple"}), "treatment.regimen"),
    # strategies and monitoring
    (
        "strategy_unknown_regimen",
        _strategies({"strategies.2.regimens.1": "x"}),
        "strategies[2].regimens[1]",
    ),
    (
        "strategy_unknown_off_regimen",
        _strategies({"strategies.1.off_regimen": "none"}),
        "strategies[1].off_regimen",
    ),
    (
        "off_regimen_same_as_regimen",
        _strategies({"strategies.1.off_regimen": "first"}),
        "strategies[1].off_regimen",
    ),
    (
        "strategy_field_of_another_kind",
        _strategies({"strategies.0.frac_off": 0.3}),
        "strategies[0].frac_off",
    ),
    ("strategy_unknown_field", _strategies({"strategies.1.on_day": 14}), "strategies[1].on_day"),
    (
        "unknown_strategy_kind",
        _strategies({"strategies.0.kind": "metronomic"}),
        "strategies[0].kind",
    ),
    ("missing_strategy_kind", _strategies({"strategies.0.kind": DELETE}), "strategies[0].kind"),
    ("strategy_not_a_mapping", _strategies({"strategies.0": "mtd"}), "strategies[0]"),
    ("strategy_name_with_space", _strategies({"strategies.0.name": "m t d"}), "strategies[0].name"),
    ("adaptive_without_monitoring", _strategies(_adaptive_without_monitoring), "strategies[1]"),
    ("ctdna_switch_without_ctdna", _strategies({"monitoring.ctdna": DELETE}), "strategies[4]"),
    (
        "ctdna_switch_without_monitoring",
        _strategies(_ctdna_switch_without_monitoring),
        "strategies[1]",
    ),
    ("treatment_and_strategies", _strategies({"treatment": {"regimen": "dual"}}), "strategies"),
    ("duplicate_strategy_name", _strategies({"strategies.1.name": "mtd"}), "strategies[1].name"),
    ("too_many_strategies", _strategies(_seventeen_strategies), "strategies"),
    (
        "sequential_one_regimen",
        _strategies({"strategies.2.regimens": ["first"]}),
        "strategies[2].regimens",
    ),
    (
        "sequential_duplicate_regimen",
        _strategies({"strategies.2.regimens.1": "first"}),
        "strategies[2].regimens[1]",
    ),
    (
        "strategy_mixed_combinations",
        _strategies({"strategies.2.regimens": ["dual", "mono"]}),
        "strategies[2].regimens[1]",
    ),
    (
        "on_days_not_a_multiple",
        _strategies({"strategies.1.on_days": 14.05}),
        "strategies[1].on_days",
    ),
    ("off_days_zero", _strategies({"strategies.1.off_days": 0}), "strategies[1].off_days"),
    (
        "off_days_below_dt",
        _strategies({"strategies.1.off_days": 0.05}),
        "strategies[1].off_days",
    ),
    (
        "frac_on_not_above_frac_off",
        _strategies({"strategies.3.frac_on": 0.4}),
        "strategies[3].frac_on",
    ),
    ("frac_off_one", _strategies({"strategies.3.frac_off": 1}), "strategies[3].frac_off"),
    (
        "dose_levels_ascending",
        _strategies({"strategies.3.dose_levels": [0.5, 1.0]}),
        "strategies[3].dose_levels[1]",
    ),
    (
        "dose_level_above_one",
        _strategies({"strategies.3.dose_levels": [1.5, 1.0]}),
        "strategies[3].dose_levels[0]",
    ),
    (
        "dose_levels_empty",
        _strategies({"strategies.3.dose_levels": []}),
        "strategies[3].dose_levels",
    ),
    (
        "visit_every_not_a_multiple",
        _strategies({"monitoring.visit_every": 0.25}),
        "monitoring.visit_every",
    ),
    (
        "visit_every_below_dt",
        _strategies({"monitoring.visit_every": 0.05}),
        "monitoring.visit_every",
    ),
    (
        "missing_visit_every",
        _strategies({"monitoring.visit_every": DELETE}),
        "monitoring.visit_every",
    ),
    ("negative_imaging_cv", _strategies({"monitoring.imaging.cv": -0.1}), "monitoring.imaging.cv"),
    (
        "progression_factor_one",
        _strategies({"monitoring.progression.factor": 1}),
        "monitoring.progression.factor",
    ),
    (
        "unknown_progression_reference",
        _strategies({"monitoring.progression.reference": "peak"}),
        "monitoring.progression.reference",
    ),
    (
        "ctdna_unknown_variant",
        _strategies({"monitoring.ctdna.variants.1": "KRAS"}),
        "monitoring.ctdna.variants[1]",
    ),
    (
        "ctdna_duplicate_variant",
        _strategies({"monitoring.ctdna.variants.1": "METamp"}),
        "monitoring.ctdna.variants[1]",
    ),
    (
        "ctdna_no_variants",
        _strategies({"monitoring.ctdna.variants": []}),
        "monitoring.ctdna.variants",
    ),
    ("ctdna_zero_depth", _strategies({"monitoring.ctdna.depth": 0}), "monitoring.ctdna.depth"),
    (
        "ctdna_threshold_above_depth",
        _strategies({"monitoring.ctdna.threshold": 2001}),
        "monitoring.ctdna.threshold",
    ),
    (
        "ctdna_fractional_threshold",
        _strategies({"monitoring.ctdna.threshold": 2.5}),
        "monitoring.ctdna.threshold",
    ),
    (
        "unknown_ctdna_sampling",
        _strategies({"monitoring.ctdna.sampling": "exact"}),
        "monitoring.ctdna.sampling",
    ),
    (
        "ctdna_zero_shedding",
        _strategies({"monitoring.ctdna.shed_per_death": 0}),
        "monitoring.ctdna.shed_per_death",
    ),
    # the sweep section
    (
        "sweep_unknown_parameter",
        _sweep({"tumour.lci[0].mutation_rate": [1e-9, 1e-8]}),
        "sweep.axes['tumour.lci[0].mutation_rate']",
    ),
    (
        "sweep_locus_index_out_of_range",
        _sweep({"tumour.loci[2].mutation_rate": [1e-9]}),
        "sweep.axes['tumour.loci[2].mutation_rate']",
    ),
    ("sweep_not_a_scalar", _sweep({"tumour.loci": [1, 2]}), "sweep.axes['tumour.loci']"),
    (
        "sweep_malformed_path",
        _sweep({"tumour..birth_rate": [0.2]}),
        "sweep.axes['tumour..birth_rate']",
    ),
    ("sweep_empty_values", _sweep({"tumour.birth_rate": []}), "sweep.axes['tumour.birth_rate']"),
    (
        "sweep_values_not_a_list",
        _sweep({"tumour.birth_rate": 0.3}),
        "sweep.axes['tumour.birth_rate']",
    ),
    (
        "sweep_value_not_a_scalar",
        _sweep({"tumour.birth_rate": [[0.3]]}),
        "sweep.axes['tumour.birth_rate'][0]",
    ),
    (
        "sweep_duplicate_value",
        _sweep({"tumour.birth_rate": [0.25, 0.3, 0.25]}),
        "sweep.axes['tumour.birth_rate'][2]",
    ),
    (
        "sweep_duplicate_value_as_read",
        _sweep({"tumour.loci[0].mutation_rate": [1.0e-7, "1e-7"]}),
        "sweep.axes['tumour.loci[0].mutation_rate'][1]",
    ),
    (
        "sweep_invalid_value",
        _sweep({"tumour.loci[0].mutation_rate": [1e-9, 1e-8, 2.5]}),
        "sweep.axes['tumour.loci[0].mutation_rate'][2]",
    ),
    (
        "sweep_values_bad_together",
        _sweep(
            {"strategies[3].frac_off": [0.3, 0.6], "strategies[3].frac_on": [0.9, 0.5]},
            strategies=True,
        ),
        "sweep.axes['strategies[3].frac_on'][1]",
    ),
    (
        "sweep_unknown_strategy",
        _sweep({"strategy": ["mtd", "adaptve"]}, strategies=True),
        "sweep.axes.strategy[1]",
    ),
    ("sweep_strategy_without_strategies", _sweep({"strategy": ["mtd"]}), "sweep.axes.strategy"),
    (
        "sweep_zip_lengths_differ",
        _sweep({}, zip=[{"name": "potency", "values": _POTENCY | {"drugs[0].ic50": [2.0]}}]),
        "sweep.zip[0].values['drugs[0].ic50']",
    ),
    (
        "sweep_zip_duplicate_point",
        _sweep({}, zip=[{"name": "potency", "values": {"drugs[0].emax": [0.3, 0.3]}}]),
        "sweep.zip[0].values['drugs[0].emax'][1]",
    ),
    (
        "sweep_zip_strategy",
        _sweep({}, zip=[{"name": "s", "values": {"strategy": ["mtd"]}}]),
        "sweep.zip[0].values.strategy",
    ),
    (
        "sweep_parameter_on_two_axes",
        _sweep({"drugs[0].emax": [0.3]}, zip=[{"name": "potency", "values": _POTENCY}]),
        "sweep.zip[0].values['drugs[0].emax']",
    ),
    (
        "sweep_duplicate_axis_name",
        _sweep(
            {"simulation.horizon": [365, 730]},
            zip=[{"name": "simulation.horizon", "values": {"simulation.max_restarts": [10]}}],
        ),
        "sweep.zip[0].name",
    ),
    (
        "sweep_too_many_points",
        _sweep({"tumour.birth_rate": _many(0.2, 1001), "tumour.death_rate": _many(0.1, 1000)}),
        "sweep",
    ),
    ("sweep_zero_realizations", _sweep({}, realizations=0), "sweep.realizations"),
    ("sweep_fractional_realizations", _sweep({}, realizations=2.5), "sweep.realizations"),
    ("sweep_zero_chunk", _sweep({}, chunk=0), "sweep.chunk"),
    ("sweep_negative_seed", _sweep({}, seed=-1), "sweep.seed"),
    ("sweep_seed_too_large", _sweep({}, seed=2**32), "sweep.seed"),
    ("sweep_unknown_field", {"sweep": {"realisations": 10}}, "sweep.realisations"),
    # the file as a whole
    ("yaml_syntax_error", _YAML_SYNTAX_ERROR, "<yaml>"),
    ("yaml_duplicate_key", _DUPLICATE_KEY, "<yaml>"),
    ("top_level_list", "- tumour\n- simulation\n", "<root>"),
    ("top_level_scalar", "just some text\n", "<root>"),
    ("empty_file", "", "<root>"),
]
