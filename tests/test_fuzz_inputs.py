"""Fuzzing the boundary: malformed configs and command-line arguments never get past it.

Every input here goes through the command line in-process (``oncosweep.cli.main``): random
mutations of every shipped config (keys deleted or renamed, values replaced by extreme
numbers, strings, lists, mappings, deep nesting, NaN and infinities), YAML alias bombs, files
over the size cap, binary files, non-regular paths and random ``run`` arguments. Each must end
in exit code 2 with exactly one line ``oncosweep: error: <config>: <field>: <message>`` (or
``argument <option>: ...`` for an argument), no traceback, within ``TIME_LIMIT`` seconds. A
mutated config that is valid is accepted (``run`` gets as far as the existing output store);
it is then simulated, shrunk to detection at the start and a few steps of treatment, and
must finish without an exception and with finite drug exposures. A sample runs in real
processes for the real exit code. Hypothesis runs derandomized, without its database.

About 1,250 inputs; about 30-60 s on one core.
"""

from __future__ import annotations

import copy
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_helpers import config_paths

from oncosweep import Scenario, limits, simulate
from oncosweep.cli import main
from oncosweep.gpu_engine.cpu_engine import MAX_THREADS
from oncosweep.scenario import ScenarioError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
CONFIGS = {p.stem: yaml.safe_load(p.read_text()) for p in sorted(CONFIG_DIR.glob("*.yaml"))}
PSEUDO = {"<yaml>", "<file>", "<root>"}
#: A field path as the errors write it: ``tumour.loci[1].name``, a junk key quoted (``['x y']``).
FIELD = re.compile(r"(?:[A-Za-z_][\w-]*|\[(?:\d+|'.*?'|\".*?\")\])"
                   r"(?:\.[A-Za-z_][\w-]*|\[(?:\d+|'.*?'|\".*?\")\])*")
#: Seconds one refused input may take, parse to message (the file's slowest is ~0.5 s).
TIME_LIMIT = 5.0
#: Seconds the shrunk simulation of one accepted input may take.
RUN_LIMIT = 30.0
FIXED = settings(derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def examples(count: int) -> settings:
    """The fixed profile with ``count`` examples."""
    return settings(FIXED, max_examples=count)

Path_ = tuple[str | int, ...]


_paths = config_paths


PATHS = {name: _paths(config) for name, config in CONFIGS.items()}


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


EXTREMES = [
    1e308, -1e308, 1.7976931348623157e308, 5e-324, -5e-324, 1e-308, 0, 0.0, -0.0, -1, -1e9,
    2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 18446744073709551616, 10**30,
    10**400, math.nan, math.inf, -math.inf, "1e999", "-1e999", "nan", ".inf", "", " ",
    "x" * 2000, "\u00e9\u4e2d", None, True, False, [], {}, [1] * 50, {"a": 1}, {"distribution": 1},
    _nested(60), "1e308", "0x10", "1_000", "2024-01-05",
]
junk = st.one_of(
    st.sampled_from(EXTREMES),
    st.integers(), st.floats(),
    st.text(max_size=20),
    st.lists(st.one_of(st.integers(), st.floats(), st.none(), st.text(max_size=4)), max_size=5),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
)


SCALES = [10.0**k for k in (-308, -30, -9, 9, 30, 300, 308)] + [-1, 2**32, 2**64]


def _get(node: Any, path: Path_) -> Any:
    for key in path:
        node = node[key]
    return node


@st.composite
def mutated_configs(draw: st.DrawFn) -> tuple[str, Any]:
    """A shipped config with one to three random edits."""
    name = draw(st.sampled_from(sorted(CONFIGS)))
    config = copy.deepcopy(CONFIGS[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(config)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _get(config, path[:-1]), path[-1]
        edit = draw(st.sampled_from(["junk", "junk", "scale", "delete", "rename", "wrap"]))
        old = parent[key]
        if edit == "scale" and isinstance(old, int | float) and not isinstance(old, bool):
            parent[key] = old * draw(st.sampled_from(SCALES))
        elif edit == "delete" and isinstance(parent, dict):
            del parent[key]
        elif edit == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8)) + "_"] = parent.pop(key)
        elif edit == "wrap":
            parent[key] = [old] if draw(st.booleans()) else {"value": old}
        else:  # a copy: the lists and dicts of EXTREMES are shared between examples, and a
            # later "wrap" inside one would grow it for every example after (RecursionError)
            parent[key] = copy.deepcopy(draw(junk))
    return name, config


class Harness:
    """Runs ``oncosweep run`` in-process on config text and checks the outcome."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys, self.count = root, capsys, 0
        self.existing = root / "existing.zarr"  # an accepted config stops at this store
        self.existing.mkdir(exist_ok=True)

    def config(self, text: str | bytes) -> Path:
        self.count += 1
        path = self.root / f"in{self.count}.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        return path

    def run(self, config: str | os.PathLike[str], *extra: str, output: Path | None = None
            ) -> tuple[int, str]:
        """Exit code and the one stderr line of ``run config`` (checked: one line, no
        traceback, nothing on stdout, within the time limit)."""
        self.capsys.readouterr()
        output = output or self.existing
        began = time.monotonic()
        status = main(["run", os.fspath(config), "-o", str(output), "-q", *extra])
        seconds = time.monotonic() - began
        captured = self.capsys.readouterr()
        assert seconds < TIME_LIMIT, f"{seconds:.1f} s for {config}"
        assert status == 2, (status, captured.err)
        assert "Traceback" not in captured.err and captured.out == "", captured.err
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        assert lines[0].startswith("oncosweep: error: "), lines[0]
        return status, lines[0].removeprefix("oncosweep: error: ")

    def refused(self, path: Path, *extra: str) -> str:
        """The field the refusal of config ``path`` names (asserted to be a field)."""
        _, line = self.run(path, *extra)
        assert line.startswith(f"{path}: "), line
        rest = line.removeprefix(f"{path}: ")
        field, _, message = rest.partition(": ")
        assert message, line
        assert field in PSEUDO or FIELD.fullmatch(field), line
        return field

    def accepted_or_refused(self, path: Path) -> bool:
        """True if the config was accepted (``run`` then stops at the existing store)."""
        _, line = self.run(path)
        if line == f"{self.existing} exists; pass --overwrite to replace it":
            return True
        self.refused(path)
        return False


@pytest.fixture
def harness(tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
            ) -> Harness:
    return Harness(tmp_path_factory.mktemp("fuzz"), capsys)


def _shrunk(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` detected at the start (detection_size = initial cells) with at most 4 steps of
    treatment and no sweep: a run of any accepted config in well under a second."""
    data = copy.deepcopy(data)
    data.pop("sweep", None)
    tumour, sim = data["tumour"], data["simulation"]
    if not tumour.get("initial_population"):
        tumour["detection_size"] = tumour.get("initial_cells", 1)
    sim["horizon"] = min(float(sim.get("horizon", 0.0)), 4 * float(sim["dt"]))
    return data


def _simulate_accepted(data: dict[str, Any]) -> None:
    """No crash after acceptance: the shrunk scenario runs and its exposures are finite."""
    try:
        scenario = Scenario.from_dict(_shrunk(data))
    except ScenarioError:  # the shrinking itself broke a cross-field rule: nothing to run
        return
    began = time.monotonic()
    ds = simulate(scenario, realizations=1, seed=7, backend="numpy")
    assert time.monotonic() - began < RUN_LIMIT
    assert np.isfinite(ds["drug_exposure"].values).all()


@examples(650)
@given(case=mutated_configs())
def test_mutated_configs_are_refused_in_one_line_or_run(harness: Harness,
                                                        case: tuple[str, Any]) -> None:
    _, config = case
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if len(text.encode()) > limits.MAX_CONFIG_BYTES:  # a long string edit: the size rule
        assert harness.refused(harness.config(text)) == "<file>"
        return
    if harness.accepted_or_refused(harness.config(text)):
        _simulate_accepted(config)


def _bomb(width: int, depth: int, where: str) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, depth)]
    body = "\n".join(lines)
    if where == "top":
        return body + "\n"
    # the bomb inside an otherwise valid config: as the description, then as dosing times
    text = (CONFIG_DIR / "mech_target.yaml").read_text()
    return text + "\nx-bomb:\n" + "\n".join("  " + line for line in lines) + "\n"


@examples(60)
@given(width=st.integers(2, 40), depth=st.integers(2, 12), where=st.sampled_from(["top", "in"]))
def test_alias_bombs_are_refused_before_expansion(harness: Harness, width: int, depth: int,
                                                 where: str) -> None:
    field = harness.refused(harness.config(_bomb(width, depth, where)))
    if width**depth > limits.MAX_YAML_NODES:
        assert field == "<yaml>"


@examples(150)
@given(data=st.binary(min_size=1, max_size=4096))
def test_binary_files_are_refused(harness: Harness, data: bytes) -> None:
    harness.refused(harness.config(data))


@examples(30)
@given(extra=st.integers(1, 3 * limits.MAX_CONFIG_BYTES), kind=st.sampled_from(
    ["comment", "list", "zeros", "text"]))
def test_huge_files_are_refused_by_size(harness: Harness, extra: int, kind: str) -> None:
    size = limits.MAX_CONFIG_BYTES + extra
    body = {"comment": lambda: (b"# " + b"x" * size)[:size],
            "list": lambda: (b"x: [" + b"0," * size)[:size],
            "zeros": lambda: b"\0" * size,
            "text": lambda: (CONFIG_DIR / "quickstart.yaml").read_bytes() * (size // 5000 + 1),
            }[kind]()
    assert harness.refused(harness.config(body)) == "<file>"


def test_non_regular_paths_are_refused(harness: Harness, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # nobody writes: opening it would block
    for path in [Path("/dev/zero"), Path("/dev/null"), tmp_path, fifo, tmp_path / "none.yaml"]:
        assert harness.refused(path) == "<file>"


_VALID = CONFIG_DIR / "mech_competition.yaml"
_numbers = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(
    [0, 1, -1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64, 10**12, 10**30]).map(int))
_garbage = st.one_of(st.text(max_size=10), st.sampled_from(
    ["", "1e3", "0x10", "1.5", "nan", "inf", "-0", " 3", "1_000", "٣"]))


@st.composite
def run_arguments(draw: st.DrawFn) -> list[str]:
    args: list[str] = []
    for option in draw(st.lists(st.sampled_from(["-n", "--start", "--seed", "--threads",
                                                 "--backend"]), min_size=1, max_size=3,
                                unique=True)):
        value = draw(st.one_of(_numbers.map(str), _garbage)) if option != "--backend" else (
            draw(st.sampled_from(["numpy", "tpu", "", "CPU"])))
        args += [option, value]
    return args


def _valid_arguments(args: list[str]) -> bool:
    values = dict(zip(args[::2], args[1::2], strict=True))
    ranges = {"-n": (1, 2**63), "--start": (0, 2**63 - 1), "--seed": (0, 2**32 - 1),
              "--threads": (1, MAX_THREADS)}
    for option, text in values.items():
        if option == "--backend":
            if text != "numpy":
                return False
            continue
        try:
            number = int(text)
        except ValueError:
            return False
        if not text.strip().lstrip("+-").isascii() or len(text) > 40:
            return False
        low, high = ranges[option]
        if not low <= number <= high:
            return False
    n, start = int(values.get("-n", 1000)), int(values.get("--start", 0))
    return start + n - 1 <= limits.MAX_REALIZATION_INDEX and n <= 10**6


@examples(300)
@given(args=run_arguments())
def test_run_arguments_are_refused_in_one_line(harness: Harness, args: list[str]) -> None:
    if _valid_arguments(args):  # a run that the arguments allow: not fuzzed here
        return
    _, line = harness.run(_VALID, *args, output=harness.root / "never.zarr")
    option = re.match(r"(argument (-n/--realizations|--start|--seed|--threads|--backend)|"
                      r"realizations|start): ", line)
    assert option, line
    assert not (harness.root / "never.zarr").exists()


@pytest.mark.parametrize("args", [
    ["-n", "1000000000000"], ["--start", str(2**63 - 1), "-n", "2"], ["-n", str(2**63)],
    ["--seed", "-1"], ["--threads", "0"], ["-n", "x"]])
def test_listed_argument_failures_are_refused(harness: Harness, args: list[str]) -> None:
    _, line = harness.run(_VALID, *args, output=harness.root / "never.zarr")
    assert "realizations" in line or "start" in line or "argument" in line, line


def test_a_sample_in_real_processes(tmp_path: Path) -> None:
    """The real exit code and stderr of a few inputs of each kind, in child processes."""
    bad = copy.deepcopy(CONFIGS["quickstart"])
    bad["monitoring"]["visit_every"] = 1e308
    texts = {"visit.yaml": yaml.safe_dump(bad), "bomb.yaml": _bomb(10, 9, "top"),
             "big.yaml": "#" * (limits.MAX_CONFIG_BYTES + 1)}
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    cases = [[str(tmp_path / name)] for name in texts] + [
        ["/dev/zero"], [str(_VALID), "--start", str(2**63 - 1), "-n", "2"],
        [str(_VALID), "-n", "1000000000000"], [str(_VALID), "--seed", "x"]]
    env = {**os.environ, "PYTHONPATH": str(CONFIG_DIR.parent)}
    for case in cases:
        began = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "oncosweep", "run", *case, "-o",
                               str(tmp_path / "out.zarr"), "-q"], capture_output=True,
                              text=True, timeout=60, env=env)
        assert proc.returncode == 2, (case, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert time.monotonic() - began < 30
    assert not (tmp_path / "out.zarr").exists()
