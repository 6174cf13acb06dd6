"""Lane plumbing shared by the counter-based samplers (binomial, Poisson, gamma): broadcasting
the per-lane arguments, and recording the value of each lane's first accepted attempt.

A sampler's lanes are 1-D after :func:`broadcast_lanes`; ``step`` may stay a Python int (one
step for every lane, the engine's case), which :func:`take` passes through unindexed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def is_int(v: Any) -> bool:
    """A Python int (not a bool): a scalar shared by every lane."""
    return isinstance(v, int) and not isinstance(v, bool)


def take(v: Any, idx: Any) -> Any:
    """``v[idx]``, or ``v`` itself when it is a scalar shared by every lane."""
    return v if is_int(v) else v[idx]


def broadcast_lanes(xp: Any, slot_base: Any, step: Any, realization: Any,
                    *values: tuple[Any, Any]) -> tuple[tuple[int, ...], list[Any]]:
    """Broadcast the per-lane inputs to one shape; return it and the 1-D lanes
    ``[slot_base, realization, *values, step]`` (``values``: (array, dtype) pairs; ``step``
    stays an int when given as one)."""
    arrays = [xp.asarray(slot_base, dtype=xp.uint64), xp.asarray(realization, dtype=xp.uint64),
              *(xp.asarray(v, dtype=dtype) for v, dtype in values)]
    if not is_int(step):
        arrays.append(xp.asarray(step, dtype=xp.uint64))
    arrays = xp.broadcast_arrays(*arrays)
    flat = [v.reshape(-1) for v in arrays]
    if is_int(step):
        flat.append(int(step))
    return arrays[0].shape, flat


def record_attempt(xp: Any, lanes: Any, x: Any, acc: Any, attempt: int, out: Any,
                   att: Any) -> Any:
    """Write every lane's value of attempt ``attempt`` (rejected lanes get a placeholder that
    a later attempt or the exhaustion rule overwrites; writing all lanes avoids compressing
    the accepted ones). ``lanes`` is a slice of ``out`` or an index array; returns the
    (global) indices of the rejected lanes."""
    out[lanes] = x
    if att is not None:
        att[lanes] = attempt + 1
    (rej,) = xp.nonzero(~acc)
    if isinstance(lanes, slice):
        return rej + lanes.start
    return lanes[rej]


def keep_first_accepted(xp: Any, g: Any, x: Any, acc: Any, attempt: int, width: int,
                        out: Any, att: Any,
                        finish: Callable[[Any], Any] | None = None) -> Any:
    """Of ``width`` speculative attempts ``attempt ..`` of the lanes ``g`` (values and
    acceptances laid out attempt-major), write each lane's first accepted value (through
    ``finish``, e.g. the binomial's mirroring); return the lanes that rejected them all."""
    size = g.shape[0]
    acc = acc.reshape(width, size)
    first = xp.argmax(acc, axis=0)  # the first accepted attempt (0 where none accepted)
    done = acc.any(axis=0)
    x = x.reshape(width, size)[first, xp.arange(size)]
    if finish is not None:
        x = finish(x)
    (hit,) = xp.nonzero(done)
    out[g[hit]] = x[hit]
    if att is not None:
        att[g[hit]] = attempt + first[hit] + 1
    (miss,) = xp.nonzero(~done)
    return g[miss]
