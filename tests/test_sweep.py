"""Sweeps on a real Dask LocalCluster (worker processes on loopback) into zarr stores.

Deterministic: fixed seeds; stores are compared value for value (exact equality, NaN ==
NaN). A unit is a grid point x realization chunk; its values depend only on the config and
the unit, so worker count, chunk size, crashes and resumption never change them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from oncosweep import Scenario, open_results, run_sweep, simulate
from oncosweep.cli import main
from oncosweep.distributed.sweep_store import verify_store

pytestmark = pytest.mark.slow

CONFIG = {
    "name": "sweep-test",
    "tumour": {"detection_size": 300, "lethal_size": 5000, "birth_rate": 1.0,
               "death_rate": 0.3,
               "loci": [{"name": "R", "mutation_rate": 0.002,
                         "mechanisms": [{"type": "target", "drug": "d", "ic50_fold": 50}]}]},
    "simulation": {"dt": 0.05, "horizon": 30.0},
    "trace": {"realizations": [1, 13], "every": 1.0},
    "drugs": [{"name": "d", "mode": "kill", "emax": 1.5, "ic50": 0.5, "half_life": 1.0,
               "dosing": {"dose": 2.0, "every": 1.0}}],
    "regimens": [{"name": "r", "drugs": ["d"]}],
    "monitoring": {"visit_every": 2.0, "imaging": {"cv": 0.1, "detection_limit": 10}},
    "strategies": [{"name": "cont", "kind": "continuous", "regimen": "r"},
                   {"name": "pulse", "kind": "intermittent", "regimen": "r", "on_days": 2.0,
                    "off_days": 2.0}],
    "sweep": {"realizations": 48, "chunk": 16, "seed": 3,
              "axes": {"strategy": ["cont", "pulse"],
                       "tumour.loci[0].mutation_rate": [0.001, 0.01]}},
}
UNITS = 2 * 2 * 3


def values(store: Path) -> xr.Dataset:
    """The results of a store without the bookkeeping (done marks, unit chunking, attrs)."""
    ds = xr.open_zarr(store).drop_vars(["done", "unit_checksum", "unit_backend", "unit"]).load()
    ds.attrs = {}
    return ds


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "sweep.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, config_file: Path) -> Path:
    store = tmp_path_factory.mktemp("clean") / "clean.zarr"
    summary = run_sweep(config_file, store, workers=2, progress=False)
    assert summary.computed == UNITS and summary.skipped == 0
    return store


def test_one_worker_two_workers_and_chunk_sizes_store_identical_values(
    clean: Path, config_file: Path, tmp_path: Path
) -> None:
    one = tmp_path / "one.zarr"
    run_sweep(config_file, one, workers=1, progress=False)
    rechunked = tmp_path / "rechunked.zarr"
    run_sweep(config_file, rechunked, workers=2, chunk=7, progress=False)
    xr.testing.assert_equal(values(one), values(clean))
    xr.testing.assert_equal(values(rechunked), values(clean))
    assert verify_store(clean).ok
    # a grid point of the sweep is the same as simulating that point directly
    scenario = Scenario.from_dict(CONFIG)
    point, strategy = scenario.at_point((1, 0))
    direct = simulate(point, realizations=48, seed=3, strategy=strategy,
                      point=scenario.biology_point_id((1, 0)))
    stored = open_results(clean).isel({"strategy": 1, "tumour.loci[0].mutation_rate": 0})
    np.testing.assert_array_equal(stored.time_to_progression.values,
                                  direct.time_to_progression.values)
    np.testing.assert_array_equal(stored.cells_at_start.values, direct.cells_at_start.values)


def done_count(store: Path) -> int:
    import zarr

    try:  # straight from zarr: no dask computation that would queue on the test's cluster
        return int(zarr.open_array(store / "done", mode="r")[...].sum())
    except Exception:  # noqa: BLE001 - the template may not exist yet
        return 0


def test_worker_killed_mid_sweep_completes_each_unit_once(
    clean: Path, config_file: Path, tmp_path: Path
) -> None:
    """96 small units (192 realizations per point in chunks of 8), one worker SIGKILLed while
    they run. The first 48 realizations must equal the clean 48-realization sweep: a
    realization's values depend neither on the chunking nor on how many a point has."""
    from distributed import Client, LocalCluster

    store = tmp_path / "killed.zarr"
    units = 2 * 2 * 24
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        outcome: dict = {}
        runner = threading.Thread(target=lambda: outcome.update(
            summary=run_sweep(config_file, store, client=client, progress=False,
                              realizations=192, chunk=8)))
        runner.start()
        deadline = time.time() + 120
        while done_count(store) < 4 and time.time() < deadline:
            time.sleep(0.02)
        assert done_count(store) < units, "the sweep finished before a worker could be killed"
        victim = next(iter(client.run(os.getpid).values()))
        os.kill(victim, signal.SIGKILL)
        runner.join(timeout=300)
    summary = outcome["summary"]
    done = [(tuple(r["unit"][0]), r["unit"][1]) for r in summary.results]
    assert len(done) == len(set(done)) == units  # every unit reported done exactly once
    assert len({r["pid"] for r in summary.results}) >= 2  # work before and after the kill
    assert verify_store(store).ok
    xr.testing.assert_equal(values(store).isel(realization=slice(0, 48)), values(clean))


def test_driver_killed_then_rerun_computes_only_the_missing_units(
    clean: Path, config_file: Path, tmp_path: Path
) -> None:
    store = tmp_path / "resumed.zarr"
    command = [sys.executable, "-m", "oncosweep", "sweep", str(config_file), "-o", str(store),
               "--workers", "2", "-q"]
    driver = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    # kill at the first done unit: the 12 units take ~1 s in all on 2 cores, so a later kill
    # (or a slower poll) can find the sweep already finished under load
    deadline = time.time() + 120
    while done_count(store) < 1 and time.time() < deadline and driver.poll() is None:
        time.sleep(0.01)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its embedded cluster
    driver.wait(timeout=30)
    time.sleep(0.5)
    before = done_count(store)
    assert 0 < before < UNITS, before
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{before} already done, computed {UNITS - before}" in rerun.stdout, rerun.stdout
    assert verify_store(store).ok
    xr.testing.assert_equal(values(store), values(clean))


def test_verify_detects_a_deleted_chunk_and_an_unfinished_unit(
    clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zarr

    store = tmp_path / "damaged.zarr"
    shutil.copytree(clean, store)
    chunk_files = sorted((store / "time_to_detection" / "c").rglob("*"))
    chunk_files = [f for f in chunk_files if f.is_file()]
    chunk_files[0].unlink()
    done = zarr.open_array(store / "done", mode="r+")
    done[1, 1, 2] = 0
    report = verify_store(store)
    assert len(report.corrupt) == 1 and len(report.unfinished) == 1
    assert report.unfinished[0].point == (1, 1) and report.unfinished[0].chunk == 2
    assert main(["verify", str(store)]) == 1
    out = capsys.readouterr().out
    assert "unfinished: grid point" in out and "damaged: grid point" in out
    assert main(["verify", str(clean)]) == 0


def test_a_different_config_is_refused_and_overwrite_starts_over(
    clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "copy.zarr"
    shutil.copytree(clean, store)
    changed = dict(CONFIG, sweep=dict(CONFIG["sweep"], seed=4))
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(changed))
    assert main(["sweep", str(path), "-o", str(store), "--workers", "1", "-q"]) == 2
    err = capsys.readouterr().err
    assert "different configuration" in err and len(err.strip().splitlines()) == 1
    assert main(["info", str(store)]) == 0
    info = capsys.readouterr().out
    assert f"{UNITS} of {UNITS} units done" in info and "strategy" in info
    assert main(["sweep", str(path), "-o", str(store), "--workers", "1", "-q",
                 "--overwrite"]) == 0
    assert int(xr.open_zarr(store).attrs["seed"]) == 4


# ----------------------------------------------------------------------------- backends
def test_units_record_their_backend_and_the_backend_is_not_in_the_config_hash(
    clean: Path, tmp_path: Path
) -> None:
    from oncosweep.distributed.sweep_store import open_store, unit_backends
    from oncosweep.gpu_engine.backend import resolve_backend

    ds = open_store(clean)
    assert set(unit_backends(ds).values()) == {resolve_backend("auto").name}
    assert len(unit_backends(ds)) == UNITS
    assert "backend" not in ds.attrs  # per unit, not per store
    store = tmp_path / "resumed.zarr"
    shutil.copytree(clean, store)
    # the clean store was written with backend "auto"; "numpy" is the same configuration
    summary = run_sweep(Scenario.from_dict(CONFIG), store, backend="numpy", progress=False)
    assert summary.skipped == UNITS and summary.computed == 0
    assert summary.backend.startswith("backend: numpy")


def test_numpy_and_cpu_sweeps_store_identical_values(clean: Path, config_file: Path,
                                                      tmp_path: Path) -> None:
    """The reference engine and the compiled one on 1 process x 2 threads fill the same store
    values as the clean sweep (auto: the compiled engine on 2 processes x 1 thread where it
    builds); every unit records its backend."""
    from oncosweep.distributed.sweep_store import open_store, unit_backends
    from oncosweep.gpu_engine import cpu_engine

    if not cpu_engine.probe()[0]:
        pytest.skip(f"the cpu backend is not usable: {cpu_engine.probe()[1]}")
    stores = {}
    for name, options in (("numpy", {"backend": "numpy", "workers": 2}),
                          ("cpu_threads", {"backend": "cpu", "workers": 1,
                                           "threads": min(2, cpu_engine.default_threads())})):
        stores[name] = tmp_path / f"{name}.zarr"
        summary = run_sweep(config_file, stores[name], progress=False, **options)
        assert summary.computed == UNITS
        assert set(unit_backends(open_store(stores[name])).values()) == {options["backend"]}
    for store in stores.values():
        xr.testing.assert_equal(values(store), values(clean))


class _FakeFuture:
    def __init__(self, unit) -> None:
        self.unit = unit

    def result(self) -> dict:
        return {"unit": (self.unit.point, self.unit.chunk), "realizations": 0,
                "simulate_seconds": 0.0, "write_seconds": 0.0, "pid": 0, "backend": "cupy"}


class _FakeClient:
    """Records what the sweep submits; nothing runs."""

    def __init__(self, cluster=None, *args, **kwargs) -> None:
        self.cluster, self.calls = cluster, []

    def submit(self, function, *args, **kwargs) -> _FakeFuture:
        self.calls.append((function, args, kwargs))
        return _FakeFuture(args[3])

    def close(self) -> None:
        pass


class _FakeLocalCluster:
    made: list[dict] = []

    def __init__(self, **kwargs) -> None:
        _FakeLocalCluster.made.append(kwargs)

    def close(self) -> None:
        pass


@pytest.fixture
def fake_gpus(monkeypatch: pytest.MonkeyPatch):
    """A machine where cupy 'resolves' with 2 GPUs, a fake Dask client and LocalCluster."""
    import distributed

    from oncosweep.distributed import sweep as sweep_module
    from oncosweep.gpu_engine.backend import ResolvedBackend

    gpu = ResolvedBackend("cupy", "cuda-fused", "Fake GPU", "CUDA device 0: Fake GPU", "auto")
    monkeypatch.setattr(sweep_module, "resolve_backend", lambda name="auto", **_: gpu)
    monkeypatch.setattr(sweep_module, "gpu_count", lambda: 2)
    monkeypatch.setattr(distributed, "as_completed", lambda futures: iter(futures))
    monkeypatch.setattr(distributed, "LocalCluster", _FakeLocalCluster)
    monkeypatch.setattr(distributed, "Client", _FakeClient)
    clients: list[_FakeClient] = []
    real_enter = sweep_module._cluster.__enter__

    def enter(self):
        client = real_enter(self)
        clients.append(client)
        return client

    monkeypatch.setattr(sweep_module._cluster, "__enter__", enter)
    _FakeLocalCluster.made.clear()
    return clients


def test_cupy_sweep_lays_out_one_worker_per_gpu_and_tags_every_task(
    fake_gpus: list, config_file: Path, tmp_path: Path
) -> None:
    summary = run_sweep(config_file, tmp_path / "gpu.zarr", progress=False)  # auto -> cupy
    assert summary.computed == UNITS
    assert "cupy" in summary.backend and "2 GPU worker(s)" in summary.backend
    (options,) = _FakeLocalCluster.made
    assert options["n_workers"] == 2 and options["threads_per_worker"] == 1
    assert options["resources"] == {"GPU": 1} and options["processes"] is True
    assert options["env"] == {"ONCOSWEEP_GPU_BY_WORKER_NAME": "1"}  # bind by worker name
    (client,) = fake_gpus
    assert len(client.calls) == UNITS
    for function, args, kwargs in client.calls:
        assert function.__name__ == "run_unit" and args[4] == "cupy"
        assert kwargs["resources"] == {"GPU": 1} and kwargs["key"].startswith("oncosweep-unit-")


def test_cupy_sweep_on_an_external_cluster_resolves_on_the_workers(
    fake_gpus: list, config_file: Path, tmp_path: Path
) -> None:
    client = _FakeClient()
    summary = run_sweep(config_file, tmp_path / "ext.zarr", client=client, backend="cupy",
                        progress=False)
    assert not _FakeLocalCluster.made  # the user's cluster, as it is
    assert "GPU=1" in summary.backend
    assert {kwargs["resources"]["GPU"] for *_, kwargs in client.calls} == {1}
    auto = _FakeClient()
    run_sweep(config_file, tmp_path / "auto.zarr", client=auto, progress=False)
    # auto on an external cluster: each worker resolves it; no GPU tag (CPU workers may run)
    assert {args[4] for _, args, _ in auto.calls} == {"auto"}
    assert all(kwargs["resources"] is None for *_, kwargs in auto.calls)


def test_numpy_sweep_layout_and_submission_are_unchanged(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, tmp_path: Path
) -> None:
    import distributed

    from oncosweep.distributed.sweep import local_cluster_options

    assert local_cluster_options(None) == {"threads_per_worker": 1, "processes": True,
                                           "dashboard_address": None,
                                           # no dashboard, and the scheduler's HTTP server
                                           # off port 8787 (a free loopback port)
                                           "scheduler_kwargs": {
                                               "dashboard_address": "127.0.0.1:0"},
                                           "n_workers": os.cpu_count() or 1}
    assert local_cluster_options(3)["n_workers"] == 3
    assert "resources" not in local_cluster_options(3) and "env" not in local_cluster_options(3)
    monkeypatch.setattr(distributed, "as_completed", lambda futures: iter(futures))
    client = _FakeClient()
    run_sweep(config_file, tmp_path / "cpu.zarr", client=client, backend="numpy",
              progress=False)
    assert {args[4] for _, args, _ in client.calls} == {"numpy"}
    assert all(kwargs["resources"] is None and kwargs["retries"] == 3 and not kwargs["pure"]
               for *_, kwargs in client.calls)


def test_gpu_workers_bind_devices_by_name() -> None:
    from oncosweep.distributed.sweep import local_cluster_options, worker_device

    assert [worker_device(2, name) for name in (0, 1, 2, 3)] == [0, 1, 0, 1]
    assert worker_device(4, "3") == 3
    assert worker_device(1, 5) == 0  # one visible GPU
    assert worker_device(2, "tcp://10.0.0.1:4242") == 0  # a name that is no index
    assert local_cluster_options(None, gpus=4)["n_workers"] == 4
    assert local_cluster_options(8, gpus=4)["n_workers"] == 8  # more workers share GPUs


def test_only_the_embedded_gpu_cluster_binds_devices_by_worker_name(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """dask-cuda rotates CUDA_VISIBLE_DEVICES so that each worker's GPU is its device 0 (and
    LocalCUDACluster names workers 0, 1, ... too): binding by name there would pile workers
    onto one GPU, so only workers carrying the embedded cluster's variable bind by name."""
    import contextlib

    from oncosweep.distributed import sweep as sweep_module

    used: list[int] = []

    class Device:
        def __init__(self, index: int) -> None:
            used.append(index)

    fake = type("FakeCupy", (), {"cuda": type("cuda", (), {"Device": Device})})
    monkeypatch.setattr(sweep_module, "import_cupy", lambda: (fake, ""))
    monkeypatch.setattr(sweep_module, "gpu_count", lambda: 4)
    monkeypatch.setattr(sweep_module, "_worker_name", lambda: 3)
    monkeypatch.delenv("ONCOSWEEP_GPU_BY_WORKER_NAME", raising=False)
    assert isinstance(sweep_module._device_context("cupy"), contextlib.nullcontext)
    monkeypatch.setenv("ONCOSWEEP_GPU_BY_WORKER_NAME", "1")
    sweep_module._device_context("cupy")
    sweep_module._device_context("auto")  # bound before auto probes the device
    assert used == [3, 3]
    assert isinstance(sweep_module._device_context("numpy"), contextlib.nullcontext)
    monkeypatch.setattr(sweep_module, "gpu_count", lambda: 0)
    assert isinstance(sweep_module._device_context("auto"), contextlib.nullcontext)
