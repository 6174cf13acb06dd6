"""CompiledModel -> the flat buffers the compiled engines read, and their raw outputs.

The twin of ``cuda/layout.cuh``: both follow the one declaration
(:mod:`oncosweep.lowering.declaration`), from which ``cuda/declared.cuh`` is generated, so
the packer cannot drift from the kernel. Both launchers use this module:
:mod:`oncosweep.gpu_engine.fused` (CuPy, the GPU) and :mod:`oncosweep.gpu_engine.cpu_engine`
(the same C++ source built for the CPU: the ``cpu`` backend). Numpy alone is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from oncosweep.gpu_engine.derived import parameter_values
from oncosweep.limits import KERNEL_CAPACITIES, TYPE_CAPACITIES
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import PARAMETER, RAW_OUTPUTS, STATS, kernel_lists

MAX_KERNEL_LOCI = KERNEL_CAPACITIES["n_loci"]


def layout() -> dict[str, tuple[str, ...]]:
    """The packed lists (``OS_INT_SCALARS`` ...), ``OS_OUTPUTS`` and ``OS_STATS`` in order,
    as declared.cuh lists them."""
    return {**kernel_lists(), "OS_OUTPUTS": tuple(o.name for o in RAW_OUTPUTS),
            "OS_STATS": STATS}


def int_header_size() -> int:
    lists = kernel_lists()
    return (len(lists["OS_INT_SCALARS"]) + len(lists["OS_FLOAT_ARRAYS"])
            + len(lists["OS_INT_ARRAYS"]))


@dataclass(frozen=True)
class PackedModel:
    """A model as the kernel reads it."""

    fparams: np.ndarray  # float64
    iparams: np.ndarray  # int64
    type_capacity: int  # TMAX template argument
    loci_capacity: int  # LMAX template argument

    @property
    def kernel_name(self) -> str:
        return f"os_simulate<{self.type_capacity}, {self.loci_capacity}>"


def _scalar(name: str, value: Any) -> Any:
    """A scalar as packed: a string field by its declared code, a bool as 0 / 1."""
    code = PARAMETER[name].code
    return code.choices.index(value) if code is not None else value


def check_capacity(model: CompiledModel, values: dict[str, Any] | None = None
                   ) -> tuple[int, int]:
    """(TMAX, LMAX) for the model; ValueError naming the size the kernel cannot hold.
    ``values``: the model's :func:`parameter_values`, when already formed."""
    sizes = parameter_values(model) if values is None else values
    for name, limit in KERNEL_CAPACITIES.items():
        if sizes[name] <= limit:
            continue
        if name == "n_loci":
            raise ValueError(f"n_loci: the fused kernel holds at most {limit} loci")
        raise ValueError(f"{name}: the fused kernel holds at most {limit}, the model has "
                         f"{sizes[name]} (use backend='numpy')")
    fitting = [c for c in TYPE_CAPACITIES if c >= model.n_types]
    if not fitting:
        raise ValueError(f"n_types: the fused kernel holds at most {TYPE_CAPACITIES[-1]} cell "
                         f"types, the model has {model.n_types} (use backend='numpy')")
    return fitting[0], model.n_loci


def packed_slots(packed: PackedModel) -> dict[str, tuple[str, int, int]]:
    """name -> (buffer "f" or "i", first index, size) of every packed parameter in
    ``packed``'s buffers (the offsets of the arrays are the ones the kernel reads)."""
    lists = kernel_lists()
    header = list(lists["OS_INT_SCALARS"])
    out = {name: ("i", k, 1) for k, name in enumerate(header)}
    out.update({name: ("f", k, 1) for k, name in enumerate(lists["OS_FLOAT_SCALARS"])})
    offsets = packed.iparams[len(header):int_header_size()]
    arrays = [("f", n) for n in lists["OS_FLOAT_ARRAYS"]] + [("i", n) for n in
                                                             lists["OS_INT_ARRAYS"]]
    ends = {"f": packed.fparams.size, "i": packed.iparams.size}
    for k, (buffer, name) in enumerate(arrays):
        later = [int(offsets[j]) for j in range(k + 1, len(arrays)) if arrays[j][0] == buffer]
        end = later[0] if later else ends[buffer]
        out[name] = (buffer, int(offsets[k]), end - int(offsets[k]))
    return out


def write_packed(fparams: np.ndarray, iparams: np.ndarray,
                 slots: dict[str, tuple[str, int, int]], values: dict[str, Any]) -> None:
    """Write the packed parameters ``values`` (name -> value, as :func:`parameter_values`
    gives them; names that are not packed are skipped) into the buffers in place."""
    for name, value in values.items():
        if name not in slots:
            continue
        buffer, first, size = slots[name]
        if size == 1 and not np.ndim(value):
            if buffer == "i":
                iparams[first] = int(_scalar(name, value))
            else:
                fparams[first] = float(value)
        elif buffer == "i":
            iparams[first:first + size] = np.asarray(value).astype(np.int64).reshape(-1)
        else:
            fparams[first:first + size] = np.asarray(value, dtype=np.float64).reshape(-1)


def pack_model(model: CompiledModel) -> PackedModel:
    """The model's two parameter buffers (layout.cuh) and its kernel capacities."""
    values = parameter_values(model)
    tmax, lmax = check_capacity(model, values)
    lists = kernel_lists()
    header = int_header_size()
    iparams: list[int] = [int(_scalar(name, values[name])) for name in lists["OS_INT_SCALARS"]]
    fparams: list[float] = [float(values[name]) for name in lists["OS_FLOAT_SCALARS"]]
    float_data: list[np.ndarray] = []
    position = len(fparams)
    for name in lists["OS_FLOAT_ARRAYS"]:
        array = np.ascontiguousarray(values[name], dtype=np.float64).reshape(-1)
        iparams.append(position)
        float_data.append(array)
        position += array.size
    int_data: list[np.ndarray] = []
    position = header
    for name in lists["OS_INT_ARRAYS"]:
        array = np.ascontiguousarray(values[name]).astype(np.int64).reshape(-1)
        iparams.append(position)
        int_data.append(array)
        position += array.size
    return PackedModel(
        fparams=np.concatenate([np.array(fparams, dtype=np.float64), *float_data]),
        iparams=np.concatenate([np.array(iparams, dtype=np.int64), *int_data]),
        type_capacity=tmax, loci_capacity=lmax)
