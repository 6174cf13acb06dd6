"""Backends: ``auto`` / ``numpy`` / ``cpu`` / ``cupy`` resolve with a reason, bad names and
unusable backends fail with one clear line, datasets record what computed them, and results
never depend on the backend or the thread count. The CUDA probe's logic is checked with fake
CuPy modules and the compiler probe with a compiler that does not exist; the real GPU paths
run only where a CUDA device is usable (marked ``gpu``, skipped with the reason)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
import yaml

from oncosweep import Scenario, simulate
from oncosweep.cli import main
from oncosweep.gpu_engine import backend, cpu_engine
from oncosweep.gpu_engine.backend import ResolvedBackend, probe_cuda, resolve_backend
from oncosweep.gpu_engine.xp import get_xp

SMALL = {
    "name": "backend-small",
    "tumour": {"detection_size": 200, "lethal_size": 3000, "birth_rate": 1.0,
               "death_rate": 0.4,
               "loci": [{"name": "R", "mutation_rate": 0.005,
                         "mechanisms": [{"type": "target", "drug": "d", "ic50_fold": 20}]}]},
    "simulation": {"dt": 0.1, "horizon": 5.0},
    "drugs": [{"name": "d", "mode": "kill", "emax": 2.0, "ic50": 0.5, "half_life": 1.0,
               "dosing": {"dose": 2.0, "every": 1.0}}],
    "regimens": [{"name": "r", "drugs": ["d"]}],
    "treatment": {"regimen": "r"},
    "trace": {"realizations": 2, "every": 1.0},
}
PROBE = probe_cuda()
CPU_USABLE, CPU_WHAT = cpu_engine.probe()
NO_COMPILER = (False, "no C++ compiler (looked for nonexistent-c++; set ONCOSWEEP_CXX)")
needs_gpu = pytest.mark.skipif(not PROBE.usable,
                               reason=f"needs a usable CUDA device: {PROBE.reason}")


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    return path


# ----------------------------------------------------------------------------- this machine
def test_auto_resolves_with_a_reason() -> None:
    chosen = resolve_backend("auto")
    assert isinstance(chosen, ResolvedBackend)
    if PROBE.usable:
        assert (chosen.name, chosen.engine) == ("cupy", "cuda-fused")
        assert chosen.reason.startswith("CUDA device ") and chosen.device == PROBE.name
        return
    assert resolve_backend() == chosen  # auto is the default
    if CPU_USABLE:
        assert (chosen.name, chosen.engine, chosen.device) == ("cpu", "cpu-fused", "cpu")
        assert chosen.reason == f"no CUDA device — {PROBE.reason}; compiled engine: {CPU_WHAT}"
        threads = cpu_engine.default_threads()
        plural = "" if threads == 1 else "s"
        assert chosen.line() == (f"backend: cpu (auto: no CUDA device — {PROBE.reason}; "
                                 f"compiled engine: {CPU_WHAT}; {threads} thread{plural})")
        assert resolve_backend("auto", threads=3).threads == 3
        return
    assert (chosen.name, chosen.engine, chosen.device) == ("numpy", "numpy-array", "cpu")
    assert chosen.reason == f"no CUDA device — {PROBE.reason}; no compiled CPU engine — {CPU_WHAT}"


def test_numpy_is_always_numpy() -> None:
    chosen = resolve_backend("numpy")
    assert (chosen.name, chosen.engine, chosen.device) == ("numpy", "numpy-array", "cpu")


@pytest.mark.skipif(PROBE.usable, reason="a CUDA device is usable here")
def test_cupy_without_a_device_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match=r"^backend: 'cupy' is not usable here: ") as info:
        resolve_backend("cupy")
    assert PROBE.reason in str(info.value) and len(str(info.value).splitlines()) == 1
    with pytest.raises(RuntimeError, match="backend: 'cupy'"):
        simulate(Scenario.from_dict(SMALL), realizations=2, seed=1, backend="cupy")
    with pytest.raises(RuntimeError, match="backend: 'cupy'"):
        get_xp("cupy")


def test_cpu_without_a_compiler_is_a_clear_error_and_auto_falls_back_to_numpy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "import_cupy", lambda: (None, "cupy not installed"))
    monkeypatch.setattr(cpu_engine, "probe", lambda: NO_COMPILER)
    with pytest.raises(RuntimeError, match=r"^backend: 'cpu' is not usable here: no C\+\+ "
                       "compiler") as info:
        resolve_backend("cpu")
    assert len(str(info.value).splitlines()) == 1
    chosen = resolve_backend("auto")
    assert (chosen.name, chosen.threads) == ("numpy", 0)
    assert chosen.line() == ("backend: numpy (auto: no CUDA device — cupy not installed; no "
                             f"compiled CPU engine — {NO_COMPILER[1]})")


def test_the_compiler_probe_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOSWEEP_CXX", "nonexistent-c++")
    cpu_engine.probe.cache_clear()
    try:
        assert cpu_engine.probe() == NO_COMPILER
    finally:
        monkeypatch.delenv("ONCOSWEEP_CXX")
        cpu_engine.probe.cache_clear()


@pytest.mark.parametrize("threads", [0, -1, 5000, 1.5, "2"])
def test_bad_thread_counts_are_refused_naming_threads(threads: object) -> None:
    with pytest.raises((ValueError, TypeError), match=r"^threads: "):
        simulate(Scenario.from_dict(SMALL), realizations=2, seed=1, backend="numpy",
                 threads=threads)


@pytest.mark.parametrize("name", ["tpu", "CUPY", "", None, 1])
def test_bad_names_are_refused_naming_backend(name: object) -> None:
    with pytest.raises(ValueError, match=r"^backend: must be one of auto, numpy, cpu, cupy, "
                       "got "):
        resolve_backend(name)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^backend: "):
        simulate(Scenario.from_dict(SMALL), realizations=2, seed=1, backend=name)
    with pytest.raises(ValueError, match=r"^backend: "):
        get_xp(name)  # type: ignore[arg-type]


def test_get_xp_auto_follows_resolve() -> None:
    assert (get_xp("auto") is np) == (resolve_backend("auto").name != "cupy")
    assert get_xp("numpy") is np


# ----------------------------------------------------------------------------- fake CuPy
def fake_cupy(count: int = 1, *, count_error: Exception | None = None,
              alloc_error: Exception | None = None) -> SimpleNamespace:
    def device_count() -> int:
        if count_error is not None:
            raise count_error
        return count

    def arange(n: int, dtype=None) -> np.ndarray:
        if alloc_error is not None:
            raise alloc_error
        return np.arange(n, dtype=dtype)

    runtime = SimpleNamespace(getDeviceCount=device_count,
                              getDeviceProperties=lambda i: {"name": b"Fake GPU 80GB"})
    return SimpleNamespace(cuda=SimpleNamespace(runtime=runtime,
                                                Device=lambda: SimpleNamespace(id=0)),
                           arange=arange, int64=np.int64)


@pytest.mark.parametrize(("cupy", "name", "reason"), [
    (None, "numpy", "no CUDA device — cupy not installed"),
    (fake_cupy(1), "cupy", "CUDA device 0: Fake GPU 80GB"),
    (fake_cupy(0), "numpy", "no CUDA device — no CUDA device visible"),
    (fake_cupy(count_error=RuntimeError("cudaErrorNoDevice: no CUDA-capable device")), "numpy",
     "no CUDA device — CUDA runtime unavailable (RuntimeError: cudaErrorNoDevice: no "
     "CUDA-capable device)"),
    (fake_cupy(2, alloc_error=MemoryError("out of memory")), "numpy",
     "no CUDA device — CUDA device not usable (MemoryError: out of memory)"),
])
@pytest.mark.parametrize("compiler", [True, False], ids=["compiler", "no-compiler"])
def test_auto_needs_cupy_and_a_usable_device(monkeypatch: pytest.MonkeyPatch, cupy, name: str,
                                             reason: str, compiler: bool) -> None:
    found = (cupy, "" if cupy is not None else "cupy not installed")
    monkeypatch.setattr(backend, "import_cupy", lambda: found)
    monkeypatch.setattr(cpu_engine, "probe", lambda: (True, "g++ 12") if compiler
                        else NO_COMPILER)
    chosen = resolve_backend("auto")
    expected = (name, reason)
    if name == "numpy":  # no GPU: the compiled CPU engine where it builds, else numpy
        expected = ("cpu", f"{reason}; compiled engine: g++ 12") if compiler else (
            "numpy", f"{reason}; no compiled CPU engine — {NO_COMPILER[1]}")
    assert (chosen.name, chosen.reason) == expected
    assert chosen.engine == backend.ENGINES[expected[0]]
    if name == "cupy":
        assert chosen.device == "Fake GPU 80GB"
        assert resolve_backend("cupy").line() == "backend: cupy (CUDA device 0: Fake GPU 80GB)"
        assert backend.gpu_count() == 1
    else:
        with pytest.raises(RuntimeError, match=reason.removeprefix("no CUDA device — ")[:20]):
            resolve_backend("cupy")
        if compiler:
            assert resolve_backend("cpu").name == "cpu"
        else:
            with pytest.raises(RuntimeError, match="^backend: 'cpu' is not usable here"):
                resolve_backend("cpu")


def test_sweep_backend_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    from oncosweep.distributed.sweep import sweep_backend

    local = sweep_backend("auto")
    if local.worker_backend == "cpu":  # processes x threads share the cores
        cores = cpu_engine.default_threads()
        assert (local.workers, local.threads) == (cores, 1)
        plural = "es" if cores != 1 else ""
        assert local.line == (f"{resolve_backend('auto', threads=1).line()} x {cores} worker "
                              f"process{plural}")
        one = sweep_backend("cpu", workers=1)
        assert (one.workers, one.threads) == (1, cores)
        external = sweep_backend("cpu", external=True)
        assert external.threads is None and "share of its cores" in external.line
    else:
        assert local.line == resolve_backend("auto").line()
    external = sweep_backend("cupy", external=True)  # the driver needs no GPU
    assert external.worker_backend == "cupy" and external.resources == {"GPU": 1}
    assert external.gpus == 0 and "GPU=1" in external.line
    assert sweep_backend("auto", external=True).resources is None
    assert sweep_backend("numpy", resources={"mem": 1}).resources == {"mem": 1}
    with pytest.raises(ValueError, match="^backend: "):
        sweep_backend("gpu")


@pytest.mark.parametrize(("workers", "threads", "cores", "layout"), [
    (None, None, 16, (16, 1)), (None, 4, 16, (4, 4)), (None, 32, 16, (1, 32)),
    (2, None, 16, (2, 8)), (32, None, 16, (32, 1)), (4, 4, 16, (4, 4)), (1, 1, 2, (1, 1)),
])
def test_cpu_sweeps_never_oversubscribe_the_cores(workers, threads, cores, layout) -> None:
    from oncosweep.distributed.sweep import cpu_layout

    assert cpu_layout(workers, threads, cores) == layout
    processes, per_unit = layout
    assert processes * per_unit <= cores or processes == 1 or per_unit == 1


def test_too_many_workers_times_threads_is_refused_naming_both() -> None:
    from oncosweep.distributed.sweep import SweepError, cpu_layout

    with pytest.raises(SweepError, match=r"^workers x threads: 4 x 8 = 32 exceeds the 16 "):
        cpu_layout(4, 8, 16)


# ----------------------------------------------------------------------------- datasets, CLI
def test_simulate_records_the_backend_in_the_attributes() -> None:
    ds = simulate(Scenario.from_dict(SMALL), realizations=5, seed=2, backend="auto")
    chosen = resolve_backend("auto")
    assert (ds.attrs["backend"], ds.attrs["engine"], ds.attrs["device"]) == (
        chosen.name, chosen.engine, chosen.device)


def test_results_do_not_depend_on_the_spelling_of_the_backend() -> None:
    scenario = Scenario.from_dict(SMALL)
    numpy = simulate(scenario, realizations=40, seed=5, backend="numpy")
    auto = simulate(scenario, realizations=40, seed=5, backend="auto")
    default = simulate(scenario, realizations=40, seed=5)
    resolved = simulate(scenario, realizations=40, seed=5,
                        backend=resolve_backend("auto").name)
    xr.testing.assert_identical(resolved, auto)
    xr.testing.assert_equal(numpy, auto)  # values (attrs name another engine)
    xr.testing.assert_identical(auto, default)


@pytest.mark.skipif(not CPU_USABLE, reason=f"the cpu backend is not usable: {CPU_WHAT}")
def test_cpu_backend_equals_numpy_whatever_threads_and_batches() -> None:
    scenario = Scenario.from_dict(SMALL)
    numpy = simulate(scenario, realizations=60, seed=7, backend="numpy")
    for threads, batch in ((1, None), (2, 7), (3, 60), (4, 13)):
        cpu = simulate(scenario, realizations=60, seed=7, backend="cpu", threads=threads,
                       batch=batch)
        assert (cpu.attrs["backend"], cpu.attrs["engine"]) == ("cpu", "cpu-fused")
        xr.testing.assert_equal(numpy, cpu)


def test_cli_prints_the_backend_line(small_config: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "auto.zarr"
    assert main(["run", str(small_config), "-o", str(out), "-n", "5", "--backend", "auto"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == resolve_backend("auto").line()
    assert xr.open_zarr(out).attrs["backend"] == resolve_backend("auto").name
    assert main(["run", str(small_config), "-o", str(tmp_path / "q.zarr"), "-n", "5", "-q"]) == 0
    assert capsys.readouterr().out == ""  # quiet: no backend line either


def test_cli_cpu_without_a_compiler_is_one_line(small_config: Path, tmp_path: Path) -> None:
    """A forced --backend cpu on a machine with no C++ compiler: one line, exit 2, in a real
    process (no traceback)."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    env = {**os.environ, "ONCOSWEEP_CXX": "nonexistent-c++"}
    for command in (["run", str(small_config), "-o", str(tmp_path / "c.zarr")],
                    ["sweep", str(small_config), "-o", str(tmp_path / "s.zarr")]):
        proc = subprocess.run([sys.executable, "-m", "oncosweep", *command, "--backend", "cpu"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.splitlines() == [
            "oncosweep: error: backend: 'cpu' is not usable here: no C++ compiler (looked for "
            "nonexistent-c++; set ONCOSWEEP_CXX) (install a C++17 compiler such as g++, or use "
            "--backend numpy / auto)"]
    assert not (tmp_path / "c.zarr").exists() and not (tmp_path / "s.zarr").exists()


@pytest.mark.skipif(PROBE.usable, reason="a CUDA device is usable here")
def test_cli_cupy_without_a_device_is_one_line(small_config: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(small_config), "-o", str(tmp_path / "c.zarr"),
                 "--backend", "cupy"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("oncosweep: error: backend: 'cupy' is not usable here")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "c.zarr").exists()


# ----------------------------------------------------------------------------- on a GPU
@pytest.mark.gpu
@needs_gpu
def test_fused_kernel_equals_numpy_engine() -> None:
    scenario = Scenario.from_dict(SMALL)
    numpy = simulate(scenario, realizations=300, seed=9, backend="numpy")
    cupy = simulate(scenario, realizations=300, seed=9, backend="cupy")
    assert cupy.attrs["engine"] == "cuda-fused" and cupy.attrs["device"] == PROBE.name
    xr.testing.assert_equal(numpy, cupy)


@pytest.mark.gpu
@needs_gpu
def test_array_engine_on_cupy_equals_numpy_engine() -> None:
    import cupy

    from oncosweep import compile_scenario
    from oncosweep.gpu_engine.realization import run_engine

    model = compile_scenario(Scenario.from_dict(SMALL))
    a = run_engine(model, realizations=200, seed=4)
    b = run_engine(model, realizations=200, seed=4, xp=cupy)
    np.testing.assert_array_equal(a.cells_at_detection, b.cells_at_detection)
    np.testing.assert_array_equal(a.time_to_cure, b.time_to_cure)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
