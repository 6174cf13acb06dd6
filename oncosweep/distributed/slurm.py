"""Batch-system clusters for sweeps: SLURM through dask-jobqueue (``pip install
"oncosweep[slurm]"``).

``slurm_cluster`` starts a Dask scheduler in this process and submits ``jobs`` SLURM batch
jobs, each one Dask worker of ``cores`` threads (one single-threaded unit per thread: a sweep
on this cluster runs the cpu backend with 1 thread per unit unless told otherwise) and
``memory``. The workers run this interpreter (``sys.executable``) with this copy of oncosweep
first on their ``PYTHONPATH``, so a sweep's driver and workers import the same code; the
jobs inherit the submitting environment (sbatch's default) and run in its working directory.
Job stdout/stderr go to ``log_directory``.

A job that ends before the sweep does (``scancel``, a node failure, the wall time) takes its
worker with it: the scheduler reschedules that worker's units on the others (unit keys are
deterministic, rewriting a unit writes identical bytes), and a keeper re-asks for ``jobs``
jobs every ``keep_every`` seconds, so dask-jobqueue submits a replacement job once Dask has
given the lost one up (``distributed.deploy.lost-worker-timeout``, 15 s by default).
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CLUSTERS = ("local", "slurm")
JOB_NAME = "oncosweep-worker"


@dataclass(frozen=True)
class SlurmOptions:
    """What each SLURM worker job asks for, and how many jobs the sweep keeps."""

    jobs: int = 2
    """Worker jobs kept running (a lost job is replaced)."""
    cores: int = 1
    """CPUs per job (``--cpus-per-task``), the Dask threads of its worker."""
    memory: str = "2GB"
    """Memory per job (``--mem``), the memory limit of its worker."""
    partition: str | None = None
    """SLURM partition (``-p``); None: the cluster's default."""
    account: str | None = None
    """SLURM account (``-A``); None: the user's default."""
    walltime: str = "01:00:00"
    """Wall time of each job (``-t``)."""
    log_directory: str = "slurm-logs"
    """Where the jobs' stdout/stderr go (created)."""
    job_name: str = JOB_NAME
    extra_directives: tuple[str, ...] = field(default_factory=tuple)
    """More ``#SBATCH`` lines, e.g. ``("--qos=short",)``."""
    keep_every: float = 5.0
    """Seconds between the keeper's checks that ``jobs`` jobs are asked for."""

    def __post_init__(self) -> None:
        for name in ("jobs", "cores"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"slurm {name}: must be a whole number >= 1, got {value!r}")
        if not self.keep_every > 0:
            raise ValueError(f"slurm keep_every: must be > 0 seconds, got {self.keep_every!r}")


def worker_pythonpath(environ: dict[str, str] | None = None) -> str:
    """The workers' PYTHONPATH: the directory this oncosweep is imported from, then the
    submitting environment's PYTHONPATH."""
    import oncosweep  # noqa: PLC0415

    root = str(Path(oncosweep.__file__).resolve().parents[1])
    existing = (os.environ if environ is None else environ).get("PYTHONPATH", "")
    parts = [root] + [p for p in existing.split(os.pathsep) if p and p != root]
    return os.pathsep.join(parts)


def slurm_job_options(options: SlurmOptions) -> dict[str, Any]:
    """Keyword arguments of ``dask_jobqueue.SLURMCluster`` for ``options``."""
    return {
        "cores": options.cores,
        "processes": 1,
        "memory": options.memory,
        "queue": options.partition,
        "account": options.account,
        "walltime": options.walltime,
        "job_name": options.job_name,
        "python": sys.executable,
        "log_directory": str(Path(options.log_directory).resolve()),
        "job_script_prologue": [f"export PYTHONPATH={worker_pythonpath()}"],
        "job_extra_directives": list(options.extra_directives),
    }


class KeptCluster:
    """A dask-jobqueue cluster scaled to ``jobs`` jobs, with a keeper that re-asks for them
    every ``every`` seconds (``scale`` with an unchanged count only resubmits jobs Dask has
    given up). Close it (or use it as a context manager) to cancel the jobs."""

    def __init__(self, cluster: Any, jobs: int, every: float) -> None:
        from tornado.ioloop import PeriodicCallback  # noqa: PLC0415

        self.cluster, self.jobs = cluster, jobs
        cluster.scale(jobs=jobs)
        self._keeper = PeriodicCallback(lambda: cluster.scale(jobs=jobs), every * 1000)
        cluster.loop.add_callback(self._keeper.start)

    def job_ids(self) -> list[str]:
        """SLURM job ids of the cluster's current worker jobs (submitted ones)."""
        return [str(job.job_id) for job in list(self.cluster.workers.values())
                if getattr(job, "job_id", None)]

    def close(self) -> None:
        try:
            self.cluster.loop.add_callback(self._keeper.stop)
        finally:
            self.cluster.close()

    def __enter__(self) -> KeptCluster:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def slurm_cluster(options: SlurmOptions | dict[str, Any] | None = None) -> KeptCluster:
    """Start a SLURM cluster of ``options.jobs`` worker jobs (see :class:`SlurmOptions`;
    a dict is taken as its fields). Returns a :class:`KeptCluster`; its ``cluster`` is the
    ``dask_jobqueue.SLURMCluster`` (``Client(kept.cluster)``). ImportError with the install
    command when dask-jobqueue is missing."""
    if not isinstance(options, SlurmOptions):
        options = SlurmOptions(**(options or {}))
    try:
        from dask_jobqueue import SLURMCluster  # noqa: PLC0415
    except ImportError:
        raise ImportError('the slurm cluster needs dask-jobqueue: pip install '
                          '"oncosweep[slurm]" (or pip install dask-jobqueue)') from None
    Path(options.log_directory).mkdir(parents=True, exist_ok=True)
    cluster = SLURMCluster(**slurm_job_options(options))
    return KeptCluster(cluster, options.jobs, options.keep_every)


def describe(options: SlurmOptions) -> str:
    """One line for the command line."""
    fields = asdict(options)
    where = f"partition {fields['partition']}" if fields["partition"] else "default partition"
    return (f"cluster: slurm, {options.jobs} job(s) of {options.cores} core(s) and "
            f"{options.memory} ({where}, wall time {options.walltime}; job logs in "
            f"{options.log_directory})")
