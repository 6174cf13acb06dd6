"""``BAD_CONFIGS`` cases that break the ``sweep`` section (added to ``VALID_CONFIG``, or to
``STRATEGY_CONFIG`` for strategy axes and zips)."""

from __future__ import annotations

from typing import Any

from bad_configs_edits import Edit, _strategies

_POTENCY = {"drugs[0].emax": [0.3, 0.5], "drugs[0].ic50": [2.0, 1.0]}


def _sweep(axes: dict[str, Any], *, strategies: bool = False, **fields: Any) -> Edit:
    """An edit adding ``sweep: {realizations: 100, axes: axes, **fields}`` to
    ``VALID_CONFIG``, or to ``STRATEGY_CONFIG`` if ``strategies`` or ``fields`` has a zip."""
    edit = {"sweep": {"realizations": 100, "axes": axes, **fields}}
    return _strategies(edit) if strategies or "zip" in fields else edit


def _many(start: float, n: int) -> list[float]:
    """``n`` distinct values from ``start`` in steps of 1e-6."""
    return [round(start + 1e-6 * i, 9) for i in range(n)]


SWEEP_CASES: list[tuple[str, Edit, str]] = [
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
]
