"""``oncosweep validate``: the registry, the table and exit codes, and the quick run itself."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import pytest

from oncosweep import Scenario
from oncosweep.cli import main as cli_main
from oncosweep.gpu_engine.backend import resolve_backend
from oncosweep.validation import (
    CASES,
    Case,
    Estimate,
    Result,
    exit_code,
    format_table,
    main,
    select,
)
from oncosweep.validation.cases import BOZIC2013_DUAL, luria_delbruck

ROOT = Path(__file__).resolve().parents[1]


def fake(name: str, value: float, se: float = 0.01, kind: str = "proportion",
         p_value: float | None = None) -> Case:
    return Case(name=name, topic="test", quantity="P(x)", reference=0.5, source="Nobody 2000",
                kind=kind, run=lambda n, seed: Estimate(value, se, p_value), n_full=100,
                n_quick=10)


def broken(n: int, seed: int) -> Estimate:
    raise RuntimeError("engine exploded")


def test_registry_has_unique_names_and_a_source_for_every_case() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) >= 8
    for case in CASES:
        assert case.source.strip() and case.topic.strip() and case.quantity.strip()
        assert " " not in case.name, "names are typed after --case"
        assert 0 < case.n_quick <= case.n_full
        assert callable(case.run) and math.isfinite(case.reference)
    assert {case.kind for case in CASES} >= {"proportion", "mean", "chi2"}


def test_bozic_definition_matches_the_shipped_config() -> None:
    assert Scenario.from_dict(BOZIC2013_DUAL) == Scenario.from_yaml(
        ROOT / "configs/bozic2013_dual.yaml")


def test_luria_delbruck_reference_values() -> None:
    expected = [0.3679, 0.1839, 0.1073, 0.0690, 0.0475, 0.0343]
    assert luria_delbruck(1.0, 5) == pytest.approx(expected, abs=5e-5)


def test_check_rules() -> None:
    assert fake("a", 0.53).check(Estimate(0.53, 0.01)) == ("z = +3.00", True)
    assert fake("a", 0.45).check(Estimate(0.45, 0.01)) == ("z = -5.00", False)
    assert fake("a", 0.5).check(Estimate(0.5, 0.0)) == ("z = 0", True)
    assert fake("a", 0.4).check(Estimate(0.4, 0.0))[1] is False
    chi2 = fake("c", 0.5, kind="chi2")
    assert chi2.check(Estimate(0.5, 0.01, 0.2)) == ("p = 0.2", True)
    assert chi2.check(Estimate(0.5, 0.01, 1e-4)) == ("p = 0.0001", False)
    with pytest.raises(ValueError, match="p-value"):
        chi2.check(Estimate(0.5, 0.01))


def test_table_is_aligned_and_exit_code_is_1_when_a_case_fails() -> None:
    good, bad = fake("good-case", 0.51), fake("bad-case", 0.60)
    out = io.StringIO()
    assert main(cases=[good], quick=True, seed=3, progress=False, out=out) == 0
    assert "good-case" in out.getvalue() and "PASS" in out.getvalue()

    out = io.StringIO()
    assert main(cases=[good, bad], quick=True, seed=3, progress=False, out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == (f"oncosweep validate (quick, seed 3; "
                        f"{resolve_backend('auto').line()})")
    header, rule, row_good, row_bad, summary = lines[1:]
    assert header.split()[:2] == ["case", "quantity"]
    # the columns line up: the left-aligned quantity and source start where their rules do
    starts = [i for i in range(1, len(rule)) if rule[i] == "-" and rule[i - 1] == " "]
    for row in (header, row_good, row_bad):
        assert all(row[i - 2:i] == "  " and row[i] != " " for i in starts[0:3:2]), row
    assert row_good.startswith("good-case") and "0.5100 +- 0.0100" in row_good
    assert "z = +1.00" in row_good and "PASS" in row_good and "Nobody 2000" in row_good
    assert row_bad.startswith("bad-case ") and "z = +10.00" in row_bad and "FAIL" in row_bad
    assert row_good.index("PASS") == row_bad.index("FAIL")
    assert summary.startswith("1 passed, 1 failed in ")


def test_an_error_fails_its_case_without_stopping_the_run() -> None:
    crash = Case("crash", "test", "P(x)", 0.5, "Nobody 2000", "proportion", broken, 10, 10)
    results = [Result(crash, 10, None, 0.0, "RuntimeError: engine exploded"),
               Result(fake("ok", 0.5), 10, Estimate(0.5, 0.01), 0.0)]
    table = format_table(results, 1.0)
    assert "error: RuntimeError: engine exploded" in table and "FAIL" in table
    assert exit_code(results) == 1
    assert exit_code(results[1:]) == 0
    out = io.StringIO()
    assert main(cases=[crash, fake("ok", 0.5)], progress=False, out=out) == 1
    assert "engine exploded" in out.getvalue() and "PASS" in out.getvalue()


def test_full_and_quick_sizes_are_used() -> None:
    seen: list[tuple[int, int]] = []

    def record(n: int, seed: int) -> Estimate:
        seen.append((n, seed))
        return Estimate(0.5, 0.01)

    case = Case("rec", "test", "P(x)", 0.5, "Nobody 2000", "proportion", record, 100, 10)
    main(cases=[case], quick=True, seed=5, progress=False, out=io.StringIO())
    main(cases=[case], quick=False, seed=6, progress=False, out=io.StringIO())
    assert seen == [(10, 5), (100, 6)]


def test_select_and_unknown_case_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert select(None) == CASES
    assert [c.name for c in select(["mean-growth"])] == ["mean-growth"]
    with pytest.raises(KeyError, match="no-such-case"):
        select(["no-such-case"])
    assert cli_main(["validate", "--case", "no-such-case"]) == 2
    assert "unknown case 'no-such-case'" in capsys.readouterr().err


def test_one_case_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["validate", "--quick", "--case", "mean-growth", "--seed", "11"]) == 0
    out = capsys.readouterr().out
    assert "seed 11" in out and "mean-growth" in out and "PASS" in out
    assert "1 passed, 0 failed" in out


@pytest.mark.slow
def test_quick_validation_passes() -> None:
    """The CI run of ``oncosweep validate --quick`` (about 1 minute on 2 cores)."""
    proc = subprocess.run([sys.executable, "-m", "oncosweep", "validate", "--quick"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[3:-1]}
    for case in CASES:
        assert case.name in rows, (case.name, proc.stdout)
        assert rows[case.name].split()[-2] == "PASS", rows[case.name]
    assert f"{len(CASES)} passed, 0 failed" in proc.stdout
    assert "validating" not in proc.stderr, "no progress bar when not on a terminal"
