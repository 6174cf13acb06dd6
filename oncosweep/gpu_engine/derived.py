"""The derived parameters of :data:`oncosweep.lowering.declaration.PARAMETERS` (record
``derived``): values computed from a compiled model for the engines, in one place.

Both engines read them by their declared names: the compiled engines packed by
``layout.pack_model`` (``m.imaging_sigma()``, ``m.pk_decay()`` ...), the numpy engine
through its device records (``device.py``). Each value is formed with one expression here, so
both engines start from the same doubles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from oncosweep.gpu_engine.pharmacology import StepDecay, quadrature_nodes
from oncosweep.limits import (
    DETECTION_GROWTH,
    KENDALL_INSTANT_DECAY,
    KENDALL_MAX_PIECES,
    KENDALL_PIECE_DECAY,
    MAX_DETECTION_SUBSTEPS,
)
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import PARAMETERS


def _sizes(model: CompiledModel) -> dict[str, Any]:
    return {
        "n_types": model.n_types, "n_loci": model.n_loci, "n_phenotypes": model.n_phenotypes,
        "n_compartments": model.n_compartments, "n_groups": len(model.carrying_capacity),
        "n_drugs": model.n_drugs, "n_regimens": len(model.regimen_names),
        "n_lines": len(model.lines), "n_dose_levels": len(model.dose_levels),
        "n_ctdna": len(model.ctdna_loci), "n_trace_times": model.n_trace_times,
        "n_visits": model.n_visits,
    }


def _imaging(model: CompiledModel) -> dict[str, Any]:
    sigma = math.sqrt(math.log1p(model.imaging_cv**2))
    return {"imaging_noise": model.imaging_cv > 0, "imaging_sigma": sigma,
            "imaging_half_var": 0.5 * sigma * sigma}


def _pharmacokinetics(model: CompiledModel) -> dict[str, Any]:
    decay = StepDecay.from_half_lives(model.half_life, model.dt)
    pieces = kendall_pieces(model.half_life, model.dt)
    node_decay = np.zeros((KENDALL_MAX_PIECES, model.half_life.shape[0]))
    node_infusion = np.zeros_like(node_decay)
    node_decay[:pieces], node_infusion[:pieces] = quadrature_nodes(model.half_life, model.dt,
                                                                   pieces)
    return {
        "kendall_pieces": pieces,
        "pk_decay": decay.decay, "pk_half_decay": decay.half_decay,
        "pk_infusion_end": decay.infusion_end, "pk_infusion_mid": decay.infusion_mid,
        "pk_auc_bolus": decay.auc_bolus, "pk_auc_infusion": decay.auc_infusion,
        "pk_node_decay": node_decay, "pk_node_infusion": node_infusion,
    }


def _detection(model: CompiledModel) -> dict[str, Any]:
    substeps, near = detection_substeps(model)
    return {"detection_substeps": substeps, "detection_near": near}


def _mutation(model: CompiledModel) -> dict[str, Any]:
    any_new, first = mutation_split(model.genotype, model.mutation_rate)
    return {"mutation_any": any_new, "mutation_first": first}


SIZE_INPUTS = ("labels", "mutation_rate", "carrying_capacity", "drug_names", "regimen_names",
               "lines", "dose_levels", "ctdna_loci", "horizon_steps", "trace_every_steps",
               "visit_steps")
"""The fields the sizes of the model (and of its outputs) are formed from."""
SIZE_VALUES = ("horizon_steps", "trace_every_steps", "visit_steps")
"""Those of :data:`SIZE_INPUTS` whose values, not only their lengths, set sizes (the number
of trajectory samples and of clinic visits): the same for every realization."""

DERIVED_GROUPS: tuple[tuple[tuple[str, ...], Callable[[CompiledModel], dict[str, Any]]], ...] = (
    (SIZE_INPUTS, _sizes),
    (("immune_kill",), lambda m: {"has_immune": bool(np.any(m.immune_kill > 0))}),
    (("switch_rate", "switch_rate_on_drug"), lambda m: {
        "drug_sensitive_switching": bool(np.any(m.switch_rate_on_drug != m.switch_rate))}),
    (("imaging_cv",), _imaging),
    (("shed_per_death",), lambda m: {"half_shed": 0.5 * m.shed_per_death}),
    (("ctdna_depth",), lambda m: {"ctdna_depth_f": float(m.ctdna_depth)}),
    (("carrying_capacity",), lambda m: {"log_capacity": np.log(m.carrying_capacity)}),
    (("half_life", "dt"), _pharmacokinetics),
    (("birth_rate", "death_rate", "scheme", "dt"), _detection),
    (("genotype", "mutation_rate"), _mutation),
)
"""(the model fields a group of derived parameters is formed from, the function forming
them): a model whose fields differ from another's only outside a group's inputs has the
same values of that group (how a population re-forms only what its draws move)."""


def derived_parameters(model: CompiledModel, moved: Iterable[str] | None = None
                       ) -> dict[str, Any]:
    """name -> value of every derived parameter of ``model``; with ``moved`` (field names),
    only of the groups formed from some of those fields."""
    values: dict[str, Any] = {}
    wanted = None if moved is None else set(moved)
    for inputs, form in DERIVED_GROUPS:
        if wanted is None or wanted.intersection(inputs):
            values.update(form(model))
    if wanted is None:
        declared = {p.name for p in PARAMETERS if p.record == "derived"}
        if set(values) != declared:  # pragma: no cover - a developer error
            raise RuntimeError(f"derived parameters {sorted(values)} != declared "
                               f"{sorted(declared)}")
    return values


def kendall_pieces(half_life: np.ndarray, dt: float) -> int:
    """Quadrature pieces of the exact step (even, 2 .. KENDALL_MAX_PIECES): per half step the
    fewest with k h <= KENDALL_PIECE_DECAY, k = ln 2 / half_life of the fastest drug (per day)
    that is not instantaneous (k dt < KENDALL_INSTANT_DECAY), h the piece's length (days). 2
    without such drugs (the rates are then constant in a step, transients aside)."""
    with np.errstate(divide="ignore", over="ignore"):
        decay = math.log(2.0) / np.asarray(half_life, dtype=np.float64) * dt  # k dt
    resolved = decay[decay < KENDALL_INSTANT_DECAY]
    if resolved.size == 0:
        return 2
    most = KENDALL_MAX_PIECES // 2
    needed = float(np.max(resolved)) / 2.0 / KENDALL_PIECE_DECAY
    return 2 * min(max(1, math.ceil(needed)), most)


def detection_substeps(model: CompiledModel) -> tuple[int, float]:
    """(m, near): the exact scheme cuts a pre-detection step into m = 2**k sub-steps, the
    smallest with rho dt / m <= DETECTION_GROWTH (rho: the largest drug-free net growth rate
    of any cell type, per day), at most MAX_DETECTION_SUBSTEPS, when cells x near >= the
    detection size, near = exp(rho dt). The euler scheme: (1, 1.0), no sub-steps."""
    rho = max(0.0, float(np.max(model.birth_rate - model.death_rate, initial=0.0)))
    if model.scheme != "exact" or rho == 0.0:
        return 1, 1.0
    m = 1
    while rho * model.dt / m > DETECTION_GROWTH and m < MAX_DETECTION_SUBSTEPS:
        m *= 2
    return m, math.exp(rho * model.dt)


def mutation_split(genotype: np.ndarray, mutation_rate: np.ndarray) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """(U, first) per cell type: U = 1 - prod_j (1 - u_j) over the type's free loci (a
    daughter carries at least one new mutation), formed as -expm1(sum log1p(-u_j)) so that tiny
    rates keep their digits; first[t, j] = u_j / U_{>=j}, the probability that a daughter with
    at least one new mutation among the free loci >= j has one at j (1 at the last such locus,
    0 at mutated loci or u_j = 0). The exact step splits its mutant daughters with them."""
    n_types, n_loci = genotype.shape[0], mutation_rate.shape[0]
    any_new = np.zeros(n_types)
    first = np.zeros((n_types, n_loci))
    for t in range(n_types):
        free = [j for j in range(n_loci)
                if not (int(genotype[t]) >> j) & 1 and mutation_rate[j] > 0]
        for i, j in enumerate(free):
            tail = sum(math.log1p(-float(mutation_rate[k])) for k in free[i:])
            first[t, j] = 1.0 if i == len(free) - 1 else mutation_rate[j] / -math.expm1(tail)
        if free:
            any_new[t] = -math.expm1(sum(math.log1p(-float(mutation_rate[k])) for k in free))
    return any_new, first


def parameter_values(model: CompiledModel) -> dict[str, Any]:
    """Every declared parameter of ``model`` by name: its fields and the derived values."""
    values = {p.name: getattr(model, p.name) for p in PARAMETERS if p.record != "derived"}
    values.update(derived_parameters(model))
    return values
