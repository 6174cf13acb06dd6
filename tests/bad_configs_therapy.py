"""``BAD_CONFIGS`` cases that break ``THERAPY_CONFIG`` (two break ``VALID_CONFIG``): drugs and
dosing, resistance mechanisms, compartments and the initial population, growth and immune,
regimens and treatment."""

from __future__ import annotations

from typing import Any

from bad_configs_edits import DELETE, Edit, _therapy


def _nine_compartments(config: dict[str, Any]) -> None:
    config["tumour"]["compartments"] += [{"name": f"C{i}"} for i in range(7)]


def _duplicate_immune_evasion(config: dict[str, Any]) -> None:
    config["tumour"]["loci"][0]["mechanisms"].append({"type": "immune_evasion", "kill_factor": 1})


THERAPY_CASES: list[tuple[str, Edit, str]] = [
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
    ("infeasible_dt_with_drug_kill", _therapy({"drugs.0.emax": 20.0, "simulation.scheme": "euler"}),
     "simulation.dt"),
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
]
