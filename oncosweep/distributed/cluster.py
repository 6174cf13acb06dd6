"""The Dask cluster of a sweep: the embedded LocalCluster's layout, or a client of an existing
scheduler reached within a timeout (one line when it cannot be reached)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from oncosweep.distributed.errors import SweepError

GPU_RESOURCES = {"GPU": 1}
GPU_BY_NAME_ENV = "ONCOSWEEP_GPU_BY_WORKER_NAME"
"""Set to 1 in the workers of the embedded GPU cluster: bind device (worker name mod count)."""


def local_cluster_options(workers: int | None, gpus: int = 0,
                          dashboard: str | None = None) -> dict[str, Any]:
    """Keyword arguments of the embedded LocalCluster: one single-threaded worker process per
    core (``workers`` to choose), or, with ``gpus`` > 0, one per GPU (``workers`` more share
    the GPUs round robin), each offering the resource ``GPU: 1`` and binding its device by its
    name (the environment variable ``GPU_BY_NAME_ENV``, set by the nanny).

    No dashboard unless ``dashboard`` gives its address (e.g. ``127.0.0.1:8787``). Dask's
    scheduler always runs an HTTP server (health and metrics routes); ``dashboard_address=None``
    alone puts it on port 8787, so without a dashboard it goes to a free loopback port."""
    options: dict[str, Any] = {"threads_per_worker": 1, "processes": True,
                               "dashboard_address": dashboard}
    if dashboard is None:
        options["scheduler_kwargs"] = {"dashboard_address": "127.0.0.1:0"}
    if gpus > 0:
        return {**options, "n_workers": workers or gpus, "resources": dict(GPU_RESOURCES),
                "env": {GPU_BY_NAME_ENV: "1"}}
    return {**options, "n_workers": workers or os.cpu_count() or 1}


def _host(address: str) -> str:
    """The host of a Dask address such as ``tcp://10.0.0.5:40000``."""
    from urllib.parse import urlparse  # noqa: PLC0415

    return urlparse(address).hostname or address


def _host_threads(client: Any) -> dict[str, int]:
    """Dask threads of all workers per host, as the scheduler knows them now."""
    totals: dict[str, int] = {}
    try:
        workers = client.scheduler_info().get("workers", {})
    except Exception:  # noqa: BLE001 - an unknown layout only loses the sharing hint
        return totals
    for address, info in workers.items():
        host = str(info.get("host") or _host(address))
        totals[host] = totals.get(host, 0) + int(info.get("nthreads", 1) or 1)
    return totals


class _cluster:  # noqa: N801 - used as a context manager
    """The client to use, creating (and closing) an embedded LocalCluster when needed."""

    def __init__(self, client, workers, scheduler, scheduler_file, gpus=0, timeout=30.0,
                 dashboard=None, cluster=None, cluster_options=None) -> None:
        self.given, self.workers, self.gpus = client, workers, gpus
        self.scheduler, self.scheduler_file = scheduler, scheduler_file
        self.timeout, self.dashboard = timeout, dashboard
        self.cluster, self.cluster_options = cluster, cluster_options
        self.owned: list[Any] = []

    def __enter__(self) -> Any:
        if self.given is not None:
            return self.given
        from distributed import Client, LocalCluster  # noqa: PLC0415

        if self.scheduler or self.scheduler_file:
            client = _connect(Client, self.scheduler, self.scheduler_file, self.timeout)
            self.owned = [client]
            return client
        if self.cluster == "slurm":  # SLURM worker jobs, cancelled at the end (slurm.py)
            from oncosweep.distributed.slurm import slurm_cluster  # noqa: PLC0415

            kept = slurm_cluster(self.cluster_options)
            try:
                client = Client(kept.cluster)
            except BaseException:
                kept.close()  # cancels the jobs
                raise
            self.owned = [client, kept]
            return client
        if self.cluster is not None:  # the caller's cluster object, left running
            client = Client(self.cluster)
            self.owned = [client]
            return client
        try:
            cluster = LocalCluster(**local_cluster_options(self.workers, self.gpus,
                                                           self.dashboard))
        except RuntimeError as exc:
            if "failed to start" not in str(exc):
                raise
            raise SweepError(
                f"the embedded cluster's worker processes did not start ({exc}); in a script, "
                "call run_sweep under `if __name__ == \"__main__\":` (each worker process "
                "imports the script again)") from exc
        client = Client(cluster)
        self.owned = [client, cluster]
        return client

    def __exit__(self, *exc: Any) -> None:
        for thing in self.owned:
            thing.close()


def _connect(client_class: Any, scheduler: str | None, scheduler_file: str | None,
             timeout: float) -> Any:
    """A client of an existing scheduler, or a one-line SweepError within ``timeout``."""
    where = scheduler
    if scheduler_file:
        try:
            where = json.loads(Path(scheduler_file).read_text())["address"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SweepError(f"{scheduler_file}: not a Dask scheduler file ({exc})") from None
    try:
        return client_class(scheduler, scheduler_file=scheduler_file, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        text = " ".join(str(exc).split())
        raise SweepError(f"cannot reach the Dask scheduler at {where} within {timeout:g} s "
                         f"({text or type(exc).__name__})") from None
