"""Per-step event probabilities of occupied (realization, cell type) pairs.

For a cell of type t in realization r during one step of dt days, the competing events are
divide, die, switch to each other phenotype, migrate to each other compartment, or nothing:

    crowding pressure  q = max(0, b_t - d_t) * crowd
    birth  b = max(0, b_t - q),  then cytostatic drugs:  b *= prod_i (1 - E_i)  (bliss)
                                                          or  (1 - max E_i)  (highest single agent)
    death  d = d_t + max(0, q - b_t)     (pressure that birth cannot absorb)
    p_birth = b dt
    p_die   = (d + immune_t) dt + K,     K = 1 - prod_i (1 - E_i dt)  (bliss)  or  max E_i dt
                                          over kill-mode drugs
    switch to phenotype k: rate s_k + (s_k_on_drug - s_k) * a,  a = drug activity in [0, 1]
    migrate to compartment c: rate m_c

with E_i = emax_i * effect_factor[t, i] * occupancy(C_i(r) * conc_factor[t, i], ic50[t, i]).
``crowd`` is N / K (logistic), ln N / ln K (Gompertz) or sum_h alpha_gh N_h / K_g
(Lotka–Volterra, group g of type t), so that the mean dynamics follow the ODEs of
docs/model.md. The draws are a chain of conditional binomials, so this module returns
conditional probabilities: p_death = p_die / (1 - p_birth), then each switch and migration
given none of the events before it (in increasing target index).

Without drugs and crowding every probability equals the constant one of the plain
branching process, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from oncosweep.gpu_engine.device import on_device
from oncosweep.gpu_engine.pharmacology import occupancy

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.lowering.compiled import CompiledModel


@dataclass(frozen=True)
class DeviceRates:
    """The declared parameters rates are formed from, on the array module's device
    (filled by name: :func:`oncosweep.gpu_engine.device.on_device`)."""

    dt: float
    growth_law: str
    combination: str
    birth_rate: Any
    death_rate: Any
    immune_kill: Any
    has_immune: bool
    switch_rate: Any
    switch_rate_on_drug: Any
    drug_sensitive_switching: bool
    migration_rate: Any
    group: Any
    conc_factor: Any
    ic50: Any
    effect_factor: Any
    drug_kill: tuple[bool, ...]
    emax: tuple[float, ...]
    hill: tuple[float, ...]

    @classmethod
    def from_model(cls, model: CompiledModel, xp: ModuleType,
                   values: dict[str, Any] | None = None) -> DeviceRates:
        return on_device(cls, model, xp, values)


@dataclass
class PairRates:
    """Conditional per-step probabilities of the occupied pairs."""

    p_birth: Any
    p_die: Any  # unconditional death probability of the step
    p_death: Any  # conditional on no division: p_die / (1 - p_birth)
    switch: Any  # (pairs, P) per-day switching rates (before conditioning)
    migration: Any  # (pairs, C) per-day migration rates
    left: Any  # 1 - p_birth - p_die: probability mass left for switching, migration, nothing


def pair_rates(
    xp: ModuleType,
    dr: DeviceRates,
    lanes: Any,
    types: Any,
    conc: Any | None,
    crowd: Any | None,
) -> PairRates:
    """Rates of pairs (lanes[i], types[i]). ``conc``: (A, D) midpoint drug concentrations of
    the lanes, or None without drug; ``crowd``: (A, G) crowding of the lanes, or None."""
    dt = dr.dt
    birth, death = crowded_rates(xp, dr, lanes, types, crowd)
    hazard = death + dr.immune_kill[types] if dr.has_immune else death
    kill = None
    activity = None
    if conc is not None and dr.emax:
        birth, kill, activity = _drug_effects(xp, dr, lanes, types, conc, birth)
    p_birth = birth * dt
    p_die = hazard * dt if kill is None else hazard * dt + kill
    left = 1.0 - p_birth
    p_death = xp.where(left > 0, p_die / xp.where(left > 0, left, 1.0), 0.0)
    switch = dr.switch_rate[types]
    if activity is not None and dr.drug_sensitive_switching:
        switch = switch + (dr.switch_rate_on_drug[types] - switch) * activity[:, None]
    return PairRates(p_birth=p_birth, p_die=p_die, p_death=xp.minimum(p_death, 1.0),
                     switch=switch,
                     migration=dr.migration_rate[types], left=left - p_die)


def conditional(xp: ModuleType, rate: Any, left: Any, dt: float) -> tuple[Any, Any]:
    """(conditional probability of an event of per-day ``rate`` given none before, the mass
    left after it)."""
    p = rate * dt
    cond = xp.where(left > 0, p / xp.where(left > 0, left, 1.0), 0.0)
    return xp.minimum(cond, 1.0), left - p


def crowded_rates(xp: ModuleType, dr: DeviceRates, lanes: Any, types: Any,
                  crowd: Any | None) -> tuple[Any, Any]:
    """(birth, death) per day of the pairs after crowding (both schemes). The crowding
    pressure (b - d)+ * crowd lowers the birth rate; what birth cannot absorb (birth would go
    negative) raises the death rate, so the net rate is always (b - d)(1 - crowd) for growing
    types, as in the ODE."""
    birth = dr.birth_rate[types]
    death = dr.death_rate[types]
    if crowd is not None:
        pressure = xp.maximum(birth - death, 0.0) * crowd[lanes, dr.group[types]]
        death = death + xp.maximum(pressure - birth, 0.0)
        birth = xp.maximum(birth - pressure, 0.0)
    return birth, death


def drug_terms(xp: ModuleType, dr: DeviceRates, lanes: Any, types: Any,
               conc: Any) -> list[tuple[Any, Any]]:
    """Per drug: (occupancy f, effect E = emax * effect_factor * f) of the pairs."""
    terms = []
    for i, emax in enumerate(dr.emax):
        f = occupancy(xp, conc[lanes, i] * dr.conc_factor[types, i], dr.ic50[types, i],
                      dr.hill[i])
        terms.append((f, emax * dr.effect_factor[types, i] * f))
    return terms


def strongest(xp: ModuleType, dr: DeviceRates, terms: list[tuple[Any, Any]]
              ) -> tuple[Any | None, Any | None, Any]:
    """Highest single agent: (largest kill-mode effect or None, largest cytostatic effect or
    None, largest occupancy), in drug order."""
    kill = cyto = most = None
    for i, (f, effect) in enumerate(terms):
        most = f if most is None else xp.maximum(most, f)
        if dr.drug_kill[i]:
            kill = effect if kill is None else xp.maximum(kill, effect)
        else:
            cyto = effect if cyto is None else xp.maximum(cyto, effect)
    return kill, cyto, most


def bliss_products(terms: list[tuple[Any, Any]], kill_mode: tuple[bool, ...]
                   ) -> tuple[Any, Any | None]:
    """Bliss: (prod (1 - f) over all drugs, prod (1 - E) over cytostatic drugs or None)."""
    untouched = keep = None
    for (f, effect), kill in zip(terms, kill_mode, strict=True):
        untouched = 1.0 - f if untouched is None else untouched * (1.0 - f)
        if not kill:
            keep = 1.0 - effect if keep is None else keep * (1.0 - effect)
    return untouched, keep


def _drug_effects(xp, dr, lanes, types, conc, birth):
    """Apply the drugs: (birth after cytostatic drugs, kill probability K, activity a)."""
    dt = dr.dt
    terms = drug_terms(xp, dr, lanes, types, conc)
    if dr.combination == "highest_single_agent":
        strongest_kill, strongest_cyto, strongest_f = strongest(xp, dr, terms)
        kill = None if strongest_kill is None else strongest_kill * dt
        if strongest_cyto is not None:
            birth = birth * (1.0 - strongest_cyto)
        return birth, kill, strongest_f
    survive = None  # prod (1 - E dt) over kill drugs
    for (_, effect), is_kill in zip(terms, dr.drug_kill, strict=True):
        if is_kill:
            survive = 1.0 - effect * dt if survive is None else survive * (1.0 - effect * dt)
    untouched, keep_birth = bliss_products(terms, dr.drug_kill)
    kill = None if survive is None else 1.0 - survive
    if keep_birth is not None:
        birth = birth * keep_birth
    return birth, kill, 1.0 - untouched
