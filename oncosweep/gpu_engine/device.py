"""The numpy engine's view of a model: records of declared parameters on the array module's
device, filled by name from the declaration.

A device record is a frozen dataclass whose field names are declared parameter names
(:data:`oncosweep.lowering.declaration.PARAMETERS`, model fields and derived values alike):
it lists which parameters a module reads, as the kernel's ``m.name()`` accessors do, and
:func:`on_device` fills it, so no module copies a model field by hand. Arrays go to the
device (``xp.asarray``); fields typed ``tuple[...]`` get host tuples of Python scalars (per-drug
and per-locus constants that loops read); scalars stay Python scalars. Fields that are no
parameter (engine-specific tables) are passed as keyword arguments.
"""

from __future__ import annotations

from dataclasses import fields
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

from oncosweep.gpu_engine.derived import parameter_values
from oncosweep.lowering.compiled import CompiledModel

Record = TypeVar("Record")


def on_device(cls: type[Record], model: CompiledModel, xp: ModuleType,
              values: dict[str, Any] | None = None, **extra: Any) -> Record:
    """An instance of the device record ``cls`` for ``model`` on ``xp`` (``values``: the
    model's :func:`parameter_values`, when already formed)."""
    if values is None:
        values = parameter_values(model)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in extra:
            kwargs[f.name] = extra[f.name]
            continue
        value = values[f.name]
        if isinstance(value, np.ndarray):
            as_tuple = str(f.type).startswith("tuple")
            kwargs[f.name] = tuple(value.tolist()) if as_tuple else xp.asarray(value)
        else:
            kwargs[f.name] = value
    return cls(**kwargs)
