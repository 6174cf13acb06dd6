"""Architecture rules that a test can state: module sizes and the layers contract.

The layers themselves are checked by ``lint-imports`` (``make lint``; contracts in
pyproject.toml); here the contract file is checked to name every top-level module, so that a
new module cannot slip outside the layering, and every module stays at most 600 lines.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600


@pytest.mark.parametrize("folder", ["oncosweep", "benchmarks", "tools"])
def test_no_module_over_600_lines(folder: str) -> None:
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / folder).rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_layers_contract_names_every_top_level_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {m.strip() for layer in layers for m in layer.split("|")}
    package = ROOT / "oncosweep"
    top = {f"oncosweep.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    top |= {f"oncosweep.{p.name}" for p in package.iterdir()
            if p.is_dir() and (p / "__init__.py").exists()}
    assert top <= named, f"modules outside the layers contract: {sorted(top - named)}"
