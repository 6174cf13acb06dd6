"""``oncosweep.gpu_engine`` runs with numpy alone: a GPU box needs no pydantic, xarray, Dask,
zarr, scipy or yaml. A compiled model pickled here runs in a subprocess that blocks them. A
population's draws (inverse CDFs) need scipy.special besides numpy, and nothing else."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import pytest

from oncosweep import Scenario, compile_scenario

BLOCKED = ["pydantic", "xarray", "dask", "distributed", "zarr", "scipy", "yaml", "tqdm",
           "pandas", "matplotlib"]


@pytest.mark.parametrize("population", [False, True])
def test_engine_core_needs_numpy_alone(tmp_path, population: bool) -> None:
    birth = {"distribution": "lognormal", "median": 1.0, "sigma": 0.1} if population else 1.0
    scenario = Scenario.from_dict({
        "tumour": {"detection_size": 50, "birth_rate": birth, "death_rate": 0.2,
                   "loci": [{"name": "R", "mutation_rate": 0.01}]},
        "simulation": {"dt": 0.1},
    })
    blocked = [name for name in BLOCKED if not (population and name == "scipy")]
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(compile_scenario(scenario)))
    script = textwrap.dedent(f"""
        import importlib.abc, sys, pickle
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r}:
                    raise ImportError("blocked on purpose: " + name)
        sys.meta_path.insert(0, Block())
        import oncosweep.gpu_engine
        from oncosweep.gpu_engine import cpu_engine, fused  # the launchers import too
        from oncosweep.gpu_engine.realization import run_engine
        model = pickle.load(open({str(path)!r}, "rb"))
        result = run_engine(model, realizations=20, seed=3)
        assert result.detected.all()
        print("ok", result.cells_at_detection.sum())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
