"""Shared benchmark helpers: machine information and writing results as JSON."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, Python and numpy versions, git commit of the code measured."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages * size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        here = Path(__file__).parent
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=here, check=False).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, cwd=here,
                                 check=False).stdout.strip()
        if commit and changed:  # the code measured is not that commit: say so
            commit += "+uncommitted"
    except OSError:
        commit = ""
    from oncosweep import __version__

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "oncosweep": __version__,
        "git_commit": commit or None,
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, result: dict[str, Any], output: str | None = None) -> Path:
    path = Path(output) if output else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"benchmark": name, "machine": machine_info(), **result},
                               indent=2) + "\n")
    return path


class PoolSampler:
    """A uniform sample without replacement of the nontrivial (n, p) draws of a run: every
    draw gets a random priority and the ``size`` smallest priorities are kept."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.generator = np.random.default_rng(seed)
        self.n = np.zeros(0, dtype=np.int64)
        self.p = np.zeros(0, dtype=np.float64)
        self.priority = np.zeros(0, dtype=np.float64)

    def add(self, n: np.ndarray, p: np.ndarray) -> None:
        n, p = np.broadcast_arrays(n, p)
        keep = (n > 0) & (p > 0) & (p < 1)
        if not keep.any():
            return
        self.n = np.concatenate([self.n, n[keep].astype(np.int64)])
        self.p = np.concatenate([self.p, p[keep].astype(np.float64)])
        self.priority = np.concatenate([self.priority,
                                        self.generator.random(int(keep.sum()))])
        if self.priority.size > 2 * self.size:
            self._trim()

    def _trim(self) -> None:
        if self.priority.size > self.size:
            best = np.argpartition(self.priority, self.size)[: self.size]
            self.n, self.p, self.priority = self.n[best], self.p[best], self.priority[best]

    def pool(self) -> dict[str, np.ndarray]:
        self._trim()
        order = np.argsort(self.priority)  # a random order, independent of the engine's
        return {"n": self.n[order], "p": self.p[order]}


def pool_summary(pool: dict[str, np.ndarray]) -> dict[str, Any]:
    n, p = pool["n"], pool["p"]
    if n.size == 0:
        return {"size": 0}
    from oncosweep.gpu_engine.binomial import BINV_MAX_MEAN  # noqa: PLC0415

    mean = n * np.minimum(p, 1 - p)
    return {
        "size": int(n.size),
        "n_median": float(np.median(n)),
        "n_max": int(n.max()),
        "mean_median": float(np.median(mean)),
        "share_btrs": float((mean >= BINV_MAX_MEAN).mean()),  # n min(p, 1-p) >= 10
        "share_n_below_100": float((n < 100).mean()),
    }


@contextmanager
def recording_draws(pool: PoolSampler) -> Iterator[PoolSampler]:
    """While open, every binomial draw of the numpy engine (both step schemes) also adds its
    (n, p) to ``pool``."""
    from oncosweep.gpu_engine import birth_death, kendall_step  # noqa: PLC0415
    from oncosweep.gpu_engine import step as step_module  # noqa: PLC0415

    real_binomial = step_module._binomial.binomial

    def recording(xp, key, slot, step, realization, size, p):  # noqa: ANN001, ANN202
        pool.add(np.asarray(size), np.asarray(p))
        return real_binomial(xp, key, slot, step, realization, size, p)

    step_module._binomial.binomial = recording
    birth_death.binomial = kendall_step.binomial = recording
    try:
        yield pool
    finally:
        step_module._binomial.binomial = real_binomial
        birth_death.binomial = kendall_step.binomial = real_binomial
