"""The command line: run writes a zarr store plain xarray opens; bad input is one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from bad_configs import BAD_CONFIGS, VALID_CONFIG, yaml_text_for

from oncosweep import Scenario, __version__, simulate
from oncosweep.cli import main

SMALL = {
    "name": "cli-small",
    "tumour": {"detection_size": 200, "birth_rate": 1.0, "death_rate": 0.4,
               "loci": [{"name": "R1", "mutation_rate": 0.005}]},
    "simulation": {"dt": 0.1, "horizon": 2.0},
    "trace": {"realizations": 2, "every": 0.5},
}


def oncosweep_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oncosweep", *args], capture_output=True,
                          text=True)


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    return path


def test_run_writes_a_store_that_plain_xarray_opens(small_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.zarr"
    proc = oncosweep_cli("run", str(small_config), "-o", str(out), "-n", "30", "--seed", "4")
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout and "time to detection" in proc.stdout
    stored = xr.open_zarr(out)
    assert json.loads((out / "zarr.json").read_text())["zarr_format"] == 3
    expected = simulate(Scenario.from_dict(SMALL), realizations=30, seed=4)
    xr.testing.assert_identical(stored.load(), expected)
    assert not list(tmp_path.glob(".out.zarr*")), "no temporary store may be left behind"


def test_existing_output_is_refused_without_overwrite(small_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.zarr"
    assert main(["run", str(small_config), "-o", str(out), "-n", "5", "-q"]) == 0
    before = xr.open_zarr(out).load()
    proc = oncosweep_cli("run", str(small_config), "-o", str(out), "-n", "7", "-q")
    assert proc.returncode == 2
    assert "exists" in proc.stderr and "--overwrite" in proc.stderr
    xr.testing.assert_identical(xr.open_zarr(out).load(), before)
    assert main(["run", str(small_config), "-o", str(out), "-n", "7", "-q", "--overwrite",
                 "--seed", "9"]) == 0
    after = xr.open_zarr(out)
    assert after.sizes["realization"] == 7 and after.attrs["seed"] == 9


@pytest.mark.parametrize(("case", "edit", "field"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_one_line_naming_the_field(
    case: str, edit: object, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(yaml_text_for(edit))  # type: ignore[arg-type]
    status = main(["run", str(path), "-o", str(tmp_path / "never.zarr"), "-q"])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"oncosweep: error: {path}: ")
    assert field in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    assert not (tmp_path / "never.zarr").exists()


def test_bad_config_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    bad = yaml.safe_load(yaml.safe_dump(VALID_CONFIG))
    bad["tumour"]["loci"][1]["mutation_rate"] = 2.5
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    proc = oncosweep_cli("run", str(path), "-o", str(tmp_path / "x.zarr"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"oncosweep: error: {path}: tumour.loci[1].mutation_rate: must be in [0, 1], got 2.5")


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "x.zarr")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["-n", "0"], ["-n", "many"], ["--seed", "-1"],
                                  ["--seed", str(2**32)], ["--backend", "tpu"]])
def test_bad_arguments_exit_2(small_config: Path, tmp_path: Path, args: list[str]) -> None:
    proc = oncosweep_cli("run", str(small_config), "-o", str(tmp_path / "x.zarr"), *args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_version_help_and_schema() -> None:
    version = oncosweep_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"oncosweep {__version__}"
    helptext = oncosweep_cli("--help")
    assert helptext.returncode == 0 and "run" in helptext.stdout and "schema" in helptext.stdout
    schema = oncosweep_cli("schema")
    assert schema.returncode == 0
    parsed = json.loads(schema.stdout)
    assert {"tumour", "simulation"} <= set(parsed["properties"])


def test_progress_bar_does_not_change_results(small_config: Path) -> None:
    scenario = Scenario.from_yaml(small_config)
    quiet = simulate(scenario, realizations=9, seed=1, batch=4)
    shown = simulate(scenario, realizations=9, seed=1, batch=4, progress=True)
    np.testing.assert_array_equal(quiet.cells_at_detection, shown.cells_at_detection)
