"""The figures of oncosweep.analysis.plots on small real datasets: a simulate() result with two
strategies, two traced realizations and ctDNA monitoring, and a sweep store (2 strategies x 2
mutation rates x 2 drug potencies) written by run_sweep. Each figure is checked for its
panels and that the plotted data are the dataset's; bad arguments give one clear error.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
import yaml

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from oncosweep import open_results, run_sweep, simulate  # noqa: E402
from oncosweep.analysis import plots  # noqa: E402
from oncosweep.analysis.probability import probabilities  # noqa: E402
from oncosweep.analysis.robustness import robustness  # noqa: E402
from oncosweep.analysis.survival import survival_curves  # noqa: E402

RATE = "tumour.loci[0].mutation_rate"
EMAX = "drugs[0].emax"
#: tiny tumours (detection at 300 cells), 20 days of treatment, two loci, ctDNA at every visit
CONFIG: dict[str, Any] = {
    "name": "report-test",
    "description": "A tiny sweep <for> the report & plot tests",
    "tumour": {"detection_size": 300, "lethal_size": 5000, "birth_rate": 1.0,
               "death_rate": 0.3,
               "loci": [{"name": "R", "mutation_rate": 0.002,
                         "mechanisms": [{"type": "target", "drug": "d", "ic50_fold": 50}]},
                        {"name": "S", "mutation_rate": 0.002, "fitness_cost": 0.1,
                         "mechanisms": [{"type": "target", "drug": "d", "ic50_fold": 5}]}]},
    "simulation": {"dt": 0.1, "horizon": 20.0},
    "trace": {"realizations": [1, 13], "every": 1.0},
    "drugs": [{"name": "d", "mode": "kill", "emax": 1.5, "ic50": 0.5, "half_life": 1.0,
               "dosing": {"dose": 2.0, "every": 1.0}}],
    "regimens": [{"name": "r", "drugs": ["d"]}],
    "monitoring": {"visit_every": 2.0, "imaging": {"cv": 0.1, "detection_limit": 10},
                   "progression": {"floor": 50},
                   "ctdna": {"shed_per_death": 1.0, "normal_genomes": 50, "depth": 1000,
                             "threshold": 3}},
    "strategies": [{"name": "cont", "kind": "continuous", "regimen": "r"},
                   {"name": "pulse", "kind": "intermittent", "regimen": "r", "on_days": 2.0,
                    "off_days": 2.0}],
    "sweep": {"realizations": 24, "chunk": 24, "seed": 3,
              "axes": {"strategy": ["cont", "pulse"], RATE: [0.001, 0.01], EMAX: [1.2, 1.6]}},
}
_STORES: dict[Path, Path] = {}


def config_file(folder: Path, config: dict[str, Any] | None = None) -> Path:
    """``config`` (default :data:`CONFIG`) as a YAML file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(copy.deepcopy(config or CONFIG), sort_keys=False))
    return path


def sweep_store(factory: pytest.TempPathFactory) -> Path:
    """The sweep store of :data:`CONFIG` (built once per test session, ~7 s)."""
    root = factory.getbasetemp()
    if root not in _STORES:
        folder = root / "analysis-sweep"
        store = folder / "sweep.zarr"
        run_sweep(config_file(folder), store, workers=1, progress=False)
        _STORES[root] = store
    return _STORES[root]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = config_file(tmp_path_factory.mktemp("simulated"))
    return simulate(path, realizations=24, seed=1)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return open_results(sweep_store(tmp_path_factory)).load()


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def panels(fig: Figure) -> list[Any]:
    """The visible axes of a figure that hold data (not colour bars)."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


# ----------------------------------------------------------------------------- survival

def test_survival_draws_the_kaplan_meier_curves_with_bands(simulated: Any) -> None:
    fig = plots.plot_survival(simulated, endpoint="progression")
    assert isinstance(fig, Figure)
    (ax,) = panels(fig)
    curves = survival_curves(simulated, endpoint="progression")
    lines = ax.get_lines()
    assert len(lines) == 2
    for line, name in zip(lines, ["cont", "pulse"], strict=True):
        curve = curves[(name,)]
        np.testing.assert_allclose(line.get_ydata()[:-1], curve.survival)
        assert line.get_xdata()[-1] == curves.horizon == 20.0
        assert f"{name} ({curve.events}/{curve.n} events)" == line.get_label()
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2   # CI bands
    assert "days" in ax.get_xlabel() and ax.get_ylim() == (0, 1.02)


def test_survival_has_one_panel_per_sweep_point_and_selects_points(sweep: Any) -> None:
    assert len(panels(plots.plot_survival(sweep, endpoint="death"))) == 4
    two = panels(plots.plot_survival(sweep, point={RATE: 0.01}))
    assert len(two) == 2 and all("mutation_rate = 0.01" in ax.get_title() for ax in two)
    fig, ax = plt.subplots()
    same = plots.plot_survival(sweep, point={RATE: 0.001, EMAX: 1.6}, strategies=["pulse"],
                               ax=ax)
    assert same is fig and len(ax.get_lines()) == 1


# ----------------------------------------------------------------------------- Muller

def test_muller_stacks_clone_frequencies_to_one(simulated: Any) -> None:
    fig = plots.plot_muller(simulated, realization=1)
    axes = panels(fig)
    assert len(axes) == 2
    for ax, name in zip(axes, ["cont", "pulse"], strict=True):
        run = simulated.sel(strategy=name, traced_realization=1)
        genotypes, cells = plots.clone_cells(run["trajectory"])
        present = [g for i, g in enumerate(genotypes) if np.nansum(cells[:, i]) > 0]
        fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(fills) == len(present) >= 2
        # the root clone's span covers the whole stack: 1 wherever there are cells
        top = np.concatenate([path.vertices[:, 1] for path in fills[0].get_paths()])
        assert np.isclose(top.max(), 1.0) and top.min() >= -1e-12
        assert ax.get_ylim() == (0, 1) and "days" in ax.get_xlabel()
    legend = fig.legends[0]
    assert {t.get_text() for t in legend.get_texts()} <= {"wt", "R", "S", "R+S"}


def test_clone_cells_groups_phenotypes_and_compartments() -> None:
    import xarray as xr

    labels = ["wt/p@bulk", "wt/q@brain", "R1/p@bulk", "R1+R2/p@brain", "R1+R2/q@bulk"]
    trajectory = xr.DataArray(np.arange(10.0).reshape(2, 5), dims=("time", "cell_type"),
                              coords={"cell_type": labels})
    genotypes, cells = plots.clone_cells(trajectory)
    assert genotypes == ["wt", "R1", "R1+R2"]
    np.testing.assert_array_equal(cells, [[1, 2, 7], [11, 7, 17]])


# ----------------------------------------------------------------------------- burden

def test_burden_plots_total_cells_visits_and_treatment(simulated: Any) -> None:
    fig = plots.plot_burden(simulated, realization=13, strategy="pulse")
    (ax,) = panels(fig)
    assert ax.get_yscale() == "log" and "cells" in ax.get_ylabel()
    run = simulated.sel(strategy="pulse", traced_realization=13)
    total = run["trajectory"].sum("cell_type").values
    (line,) = [line for line in ax.get_lines() if line.get_label() == "all cells"]
    shown = np.isfinite(line.get_ydata())
    assert shown.any()
    np.testing.assert_allclose(line.get_ydata()[shown], total[shown])
    seen = run["observed_burden"].values
    (dots,) = [line for line in ax.get_lines() if line.get_label() == "imaged burden"]
    np.testing.assert_allclose(dots.get_ydata(), seen[np.isfinite(seen) & (seen > 0)])
    given = [p for p in ax.patches if p.get_label() == "regimen given" or p.get_alpha()]
    assert len(given) >= 2        # pulses: 2 days on, 2 off, traced every day


def test_burden_with_clones_off_draws_only_the_total(simulated: Any) -> None:
    fig = plots.plot_burden(simulated, realization=1, clones=False)
    for ax in panels(fig):
        labels = [line.get_label() for line in ax.get_lines()]
        assert "all cells" in labels and "wt" not in labels


# ----------------------------------------------------------------------------- heatmap

def test_heatmap_one_panel_per_strategy_with_a_shared_colour_scale(sweep: Any) -> None:
    fig = plots.plot_heatmap(sweep, metric="cure", x=RATE, y=EMAX)
    axes = panels(fig)
    assert len(axes) == 2 and len(fig.axes) == 3                      # + the colour bar
    limits = {ax.get_images()[0].get_clim() for ax in axes}
    assert len(limits) == 1
    expected = probabilities(sweep)["estimate"].sel(outcome="cured")
    for ax, name in zip(axes, ["cont", "pulse"], strict=True):
        image = np.ma.filled(ax.get_images()[0].get_array(), np.nan)
        values = expected.sel(strategy=name).transpose(EMAX, RATE).values
        np.testing.assert_allclose(image, values)
        assert len(ax.texts) == 4 and ax.get_title() == name
        assert ax.get_xlabel() == RATE and ax.get_ylabel() == EMAX


def test_heatmap_of_strategy_against_an_axis_and_of_a_robustness_metric(sweep: Any) -> None:
    fig = plots.plot_heatmap(sweep, metric="median_progression", x=RATE, y="strategy",
                             point={EMAX: 1.2})
    (ax,) = panels(fig)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cont", "pulse"]
    robust = robustness(sweep, metric="rmst_progression", n_boot=5)
    fig = plots.plot_heatmap(sweep, metric=robust["metric"], x=EMAX, y=RATE)
    assert len(panels(fig)) == 2
    image = np.ma.filled(panels(fig)[0].get_images()[0].get_array(), np.nan)
    np.testing.assert_allclose(image, robust["metric"].sel(strategy="cont")
                               .transpose(RATE, EMAX).values)


# ----------------------------------------------------------------------------- ctDNA lead

def test_ctdna_lead_ecdf_per_strategy_counts_undefined(simulated: Any) -> None:
    fig = plots.plot_ctdna_lead(simulated)
    (ax,) = panels(fig)
    for name in ["cont", "pulse"]:
        lead = simulated["ctdna_lead_time"].sel(strategy=name).values
        defined = int(np.isfinite(lead).sum())
        assert defined > 0
        label = f"{name} (n = {defined}; undefined {lead.size - defined})"
        (line,) = [line for line in ax.get_lines() if line.get_label() == label]
        assert len(line.get_xdata()) >= 2
    assert "days" in ax.get_xlabel()


def test_ctdna_lead_one_panel_per_sweep_point(sweep: Any) -> None:
    assert len(panels(plots.plot_ctdna_lead(sweep, point={EMAX: 1.6}))) == 2


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize(("call", "message"), [
    (lambda ds: plots.plot_muller(ds, realization=2), r"realization: 2 is not a traced "
                                                      r"realization; traced realizations: "
                                                      r"\[1, 13\]"),
    (lambda ds: plots.plot_burden(ds, realization=1, strategy="nope"),
     r"strategy: 'nope' is not a strategy"),
    (lambda ds: plots.plot_survival(ds, endpoint="relapse"), r"endpoint: must be one of"),
    (lambda ds: plots.plot_survival(ds, point={"drugs[0].ic50": 1.0}),
     r"point: 'drugs\[0\].ic50' is not a sweep axis of the dataset; sweep axes: none"),
    (lambda ds: plots.plot_survival(ds, strategies=["cont", "other"]),
     r"strategies: 'other' is not a strategy"),
    (lambda ds: plots.plot_survival(ds, ax=plt.subplots()[1], strategies=["cont"]), None),
    (lambda ds: plots.plot_heatmap(ds, metric="cure", x=RATE, y="strategy"),
     r"x: 'tumour.loci\[0\].mutation_rate' is not a dimension of the metric"),
])
def test_clear_errors_on_a_simulated_dataset(simulated: Any, call: Any,
                                             message: str | None) -> None:
    if message is None:
        assert isinstance(call(simulated), Figure)
        return
    with pytest.raises(ValueError, match=message):
        call(simulated)


@pytest.mark.parametrize(("call", "message"), [
    (lambda ds: plots.plot_muller(ds, realization=1),
     r"point: choose one value of the sweep axes \['tumour.loci\[0\].mutation_rate', "
     r"'drugs\[0\].emax'\]"),
    (lambda ds: plots.plot_burden(ds, realization=1, point={RATE: 0.5, EMAX: 1.2}),
     r"point\['tumour.loci\[0\].mutation_rate'\]: 0.5 is not a value of the sweep axis; "
     r"values: \[0.001, 0.01\]"),
    (lambda ds: plots.plot_survival(ds, ax=plt.subplots()[1]),
     r"ax: this figure has 4 panels"),
    (lambda ds: plots.plot_heatmap(ds, metric="cure", x=RATE, y=RATE), r"y: must differ"),
    (lambda ds: plots.plot_heatmap(ds, metric="p_cure", x=RATE, y=EMAX),
     r"metric: must be one of 'median_progression'"),
    (lambda ds: plots.plot_heatmap(ds, metric="cure", x=RATE, y="strategy"),
     r"point: fix the sweep axis 'drugs\[0\].emax'"),
    (lambda ds: plots.plot_heatmap(ds, metric="cure", x=RATE, y=EMAX, point={"foo": 1}),
     r"point: 'foo' is not a sweep axis left to fix"),
])
def test_clear_errors_on_a_sweep(sweep: Any, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(sweep)


def test_realization_must_be_an_integer(simulated: Any) -> None:
    with pytest.raises(TypeError, match=r"realization: must be an integer"):
        plots.plot_muller(simulated, realization=1.0)
