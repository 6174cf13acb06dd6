"""``BAD_CONFIGS`` cases that break ``STRATEGY_CONFIG``: strategies and monitoring."""

from __future__ import annotations

from typing import Any

from bad_configs_edits import DELETE, Edit, _strategies


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


STRATEGY_CASES: list[tuple[str, Edit, str]] = [
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
]
