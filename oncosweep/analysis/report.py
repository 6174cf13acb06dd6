"""A self-contained HTML report of a result store or dataset (``oncosweep report``).

One HTML file with everything inline: figures as base64 PNG ``<img>`` data URIs, the style
sheet in a ``<style>`` element, no scripts, no external URLs or fonts, so it opens offline
and can be mailed or archived as is. Contents: the run (realizations, seed, backend, config
hash), the sweep axes and their values, survival tables (Kaplan–Meier medians and RMST of
progression and death), log-rank comparisons, outcome probabilities, the robustness ranking
of strategies (ties marked), outcome by patient characteristics (only when parameters are
drawn per realization: :mod:`~oncosweep.analysis.stratify`), the figures of
:mod:`oncosweep.analysis.plots`, the scenario YAML and the versions. A section whose data the
dataset lacks (e.g. no traced realizations, no ctDNA monitoring, a single strategy) says so
instead of failing.

This module writes the sections; the source is opened by :mod:`~oncosweep.analysis.source`,
the HTML building blocks are in :mod:`~oncosweep.analysis.markup` and the versions in
:mod:`~oncosweep.analysis.provenance` (``versions`` and ``recorded_backend`` are importable
from here too).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from oncosweep.analysis import _data
from oncosweep.analysis.markup import (
    STYLE,
    ReportFigure,
    days,
    escape,
    figure_html,
    group_rows,
    html_table,
    missing,
    num,
    plus_minus,
    png,
    row_dims,
)
from oncosweep.analysis.metrics import HEATMAP_METRICS
from oncosweep.analysis.probability import probabilities
from oncosweep.analysis.provenance import recorded_backend, versions
from oncosweep.analysis.robustness import CRITERIA, METRICS, rank_strategies, robustness
from oncosweep.analysis.selection import axis_index, plain, sweep_axes
from oncosweep.analysis.source import open_source
from oncosweep.analysis.stratify import drawn_parameters, plot_benefit, stratified_survival
from oncosweep.analysis.survival import compare_strategies, survival_table

__all__ = ["build_report", "recorded_backend", "versions"]


def build_report(source: str | os.PathLike[str] | Any, *, output: str | os.PathLike[str],
                 metric: str = "rmst_progression", criterion: str = "cvar",
                 alpha: float = 0.25, z: float = 2.0, tau: float | None = None,
                 n_boot: int = 200, seed: int = 0, level: float = 0.95,
                 realization: int | None = None, point: Mapping[str, Any] | None = None,
                 dpi: int = 90) -> Path:
    """Write a self-contained HTML report of ``source`` to ``output`` and return its path.

    Parameters
    ----------
    source
        A sweep store (``oncosweep sweep``), a run store (``oncosweep run``) or a result
        ``xarray.Dataset`` (e.g. of :func:`oncosweep.simulate`). A sweep store must be
        complete (every unit done).
    output
        The HTML file to write (parent folders are created; an existing file is replaced).
    metric, criterion, alpha, z, tau, n_boot, seed
        The robustness ranking: ``metric`` of :data:`oncosweep.analysis.METRICS`
        summarised over the sweep points by ``criterion`` (one of
        :data:`~oncosweep.analysis.CRITERIA`; CVaR at level ``alpha``), ties at
        ``z`` paired-bootstrap standard errors (``n_boot`` replicates, ``seed``); ``tau``
        (days) is the RMST restriction time and the "progression by" time (default: the
        horizon). See :func:`~oncosweep.analysis.robustness.robustness` and
        :func:`~oncosweep.analysis.robustness.rank_strategies`.
    level
        Confidence level of intervals and bands, in (0, 1).
    realization, point
        The traced realization (its index) and sweep point (``{axis: value}``) of the Muller
        and burden figures; default the first traced realization, and the middle value of
        each sweep axis.
    dpi
        Resolution of the embedded PNG figures (dots per inch).
    """
    ds, where = open_source(source)
    if not callable(metric) and metric not in METRICS:
        raise ValueError(f"metric: must be one of {', '.join(map(repr, METRICS))},"
                         f" got {metric!r}")
    if criterion not in CRITERIA:
        raise ValueError(f"criterion: must be one of "
                         f"{', '.join(map(repr, CRITERIA))}, got {criterion!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha <= 1:
        raise ValueError(f"alpha: must be a number in (0, 1], got {alpha!r}")
    if isinstance(z, bool) or not isinstance(z, int | float) or not (np.isfinite(z) and z >= 0):
        raise ValueError(f"z: must be a finite number >= 0, got {z!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 2:
        raise ValueError(f"n_boot: must be an integer >= 2, got {n_boot!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 20 <= dpi <= 600:
        raise ValueError(f"dpi: must be an integer in [20, 600], got {dpi!r}")
    _data.check_level(level)
    horizon = _data.horizon_days(ds)
    if tau is not None:
        tau = _data.check_days(tau, "tau", horizon=horizon)
    traced = [int(r) for r in ds["traced_realization"].values] \
        if "traced_realization" in ds.dims else []
    if realization is not None and (isinstance(realization, bool)
                                    or not isinstance(realization, int | np.integer)):
        raise ValueError(f"realization: must be an integer realization index, got "
                         f"{realization!r}")
    if realization is not None and realization not in traced:
        raise ValueError(f"realization: {realization!r} is not a traced realization; traced "
                         f"realizations: {traced or 'none'}")
    axes = sweep_axes(ds)
    if point is not None and not isinstance(point, Mapping):
        raise ValueError(f"point: must be a mapping {{axis: value}}, got {point!r}")
    for name, value in (point or {}).items():
        if name not in axes:
            raise ValueError(f"point: {name!r} is not a sweep axis of the dataset; sweep axes:"
                             f" {axes or 'none'}")
        axis_index(ds, name, value)
    if point is None:
        point = {name: plain(ds[name].values[ds.sizes[name] // 2]) for name in axes}
    else:
        point = {**{name: plain(ds[name].values[ds.sizes[name] // 2]) for name in axes},
                 **point}
    options = dict(metric=metric, criterion=criterion, alpha=float(alpha), z=float(z),
                   tau=tau, n_boot=n_boot, seed=seed, level=float(level), dpi=dpi,
                   realization=realization if realization is not None
                   else (traced[0] if traced else None), point=point, horizon=horizon)
    page = _page(ds, where, options)
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return path


# ---------------------------------------------------------------------------- sections

def _run_section(ds: Any, where: str) -> str:
    attrs = ds.attrs
    rows = [["source", where], ["format", attrs.get("format", "–")]]
    n = ds.sizes.get("realization", 0)
    if "realizations" in attrs:
        rows.append(["realizations per sweep point", str(attrs["realizations"])])
    else:
        rows.append(["realizations", str(n)])
    if "detected" in ds:
        detected = np.asarray(ds["detected"].values)
        rows.append(["detected tumours (analysed)", f"{int(detected.sum())} of "
                     f"{detected.size} (all strategies and sweep points)"])
    for key, title in (("seed", "seed"), ("chunk", "realizations per unit (chunk)"),
                       ("point", "parameter point id"), ("strategy", "strategy"),
                       ("rng_scheme", "random numbers"),
                       ("dt_days", "time step (days)"), ("config_hash", "config hash"),
                       ("oncosweep_version", "written by oncosweep")):
        if key in attrs:
            rows.append([title, str(attrs[key])])
    rows.append(["backend", recorded_backend(ds)])
    traced = [str(int(r)) for r in ds["traced_realization"].values] \
        if "traced_realization" in ds.dims else []
    rows.append(["traced realizations", ", ".join(traced) or "none"])
    return "<h2 id=\"run\">Run</h2>" + html_table(["", "value"], rows, text_columns=2)


def _axes_section(ds: Any) -> str:
    text = ds.attrs.get("axes")
    out = ['<h2 id="axes">Sweep axes</h2>']
    if not text:
        names = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else []
        out.append('<p>Not a sweep store: a single parameter point'
                   + (f" with the strategies {escape(', '.join(names))}." if names else ".")
                   + "</p>")
        return "".join(out)
    rows = []
    for name, values, is_strategy in json.loads(text):
        kind = "strategy" if is_strategy else ("parameter" if "." in name or "[" in name
                                               else "parameter group (zip)")
        rows.append([name, kind, ", ".join(str(v) for v in values), str(len(values))])
    out.append(html_table(["axis", "kind", "values", "count"], rows, text_columns=3))
    out.append('<p class="note">Every strategy of a biology point sees the same tumours '
               "(common random numbers); zip groups are listed by index, their parameter "
               "values are in the scenario's <code>sweep.zip</code> below.</p>")
    return "".join(out)


#: the survival tables of the report, with the censoring rule of each (analysis._data)
ENDPOINT_TITLES = {
    "pfs": "progression-free survival (progression or death; censored at the horizon)",
    "progression": "time to progression (censored at death or the horizon)",
    "death": "overall survival (death; censored at the horizon)",
    "ttf": "time to treatment failure of the first line (switch, progression or death)",
    "pfs2": "second-line progression-free survival (from the switch; switched tumours only)",
}


def _survival_section(ds: Any, options: dict[str, Any]) -> str:
    level = options["level"]
    out = ['<h2 id="survival">Survival</h2>',
           f'<p class="note">Kaplan–Meier estimates over detected realizations, days since '
           f"treatment start. Progression is censored at death or the horizon "
           f"({options['horizon']:g} days); death at the horizon. Median: first time the "
           f"curve is at or below 1/2 (NR: not reached) with its {level:.0%} interval "
           f"(log-log band); RMST: restricted mean time to the event up to tau "
           f"(area under the curve) +- its standard error.</p>"]
    endpoints = ["pfs", "progression", "death", "ttf"]
    if "time_to_switch" in ds.variables and bool(np.isfinite(ds["time_to_switch"].values).any()):
        endpoints.append("pfs2")
    for endpoint in endpoints:
        try:
            table = survival_table(ds, endpoint=endpoint, tau=options["tau"],
                                            level=level)
        except ValueError as exc:
            if endpoint in ("pfs", "ttf"):  # stores written before these outputs existed
                continue
            out.append(f"<h3>{escape(endpoint)}</h3>" + missing(f"not available: {exc}"))
            continue
        header, rows = group_rows(table, row_dims(table, "n"), [
            ("n", lambda t: str(int(t["n"]))),
            ("events", lambda t: str(int(t["events"]))),
            ("median (days)", lambda t: days(t["median"], "NR")),
            (f"{level:.0%} CI", lambda t: f"{days(t['median_lower'], 'NR')} – "
                                         f"{days(t['median_upper'], 'NR')}"),
            (f"RMST to {table.attrs['tau_days']:g} d (days)",
             lambda t: f"{float(t['rmst']):.1f} ± {float(t['rmst_se']):.1f}"),
        ])
        out.append(f"<h3>{escape(ENDPOINT_TITLES[endpoint])}</h3>")
        out.append(html_table(header, rows, text_columns=len(header) - 5))
    try:
        test = compare_strategies(ds, endpoint="progression")
    except ValueError as exc:
        out.append(missing(f"log-rank comparison not available: {exc}"))
    else:
        header, rows = group_rows(test, row_dims(test, "pvalue"), [
            ("chi-square", lambda t: num(t["statistic"])),
            ("z", lambda t: num(t["z"])),
            ("p-value", lambda t: num(t["pvalue"], digits=2)),
        ])
        out.append(f"<h3>log-rank test of time to progression against "
                   f"{escape(test.attrs['reference'])}</h3>")
        out.append(html_table(header, rows, text_columns=len(header) - 3))
        out.append('<p class="note">Two-sided; z &gt; 0: more progressions than expected '
                   "(worse than the reference). Strategies share their tumours (common "
                   "random numbers), which makes the test conservative.</p>")
    return "".join(out)


def _probability_section(ds: Any, options: dict[str, Any]) -> str:
    out = ['<h2 id="probabilities">Probabilities</h2>']
    try:
        table = probabilities(ds, by_time=options["tau"], level=options["level"])
    except ValueError as exc:
        return "".join(out) + missing(f"not available: {exc}")
    titles = {"cured": "cure", "resistant_at_start": "resistance at start",
              "progressed_by": f"progression by {table.attrs['by_time_days']:g} d"}

    def cell(outcome: str) -> Callable[[Any], str]:
        def render(t: Any) -> str:
            one = t.sel(outcome=outcome)
            return (f"{float(one['estimate']):.3f} ({float(one['lower']):.3f}–"
                    f"{float(one['upper']):.3f})")
        return render

    header, rows = group_rows(
        table, row_dims(table, "trials"), [("n", lambda t: str(int(t["trials"].isel(outcome=0))))]
        + [(titles.get(str(o), str(o)), cell(str(o))) for o in table["outcome"].values])
    out.append(html_table(header, rows, text_columns=len(header) - 1 - table.sizes["outcome"]))
    out.append(f'<p class="note">Proportions of detected tumours with {options["level"]:.0%} '
               f"{escape(table.attrs['method'])} intervals. Resistance at start: some cell resists "
               "at least one drug when treatment starts. Progression by a time counts a "
               "tumour that died first as not progressed (cumulative incidence with death as "
               "a competing risk).</p>")
    return "".join(out)


def _exposure_section(ds: Any) -> str:
    import xarray as xr  # noqa: PLC0415

    from oncosweep.analysis.exposure import dose_intensity  # noqa: PLC0415

    out = ['<h2 id="exposure">Drug exposure</h2>']
    try:
        intensity = dose_intensity(ds)
    except ValueError as exc:
        return "".join(out) + missing(f"not available: {exc}")
    table = xr.Dataset({
        "n": intensity.isel(drug=0).notnull().sum("realization"),
        "mean": intensity.mean("realization"),
        "q25": intensity.quantile(0.25, "realization").drop_vars("quantile"),
        "q75": intensity.quantile(0.75, "realization").drop_vars("quantile"),
    })
    drugs = [str(d) for d in table["drug"].values]

    def cell(i: int) -> Callable[[Any], str]:
        def render(t: Any) -> str:
            one = t.isel(drug=i)
            return (f"{float(one['mean']):.2f} ({float(one['q25']):.2f}–"
                    f"{float(one['q75']):.2f})")
        return render

    header, rows = group_rows(table, row_dims(table, "n"),
                              [("n", lambda t: str(int(t["n"])))]
                              + [(drug, cell(i)) for i, drug in enumerate(drugs)])
    out.append(html_table(header, rows, text_columns=len(header) - 1 - len(drugs)))
    out.append('<p class="note">Dose intensity: each detected tumour\'s drug exposure (area '
               "under the plasma concentration curve until the horizon, death or cure) "
               "relative to what the drug's standard continuous dosing gives over the same "
               "time, with the patient's own half-life: mean (interquartile range). 1: "
               "standard continuous dosing; a sequence of drugs shares it between them.</p>")
    return "".join(out)


def _robustness_section(ds: Any, options: dict[str, Any]) -> str:
    metric, criterion = options["metric"], options["criterion"]
    out = ['<h2 id="robustness">Robustness ranking</h2>']
    if "strategy" not in ds.dims or ds.sizes["strategy"] < 2:
        return "".join(out) + missing("not available: the dataset has a single strategy")
    tau = options["tau"] if metric in ("rmst_progression", "progression_by") else None
    try:
        robust = robustness(ds, metric=metric, alpha=options["alpha"],
                                       n_boot=options["n_boot"], seed=options["seed"],
                                       tau=tau)
        ranking = rank_strategies(robust, criterion=criterion, z=options["z"])
    except ValueError as exc:
        return "".join(out) + missing(f"not available: {exc}")
    units = robust.attrs.get("units", "")
    rows, classes = [], []
    for record in ranking.itertuples(index=False):
        tied_with = ", ".join(str(s) for s in record.tied_with)
        rows.append([str(record.rank) + (" (tie)" if record.tied else ""), str(record.strategy),
                     plus_minus(record.value, record.se), num(record.diff_se, digits=2),
                     tied_with or "–"])
        classes.append("tied" if record.tied else "")
    unit_text = f" ({units})" if units and units != "1" else ""
    out.append(html_table(["rank", "strategy", f"{criterion}{unit_text} ± SE",
                       "SE of the difference to the one above", "tied with"], rows,
                      text_columns=2, row_classes=classes))
    points = json.loads(robust.attrs.get("point_dims", "[]"))
    out.append(
        f'<p class="note">Metric <code>{escape(robust.attrs["metric"])}</code> '
        f"({escape(robust['metric'].attrs.get('long_name', ''))}"
        + (f", tau = {robust.attrs['tau_days']:g} days" if "tau_days" in robust.attrs else "")
        + f"; {'higher' if robust.attrs['higher_is_better'] else 'lower'} is better) per "
        f"strategy and point over {escape(', '.join(points) or 'a single point')}, summarised by "
        f"<code>{escape(criterion)}</code>"
        + (f" (CVaR: the mean of the worst alpha = {options['alpha']:g} fraction of points)"
           if criterion == "cvar" else "")
        + f". SE: paired bootstrap over realizations ({options['n_boot']} replicates, seed "
        f"{options['seed']}). Tie rule: a strategy whose value differs from the one ranked "
        f"just above it by at most z = {options['z']:g} standard errors of the paired "
        "difference shares its rank (ties chain); tied rows are highlighted.</p>")
    criteria_rows = []
    for s, name in enumerate(robust["strategy"].values):
        criteria_rows.append([str(name)] + [
            plus_minus(robust[c].values[s], robust[f"{c}_se"].values[s])
            for c in CRITERIA])
    out.append("<h3>all criteria (value ± bootstrap SE)</h3>")
    out.append(html_table(["strategy", *CRITERIA], criteria_rows))
    return "".join(out)


def _patients_section(ds: Any, options: dict[str, Any]) -> str:
    level, axes = options["level"], sweep_axes(ds)
    first = ds.isel(dict.fromkeys(axes, 0))
    where = ", ".join(f"{a} = {plain(first[a].values)}" for a in axes)
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else []
    out = ['<h2 id="patients">Outcome by patient characteristics</h2>',
           '<p class="note">Model parameters drawn per realization (virtual patients; every '
           "strategy sees the same patients)"
           + (f", at the first sweep point ({escape(where)})" if where else "")
           + ". Time to progression per quartile of each drawn parameter among detected "
           f"tumours; median with its {level:.0%} interval (NR: not reached), RMST to tau "
           f"± SE, cure with its {level:.0%} Wilson interval.</p>"]
    for name in drawn_parameters(ds):
        path = ds[name].attrs.get("parameter", name)
        units = ds[name].attrs.get("units", "")
        out.append(f"<h3>{escape(path)}"
                   + (f" ({escape(units)})" if units else "") + "</h3>")
        try:
            table = stratified_survival(first, name, tau=options["tau"], level=level)
        except ValueError as exc:
            out.append(missing(f"not available: {exc}"))
            continue
        header, rows = group_rows(table, [d for d in ("stratum", "strategy")
                                          if d in table.dims], [
            ("range", lambda t: f"{float(t['stratum_lower']):.3g} – "
                                f"{float(t['stratum_upper']):.3g}"),
            ("n", lambda t: str(int(t["n"]))),
            ("events", lambda t: str(int(t["events"]))),
            ("median (days)", lambda t: f"{days(t['median'], 'NR')} "
                                        f"({days(t['median_lower'], 'NR')} – "
                                        f"{days(t['median_upper'], 'NR')})"),
            (f"RMST to {table.attrs['tau_days']:g} d (days)",
             lambda t: f"{float(t['rmst']):.1f} ± {float(t['rmst_se']):.1f}"),
            ("cure", lambda t: f"{num(t['cure'])} ({num(t['cure_lower'])}–"
                               f"{num(t['cure_upper'])})"),
        ])
        out.append(html_table(header, rows, text_columns=len(header) - 5))
        if len(strategies) < 2:
            continue
        caption = (f"Difference in RMST of progression (to tau) from {strategies[0]} per "
                   f"quintile of {path}, at each quintile's median value; shaded: pointwise "
                   f"{level:.0%} paired-bootstrap percentile band ({options['n_boot']} "
                   f"replicates, seed {options['seed']}); heterogeneity: Cochran's Q test "
                   "that the difference is the same in every quintile.")
        try:
            image = png(plot_benefit(first, name, tau=options["tau"], level=level,
                                     n_boot=options["n_boot"], seed=options["seed"]),
                        dpi=options["dpi"])
            figure = ReportFigure(f"fig-benefit-{name}", f"Benefit over {strategies[0]} by "
                                  f"{path}", caption, image)
        except ValueError as exc:
            figure = ReportFigure(f"fig-benefit-{name}", f"Benefit by {path}", caption, None,
                                  f"not available: {exc}")
        out.append(figure_html(figure))
    return "".join(out)


def _figures(ds: Any, options: dict[str, Any]) -> list[ReportFigure]:
    from oncosweep.analysis import plots  # noqa: PLC0415

    dpi = options["dpi"]
    figures: list[ReportFigure] = []

    def add(anchor: str, title: str, caption: str, draw: Callable[[], Any],
            absent: str | None = None) -> None:
        if absent is not None:
            figures.append(ReportFigure(anchor, title, caption, None, absent))
            return
        try:
            fig = draw()
        except ValueError as exc:
            figures.append(ReportFigure(anchor, title, caption, None, f"not available: {exc}"))
            return
        figures.append(ReportFigure(anchor, title, caption, png(fig, dpi=dpi)))

    axes = sweep_axes(ds)
    for endpoint in ("progression", "death"):
        add(f"fig-survival-{endpoint}", f"Kaplan–Meier curves: time to {endpoint}",
            f"Per strategy, one panel per sweep point; shaded: {options['level']:.0%} "
            "pointwise log-log bands; x: days since treatment start.",
            lambda endpoint=endpoint: plots.plot_survival(ds, endpoint=endpoint,
                                                          level=options["level"]))
    metric = options["metric"] if isinstance(options["metric"], str) else "rmst_progression"
    heat_metrics = [metric] + [m for m in ("median_progression", "cure") if m != metric]
    if not axes:
        for name in heat_metrics:
            add(f"fig-heatmap-{name}", f"Heatmap: {name}", "", lambda: None,
                absent="not available: the dataset has no sweep axes (a single point)")
    else:
        if len(axes) >= 2:
            x, y = axes[0], axes[1]
            fixed = {a: options["point"][a] for a in axes[2:]}
        else:
            x, y, fixed = axes[0], "strategy", {}
        if y == "strategy" and "strategy" not in ds.dims:
            heat_metrics = []
            add("fig-heatmap", "Heatmap", "", lambda: None,
                absent="not available: one sweep axis and a single strategy")
        for name in heat_metrics:
            where = ", ".join(f"{a} = {v}" for a, v in fixed.items())
            add(f"fig-heatmap-{name}",
                f"Heatmap: {HEATMAP_METRICS[name][0]}",
                f"Over {x} and {y}" + (f" at {where}" if where else "")
                + ("" if y == "strategy" else ", one panel per strategy")
                + "; one colour scale"
                + ("; NR: median not reached." if name.startswith("median") else "."),
                lambda name=name: plots.plot_heatmap(ds, metric=name, x=x, y=y, point=fixed,
                                                     tau=options["tau"],
                                                     level=options["level"]))
    lead = np.asarray(ds["ctdna_lead_time"].values) if "ctdna_lead_time" in ds else None
    add("fig-ctdna", "ctDNA lead time",
        "ECDF per strategy of the first imaging progression minus the first ctDNA call "
        "(days), one panel per sweep point; the legend counts realizations where it is "
        "undefined.",
        lambda: plots.plot_ctdna_lead(ds),
        absent=None if lead is not None and np.isfinite(lead).any() else
        "not available: no realization has both a ctDNA call and an imaging progression "
        "(no ctDNA monitoring, or no progression)")
    realization = options["realization"]
    point = {a: options["point"][a] for a in axes}
    where = ", ".join(f"{a} = {v}" for a, v in point.items())
    untraced = None if realization is not None else (
        "not available: no traced realizations (set trace.realizations in the scenario)")
    add("fig-muller", f"Muller plot: realization {realization}",
        "Clone (genotype) frequencies over time, nested by ancestry, one panel per strategy"
        + (f"; at {where}" if where else "") + ".",
        lambda: plots.plot_muller(ds, realization=realization, point=point), absent=untraced)
    add("fig-burden", f"Tumour burden: realization {realization}",
        "All cells (black) and clones on a log axis, imaged burden at visits, shading: "
        "regimen given" + (f"; at {where}" if where else "") + ".",
        lambda: plots.plot_burden(ds, realization=realization, point=point), absent=untraced)
    return figures


def _page(ds: Any, where: str, options: dict[str, Any]) -> str:
    import yaml  # noqa: PLC0415

    scenario_text = str(ds.attrs.get("scenario", ""))
    try:
        scenario = yaml.safe_load(scenario_text) or {}
    except yaml.YAMLError:
        scenario = {}
    name = scenario.get("name", "results") if isinstance(scenario, dict) else "results"
    description = scenario.get("description", "") if isinstance(scenario, dict) else ""
    sections = [
        _run_section(ds, where),
        _axes_section(ds),
        _survival_section(ds, options),
        _probability_section(ds, options),
        _exposure_section(ds),
        _robustness_section(ds, options),
    ]
    patients = bool(drawn_parameters(ds))
    if patients:
        sections.append(_patients_section(ds, options))
    figures = _figures(ds, options)
    sections.append('<h2 id="figures">Figures</h2>' + "".join(map(figure_html, figures)))
    sections.append('<h2 id="config">Scenario</h2>' + (
        f"<pre>{escape(scenario_text)}</pre>" if scenario_text else
        missing("the dataset has no scenario attribute")))
    version_rows = [[k, v] for k, v in versions(ds).items()]
    sections.append('<h2 id="versions">Versions</h2>'
                    + html_table(["package", "version"], version_rows, text_columns=2))
    contents = [("run", "Run"), ("axes", "Sweep axes"), ("survival", "Survival"),
                ("probabilities", "Probabilities"), ("exposure", "Drug exposure"),
                ("robustness", "Robustness ranking"),
                *([("patients", "Outcome by patient characteristics")] if patients else []),
                ("figures", "Figures"), ("config", "Scenario"), ("versions", "Versions")]
    nav = "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t in contents)
    nav += "".join(f'<li><a href="#{escape(f.anchor)}">{escape(f.title)}</a></li>' for f in figures)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>oncosweep report: {escape(name)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<h1>oncosweep report: {escape(name)}</h1>\n"
        + (f"<p>{escape(description)}</p>\n" if description else "")
        + f"<nav><ul>{nav}</ul></nav>\n" + "\n".join(sections) + "\n</body>\n</html>\n")
