"""Shared dataset helpers of the analysis layer: the ONE definition of the analysed endpoints.

Conventions (used by :mod:`~oncosweep.analysis.survival`, :mod:`~oncosweep.analysis.probability`
and :mod:`~oncosweep.analysis.robustness`):

* Only **detected** realizations (``detected`` True) are analysed: a tumour never diagnosed
  is never treated. Times are days since treatment start (detection).
* The **horizon** is ``simulation.horizon`` (days) of the scenario YAML stored in the
  dataset attribute ``scenario``.
* Endpoint ``"progression"``: event = ``progressed``, time = ``time_to_progression``;
  otherwise censored at ``time_to_death`` if the tumour ``died`` (death without progression
  is not progression), else at the horizon (cured, or alive at the end of the simulation: a
  cured tumour never progresses).
* Endpoint ``"death"`` (overall survival): event = ``died``, time = ``time_to_death``;
  otherwise censored at the horizon (cured or alive).
* Endpoint ``"pfs"`` (progression-free survival, as trials define it): event = ``progressed``
  or ``died``, time = the earlier of ``time_to_progression`` and ``time_to_death``; otherwise
  censored at the horizon (cured, or alive without progression at the end of the simulation).
* ``"ttp"`` (time to progression) is ``"progression"`` and ``"os"`` (overall survival) is
  ``"death"``, under the names trials use.
* Endpoint ``"ttf"`` (time to treatment failure of the first line): event = the first of a
  regimen switch (``time_to_switch``: progression on a line that has a next one, or a ctDNA
  call that switches), the strategy's progression and death; otherwise censored at the
  horizon. (Stopping for toxicity is not modelled.)
* Endpoint ``"pfs2"`` (progression-free survival of the second line): only tumours whose
  strategy switched (``time_to_switch`` finite) are analysed, with time measured from the
  switch; event = the strategy's progression (the second line's, for two-line strategies) or
  death, whichever first; otherwise censored at the horizon (horizon - switch days).
* **Groups**: every dimension of the endpoint's outcome variable other than ``realization``
  (``strategy`` and the sweep axes of a sweep store, in the dataset's order) indexes one group
  of realizations. Pre-treatment variables (``detected``, ``resistant_at_start``) may lack the
  ``strategy`` dimension (datasets of :func:`oncosweep.simulate`); they are broadcast.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

ENDPOINTS = ("progression", "death", "pfs", "ttp", "os", "ttf", "pfs2")
EVENT_NAMES = {"progression": "progression", "death": "death", "pfs": "progression or death",
               "ttp": "progression", "os": "death",
               "ttf": "treatment failure (switch, progression or death)",
               "pfs2": "progression or death on the second line"}
"""What the event of each endpoint is, for axis labels and titles."""
REALIZATION = "realization"
STRATEGY = "strategy"

# endpoint -> (event flag, event time); the censoring rule is in endpoint_data
_ENDPOINT_VARIABLES = {
    "progression": ("progressed", "time_to_progression"),
    "death": ("died", "time_to_death"),
    "pfs": ("progressed", "time_to_progression"),  # or died, time_to_death: endpoint_data
    "ttp": ("progressed", "time_to_progression"),
    "os": ("died", "time_to_death"),
    "ttf": ("progressed", "time_to_progression"),  # or a switch or death: endpoint_data
    "pfs2": ("progressed", "time_to_progression"),  # from the switch: endpoint_data
}
#: endpoints whose event is progression (or includes it): censored or ended by death
_WITH_DEATH = ("progression", "pfs", "ttp", "ttf", "pfs2")


@dataclass(frozen=True, eq=False)
class EndpointData:
    """Right-censored data of one endpoint over all groups.

    ``time`` (days) and ``event`` have shape ``shape + (realizations,)``; ``detected`` marks
    the realizations that are analysed. ``coords[dim]`` are the labels of each group dim.
    """

    endpoint: str
    dims: tuple[str, ...]
    coords: dict[str, list[Any]]
    time: np.ndarray
    event: np.ndarray
    detected: np.ndarray
    horizon: float

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.coords[dim]) for dim in self.dims)

    def group(self, index: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(time, event) of the detected realizations of one group."""
        mask = self.detected[index]
        return self.time[index][mask], self.event[index][mask]


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is one of :data:`ENDPOINTS`, else ValueError."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint: must be one of {', '.join(map(repr, ENDPOINTS))}, "
                         f"got {endpoint!r}")
    return endpoint


def check_level(level: float, name: str = "level") -> float:
    """A confidence level in (0, 1), else ValueError naming ``name``."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)):
        raise ValueError(f"{name}: must be a number in (0, 1), got {level!r}")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"{name}: must be in (0, 1), got {level!r}")
    return float(level)


def check_days(value: Any, name: str, *, horizon: float | None = None) -> float:
    """A finite time in days, > 0 and (when ``horizon`` is given) <= horizon."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: must be a number of days, got {value!r}")
    days = float(value)
    if not np.isfinite(days) or days <= 0:
        raise ValueError(f"{name}: must be a finite number of days > 0, got {value!r}")
    if horizon is not None and days > horizon:
        raise ValueError(f"{name}: must be <= the horizon ({horizon:g} days): beyond it "
                         f"every tumour is censored, got {value!r}")
    return days


def horizon_days(ds: Any) -> float:
    """``simulation.horizon`` (days after treatment start) of the dataset's scenario YAML."""
    import yaml  # noqa: PLC0415 - only needed here

    text = ds.attrs.get("scenario")
    if text is None:
        raise ValueError("ds: the dataset has no 'scenario' attribute (the scenario YAML with "
                         "simulation.horizon, in days)")
    try:
        horizon = float(yaml.safe_load(text)["simulation"]["horizon"])
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as error:
        raise ValueError("ds: attribute 'scenario' has no simulation.horizon "
                         f"({type(error).__name__}: {error})") from None
    if not np.isfinite(horizon) or horizon <= 0:
        raise ValueError(f"ds: simulation.horizon must be > 0 days, got {horizon!r}")
    return horizon


def require(ds: Any, names: Sequence[str], why: str) -> None:
    """ValueError naming the first variable of ``names`` the dataset lacks."""
    for name in names:
        if name not in ds.variables:
            raise ValueError(f"ds: the dataset has no variable {name!r} (needed for {why})")


def group_dims(ds: Any, name: str) -> tuple[str, ...]:
    """The group dims of variable ``name``: its dims other than ``realization``."""
    dims = ds[name].dims
    if REALIZATION not in dims:
        raise ValueError(f"ds: variable {name!r} has no {REALIZATION!r} dimension")
    return tuple(dim for dim in dims if dim != REALIZATION)


def labels(ds: Any, dim: str) -> list[Any]:
    """Coordinate labels of ``dim`` as plain Python values (positions without coordinate)."""
    if dim not in ds.coords:
        return list(range(ds.sizes[dim]))
    return [value.item() if isinstance(value, np.generic) else value
            for value in ds[dim].values]


def aligned(
    ds: Any, name: str, dims: tuple[str, ...], *, reduce_any: Sequence[str] = ()
) -> np.ndarray:
    """Variable ``name`` as a numpy array of shape ``dims + (realization,)``: dims in
    ``reduce_any`` are reduced with ``any``; missing group dims are broadcast; any other
    extra dim is refused."""
    da = ds[name]
    for dim in reduce_any:
        if dim in da.dims:
            da = da.any(dim)
    order = (*dims, REALIZATION)
    extra = [dim for dim in da.dims if dim not in order]
    if extra:
        raise ValueError(f"ds: variable {name!r} has dims {extra} that the analysed groups "
                         f"{list(dims)} lack")
    values = np.asarray(da.transpose(*(dim for dim in order if dim in da.dims)).values)
    values = values.reshape([ds.sizes[dim] if dim in da.dims else 1 for dim in order])
    return np.broadcast_to(values, tuple(ds.sizes[dim] for dim in order))


def endpoint_data(
    ds: Any, endpoint: str, *, dims: tuple[str, ...] | None = None
) -> EndpointData:
    """Right-censored (time, event) data of ``endpoint`` for every group and realization,
    following the module conventions (censoring at death or the horizon). ``dims``: the
    group dims in this order (default: those of the outcome variable, in its order)."""
    check_endpoint(endpoint)
    flag, when = _ENDPOINT_VARIABLES[endpoint]
    needed = ["detected", flag, when] + (["died", "time_to_death"]
                                         if endpoint in _WITH_DEATH else [])
    if endpoint in ("ttf", "pfs2"):
        needed.append("time_to_switch")
    require(ds, needed, f"endpoint {endpoint!r}")
    horizon = horizon_days(ds)
    if dims is None:
        dims = group_dims(ds, flag)
    event = aligned(ds, flag, dims).astype(bool)
    event_time = aligned(ds, when, dims).astype(float)
    detected = aligned(ds, "detected", dims).astype(bool)
    censor = np.full(event.shape, horizon)
    if endpoint in _WITH_DEATH:
        died = aligned(ds, "died", dims).astype(bool)
        death_time = aligned(ds, "time_to_death", dims).astype(float)
        _check_times(death_time, died & detected, "time_to_death", horizon)
        censor = np.where(died, death_time, horizon)
    _check_times(event_time, event & detected, when, horizon)
    time = np.where(event, event_time, censor)
    if endpoint in ("pfs", "ttf", "pfs2"):  # progression or death, whichever came first
        time = np.where(event & died, np.minimum(event_time, death_time), time)
        event = event | died
    if endpoint in ("ttf", "pfs2"):
        switch_time = aligned(ds, "time_to_switch", dims).astype(float)
        switched = np.isfinite(switch_time)
        _check_times(switch_time, switched & detected, "time_to_switch", horizon)
        if endpoint == "ttf":  # the first line ends at a switch too
            time = np.where(switched, np.minimum(switch_time, time), time)
            event = event | switched
        else:  # the clock starts at the switch; tumours that never switched are not analysed
            time = np.where(switched, time - np.where(switched, switch_time, 0.0), 0.0)
            event = event & switched
            detected = detected & switched
    return EndpointData(endpoint=endpoint, dims=dims,
                        coords={dim: labels(ds, dim) for dim in dims},
                        time=time, event=event, detected=detected, horizon=horizon)


def _check_times(times: np.ndarray, occurred: np.ndarray, name: str, horizon: float) -> None:
    bad = occurred & ~((times >= 0) & (times <= horizon))
    if bad.any():
        value = times[bad][0]
        raise ValueError(f"ds: variable {name!r} must lie in [0, horizon = {horizon:g}] days "
                         f"where its event occurred, got {value!r}")


def group_indices(shape: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """Every index tuple of a group grid of ``shape`` (one empty tuple for shape ())."""
    return itertools.product(*(range(n) for n in shape))


def group_key(data: EndpointData | Any, index: tuple[int, ...]) -> tuple[Any, ...]:
    """The labels of one group, in the order of its dims."""
    return tuple(data.coords[dim][i] for dim, i in zip(data.dims, index, strict=True))


def group_coords(ds: Any, dims: tuple[str, ...]) -> dict[str, Any]:
    """The coordinates of the group dims (for building result datasets)."""
    return {dim: ds[dim] for dim in dims if dim in ds.coords}
