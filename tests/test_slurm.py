"""Sweeps on a real SLURM cluster (dask-jobqueue worker jobs), one worker job cancelled
mid-sweep with ``scancel``: the sweep completes and its store equals a clean local run.

The tests marked ``slurm`` need a running slurmctld and slurmd: ``make test-slurm`` starts a
one-node cluster on this machine (``tools/slurm_local.sh start``) and runs them with
``ONCOSWEEP_SLURM=1``, which turns "no SLURM here" from a skip into a failure. ``make test``
leaves them out (``-m "not slurm"``). The other tests here only build job scripts and check
arguments (no SLURM needed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import xarray as xr
import yaml
from test_sweep import CONFIG, done_count, values

from oncosweep import run_sweep
from oncosweep.cli import main
from oncosweep.distributed.plan import Unit
from oncosweep.distributed.sweep import SweepError
from oncosweep.distributed.sweep_store import verify_store

REALIZATIONS, CHUNK = 384, 8
UNITS = 2 * 2 * (REALIZATIONS // CHUNK)  # 192 small units: ~20 s on two 1-core jobs
JOB_NAME = "oncosweep-test"


def slurm_state() -> str:
    """'' when a SLURM node of this machine's cluster answers and can run jobs, else why
    not."""
    if shutil.which("sinfo") is None:
        return "no SLURM here (sinfo not found; make test-slurm starts a local cluster)"
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                             timeout=20)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer in 20 s (slurmctld not running?)"
    states = out.stdout.split()
    if out.returncode != 0 or not any(s.rstrip("*~#") in ("idle", "mixed", "allocated")
                                      for s in states):
        why = out.stderr.strip().splitlines()[-1:] or states or ["no nodes"]
        return f"no usable SLURM node ({why[0]}; tools/slurm_local.sh start)"
    return ""


@pytest.fixture(scope="module")
def slurm() -> None:
    why = slurm_state()
    if why and os.environ.get("ONCOSWEEP_SLURM") == "1":
        pytest.fail(f"ONCOSWEEP_SLURM=1 but {why}")
    if why:
        pytest.skip(why)
    pytest.importorskip("dask_jobqueue")


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slurm-config") / "sweep.yaml"
    config = dict(CONFIG, sweep=dict(CONFIG["sweep"], realizations=REALIZATIONS, chunk=CHUNK))
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def clean(slurm: None, tmp_path_factory: pytest.TempPathFactory, config_file: Path) -> Path:
    """The same sweep on this machine's embedded cluster."""
    store = tmp_path_factory.mktemp("slurm-clean") / "clean.zarr"
    started = time.perf_counter()
    summary = run_sweep(config_file, store, workers=2, progress=False)
    print(f"clean local run: {summary.computed} units in {time.perf_counter() - started:.1f} s")
    assert summary.computed == UNITS
    return store


def our_jobs() -> dict[str, str]:
    """job id -> state of this test's worker jobs in the queue."""
    out = subprocess.run(["squeue", "-h", "-n", JOB_NAME, "-o", "%i %T"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slurm
def test_cli_sweep_on_slurm_with_a_job_cancelled_completes_identical_to_local(
    clean: Path, config_file: Path, tmp_path: Path
) -> None:
    """`oncosweep sweep --cluster slurm --jobs 2`; once units are being written, one of the
    two worker jobs is scancel'ed. The sweep finishes, a replacement job is submitted, and the
    store equals the clean local run."""
    assert not our_jobs(), "worker jobs of an earlier run are still queued"
    store, logs = tmp_path / "slurm.zarr", tmp_path / "logs"
    command = [sys.executable, "-m", "oncosweep", "sweep", str(config_file), "-o", str(store),
               "--cluster", "slurm", "--jobs", "2", "--job-memory", "1GB",
               "--walltime", "00:10:00", "--job-name", JOB_NAME, "--job-log-dir", str(logs),
               "-q"]
    # a lost job is given up (and replaced) after 2 s instead of 15
    env = dict(os.environ, DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT="2s")
    started = time.perf_counter()
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env)
    try:
        wait_for(lambda: done_count(store) >= 8 or driver.poll() is not None, 120,
                 "the first units")
        assert driver.poll() is None, driver.communicate()
        jobs = our_jobs()
        running = sorted(j for j, state in jobs.items() if state == "RUNNING")
        assert len(running) == 2, jobs
        victim = running[0]
        at_cancel = done_count(store)
        cancelled_at = time.perf_counter() - started
        subprocess.run(["scancel", victim], check=True, timeout=30)
        wait_for(lambda: (set(our_jobs()) - set(jobs)) or driver.poll() is not None, 120,
                 "a replacement job")
        replacements = sorted(set(our_jobs()) - set(jobs))
        out, err = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()
    seconds = time.perf_counter() - started
    assert driver.returncode == 0, err
    print(f"slurm sweep: jobs {sorted(jobs)}, cancelled {victim} at {cancelled_at:.1f} s "
          f"with {at_cancel} of {UNITS} units done; replacement job(s) {replacements}; "
          f"finished in {seconds:.1f} s")
    assert 0 < at_cancel < UNITS
    assert replacements, "no replacement job was submitted before the sweep finished"
    assert f"{UNITS} units, 0 already done, computed {UNITS}" in out, out
    assert "cluster: slurm, 2 job(s)" in out
    assert verify_store(store).ok
    xr.testing.assert_equal(values(store), values(clean))
    wait_for(lambda: not our_jobs(), 60, "the worker jobs to be cancelled at the end")
    assert "CANCELLED" in (logs / f"{JOB_NAME}-{victim}.err").read_text()


@pytest.mark.slurm
def test_python_sweep_on_slurm_recomputes_the_units_of_a_cancelled_job(
    clean: Path, config_file: Path, tmp_path: Path
) -> None:
    """run_sweep(cluster="slurm") in a thread; the units in flight on one worker job when it
    is scancel'ed are computed again by another worker (their reported process differs), every
    unit is reported once, and the store equals the clean local run."""
    import dask
    from distributed import default_client

    from oncosweep.distributed.slurm import SlurmOptions

    assert not our_jobs(), "worker jobs of an earlier run are still queued"
    store = tmp_path / "slurm.zarr"
    options = SlurmOptions(jobs=2, memory="1GB", walltime="00:10:00", job_name=JOB_NAME,
                           log_directory=str(tmp_path / "logs"))
    outcome: dict = {}

    def sweep() -> None:
        try:
            outcome["summary"] = run_sweep(config_file, store, cluster="slurm",
                                           cluster_options=options, progress=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            outcome["error"] = exc

    with dask.config.set({"distributed.deploy.lost-worker-timeout": "2s"}):
        runner = threading.Thread(target=sweep)
        runner.start()
        try:
            wait_for(lambda: done_count(store) >= 8 or not runner.is_alive(), 120,
                     "the first units")
            assert runner.is_alive(), outcome
            client = default_client()  # the sweep's client (the latest one made)
            workers = client.run(lambda: (os.environ.get("SLURM_JOB_ID"), os.getpid()))
            assert len(workers) == 2, workers
            busy = client.processing()
            victim = max(workers, key=lambda address: len(busy.get(address, ())))
            job, pid = workers[victim]
            in_flight = set(busy.get(victim, ()))
            subprocess.run(["scancel", job], check=True, timeout=30)
        finally:
            runner.join(timeout=300)
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    config_hash = xr.open_zarr(store).attrs["config_hash"]
    pid_by_key = {Unit(tuple(r["unit"][0]), r["unit"][1]).key(config_hash): r["pid"]
                  for r in summary.results}
    assert len(pid_by_key) == len(summary.results) == UNITS  # every unit reported once
    assert in_flight, "the cancelled worker had no unit in flight"
    redone = {key for key in in_flight if pid_by_key[key] != pid}
    print(f"python slurm sweep: cancelled job {job} (worker pid {pid}) with {len(in_flight)} "
          f"unit(s) in flight, {len(redone)} of them computed again by another worker; "
          f"worker processes {sorted({r['pid'] for r in summary.results})}; "
          f"{summary.seconds:.1f} s")
    assert redone, (in_flight, pid_by_key)
    assert verify_store(store).ok
    xr.testing.assert_equal(values(store), values(clean))


# --------------------------------------------------------------- without SLURM: arguments
def test_job_script_runs_this_python_with_this_oncosweep(tmp_path: Path) -> None:
    pytest.importorskip("dask_jobqueue")
    from dask_jobqueue import SLURMCluster

    import oncosweep
    from oncosweep.distributed.slurm import SlurmOptions, slurm_job_options

    options = SlurmOptions(jobs=3, cores=2, memory="3GB", partition="short",
                           walltime="00:20:00", log_directory=str(tmp_path / "logs"),
                           extra_directives=("--qos=low",))
    with SLURMCluster(**slurm_job_options(options)) as cluster:
        script = cluster.job_script()
    root = str(Path(oncosweep.__file__).resolve().parents[1])
    assert f"export PYTHONPATH={root}" in script
    assert f"{sys.executable} -m distributed.cli.dask_worker" in script
    for line in ("#SBATCH -p short", "#SBATCH --cpus-per-task=2", "#SBATCH -t 00:20:00",
                 "#SBATCH --qos=low", "#SBATCH -J oncosweep-worker",
                 f"#SBATCH -e {tmp_path / 'logs'}/"):
        assert line in script, (line, script)
    assert "--nthreads 2" in script and "--memory-limit 2.79GiB" in script
    with pytest.raises(ValueError, match="jobs"):
        SlurmOptions(jobs=0)


def test_cluster_arguments_are_checked(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sweep.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    store = tmp_path / "s.zarr"
    assert main(["sweep", str(config), "-o", str(store), "--cluster", "slurm",
                 "--workers", "2"]) == 2
    assert "--jobs" in capsys.readouterr().err
    # argparse: --cluster and --scheduler exclude each other (one line, exit 2)
    assert main(["sweep", str(config), "-o", str(store), "--cluster", "slurm",
                 "--scheduler", "tcp://localhost:8786"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler" in err
    with pytest.raises(SweepError, match="'local' or 'slurm'"):
        run_sweep(config, store, cluster="pbs")
    with pytest.raises(SweepError, match="not both"):
        run_sweep(config, store, cluster="slurm", scheduler="tcp://localhost:8786")
    assert not store.exists()


def test_a_cluster_object_is_used_and_left_running(tmp_path: Path) -> None:
    """run_sweep(cluster=<a Dask cluster>) as the dask-cuda recipe (tools/gpu_sweep_check.py)
    uses it: the sweep runs on it and leaves it open."""
    from distributed import Client, LocalCluster

    config = tmp_path / "sweep.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        summary = run_sweep(config, tmp_path / "s.zarr", cluster=cluster, progress=False,
                            realizations=8, chunk=8)
        assert summary.computed == 4 and "resolved on each worker" in summary.backend
        with Client(cluster) as client:  # still running
            assert len(client.scheduler_info()["workers"]) == 1
    assert verify_store(tmp_path / "s.zarr").ok
