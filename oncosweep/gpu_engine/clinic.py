"""The clinic: visit observations (imaging, ctDNA) and the strategies that act on them (the
twin of ``cuda/clinic.cuh``).

**Observations**: imaging of the total burden and ctDNA reads of resistant variants.

Every draw has its own counter slots in the channel of ``rng.RESERVED_CELL_TYPE`` (no cell
type), addressed by (seed, point, realization, step, event): chunk invariance holds.

Imaging: observed = true total x exp(sigma Z - sigma^2 / 2), Z standard normal (Box–Muller
from one Philox block), sigma^2 = ln(1 + cv^2), so the noise has mean 1 and coefficient of
variation cv. Observations below ``detection_limit`` are recorded as 0 (not measurable).

ctDNA: plasma tumour DNA comes from dying cells and is cleared within hours, so a sample
reflects the current death flux. With F = sum_t n_t h_t (cells dying per day; h_t the death
hazard including drug and immune kill) and F_v the flux of cells carrying variant v,

    tumour genomes G = shed_per_death * F,   VAF_v = (shed_per_death * F_v / 2) / (normal + G)

(heterozygous variants). Mutant reads at depth n are Bin(n, VAF_v), or Poisson(n VAF_v) drawn as
Bin(2**50, n VAF_v / 2**50), whose total-variation distance to the Poisson law is at most
(n VAF_v)^2 / 2**50 (Le Cam 1960): below 1e-9 for means up to 1e3. A variant is detected when
its reads reach ``threshold``.

With ``ctdna.assay`` the reads come from the assay model instead (``ctdna_assay.py``): with
a = assay_shed (plasma copies per ml per cell dying per day), N = assay_normal and c the
clonal-haematopoiesis allele fraction, the variant copies per ml are a F_v / 2 + c N and the
wild-type copies (N - c N) + (a F - a F_v / 2); Poisson copies in the tube, binomial reads with
errors, the same threshold.

**Strategies**: per-realization policy state, decided at clinic visits.

Each realization carries its own state (arrays over lanes): the active regimen (-1: none),
when it was activated (its bolus schedule restarts then), its dose factor, the regimen line,
the adaptive dose level, the baseline and nadir of the observed burden, and its outcomes.

* ``continuous``: the regimen throughout.
* ``intermittent``: on for ``on_steps``, off for ``off_steps``, repeated from treatment start;
  an optional off-period regimen (high-dose pulses plus low-dose continuous dosing).
* ``sequential``: regimens in order; imaging progression switches to the next line.
* ``adaptive`` (Zhang et al. 2017): at each visit, observed <= frac_off x baseline steps one
  dose level down (the last step is off), observed >= frac_on x baseline one level up.
* ``ctdna_switch``: as sequential, and also switches when ctDNA detects a monitored variant
  that resists the current regimen.

Progression (RECIST-like): observed >= factor x reference and >= floor, the reference being
the nadir of the current line (or the baseline). A progression the strategy cannot answer by
switching is the strategy's failure: ``progressed`` and ``time_to_progression``. Treatment then
goes on unchanged until death, cure or the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from oncosweep.gpu_engine import binomial as _binomial
from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.ctdna_assay import assay_reads
from oncosweep.gpu_engine.philox import uniform_pair
from oncosweep.lowering.compiled import CompiledModel

EVENT_IMAGING = 0
EVENT_CTDNA_BASE = 1  # + monitored variant index
POISSON_TRIALS = 2**50


def imaging(xp: ModuleType, model: CompiledModel, key: tuple[int, int], step: int,
            realization: Any, total: Any) -> Any:
    """Observed total burden (cells) of each lane at a visit."""
    observed = total.astype(xp.float64)
    if model.imaging_cv > 0:
        slot = xp.full(realization.shape, rng.slot(rng.RESERVED_CELL_TYPE, EVENT_IMAGING),
                       dtype=xp.uint64)
        u0, u1 = uniform_pair(xp, key, slot, step, realization)
        z = xp.sqrt(-2.0 * xp.log(u0)) * xp.cos(2.0 * math.pi * u1)
        sigma = math.sqrt(math.log1p(model.imaging_cv**2))
        observed = observed * xp.exp(sigma * z - 0.5 * sigma * sigma)
    return xp.where(observed < model.detection_limit, 0.0, observed)


def ctdna_reads(xp: ModuleType, model: CompiledModel, key: tuple[int, int], step: int,
                realization: Any, flux: Any, variant_flux: Any) -> Any:
    """(A, V) int64 variant reads of each monitored variant (the assay model or the simple
    read model); a variant is called at ``ctdna_threshold`` reads. ``flux``: (A,) cells dying
    per day; ``variant_flux``: (A, V) of those carrying each monitored variant."""
    if model.ctdna_assay:
        return _assay_reads(xp, model, key, step, realization, flux, variant_flux)
    tumour = model.shed_per_death * flux
    vaf = 0.5 * model.shed_per_death * variant_flux / (model.normal_genomes + tumour)[:, None]
    vaf = xp.minimum(vaf, 1.0)
    n_lanes, n_variants = variant_flux.shape
    events = xp.arange(n_variants, dtype=xp.uint64) + EVENT_CTDNA_BASE
    slot = (xp.uint64(rng.slot(rng.RESERVED_CELL_TYPE, 0))
            | (events << rng.ATTEMPT_BITS))[None, :] + xp.zeros((n_lanes, 1), dtype=xp.uint64)
    real = xp.broadcast_to(realization[:, None], (n_lanes, n_variants))
    if model.ctdna_poisson:
        trials = xp.full((n_lanes, n_variants), POISSON_TRIALS, dtype=xp.int64)
        p = model.ctdna_depth * vaf / POISSON_TRIALS
    else:
        trials = xp.full((n_lanes, n_variants), model.ctdna_depth, dtype=xp.int64)
        p = vaf
    return _binomial.binomial(xp, key, slot.reshape(-1), step, real.reshape(-1),
                              trials.reshape(-1), p.reshape(-1)).reshape(n_lanes, n_variants)


def _assay_reads(xp: ModuleType, model: CompiledModel, key: tuple[int, int], step: int,
                 realization: Any, flux: Any, variant_flux: Any) -> Any:
    """(A, V) int64 variant reads of the assay model (module docstring)."""
    n_lanes, n_variants = variant_flux.shape
    tumour = model.assay_shed * flux  # (A,) copies per ml
    variant = (0.5 * model.assay_shed) * variant_flux  # (A, V)
    ch = model.assay_ch_vaf * model.assay_normal
    mutant = variant + ch
    wild = (model.assay_normal - ch) + (tumour[:, None] - variant)
    real = xp.broadcast_to(realization[:, None], (n_lanes, n_variants)).reshape(-1)
    index = xp.broadcast_to(xp.arange(n_variants)[None, :], (n_lanes, n_variants)).reshape(-1)
    reads = assay_reads(xp, key, step, real, index, EVENT_CTDNA_BASE, mutant.reshape(-1),
                        wild.reshape(-1), tube_ml=model.assay_tube, depth=model.ctdna_depth,
                        error_rate=model.assay_error)
    return reads.reshape(n_lanes, n_variants)


def death_flux(xp: ModuleType, model: CompiledModel, rates: Any, counts: Any, conc: Any | None,
               crowd: Any | None) -> tuple[Any, Any]:
    """Expected cells dying per day of each lane (A,), and of those carrying each monitored
    variant (A, V), from the engine's own death rates: the death hazard (exact scheme) or the
    per-step death probability / dt (euler scheme)."""
    from oncosweep.gpu_engine.hazards import pair_hazards  # noqa: PLC0415 - keeps imports light
    from oncosweep.gpu_engine.rates import pair_rates  # noqa: PLC0415

    lanes, types = xp.nonzero(counts > 0)
    n_lanes = counts.shape[0]
    flux = xp.zeros(n_lanes)
    variant_flux = xp.zeros((n_lanes, len(model.ctdna_loci)))
    if lanes.size == 0:
        return flux, variant_flux
    if model.scheme == "exact":
        per_pair = counts[lanes, types] * pair_hazards(xp, rates, lanes, types, conc,
                                                       crowd).death
    else:
        per_pair = counts[lanes, types] * pair_rates(xp, rates, lanes, types, conc, crowd).p_die
        per_pair = per_pair / model.dt
    flux = xp.bincount(lanes, weights=per_pair, minlength=n_lanes)
    genotype = xp.asarray(model.genotype)[types]
    for v, locus in enumerate(model.ctdna_loci):
        carries = ((genotype >> int(locus)) & 1) == 1
        variant_flux[:, v] = xp.bincount(lanes, weights=per_pair * carries, minlength=n_lanes)
    return flux, variant_flux


# ---- strategies ----------------------------------------------------------------------------


@dataclass
class PolicyLanes:
    """Policy state and outcomes of every lane of a chunk (device arrays)."""

    regimen: Any  # (R,) int64 active regimen index, -1 none
    activated: Any  # (R,) int64 iteration of the regimen's activation
    dose: Any  # (R,) float64 dose factor
    line: Any  # (R,) int64 line of sequential / ctdna_switch
    level: Any  # (R,) int64 adaptive dose level (len(dose_levels) = off)
    baseline: Any  # (R,) float64 observed burden at the baseline visit
    nadir: Any  # (R,) float64 smallest observed burden of the current line
    progressed: Any  # (R,) bool
    progression_it: Any  # (R,) int64 iteration of the strategy's failure, -1
    first_pd_it: Any  # (R,) int64 first imaging progression (any line), -1
    ctdna_it: Any  # (R,) int64 first ctDNA detection of a resisting variant, -1
    switch_it: Any  # (R,) int64 first regimen switch (sequential, ctdna_switch), -1
    switches: Any  # (R,) int64 regimen switches
    treated_steps: Any  # (R,) int64 steps with a regimen given

    @classmethod
    def empty(cls, xp: ModuleType, n: int) -> PolicyLanes:
        def full(value: float, dtype: Any) -> Any:
            return xp.full(n, value, dtype=dtype)

        return cls(regimen=full(-1, xp.int64), activated=full(0, xp.int64),
                   dose=full(1.0, xp.float64), line=full(0, xp.int64), level=full(0, xp.int64),
                   baseline=full(0.0, xp.float64), nadir=full(0.0, xp.float64),
                   progressed=full(False, bool), progression_it=full(-1, xp.int64),
                   first_pd_it=full(-1, xp.int64), ctdna_it=full(-1, xp.int64),
                   switch_it=full(-1, xp.int64),
                   switches=full(0, xp.int64), treated_steps=full(0, xp.int64))


def _activate(xp: ModuleType, state: PolicyLanes, lanes: Any, regimen: Any, it: int) -> None:
    """Give ``regimen`` (per lane, -1: none) from iteration ``it`` on; a regimen that is
    already running keeps its schedule."""
    changed = state.regimen[lanes] != regimen
    state.activated[lanes] = xp.where(changed, it, state.activated[lanes])
    state.regimen[lanes] = regimen


def start(xp: ModuleType, model: CompiledModel, state: PolicyLanes, lanes: Any,
          it: int) -> None:
    """Treatment starts for ``lanes`` (indices) at iteration ``it``."""
    if model.strategy_kind == "none" or lanes.size == 0:
        return
    _activate(xp, state, lanes, xp.full(lanes.shape, int(model.lines[0]), dtype=xp.int64), it)
    state.dose[lanes] = float(model.dose_levels[0]) if model.strategy_kind == "adaptive" else 1.0


def tick(xp: ModuleType, model: CompiledModel, state: PolicyLanes, lanes: Any, since: Any,
         it: int) -> None:
    """Time-driven changes at the start of a step (intermittent on/off cycles)."""
    if model.strategy_kind != "intermittent" or lanes.size == 0:
        return
    position = since % (model.on_steps + model.off_steps)
    on = position < model.on_steps
    regimen = xp.where(on, int(model.lines[0]), int(model.off_regimen))
    _activate(xp, state, lanes, regimen, it)


def visit(xp: ModuleType, model: CompiledModel, state: PolicyLanes, lanes: Any,
          baseline_visit: Any, observed: Any, resisting_variant: Any | None, it: int,
          recist_pd: Any | None = None) -> None:
    """Decisions at a visit of ``lanes`` with imaging ``observed`` (cells) and, with ctDNA,
    ``resisting_variant`` (a monitored variant that resists the current regimen detected);
    with RECIST (``model.recist``), ``recist_pd`` is the visit's progressive disease, which
    replaces the burden rule of ``progression``."""
    if lanes.size == 0:
        return
    first = baseline_visit
    state.baseline[lanes] = xp.where(first, observed, state.baseline[lanes])
    state.nadir[lanes] = xp.where(first, observed, state.nadir[lanes])
    if resisting_variant is not None:
        seen = resisting_variant & (state.ctdna_it[lanes] < 0)
        state.ctdna_it[lanes] = xp.where(seen, it, state.ctdna_it[lanes])
    if model.strategy_kind == "none":
        return
    reference = state.nadir[lanes] if model.progression_reference == "nadir" else (
        state.baseline[lanes])
    if model.recist:
        progression = ~first & recist_pd
    else:
        progression = (~first & (observed > 0)
                       & (observed >= model.progression_factor * reference)
                       & (observed >= model.progression_floor))
    state.first_pd_it[lanes] = xp.where(progression & (state.first_pd_it[lanes] < 0), it,
                                        state.first_pd_it[lanes])
    failed = progression
    if model.strategy_kind in ("sequential", "ctdna_switch"):
        more = state.line[lanes] < len(model.lines) - 1
        trigger = progression
        if model.strategy_kind == "ctdna_switch" and resisting_variant is not None:
            trigger = trigger | resisting_variant
        switch = trigger & more
        failed = progression & ~more
        line = state.line[lanes] + switch
        state.line[lanes] = line
        state.switches[lanes] += switch
        state.switch_it[lanes] = xp.where(switch & (state.switch_it[lanes] < 0), it,
                                          state.switch_it[lanes])
        _activate(xp, state, lanes, xp.asarray(model.lines)[line], it)
        state.nadir[lanes] = xp.where(switch, observed, state.nadir[lanes])
    newly = failed & ~state.progressed[lanes]
    state.progressed[lanes] |= newly
    state.progression_it[lanes] = xp.where(newly, it, state.progression_it[lanes])
    state.nadir[lanes] = xp.minimum(state.nadir[lanes], observed)
    if model.strategy_kind == "adaptive":
        _adapt(xp, model, state, lanes, first, observed, it)


def _adapt(xp, model, state, lanes, first, observed, it) -> None:
    """Adaptive therapy: one dose level down at <= frac_off x baseline, one up at >=
    frac_on x baseline; level len(dose_levels) is off."""
    off = len(model.dose_levels)
    baseline = state.baseline[lanes]
    down = ~first & (observed <= model.frac_off * baseline)
    up = ~first & ~down & (observed >= model.frac_on * baseline)
    level = xp.clip(state.level[lanes] + down.astype(xp.int64) - up.astype(xp.int64), 0, off)
    state.level[lanes] = level
    on = level < off
    levels = xp.asarray(model.dose_levels)
    state.dose[lanes] = xp.where(on, levels[xp.minimum(level, off - 1)], 0.0)
    _activate(xp, state, lanes, xp.where(on, int(model.lines[0]), -1), it)
