"""Parameter sweeps on Dask distributed into resumable zarr stores.

``run_sweep`` plans units (grid point x realization chunk), writes the store template once,
and submits every unit that is not ``done`` to a Dask cluster: an embedded ``LocalCluster``
of worker processes by default, or an existing scheduler. Each worker simulates its unit,
writes it into its own region of the store and returns a small summary. Unit keys are
deterministic, tasks are retried on failure, and re-running the same command on the same
store computes only the missing units (a store of a different configuration is refused).
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oncosweep.distributed.plan import SweepPlan, Unit
from oncosweep.distributed.sweep_store import (
    create_store,
    done_units,
    open_store,
    plan_of,
    write_unit,
)


class SweepError(RuntimeError):
    """A sweep cannot run as asked (a store of another configuration, bad arguments)."""


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


@functools.lru_cache(maxsize=8)
def _scenario(scenario_yaml: str) -> Any:
    from oncosweep.scenario import Scenario  # noqa: PLC0415

    return Scenario.from_yaml_string(scenario_yaml)


def run_unit(scenario_yaml: str, store: str, plan: SweepPlan, unit: Unit,
             backend: str = "numpy") -> dict[str, Any]:
    """Simulate one unit and write it (on a worker); returns a small summary."""
    from oncosweep.gpu_engine.simulate import simulate  # noqa: PLC0415

    start = time.perf_counter()
    scenario = _scenario(scenario_yaml)
    point, strategy = scenario.at_point(unit.point) if plan.axes else (scenario, None)
    first, last = plan.chunk_range(unit.chunk)
    result = simulate(point, realizations=last - first, seed=plan.seed, start=first,
                      point=scenario.biology_point_id(unit.point) if plan.axes else 0,
                      strategy=strategy, backend=backend)
    simulated = time.perf_counter() - start
    traced = open_store(store)["traced_realization"].values
    written = write_unit(store, plan, unit, result, traced)
    return {"unit": (unit.point, unit.chunk), "realizations": last - first,
            "simulate_seconds": simulated, "write_seconds": written, "pid": os.getpid()}


def prepare_store(scenario: Any, store: str | Path, plan: SweepPlan, *,
                  overwrite: bool = False) -> set[Unit]:
    """Create the store (or check an existing one); returns the units already done."""
    path = Path(store)
    if path.exists() and overwrite:
        shutil.rmtree(path)
    if path.exists():
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


def _write_template(scenario: Any, path: Path, plan: SweepPlan) -> None:
    from oncosweep.gpu_engine.compile import compile_scenario  # noqa: PLC0415
    from oncosweep.gpu_engine.simulate import simulate  # noqa: PLC0415

    origin = (0,) * len(plan.axes)
    point, strategy = scenario.at_point(origin) if plan.axes else (scenario, None)
    sample = simulate(point, realizations=1, seed=plan.seed, strategy=strategy)
    traced = compile_scenario(point, strategy).traced_in(0, plan.realizations)
    attrs = {k: v for k, v in sample.attrs.items() if k not in ("seed", "point", "strategy",
                                                              "strategy_kind")}
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
    backend: str = "numpy",
    resources: dict[str, float] | None = None,
    progress: bool | None = None,
    realizations: int | None = None,
    chunk: int | None = None,
    seed: int | None = None,
) -> SweepSummary:
    """Run (or resume) the sweep of ``config`` (a Scenario or a YAML path) into ``store``.

    Cluster: ``client`` if given; else ``scheduler`` (tcp://host:port) or ``scheduler_file``;
    else an embedded LocalCluster of ``workers`` processes (default: the machine's cores).
    ``resources={"GPU": 1}`` tags every task for GPU workers (one worker per GPU).
    """
    from oncosweep.scenario import Scenario  # noqa: PLC0415

    scenario = config if isinstance(config, Scenario) else Scenario.from_yaml(config)
    plan = SweepPlan.from_scenario(scenario, realizations=realizations, chunk=chunk, seed=seed)
    store = str(store)
    started = time.perf_counter()
    done = prepare_store(scenario, store, plan, overwrite=overwrite)
    pending = [u for u in plan.units() if u not in done]
    summary = SweepSummary(store=store, units=len(plan.units()), skipped=len(done),
                           computed=len(pending), seconds=0.0)
    if pending:
        with _cluster(client, workers, scheduler, scheduler_file) as dask_client:
            summary.results = _submit(dask_client, scenario.to_yaml(), store, plan, pending,
                                      retries, backend, resources, progress)
    summary.seconds = time.perf_counter() - started
    summary.simulate_seconds = sum(r["simulate_seconds"] for r in summary.results)
    summary.write_seconds = sum(r["write_seconds"] for r in summary.results)
    return summary


def _submit(client, scenario_yaml, store, plan, pending, retries, backend, resources,
            progress) -> list[dict[str, Any]]:
    from distributed import as_completed  # noqa: PLC0415
    from tqdm.auto import tqdm  # noqa: PLC0415

    futures = [client.submit(run_unit, scenario_yaml, store, plan, unit, backend,
                             key=unit.key(plan.config_hash), retries=retries, pure=False,
                             resources=resources)
               for unit in pending]
    bar = tqdm(total=len(futures), unit="unit", desc="sweep",
               disable=None if progress is None else not progress)
    results = []
    try:
        for future in as_completed(futures):
            results.append(future.result())
            bar.update(1)
    finally:
        bar.close()
    return results


class _cluster:  # noqa: N801 - used as a context manager
    """The client to use, creating (and closing) an embedded LocalCluster when needed."""

    def __init__(self, client, workers, scheduler, scheduler_file) -> None:
        self.given, self.workers = client, workers
        self.scheduler, self.scheduler_file = scheduler, scheduler_file
        self.owned: list[Any] = []

    def __enter__(self) -> Any:
        if self.given is not None:
            return self.given
        from distributed import Client, LocalCluster  # noqa: PLC0415

        if self.scheduler or self.scheduler_file:
            client = Client(self.scheduler, scheduler_file=self.scheduler_file)
            self.owned = [client]
            return client
        cluster = LocalCluster(n_workers=self.workers or os.cpu_count() or 1,
                               threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        self.owned = [client, cluster]
        return client

    def __exit__(self, *exc: Any) -> None:
        for thing in self.owned:
            thing.close()


def open_results(store: str | os.PathLike[str]) -> Any:
    """The sweep results as a lazily loaded (dask-backed) xarray.Dataset."""
    return open_store(store, lazy=True)
