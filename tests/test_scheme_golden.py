"""The euler scheme gives, bit for bit, what the engine gave before the exact scheme existed.

``tests/golden/euler_cpu_d1dd4c2.json`` holds SHA-256 digests of every data variable and
coordinate of every config in ``configs/`` (every strategy, 300 realizations, seed 20261202,
point 3) simulated on the compiled ``cpu`` backend at commit d1dd4c2, the last commit before
``simulation.scheme`` (recorded with ``tools/record_outputs.py record``). The same runs with
``scheme: euler`` must reproduce them exactly (a config that is now a population at its
reference values: the numbers it had). The numpy engine is tied to the cpu engine
realization by realization by other tests (and ``tools/record_outputs.py compare`` checked the
numpy recordings too when the golden file was made).

Configs rebuilt since the recording (``REBUILT``) describe other tumours now, so their old
digests say nothing about the scheme; they are left out (every other config still checks it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from golden_digest import digest

from oncosweep import Scenario, simulate
from oncosweep.gpu_engine import cpu_engine

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = json.loads((Path(__file__).parent / "golden" / "euler_cpu_d1dd4c2.json").read_text())

pytestmark = pytest.mark.skipif(not cpu_engine.probe()[0],
                                reason="the cpu backend needs a host C++ compiler")


#: config -> why its recording no longer applies
REBUILT = {"quickstart": "rebuilt as EGFR-mutant NSCLC with RECIST and a ctDNA assay (issue 16)"}


@pytest.mark.parametrize("config", sorted(set(GOLDEN["digests"]) - set(REBUILT)))
def test_euler_reproduces_the_recording_made_before_the_exact_scheme(config: str) -> None:
    data = yaml.safe_load((ROOT / "configs" / f"{config}.yaml").read_text())
    data.setdefault("simulation", {})["scheme"] = "euler"
    # the configs that are populations, at their reference values: the numbers they had
    ds = simulate(Scenario.from_dict(data).at_reference(), realizations=GOLDEN["realizations"],
                  seed=GOLDEN["seed"], point=GOLDEN["point"], backend="cpu", threads=2)
    expected = GOLDEN["digests"][config]
    got = digest(ds)
    # outputs added since the recording (RECIST's best response, sum of diameters) are new,
    # not changes: every recorded variable must be there and unchanged
    assert set(expected) <= set(got), sorted(set(expected) - set(got))
    changed = [name for name in expected if got[name] != expected[name]]
    assert not changed, f"{config}: {changed} differ from the recording"
