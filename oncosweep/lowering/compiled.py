"""``CompiledModel``: dense, validated, immutable model arrays, grouped into records.

The records (biology, drugs, plan, clinic, budget) and their fields are generated from the
one declaration (:data:`oncosweep.lowering.declaration.PARAMETERS`: dtype, shape, units and
meaning of each field). Fields are read flat (``model.birth_rate``) or by record
(``model.biology.birth_rate``). Numpy alone is needed here, so a compiled model pickled on one
machine runs on a GPU box without pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, make_dataclass
from dataclasses import replace as _replace
from typing import Any

import numpy as np

from oncosweep.lowering.declaration import MODEL_FIELDS, RECORDS, Parameter

_RECORD_OF = {p.name: p.record for p in MODEL_FIELDS}
_PYTHON_TYPES = {"str": str, "strs": tuple, "int64": int, "float64": float, "bool": bool}


def _annotation(p: Parameter) -> Any:
    return np.ndarray if p.shape else _PYTHON_TYPES[p.dtype]


def _doc(p: Parameter) -> str:
    shape = f"({', '.join(p.shape)}) " if p.shape else ""
    units = f", {p.units}" if p.units and p.units != "1" else ""
    return f"{shape}{p.dtype}{units}: {p.description}"


def _record(name: str) -> type:
    own = [p for p in MODEL_FIELDS if p.record == name]
    cls = make_dataclass(name.capitalize(), [(p.name, _annotation(p)) for p in own],
                         frozen=True, eq=False)
    cls.__module__ = __name__  # importable by name, so that models pickle
    cls.__doc__ = (f"The {name} record of a compiled model (declared in "
                   "oncosweep.lowering.declaration):\n\n"
                   + "\n".join(f"* ``{p.name}`` {_doc(p)}" for p in own))
    return cls


Biology = _record("biology")
Drugs = _record("drugs")
Plan = _record("plan")
Clinic = _record("clinic")
Budget = _record("budget")
_CLASSES = {"biology": Biology, "drugs": Drugs, "plan": Plan, "clinic": Clinic,
            "budget": Budget}
assert tuple(_CLASSES) == RECORDS


def _check(p: Parameter, value: Any) -> None:
    """A TypeError naming the field when a value does not match its declaration."""
    if p.shape:
        if p.dtype == "strs":
            ok = isinstance(value, tuple) and all(isinstance(v, str) for v in value)
        else:
            ok = (isinstance(value, np.ndarray) and value.ndim == len(p.shape)
                  and value.dtype == np.dtype(p.dtype))
    else:
        ok = isinstance(value, _PYTHON_TYPES[p.dtype]) and not (
            p.dtype in ("int64", "float64") and isinstance(value, bool))
    if not ok:
        found = (f"{value.dtype} array of {value.ndim} dimensions"
                 if isinstance(value, np.ndarray) else type(value).__name__)
        raise TypeError(f"CompiledModel.{p.name}: declared {p.dtype} {p.shape or 'scalar'}, "
                        f"got {found}")


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Dense, validated, immutable model arrays of one strategy (see the records' fields).

    Shapes: T cell types, L loci, P phenotypes, C compartments, G competition groups,
    D drugs, Rg regimens, H = horizon_steps + 1 treatment steps, V monitored variants.
    Rates are per day; per-step probabilities are formed each step by the engines because
    drugs and crowding make them vary by realization.
    """

    biology: Any = field()
    drugs: Any = field()
    plan: Any = field()
    clinic: Any = field()
    budget: Any = field()
    population: Any = field(default=None)
    """The :class:`~oncosweep.lowering.population.PopulationPlan` of the parameters that vary
    from realization to realization (None: every realization runs these arrays)."""

    @classmethod
    def from_fields(cls, **values: Any) -> CompiledModel:
        """A model from every declared field by name (checked against the declaration)."""
        missing = sorted(set(_RECORD_OF) - set(values))
        unknown = sorted(set(values) - set(_RECORD_OF))
        if missing or unknown:
            raise TypeError(f"CompiledModel: missing fields {missing}, unknown {unknown}")
        for p in MODEL_FIELDS:
            _check(p, values[p.name])
        return cls(**{record: klass(**{f.name: values[f.name] for f in fields(klass)})
                      for record, klass in _CLASSES.items()})

    def replace(self, **changes: Any) -> CompiledModel:
        """A copy with some fields (flat names) changed."""
        by_record: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            if name not in _RECORD_OF:
                raise TypeError(f"CompiledModel: unknown field {name!r}")
            by_record.setdefault(_RECORD_OF[name], {})[name] = value
        return _replace(self, **{record: _replace(getattr(self, record), **values)
                                 for record, values in by_record.items()})

    def with_population(self, population: Any) -> CompiledModel:
        """A copy carrying the population plan ``population`` (None: none)."""
        return _replace(self, population=population)

    def without_population(self) -> CompiledModel:
        """A copy without a population plan: every realization runs these arrays."""
        return _replace(self, population=None)

    def __getattr__(self, name: str) -> Any:
        record = _RECORD_OF.get(name)
        if record is None:
            raise AttributeError(f"'CompiledModel' object has no attribute {name!r}")
        return getattr(object.__getattribute__(self, record), name)

    @property
    def n_types(self) -> int:
        return len(self.labels)

    @property
    def treated(self) -> bool:
        return self.strategy_kind != "none"

    @property
    def n_visits(self) -> int:
        """Visits per realization at 0, visit_steps, ... <= horizon (0 without monitoring)."""
        return self.horizon_steps // self.visit_steps + 1 if self.visit_steps else 0

    @property
    def n_loci(self) -> int:
        return int(self.mutation_rate.shape[0])

    @property
    def n_phenotypes(self) -> int:
        return int(self.switch_rate.shape[1])

    @property
    def n_compartments(self) -> int:
        return int(self.migration_rate.shape[1])

    @property
    def n_drugs(self) -> int:
        return len(self.drug_names)

    @property
    def n_trace_times(self) -> int:
        """Trajectory samples per traced realization: t = 0, every, ..., <= horizon."""
        return self.horizon_steps // self.trace_every_steps + 1

    @property
    def draws_per_type_step(self) -> np.ndarray:
        """(T,) logical binomial draws one cell type makes in one step: birth, death, one per
        possible switch and migration, one per mutation-tree node over free mutable loci."""
        free_mutable = np.array(
            [sum(1 for j in range(self.n_loci)
                 if self.mutation_rate[j] > 0 and not (g >> j) & 1) for g in self.genotype],
            dtype=np.int64,
        )
        switches = ((self.switch_rate > 0) | (self.switch_rate_on_drug > 0)).sum(axis=1)
        return 2 + switches + (self.migration_rate > 0).sum(axis=1) + (2**free_mutable - 1)

    def traced_in(self, start: int, count: int) -> np.ndarray:
        """Global indices of the traced realizations in ``[start, start + count)``, sorted."""
        first = np.arange(start, min(start + count, self.trace_first), dtype=np.int64)
        listed = self.trace_list.astype(np.int64)
        listed = listed[(listed >= start) & (listed < start + count)]
        return np.union1d(first, listed).astype(np.int64)
