"""Parameter sweeps on Dask distributed into resumable zarr stores.

``run_sweep`` plans units (grid point x realization chunk), writes the store template once,
and submits every unit that is not ``done`` to a Dask cluster: an embedded ``LocalCluster``
of worker processes by default, or an existing scheduler. Each worker simulates its unit,
writes it into its own region of the store and returns a small summary. Unit keys are
deterministic, tasks are retried on failure, and re-running the same command on the same
store computes only the missing units (a store of a different configuration is refused).

Backends (``backend="auto" | "numpy" | "cpu" | "cupy"``) change speed, never values, so they
are not part of the config hash; each unit records the backend that computed it
(``unit_backend``). On ``cpu`` the cores are shared out so that worker processes x threads
never exceed them: the embedded cluster has ``workers`` processes (default: one per core, or
cores // ``threads``) of ``threads`` threads each (default: cores // workers); on an external
cluster each unit runs on its worker's share of its host's cores (the host's cores divided by
the Dask threads of every worker the scheduler knows on that host), unless ``threads`` is
given. The compiled engine is built (or found in its cache) by the driver before any worker
starts, so workers only load it.
With the embedded cluster the backend is resolved here: on cupy the cluster has one worker
per visible GPU (``threads_per_worker=1``, worker resources ``{"GPU": 1}``), every unit task
asks for ``{"GPU": 1}``, and each worker computes on device ``worker name mod device count``
(LocalCluster names its workers 0, 1, ...; the workers of this cluster alone carry
``ONCOSWEEP_GPU_BY_WORKER_NAME=1`` in their environment, which asks for that binding). With an
external cluster (``client``, ``scheduler``, ``scheduler_file``) each worker resolves the
backend itself and computes on its current device, 0 (dask-cuda and ``CUDA_VISIBLE_DEVICES=i``
make each worker's own GPU its device 0).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oncosweep.distributed.cluster import (  # noqa: F401 - re-exported
    GPU_BY_NAME_ENV,
    GPU_RESOURCES,
    _cluster,
    _host,
    _host_threads,
    local_cluster_options,
)
from oncosweep.distributed.errors import (  # noqa: F401 - re-exported
    StoreDamagedError,
    SweepError,
    SweepFailedError,
)
from oncosweep.distributed.lock import StoreLock
from oncosweep.distributed.plan import SweepPlan, Unit
from oncosweep.distributed.sweep_store import (
    create_store,
    done_units,
    open_store,
    plan_of,
    unit_label,
    verify_store,
    write_unit,
)
from oncosweep.gpu_engine.backend import (
    check_name,
    gpu_count,
    import_cupy,
    resolve_backend,
)
from oncosweep.gpu_engine.cpu_engine import check_threads, default_threads


@dataclass
class SweepSummary:
    """What a run of ``run_sweep`` did."""

    store: str
    units: int
    skipped: int
    computed: int
    seconds: float
    simulate_seconds: float = 0.0
    write_seconds: float = 0.0
    results: list[dict[str, Any]] = field(default_factory=list)
    backend: str = ""
    """The backend line (as the command line prints it)."""
    repaired: dict[Unit, str] = field(default_factory=dict)
    """Done units found damaged on resume (unit -> what was wrong), recomputed."""
    verify_seconds: float = 0.0
    """Seconds spent checking the done units' data against their checksums on resume."""


@dataclass(frozen=True)
class SweepBackend:
    """How a sweep runs its units: the backend name the workers get (``numpy``, ``cpu``,
    ``cupy``, or ``auto`` on an external cluster, where each worker resolves it), the
    resources every unit task asks for, the GPUs the embedded cluster is laid out for (0: one
    worker per core), one line for the command line, and on ``cpu`` the embedded cluster's
    worker processes and the threads of each unit (``threads`` None: each worker takes its
    share of its host's cores)."""

    worker_backend: str
    resources: dict[str, float] | None
    gpus: int
    line: str
    workers: int | None = None
    threads: int | None = None


def sweep_backend(backend: str = "auto", *, external: bool = False,
                  resources: dict[str, float] | None = None,
                  gpus: int | None = None, workers: int | None = None,
                  threads: int | None = None) -> SweepBackend:
    """Resolve ``backend`` for a sweep. ``external``: the cluster exists already (its workers
    resolve it; this machine may have no GPU); else it is resolved here and, on cupy, the
    embedded cluster gets one worker per visible GPU (``gpus``, default: counted), on cpu
    ``workers`` x ``threads`` that fit the cores (:func:`cpu_layout`).
    ``resources`` (default ``{"GPU": 1}`` on cupy) tags every unit task."""
    check_name(backend)
    if threads is not None:
        check_threads(threads)
    if external:
        tags = resources if resources is not None else (
            dict(GPU_RESOURCES) if backend == "cupy" else None)
        share = f"{threads} threads per unit" if threads else "each worker's share of its cores"
        where = {"auto": "auto (resolved on each worker of the cluster)",
                 "numpy": "numpy (on the cluster's workers)",
                 "cpu": f"cpu (on the cluster's workers, {share})",
                 "cupy": "cupy (on the cluster's workers; unit tasks ask for "
                         f"{_tags(tags)})"}[backend]
        return SweepBackend(backend, tags, 0, f"backend: {where}", threads=threads)
    processes, per_unit = cpu_layout(workers, threads, default_threads())
    chosen = resolve_backend(backend, threads=per_unit)
    if chosen.name == "cpu":
        plural = "es" if processes != 1 else ""
        return SweepBackend("cpu", resources, 0,
                            f"{chosen.line()} x {processes} worker process{plural}",
                            workers=processes, threads=per_unit)
    if chosen.name != "cupy":
        return SweepBackend("numpy", resources, 0, chosen.line())
    count = gpu_count() if gpus is None else gpus
    tags = resources if resources is not None else dict(GPU_RESOURCES)
    return SweepBackend("cupy", tags, max(count, 1),
                        f"{chosen.line()}; {max(count, 1)} GPU worker(s)")


def cpu_layout(workers: int | None, threads: int | None, cores: int) -> tuple[int, int]:
    """(worker processes, threads per unit) of the embedded cluster on the cpu backend, so that
    processes x threads never exceed ``cores``: by default one single-threaded process per
    core; ``threads`` alone gives cores // threads processes, ``workers`` alone cores //
    workers threads each. Both given and their product above ``cores``: a SweepError naming
    them."""
    if workers is None and threads is None:
        return cores, 1
    if workers is None:
        assert threads is not None
        return max(1, cores // threads), threads
    if threads is None:
        return workers, max(1, cores // workers)
    if workers * threads > cores:
        raise SweepError(f"workers x threads: {workers} x {threads} = {workers * threads} "
                         f"exceeds the {cores} cores of this machine (give fewer workers or "
                         "threads)")
    return workers, threads


def _tags(resources: dict[str, float] | None) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in (resources or {}).items()) or "nothing"


def worker_device(count: int, name: Any = None) -> int:
    """The CUDA device index a worker of the embedded GPU cluster computes on: its name
    modulo ``count`` where the name is a whole number (LocalCluster names its workers 0, 1,
    ...), else 0."""
    if count <= 1:
        return 0
    text = str(name).strip()
    return int(text) % count if text.isdigit() else 0


def _worker_name() -> Any:
    try:
        from distributed import get_worker  # noqa: PLC0415

        return get_worker().name
    except (ImportError, ValueError):  # not running on a Dask worker
        return None


def _device_context(backend: str) -> Any:
    """Make this worker's GPU current while a unit is resolved and computed: in the embedded
    GPU cluster device (worker name mod count), before anything touches a device (the CUDA
    probe then runs on this worker's own GPU, not on device 0); elsewhere the current device,
    as the worker was started. A no-op on numpy and without CuPy or devices."""
    if backend == "numpy" or os.environ.get(GPU_BY_NAME_ENV) != "1":
        return contextlib.nullcontext()
    cupy, _ = import_cupy()
    count = gpu_count()
    if cupy is None or count < 1:
        return contextlib.nullcontext()
    return cupy.cuda.Device(worker_device(count, _worker_name()))


@functools.lru_cache(maxsize=8)
def _scenario(scenario_yaml: str) -> Any:
    from oncosweep.scenario import Scenario  # noqa: PLC0415

    return Scenario.from_yaml_string(scenario_yaml)


def run_unit(scenario_yaml: str, store: str, plan: SweepPlan, unit: Unit,
             backend: str = "numpy", threads: int | None = None,
             host_threads: dict[str, int] | None = None) -> dict[str, Any]:
    """Simulate one unit and write it (on a worker); returns a small summary. ``backend``
    is resolved here, on the worker (``auto`` picks this worker's GPU if it has one).
    ``threads``: CPU threads of the cpu backend; None: this worker's share of its host's cores
    (``host_threads``: Dask threads of all workers per host, from the scheduler)."""
    from oncosweep.api import simulate  # noqa: PLC0415

    start = time.perf_counter()
    scenario = _scenario(scenario_yaml)
    point, strategy = scenario.at_point(unit.point) if plan.axes else (scenario, None)
    first, last = plan.chunk_range(unit.chunk)
    with _device_context(backend):
        chosen = resolve_backend(backend, threads=threads or worker_threads(host_threads))
        result = simulate(point, realizations=last - first, seed=plan.seed, start=first,
                          point=scenario.biology_point_id(unit.point) if plan.axes else 0,
                          strategy=strategy, backend=chosen.name,
                          threads=chosen.threads or None)
    simulated = time.perf_counter() - start
    records_backend, traced = _store_layout(store, plan.config_hash)
    recorded = chosen.name if records_backend else None  # older stores lack it
    summary = {"unit": (unit.point, unit.chunk), "realizations": last - first}
    try:
        written = write_unit(store, plan, unit, result, traced, backend=recorded)
    except OSError as exc:  # disk full, permissions: retrying would not help
        if exc.errno not in WRITE_ERRNOS:
            raise
        return {**summary, "error": _os_reason(exc), "simulate_seconds": simulated,
                "write_seconds": 0.0, "pid": os.getpid(), "backend": chosen.name}
    return {**summary,
            "simulate_seconds": simulated, "write_seconds": written, "pid": os.getpid(),
            "backend": chosen.name, "device": str(result.attrs.get("device", chosen.device))}


@functools.lru_cache(maxsize=8)
def _store_layout(store: str, config_hash: str) -> tuple[bool, np.ndarray]:
    """(whether the store records unit backends, its traced realizations): fixed by the
    store's template, so read once per worker and store (``config_hash`` keys a store
    rewritten for another configuration)."""
    del config_hash  # part of the cache key only
    stored = open_store(store)
    return "unit_backend" in stored, stored["traced_realization"].values


def worker_threads(host_threads: dict[str, int] | None) -> int:
    """The CPU threads one unit may use on this Dask worker: the cores this process may use
    divided by the Dask threads of all workers on its host (``host_threads``, host -> threads;
    this worker's own threads where its host is not listed), at least 1. Outside a worker:
    every core."""
    cores = default_threads()
    try:
        from distributed import get_worker  # noqa: PLC0415

        worker = get_worker()
    except (ImportError, ValueError):
        return cores
    own = int(getattr(worker.state, "nthreads", 1) or 1)
    host = _host(worker.address)
    busy = (host_threads or {}).get(host, own)
    return max(1, cores // max(busy, own, 1))


WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS,
                          errno.EFBIG})
"""Errors writing a unit that end the sweep (kept units stay done) instead of retrying it."""


def _os_reason(exc: OSError) -> str:
    """'[Errno 28] No space left on device' without the file name."""
    return f"[Errno {exc.errno}] {exc.strerror}" if exc.errno else str(exc)


def prepare_store(scenario: Any, store: str | Path, plan: SweepPlan, *,
                  overwrite: bool = False) -> set[Unit]:
    """Create the store (or check an existing one); returns the units already done. A store
    that cannot be written is an error before anything is simulated."""
    path = Path(store)
    if path.exists() and not path.is_dir():
        raise SweepError(f"{path} exists and is not a directory (a zarr store); choose "
                         "another output")
    if path.exists() and overwrite:
        shutil.rmtree(path)
    if path.exists():
        _check_writable(path)
        try:
            ds = open_store(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable store is refused the same way
            raise SweepError(f"{path} exists but is not a readable oncosweep sweep store "
                             f"({type(exc).__name__}); use --overwrite or another path") from None
        found = ds.attrs.get("config_hash")
        if found != plan.config_hash:
            raise SweepError(
                f"{path} was written by a different configuration (hash {str(found)[:12]}, "
                f"this one {plan.config_hash[:12]}); use --overwrite to start over or choose "
                "another output")
        return done_units(path, plan_of(ds))
    _write_template(scenario, path, plan)
    return set()


def _check_writable(path: Path) -> None:
    """Create and remove a file in the store: permissions, a read-only file system."""
    probe = path / f".oncosweep-write-probe-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise SweepError(f"cannot write the sweep store {path}: {_os_reason(exc)}") from None


def _build_cpu_engine(scenario: Any, plan: SweepPlan) -> None:
    """Build (or find cached) the compiled engine for the sweep's model before the workers
    start, so that they only load it (they would otherwise wait on the build lock)."""
    from oncosweep.gpu_engine import cpu_engine  # noqa: PLC0415
    from oncosweep.gpu_engine.compile import compile_scenario  # noqa: PLC0415
    from oncosweep.gpu_engine.layout import check_capacity  # noqa: PLC0415

    point, strategy = scenario.at_point((0,) * len(plan.axes)) if plan.axes else (scenario,
                                                                                  None)
    cpu_engine.library(check_capacity(compile_scenario(point, strategy))[0])


def _write_template(scenario: Any, path: Path, plan: SweepPlan) -> None:
    from oncosweep.gpu_engine.compile import compile_scenario  # noqa: PLC0415
    from oncosweep.gpu_engine.dataset import to_dataset  # noqa: PLC0415
    from oncosweep.gpu_engine.record import empty_result  # noqa: PLC0415

    origin = (0,) * len(plan.axes)
    point, strategy = scenario.at_point(origin) if plan.axes else (scenario, None)
    model = compile_scenario(point, strategy)
    traced = model.traced_in(0, plan.realizations)
    # the structure (variables, dims, dtypes, attributes) comes from the declaration of the
    # outputs: no realization is run
    sample = to_dataset(empty_result(model, traced), model, scenario_yaml="", seed=plan.seed,
                        point=0, backend="", engine="", device="")
    per_unit = ("seed", "point", "strategy", "strategy_kind", "backend", "engine", "device")
    attrs = {k: v for k, v in sample.attrs.items() if k not in per_unit}
    attrs["scenario"] = scenario.to_yaml()
    create_store(path, plan, sample, np.asarray(traced), attrs)


def run_sweep(
    config: Any,
    store: str | os.PathLike[str],
    *,
    client: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    overwrite: bool = False,
    retries: int = 3,
    backend: str = "auto",
    threads: int | None = None,
    resources: dict[str, float] | None = None,
    progress: bool | None = None,
    realizations: int | None = None,
    chunk: int | None = None,
    seed: int | None = None,
    cluster: Any = None,
    cluster_options: Any = None,
    verify: bool = True,
    wait: float | None = None,
    break_lock: bool = False,
    scheduler_timeout: float = 30.0,
    dashboard: str | None = None,
    note: Callable[[str], None] | None = None,
) -> SweepSummary:
    """Run (or resume) the sweep of ``config`` (a Scenario or a YAML path) into ``store``.

    Cluster: ``client`` if given; else ``scheduler`` (tcp://host:port) or ``scheduler_file``;
    else an embedded LocalCluster of ``workers`` processes (default: the machine's cores, or
    cores // ``threads`` on the cpu backend; on the cupy backend one per visible GPU).
    ``cluster``: a Dask cluster object to connect to (e.g. a dask-jobqueue or dask-cuda
    cluster), or ``"slurm"``: SLURM worker jobs started (and cancelled at the end) here, as
    ``cluster_options`` (``oncosweep.distributed.slurm.SlurmOptions`` or a dict of its
    fields) says, 1 thread per unit unless ``threads`` says otherwise.

    ``backend``: ``auto`` (cupy where CuPy and a CUDA device are usable, else cpu where a host
    C++ compiler builds the compiled engine, else numpy), ``numpy``, ``cpu`` or ``cupy``; it
    never changes a value (see the module docstring for GPUs and CPU threads). ``threads``:
    CPU threads per unit on the cpu backend (default: the worker's share of the cores).
    ``resources`` tags every unit task (default ``{"GPU": 1}`` on cupy, none otherwise).

    ``verify``: on resume, check the done units' data against their checksums and recompute
    the damaged ones (``summary.repaired``). One sweep writes a store at a time
    (:class:`~oncosweep.distributed.lock.StoreLock`): ``wait`` seconds for another to finish
    (``math.inf``: as long as it takes; default: refuse at once), ``break_lock`` to clear a
    lock that a process on another host left. ``scheduler_timeout``: seconds to reach an
    existing scheduler. ``dashboard``: the embedded cluster's dashboard address (default
    none). ``note``: receives one-line notes (default: printed to stderr).

    Raises :class:`SweepError` when nothing could run (bad arguments, another
    configuration's store, a store that cannot be written, an unreachable scheduler, a held
    lock) and :class:`SweepFailedError` when a unit could not be written part way (the
    finished units are kept).
    """
    from oncosweep.scenario import Scenario  # noqa: PLC0415

    if isinstance(cluster, str) and cluster not in ("local", "slurm"):
        raise SweepError(f"cluster: must be 'local' or 'slurm', got {cluster!r}")
    if cluster == "local":
        cluster = None
    if cluster is not None and (client is not None or scheduler or scheduler_file):
        raise SweepError("cluster: give a cluster or a client / scheduler, not both")
    if cluster == "slurm" and threads is None:
        threads = 1  # a job's cores are its worker's Dask threads: one single-threaded unit each
    external = (client is not None or bool(scheduler) or bool(scheduler_file)
                or cluster is not None)
    chosen = sweep_backend(backend, external=external, resources=resources, workers=workers,
                           threads=threads)
    scenario = config if isinstance(config, Scenario) else Scenario.from_yaml(config)
    plan = SweepPlan.from_scenario(scenario, realizations=realizations, chunk=chunk, seed=seed)
    if scheduler_file and not Path(scheduler_file).is_file():
        raise SweepError(f"{scheduler_file}: no such scheduler file (start the scheduler "
                         f"first: dask scheduler --scheduler-file {scheduler_file})")
    store = str(store)
    note = note or (lambda text: print(text, file=sys.stderr, flush=True))
    started = time.perf_counter()
    lock = StoreLock(store, wait=wait, break_lock=break_lock, note=note)
    try:
        lock.acquire()
    except OSError as exc:
        raise SweepError(f"cannot write the sweep store {store}: {_os_reason(exc)}") from None
    try:
        try:
            done = prepare_store(scenario, store, plan, overwrite=overwrite)
        except OSError as exc:
            raise SweepError(f"cannot write the sweep store {store}: {_os_reason(exc)}"
                             ) from None
        summary = SweepSummary(store=store, units=len(plan.units()), skipped=0, computed=0,
                               seconds=0.0, backend=chosen.line)
        if verify and done:
            report = verify_store(store, units=done)
            summary.repaired, summary.verify_seconds = report.damaged, report.seconds
            done -= set(report.damaged)
            if report.damaged:
                note(f"sweep: {len(report.damaged)} done unit(s) of {store} are damaged and "
                     "will be computed again:")
                for unit in sorted(report.damaged):
                    note(f"  {unit_label(plan, unit)}: {report.damaged[unit]}")
        if chosen.worker_backend == "cpu" and not external:
            _build_cpu_engine(scenario, plan)
        pending = [u for u in plan.units() if u not in done]
        summary.skipped, summary.computed = len(done), len(pending)
        if pending:
            processes = chosen.workers or workers
            try:
                with _cluster(client, processes, scheduler, scheduler_file, chosen.gpus,
                              scheduler_timeout, dashboard, cluster,
                              cluster_options) as dask_client:
                    summary.results = _submit(dask_client, scenario.to_yaml(), store, plan,
                                              pending, retries, chosen, progress)
            except _UnitNotWritten as failure:
                summary.results = failure.results
                summary.computed = len([r for r in failure.results if "error" not in r])
                kept = len(done_units(store, plan))
                raise SweepFailedError(
                    f"could not write {unit_label(plan, failure.unit)} to {store}: "
                    f"{failure.reason}; {kept} of {summary.units} units are done and kept "
                    f"(run the same command again to compute the other {summary.units - kept})",
                    summary) from None
    finally:
        lock.release()
    summary.seconds = time.perf_counter() - started
    summary.simulate_seconds = sum(r["simulate_seconds"] for r in summary.results)
    summary.write_seconds = sum(r["write_seconds"] for r in summary.results)
    return summary


def _submit(client, scenario_yaml, store, plan, pending, retries, chosen: SweepBackend,
            progress) -> list[dict[str, Any]]:
    from distributed import as_completed  # noqa: PLC0415
    from tqdm.auto import tqdm  # noqa: PLC0415

    host_threads = _host_threads(client) if chosen.threads is None else None
    futures = [client.submit(run_unit, scenario_yaml, store, plan, unit,
                             chosen.worker_backend, chosen.threads, host_threads,
                             **task_options(plan, unit, retries, chosen.resources))
               for unit in pending]
    bar = tqdm(total=len(futures), unit="unit", desc="sweep",
               disable=None if progress is None else not progress)
    results = []
    try:
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if "error" in result:  # disk full, permissions: stop, keep what is done
                client.cancel(futures)
                point, chunk = result["unit"]
                raise _UnitNotWritten(Unit(tuple(point), chunk), result["error"], results)
            bar.update(1)
    finally:
        bar.close()
    return results


class _UnitNotWritten(Exception):  # noqa: N818 - internal signal
    def __init__(self, unit: Unit, reason: str, results: list[dict[str, Any]]) -> None:
        super().__init__(reason)
        self.unit, self.reason, self.results = unit, reason, results


def task_options(plan: SweepPlan, unit: Unit, retries: int,
                 resources: dict[str, float] | None) -> dict[str, Any]:
    """``client.submit`` options of a unit: its deterministic key, retries, resources."""
    return {"key": unit.key(plan.config_hash), "retries": retries, "pure": False,
            "resources": resources}


def open_results(store: str | os.PathLike[str], *, verify: bool = True) -> Any:
    """The sweep results as a lazily loaded (dask-backed) xarray.Dataset.

    ``verify`` (default): first check every done unit's data against its checksum, and raise
    :class:`StoreDamagedError` naming the damaged units rather than hand back fill values or
    altered data (unfinished units are not an error: they read as fill values, NaN for
    floats; ``ds.done`` says which)."""
    if verify:
        report = verify_store(store)
        if report.damaged:
            plan = plan_of(open_store(store))
            listed = "; ".join(f"{unit_label(plan, u)}: {report.damaged[u]}"
                               for u in report.corrupt[:3])
            more = f"; and {len(report.damaged) - 3} more" if len(report.damaged) > 3 else ""
            raise StoreDamagedError(
                f"{store}: {len(report.damaged)} damaged unit(s): {listed}{more}; run the same "
                "`oncosweep sweep` command again to recompute them (or open_results(..., "
                "verify=False) to read the store as it is)")
    return open_store(store, lazy=True)
