"""Damaged sweep stores and environment errors (issue 17).

Every data variable in turn: one chunk file deleted, one truncated and one bit-flipped, each
in another unit. ``verify`` names exactly those units, a re-run recomputes exactly them, and
the repaired store is byte for byte the clean one. A store that cannot be written and a unit
that cannot be written part way (disk full) are one line, exit 2 and exit 1.

Units run on an in-process cluster (threads), on the compiled engine where it builds.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
import xarray as xr
import yaml
from test_sweep import CONFIG, UNITS

from oncosweep import open_results, run_sweep
from oncosweep.cli import main
from oncosweep.distributed import cluster as cluster_module
from oncosweep.distributed import sweep as sweep_module
from oncosweep.distributed.plan import Unit
from oncosweep.distributed.sweep import StoreDamagedError
from oncosweep.distributed.sweep_store import BOOKKEEPING, verify_store
from oncosweep.gpu_engine import cpu_engine

pytestmark = pytest.mark.slow

AXES = 2
#: the sweep of test_sweep.py on coarser steps
FAST = {**CONFIG, "simulation": {"dt": 0.5, "horizon": 30.0}}
#: the compiled engine computes a unit in ~0.05 s here, the numpy engine in ~1 s
BACKEND = "cpu" if cpu_engine.probe()[0] else "numpy"


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "sweep.yaml"
    path.write_text(yaml.safe_dump(FAST))
    return path


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, config_file: Path, client) -> Path:
    store = tmp_path_factory.mktemp("clean") / "clean.zarr"
    summary = run_sweep(config_file, store, client=client, backend=BACKEND, progress=False)
    assert summary.computed == UNITS
    return store


def files(store: Path) -> dict[str, bytes]:
    """Every file of a store, by relative path: the bytes of two stores compared at once."""
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*"))
            if p.is_file()}


def unit_of(store: Path, ds: xr.Dataset, chunk_file: Path) -> Unit:
    """The unit whose data a chunk file of a variable holds."""
    name = chunk_file.relative_to(store).parts[0]
    coords = [int(c) for c in chunk_file.relative_to(store / name / "c").parts]
    dim = ds[name].dims[AXES]
    chunk = int(ds.attrs["chunk"])
    if dim == "traced_realization":
        index = int(ds["traced_realization"].values[coords[AXES]]) // chunk
    elif dim == "unit":
        index = coords[AXES]
    else:
        assert dim == "realization"
        index = coords[AXES]
    return Unit(tuple(coords[:AXES]), index)


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    else:  # four bytes flipped in the middle
        middle = len(data) // 2
        for i in range(middle, min(middle + 4, len(data))):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))


def test_each_variable_deleted_truncated_and_flipped_chunk_is_named_and_repaired(
    clean: Path, config_file: Path, client, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "damaged.zarr"
    shutil.copytree(clean, store)
    reference = files(clean)
    layout = xr.open_zarr(clean)
    names = sorted(n for n in layout.data_vars if n not in BOOKKEEPING)
    damaged_names = []
    for name in [*names, "done", "unit_checksum"]:
        chunk_files = sorted(p for p in (store / name / "c").rglob("*") if p.is_file())
        if not chunk_files:  # every value is the fill value: zarr stored no chunk
            continue
        damaged_names.append(name)
        picked: dict[Unit, tuple[Path, str]] = {}
        for path in chunk_files:  # three different units, one way of damage each
            unit = unit_of(store, layout, path)
            if unit not in picked and len(picked) < 3:
                picked[unit] = (path, ("delete", "truncate", "flip")[len(picked)])
        for path, how in picked.values():
            damage(path, how)
        report = verify_store(store)
        if name == "done":  # a lost done mark: the unit reads as not done, and is redone
            assert set(report.unfinished) | set(report.damaged) == set(picked), name
        else:
            assert set(report.damaged) == set(picked) and not report.unfinished, (
                name, report.damaged)
        for unit, (path, how) in picked.items():
            if how == "truncate" and name != "done":
                assert f"cannot read {name} (chunk {path.relative_to(store)})" in \
                    report.damaged[unit]
        if name == names[0]:  # the readers refuse it too: one line, no fill values
            with pytest.raises(StoreDamagedError, match="damaged unit"):
                open_results(store)
            assert main(["verify", str(store)]) == 1
            out = capsys.readouterr().out
            assert out.count("damaged: grid point") == 3
            assert main(["report", str(store), "-o", str(tmp_path / "r.html")]) == 2
            err = capsys.readouterr().err
            assert "damaged unit(s)" in err and len(err.strip().splitlines()) == 1
        notes: list[str] = []
        summary = run_sweep(config_file, store, client=client, backend=BACKEND,
                            progress=False, note=notes.append)
        assert summary.computed == 3 and summary.skipped == UNITS - 3, name
        assert {Unit(tuple(r["unit"][0]), r["unit"][1]) for r in summary.results} == \
            set(picked), name
        assert len(notes) == 1 + len(summary.repaired)
        assert files(store) == reference, name  # repaired: byte for byte the clean store
    assert len(damaged_names) >= 12, damaged_names
    assert verify_store(store).ok


def test_verify_info_and_report_on_something_that_is_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("not a store\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    for store in (plain, empty, tmp_path / "missing.zarr"):
        for argv in (["verify", str(store)], ["info", str(store)],
                     ["report", str(store), "-o", str(tmp_path / "r.html")]):
            assert main(argv) == 2, argv
            err = capsys.readouterr().err
            assert err.startswith("oncosweep: error: ") and len(err.strip().splitlines()) == 1


def _immutable(path: Path) -> bool:
    """Make a directory unwritable (chmod; for root, which chmod does not stop, chattr +i)."""
    if hasattr(sys, "getuid") and sys.getuid() != 0:  # type: ignore[attr-defined]
        path.chmod(0o555)
        return True
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return done.returncode == 0


def _writable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    path.chmod(0o755)


def test_a_store_that_cannot_be_written_is_one_line_before_anything_runs(
    clean: Path, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    existing = tmp_path / "existing.zarr"
    shutil.copytree(clean, existing)
    if not (_immutable(folder) and _immutable(existing)):
        _writable(folder)
        pytest.skip("cannot make a directory read-only here (chmod as root, no chattr)")
    try:
        for store in (folder / "new.zarr", existing):
            start = time.perf_counter()
            assert main(["sweep", str(config_file), "-o", str(store), "--backend", "numpy",
                         "-q"]) == 2
            err = capsys.readouterr().err
            assert len(err.strip().splitlines()) == 1, err
            assert f"cannot write the sweep store {store}: [Errno" in err, err
            assert time.perf_counter() - start < 10  # no cluster, no simulation
    finally:
        _writable(folder)
        _writable(existing)


def test_a_full_disk_mid_run_keeps_the_finished_units_and_exits_1(
    clean: Path, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The third unit's write fails with ENOSPC (the cluster is in-process, so the patch
    reaches the worker): exit 1, one line; the units written before stay done and intact; a
    re-run finishes the store, byte for byte the clean one."""
    real_write, real_options = sweep_module.write_unit, cluster_module.local_cluster_options
    writes = {"n": 0}
    lock = threading.Lock()

    def full_disk(*args, **kwargs):
        with lock:
            writes["n"] += 1
            if writes["n"] > 2:
                raise OSError(errno.ENOSPC, "No space left on device", "chunk")
        return real_write(*args, **kwargs)

    def in_process(workers, gpus=0, dashboard=None):
        return {**real_options(1), "processes": False}

    monkeypatch.setattr(cluster_module, "local_cluster_options", in_process)
    monkeypatch.setattr(sweep_module, "write_unit", full_disk)
    store = tmp_path / "full.zarr"
    argv = ["sweep", str(config_file), "-o", str(store), "--backend", BACKEND, "-q"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "[Errno 28] No space left on device" in err and "2 of 12 units are done and kept" \
        in err, err
    report = verify_store(store)
    assert not report.damaged and len(report.unfinished) == UNITS - 2
    assert not Path(f"{store}.lock").exists()
    monkeypatch.setattr(sweep_module, "write_unit", real_write)
    assert main(argv) == 0
    assert f"2 already done, computed {UNITS - 2}" in capsys.readouterr().out
    assert files(store) == files(clean)


def test_an_unreachable_or_missing_scheduler_is_one_line_within_the_timeout(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = tmp_path / "dead.json"
    dead.write_text('{"address": "tcp://127.0.0.1:1"}')
    for where in (["--scheduler", "tcp://127.0.0.1:1"], ["--scheduler-file", str(dead)],
                  ["--scheduler-file", str(tmp_path / "missing.json")]):
        start = time.perf_counter()
        assert main(["sweep", str(config_file), "-o", str(tmp_path / "s.zarr"), "-q",
                     "--backend", "numpy", "--scheduler-timeout", "1", *where]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert ("cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 1 s" in err
                or "no such scheduler file" in err), err
        assert time.perf_counter() - start < 15


def test_the_embedded_cluster_serves_no_dashboard_and_leaves_port_8787() -> None:
    from distributed import LocalCluster

    from oncosweep.distributed.cluster import local_cluster_options

    options = {**local_cluster_options(1), "processes": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Port 8787 is already in use" either
        with LocalCluster(**options) as cluster:
            server = cluster.scheduler.http_server
            assert server.port != 8787 and server.address == "127.0.0.1"
