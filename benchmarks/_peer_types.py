"""The peer benchmark's (bench_peer.py) shared types: the model's rates, one timed call (Run),
an engine to measure, and the constants both sides use."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

SEED = 1
PEERS = {"ssa": "gillespy2_ssa_c", "tau": "gillespy2_tau_leaping_c"}


class Rates(NamedTuple):
    """The model's parameters: birth and death rates (per day), the mutation probability per
    daughter cell and oncosweep's time step (days)."""

    birth: float
    death: float
    mutation: float
    dt: float

    @property
    def net(self) -> float:
        """Net growth rate r = b - d, per day."""
        return self.birth - self.death

    def end_time(self, size: float) -> float:
        """t_M (days): the time at which a surviving continuous-time lineage from one cell has
        on average ``size`` cells, ln((r M + d) / b) / r."""
        return math.log((self.net * size + self.death) / self.birth) / self.net


class Run(NamedTuple):
    """One timed call: ``realizations`` simulated in ``seconds`` (wall), with the outputs'
    ``diagnostics`` (cells, days, fractions)."""

    size: float
    realizations: int
    seconds: float
    diagnostics: dict[str, float]

    @property
    def per_realization(self) -> float:
        """Seconds per realization."""
        return self.seconds / self.realizations

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "realizations": self.realizations, "seconds": self.seconds,
                "realizations_per_s": self.realizations / self.seconds,
                "seconds_per_realization": self.per_realization, **self.diagnostics}


# (size in cells, realizations, timeout in s or None) -> Run, or None when it timed out
Runner = Callable[[float, int, float | None], Run | None]


class Engine(NamedTuple):
    """An engine to measure: its ``runner``, the ``sizes`` (cells) to try in increasing
    order, realizations per call (``k_min`` .. ``k_max``, a multiple of ``k_quantum``), the
    exponent assumed for predicting cost from one measured size, a population limit (cells)
    above which it is not run, and whether it honours a timeout."""

    name: str
    description: str
    runner: Runner
    sizes: tuple[float, ...]
    k_min: int
    k_max: int
    k_quantum: int = 1
    assumed_exponent: float = 1.0
    size_limit: float = math.inf
    limit_reason: str = ""
    timeout: bool = False
    extra: dict[str, Any] | None = None


def mean_or_none(values: np.ndarray) -> float | None:
    """The mean of ``values``, or None when there are none."""
    return float(values.mean()) if values.size else None
