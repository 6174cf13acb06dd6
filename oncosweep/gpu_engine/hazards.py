"""Per-day event rates (hazards) of occupied (realization, cell type) pairs at given drug
concentrations: what the exact step (``kendall_step.py``) integrates over a step.

For a cell of type t in realization r:

    crowding pressure  q = max(0, b_t - d_t) * crowd      (crowd at the step's start)
    birth   b = max(0, b_t - q), then cytostatic drugs:
            b *= prod_i (1 - E_i) (bliss)  or  (1 - max_i E_i) (highest single agent)
    death   d = d_t + max(0, q - b_t) + immune_t + kill,
            kill = sum_i E_i (bliss: independent hazards add) or max_i E_i over kill-mode drugs
    switch to phenotype k:  s_k + (s_k_on_drug - s_k) * a,   a = 1 - prod_i (1 - f_i) or max_i f_i

with E_i = emax_i * effect_factor[t, i] * f_i and f_i the Hill occupancy of the effective
concentration, exactly as ``rates.py`` forms them for the euler scheme, whose per-step kill
probability 1 - prod_i (1 - E_i dt) is the first-order form of the same hazards. Migration
rates are constant (``DeviceRates.migration_rate``).

Every expression is evaluated in the order of the CUDA twin ``cuda/hazards.cuh``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from oncosweep.gpu_engine.rates import (
    DeviceRates,
    bliss_products,
    crowded_rates,
    drug_terms,
    strongest,
)


@dataclass
class Hazards:
    """Per-day rates of the pairs."""

    birth: Any
    """Division rate after crowding and cytostatic drugs."""
    death: Any
    """Death rate after crowding, plus immune kill and kill-mode drugs."""
    switch: Any
    """(pairs, P) switching rate to each phenotype (0 to the own one)."""
    activity: Any = None
    """(pairs,) drug activity a in [0, 1] of the switching rates; None without drug."""


def pair_hazards(xp: ModuleType, dr: DeviceRates, lanes: Any, types: Any, conc: Any | None,
                 crowd: Any | None) -> Hazards:
    """Hazards of the pairs (lanes[i], types[i]). ``conc``: (A, D) concentrations of the
    lanes, or None without drug; ``crowd``: (A, G) crowding of the lanes, or None."""
    birth, death = crowded_rates(xp, dr, lanes, types, crowd)
    if dr.has_immune:
        death = death + dr.immune_kill[types]
    switch = dr.switch_rate[types]
    if conc is None or not dr.emax:
        return Hazards(birth, death, switch)
    terms = drug_terms(xp, dr, lanes, types, conc)
    if dr.combination == "highest_single_agent":
        kill, keep, activity = strongest(xp, dr, terms)
        if keep is not None:
            birth = birth * (1.0 - keep)
    else:
        kill = None  # independent hazards add
        for (_, effect), is_kill in zip(terms, dr.drug_kill, strict=True):
            if is_kill:
                kill = effect if kill is None else kill + effect
        untouched, keep = bliss_products(terms, dr.drug_kill)
        activity = 1.0 - untouched
        if keep is not None:
            birth = birth * keep
    if kill is not None:
        death = death + kill
    if dr.drug_sensitive_switching:
        switch = switch + (dr.switch_rate_on_drug[types] - switch) * activity[:, None]
    return Hazards(birth, death, switch, activity)
