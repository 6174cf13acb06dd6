"""The HTML report (oncosweep.analysis.report and ``oncosweep report``): built from a small real
sweep store (the one of tests/test_plots.py) and from a simulate() result that lacks traced
realizations, ctDNA and strategies; opened in real headless Chromium (tests/browser.py) to
check that every figure renders and the page loads nothing from outside.
"""

from __future__ import annotations

import html
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from test_plots import CONFIG, config_file, sweep_store

from oncosweep import simulate
from oncosweep.analysis.report import build_report, versions
from oncosweep.cli import main
from oncosweep.distributed.store import write_dataset
from oncosweep.gpu_engine.backend import resolve_backend

#: figures of a complete report of the test sweep (2 survival, 3 heatmaps, ctDNA, Muller, burden)
FIGURES = 8


class Page(HTMLParser):
    """Tags, attributes, <pre> text and table rows of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.pre: list[str] = []
        self._in_pre = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_pre = self._in_pre or tag == "pre"
        if tag == "pre":
            self.pre.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre = False

    def handle_data(self, data: str) -> None:
        if self._in_pre:
            self.pre[-1] += data

    def attrs_of(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sweep_store(tmp_path_factory)


@pytest.fixture(scope="module")
def report(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("report") / "deep" / "report.html"
    path = build_report(store, output=output, n_boot=30)
    assert path == output
    return path


def test_report_is_one_self_contained_page(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>")
    assert not page.attrs_of("script") and not page.attrs_of("link")
    assert not page.attrs_of("iframe") and not page.attrs_of("object")
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "action", "poster"):
            value = (attrs.get(name) or "").strip()
            if value:
                assert value.startswith(("data:image/png;base64,", "#")), (tag, name, value[:40])
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
    assert "url(" not in text and "@import" not in text and "@font-face" not in text
    images = page.attrs_of("img")
    assert len(images) == FIGURES
    assert all((a.get("src") or "").startswith("data:image/png;base64,") for a in images)


def test_report_contents(report: Path, store: Path) -> None:
    text = report.read_text(encoding="utf-8")
    page = Page(text)
    ds = xr.open_zarr(store)
    # the scenario YAML, escaped: the page shows it verbatim
    assert page.pre == [ds.attrs["scenario"]]
    assert "A tiny sweep &lt;for&gt; the report &amp; plot tests" in text
    assert "<for>" not in text
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert {"run", "axes", "survival", "probabilities", "robustness", "figures", "config",
            "versions"} <= ids
    for fragment in ("0.001, 0.01", "1.2, 1.6", "cont, pulse", ds.attrs["config_hash"],
                     "<td class=\"text\">realizations per sweep point</td><td class=\"text\">"
                     "24</td>", "<td class=\"text\">seed</td><td class=\"text\">3</td>",
                     "time to progression", "time to death", "log-rank test",
                     "rmst_progression", "CVaR", "Tie rule"):
        assert fragment in text, fragment
    for package, version in versions(ds).items():
        assert f"<td class=\"text\">{html.escape(package)}</td><td class=\"text\">" \
               f"{html.escape(version)}</td>" in text
    computed_by = resolve_backend("auto").name  # the fixture's sweep ran on backend auto
    assert f"backend (recorded)</td><td class=\"text\">{computed_by} (8 units)" in text
    # one row per strategy and sweep point in each survival table (2 x 2 x 2 = 8)
    survival = text[text.index('id="survival"'):text.index('id="probabilities"')]
    tables = survival.split("<table>")[1:3]
    assert [table.count("<tr>") - 1 for table in tables] == [8, 8]
    assert 'class="missing"' not in text


def test_ties_are_marked(store: Path, tmp_path: Path) -> None:
    tied = build_report(store, output=tmp_path / "tied.html", n_boot=5, z=1e9, dpi=30,
                        metric="cure", criterion="mean").read_text()
    ranking = tied[tied.index('id="robustness"'):tied.index('id="figures"')]
    assert ranking.count('<tr class="tied">') == 2 and ranking.count("1 (tie)") == 2
    separate = build_report(store, output=tmp_path / "separate.html", n_boot=5, z=0.0, dpi=30,
                            metric="cure", criterion="mean").read_text()
    ranking = separate[separate.index('id="robustness"'):separate.index('id="figures"')]
    assert '<tr class="tied">' not in ranking and "(tie)" not in ranking


def test_missing_data_is_reported_not_fatal(tmp_path: Path) -> None:
    config = {key: value for key, value in CONFIG.items()
              if key not in ("trace", "strategies", "sweep")}
    config["treatment"] = {"regimen": "r"}
    config["monitoring"] = {k: v for k, v in CONFIG["monitoring"].items() if k != "ctdna"}
    ds = simulate(config_file(tmp_path, config), realizations=12, seed=2)
    text = build_report(ds, output=tmp_path / "single.html", n_boot=5).read_text()
    page = Page(text)
    assert len(page.attrs_of("img")) == 2                      # the two survival figures
    missing = re.findall(r'<p class="missing">([^<]*)</p>', text)
    assert any("single strategy" in m for m in missing)        # robustness
    assert any("no sweep axes" in m for m in missing)          # heatmaps
    assert any("ctDNA" in m for m in missing)
    assert sum("no traced realizations" in m for m in missing) == 2   # Muller, burden
    assert "Not a sweep store" in text
    # the same dataset as a store written by `oncosweep run`, through the command line
    run_store = write_dataset(ds, tmp_path / "run.zarr")
    out = tmp_path / "run.html"
    assert main(["report", str(run_store), "-o", str(out)]) == 0
    assert len(Page(out.read_text()).attrs_of("img")) == 2


def test_bad_arguments_name_the_argument(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    for kwargs, message in (({"alpha": 0}, r"alpha: must be a number in \(0, 1\]"),
                            ({"metric": "median"}, r"metric: must be one of"),
                            ({"criterion": "best"}, r"criterion: must be one of"),
                            ({"tau": 99.0}, r"tau: must be <= the horizon \(20 days\)"),
                            ({"realization": 3}, r"realization: 3 is not a traced "
                                                 r"realization; traced realizations: \[1, 13\]"),
                            ({"realization": True}, r"realization: must be an integer"),
                            ({"point": {"x": 1}}, r"point: 'x' is not a sweep axis"),
                            ({"point": {"drugs[0].emax": 2.0}},
                             r"point\['drugs\[0\].emax'\]: 2.0 is not a value of the sweep "
                             r"axis; values: \[1.2, 1.6\]")):
        with pytest.raises(ValueError, match=message):
            build_report(store, output=out, **kwargs)
    with pytest.raises(FileNotFoundError, match=r"source: .*nothing.zarr: no such store"):
        build_report(tmp_path / "nothing.zarr", output=out)
    assert not out.exists()


# ----------------------------------------------------------------------------- Chromium

def test_report_renders_in_headless_chromium(report: Path) -> None:
    from browser import chromium_page  # noqa: PLC0415

    image = pytest.importorskip("PIL.Image")
    with chromium_page() as (page, errors):
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.resolve().as_uri(), wait_until="load")
        figures = page.locator("img.figure")
        assert figures.count() == FIGURES
        for i in range(FIGURES):
            figure = figures.nth(i)
            figure.scroll_into_view_if_needed()
            assert figure.evaluate("img => img.complete && img.naturalWidth > 0 && "
                                   "img.naturalHeight > 0")
            box = figure.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100
            pixels = np.asarray(image.open(io.BytesIO(figure.screenshot())).convert("L"))
            assert pixels.size and pixels.std() > 5, f"figure {i} looks blank"
        assert page.title() == "oncosweep report: report-test"
        # run, axes, survival, probabilities, exposure, robustness, figures, scenario, versions
        assert page.locator("h2").count() == 9
        assert errors == []
    # the page itself is the only thing loaded (figures are data: URIs, not requests)
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []


# ----------------------------------------------------------------------------- CLI

def test_cli_report_writes_the_page_and_prints_its_path(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.html"
    assert main(["report", str(store), "-o", str(out), "--metric", "cure", "--alpha", "0.5",
                 "--realization", "13"]) == 0
    assert capsys.readouterr().out == f"{out}\n"
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "Muller plot: realization 13" in text


def test_cli_report_errors_are_one_line_exit_2(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.html")
    incomplete = tmp_path / "incomplete.zarr"
    shutil.copytree(store, incomplete)
    import zarr  # noqa: PLC0415

    zarr.open_group(str(incomplete), mode="r+")["done"][0, 0, 0, 0] = 0
    cases = [
        (["report", str(tmp_path / "none.zarr"), "-o", out], r"none.zarr: no such store$"),
        (["report", str(tmp_path), "-o", out], r"not a zarr store|not an oncosweep store"),
        (["report", str(store), "-o", out, "--alpha", "1.5"], r"alpha: must be a number"),
        (["report", str(store), "-o", out, "--tau", "0"], r"tau: must be a finite number"),
        (["report", str(store), "-o", out, "--realization", "2"],
         r"realization: 2 is not a traced realization"),
        (["report", str(incomplete), "-o", out],
         r"incomplete.zarr: the sweep is incomplete \(7 of 8 units done\)"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("oncosweep: error: "), captured.err
        assert re.search(message, lines[0]), lines[0]
        assert captured.out == ""
    assert not Path(out).exists()
