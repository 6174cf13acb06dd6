"""Scenario -> CompiledModel for the engines: the lowering, completed by the engine's
resistance classification.

:func:`oncosweep.lowering.lower.lower` converts the scenario into model arrays; what makes a
genotype "resistant" is defined by the engine's own rates (positive net growth at a drug's
steady exposure), so it is classified here with :func:`~oncosweep.gpu_engine.rates.pair_rates`,
the same code the numpy engine steps with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from oncosweep.gpu_engine.rates import DeviceRates, pair_rates
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import COMBINATION, GROWTH_LAW, STRATEGY_KIND
from oncosweep.lowering.lower import lower

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario import Scenario

__all__ = ["COMBINATIONS", "GROWTH_LAWS", "STRATEGY_KINDS", "CompiledModel", "compile_scenario",
           "resistant_genotypes"]

GROWTH_LAWS = GROWTH_LAW.choices
COMBINATIONS = COMBINATION.choices
STRATEGY_KINDS = STRATEGY_KIND.choices


def compile_scenario(scenario: Scenario, strategy: str | None = None) -> CompiledModel:
    """Compile a validated :class:`oncosweep.Scenario` into engine arrays for one strategy
    (``strategy``: its name; default the first, or none without treatment)."""
    model = lower(scenario, strategy)
    return model.replace(resistant=resistant_genotypes(model, model.steady_exposure),
                         regimen_resists=_regimen_resists(model))


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


def _regimen_resists(model: CompiledModel) -> np.ndarray:
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
