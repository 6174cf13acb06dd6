"""A sweep's plan: grid points x realization chunks = units of work, and the config hash.

A unit is (grid point, realization chunk). Its realizations are ``chunk * c .. chunk * c + n``
of that point, simulated with the point's scenario, the sweep seed and the point's *biology*
id (the flat index over the non-strategy axes), so every strategy of one biology point sees
the same tumours (common random numbers) and a unit's values are a pure function of (config,
unit): re-running it rewrites identical bytes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from oncosweep._version import __version__
from oncosweep.gpu_engine.rng import RNG_SCHEME

STORE_FORMAT = "oncosweep-sweep/1"


@dataclass(frozen=True)
class Axis:
    """One sweep dimension: its name and coordinate labels."""

    name: str
    values: tuple[Any, ...]
    is_strategy: bool


@dataclass(frozen=True, order=True)
class Unit:
    """One unit of work: a grid point (index per axis) and a realization chunk."""

    point: tuple[int, ...]
    chunk: int

    def key(self, config_hash: str) -> str:
        """Dask key: deterministic, so resubmitting a unit is idempotent."""
        where = "-".join(str(i) for i in self.point) or "0"
        return f"oncosweep-unit-{config_hash[:12]}-{where}-c{self.chunk}"


@dataclass(frozen=True)
class SweepPlan:
    """Axes, realizations and chunking of a sweep (a scenario without ``sweep`` is one point)."""

    axes: tuple[Axis, ...]
    realizations: int
    chunk: int
    seed: int
    config_hash: str

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    @property
    def n_chunks(self) -> int:
        return -(-self.realizations // self.chunk)

    def units(self) -> list[Unit]:
        points = itertools.product(*(range(n) for n in self.shape))
        return [Unit(point, c) for point in points for c in range(self.n_chunks)]

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        """First and one-past-last realization of a chunk."""
        first = chunk * self.chunk
        return first, min(first + self.chunk, self.realizations)

    @classmethod
    def from_scenario(cls, scenario: Any, *, realizations: int | None = None,
                      chunk: int | None = None, seed: int | None = None) -> SweepPlan:
        """The plan of ``scenario``'s ``sweep`` section (arguments override it)."""
        sweep = scenario.sweep
        axes = tuple(Axis(a.name, tuple(a.values), bool(a.is_strategy))
                     for a in scenario.sweep_axes())
        n = realizations or (sweep.realizations if sweep is not None else 1000)
        size = chunk or (sweep.chunk if sweep is not None else min(n, 1000))
        root = seed if seed is not None else (sweep.seed if sweep is not None else 0)
        return cls(axes=axes, realizations=int(n), chunk=int(size), seed=int(root),
                   config_hash=config_hash(scenario.to_yaml(), int(n), int(size), int(root)))


def config_hash(scenario_yaml: str, realizations: int, chunk: int, seed: int) -> str:
    """SHA-256 of everything that determines the stored values (scenario, sizes, seed, RNG
    scheme and package version)."""
    payload = json.dumps({"scenario": scenario_yaml, "realizations": realizations,
                          "chunk": chunk, "seed": seed, "rng": RNG_SCHEME,
                          "version": __version__, "format": STORE_FORMAT}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
