"""The resistance classification of a compiled model, with the engine's own rates: which
genotypes grow at each drug's steady exposure (``resistant``: what ``resistant_at_start``
counts) and which monitored variants resist each regimen (``regimen_resists``: what the
ctDNA-guided switch acts on). One model (:func:`resistant_genotypes`) or many variants of one at
once (:func:`classify_rows`, a population's realizations) by the same rate function
(:func:`~oncosweep.gpu_engine.rates.pair_rates`). Numpy alone is needed here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from oncosweep.gpu_engine.rates import DeviceRates, pair_rates
from oncosweep.lowering.compiled import CompiledModel

__all__ = ["CLASSIFICATION_INPUTS", "classify_rows", "regimen_resists", "resistant_genotypes"]


def _net_growth(model: CompiledModel, cell_types: np.ndarray, conc: np.ndarray) -> np.ndarray:
    """Per-step net growth p_birth - p_die of each cell type (reference context: no crowding)
    at plasma concentrations ``conc`` (D,), with the engine's own rates."""
    rates = pair_rates(np, DeviceRates.from_model(model, np), np.zeros(len(cell_types),
                       dtype=np.int64), cell_types, conc[None, :], None)
    return rates.p_birth - rates.p_die


def _reference_type(model: CompiledModel, genotype: int) -> int:
    """The proliferating (first phenotype), first-compartment cell type of a genotype."""
    return genotype * model.n_phenotypes * model.n_compartments


def resistant_genotypes(model: CompiledModel, exposure: np.ndarray) -> np.ndarray:
    """(T, D) bool: the cell type's genotype has positive net growth at each drug's steady
    exposure ``exposure`` (D,) given alone (reference context, immune kill included)."""
    out = np.zeros((model.n_types, model.n_drugs), dtype=bool)
    refs = np.array([_reference_type(model, int(g)) for g in model.genotype], dtype=np.int64)
    for d in range(model.n_drugs):
        alone = np.zeros(model.n_drugs)
        alone[d] = exposure[d]
        out[:, d] = _net_growth(model, refs, alone) > 0
    return out


def regimen_resists(model: CompiledModel) -> np.ndarray:
    """(Rg, V): each monitored locus's single mutant grows under each regimen at its mean
    concentration over the horizon (all its drugs together, the strategy's combination)."""
    horizon_days = max(model.horizon_steps * model.dt, model.dt)
    k = np.log(2.0) / model.half_life
    refs = np.array([_reference_type(model, 1 << int(v)) for v in model.ctdna_loci],
                    dtype=np.int64)
    out = np.zeros((len(model.regimen_names), len(refs)), dtype=bool)
    for r in range(len(model.regimen_names)):
        mean_conc = (model.regimen_bolus[r].sum(axis=0) / (k * horizon_days)
                     + model.regimen_infusion[r] / k)
        if refs.size:
            out[r] = _net_growth(model, refs, mean_conc) > 0
    return out


_PER_TYPE = ("birth_rate", "death_rate", "immune_kill", "switch_rate", "switch_rate_on_drug",
             "migration_rate", "group", "conc_factor", "ic50", "effect_factor")
CLASSIFICATION_INPUTS = frozenset((*_PER_TYPE, "emax", "hill", "half_life", "steady_exposure",
                                   "regimen_bolus", "regimen_infusion", "dt"))
"""The model fields the resistance classification is formed from."""


def classify_rows(model: CompiledModel, rows: dict[str, np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(resistant (R, T, D), regimen_resists (R, Rg, V)): the resistance classification of R
    variants of ``model`` whose fields ``rows`` (name -> (R, *shape)) differ, formed at once by
    the same rates (:func:`pair_rates`) as for one model: each (variant, cell type) is one
    pair of an expanded rate table."""
    count = next(iter(rows.values())).shape[0]
    n_types, n_drugs = model.n_types, model.n_drugs

    def field(name: str) -> np.ndarray:
        if name in rows:
            return np.asarray(rows[name])
        value = np.asarray(getattr(model, name))
        return np.broadcast_to(value, (count, *value.shape))

    per_type = {name: np.ascontiguousarray(field(name)).reshape(count * n_types,
                                                               *field(name).shape[2:])
                for name in _PER_TYPE}

    def per_drug(name: str, repeat: int) -> tuple[Any, ...]:
        """A drug parameter per pair of ``repeat`` pairs per variant (plain numbers where it
        does not vary, so the arithmetic is the one model's)."""
        if name not in rows:
            return tuple(float(v) for v in getattr(model, name))
        return tuple(np.repeat(field(name)[:, d], repeat) for d in range(n_drugs))

    immune = per_type["immune_kill"]
    dr = DeviceRates(dt=model.dt, growth_law=model.growth_law, combination=model.combination,
                     has_immune=bool(np.any(immune > 0)), drug_sensitive_switching=False,
                     drug_kill=tuple(bool(k) for k in model.drug_kill),
                     emax=per_drug("emax", 1), hill=per_drug("hill", 1), **per_type)

    def net_growth(refs: np.ndarray, conc: np.ndarray) -> np.ndarray:
        """(R, len(refs)) net growth of the reference types at per-variant concentrations
        ``conc`` (R, D)."""
        types = (np.arange(count)[:, None] * n_types + refs[None, :]).reshape(-1)
        lanes = np.arange(types.size)
        pair_conc = np.repeat(conc, refs.size, axis=0)
        rates = pair_rates(np, replace(dr, emax=per_drug("emax", refs.size),
                                       hill=per_drug("hill", refs.size)),
                           lanes, types, pair_conc, None)
        return (rates.p_birth - rates.p_die).reshape(count, refs.size)

    refs = np.array([_reference_type(model, int(g)) for g in model.genotype], dtype=np.int64)
    resistant = np.zeros((count, n_types, n_drugs), dtype=bool)
    exposure = field("steady_exposure")
    for d in range(n_drugs):
        alone = np.zeros((count, n_drugs))
        alone[:, d] = exposure[:, d]
        resistant[:, :, d] = net_growth(refs, alone) > 0
    horizon_days = max(model.horizon_steps * model.dt, model.dt)
    k = np.log(2.0) / field("half_life")
    variants = np.array([_reference_type(model, 1 << int(v)) for v in model.ctdna_loci],
                        dtype=np.int64)
    n_regimens = len(model.regimen_names)
    resists = np.zeros((count, n_regimens, variants.size), dtype=bool)
    bolus, infusion = field("regimen_bolus"), field("regimen_infusion")
    for r in range(n_regimens):
        mean_conc = bolus[:, r].sum(axis=1) / (k * horizon_days) + infusion[:, r] / k
        if variants.size:
            resists[:, r] = net_growth(variants, mean_conc) > 0
    return resistant, resists
