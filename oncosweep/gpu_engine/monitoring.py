"""Clinic-visit observations: imaging of the total burden and ctDNA reads of resistant variants.

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
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from oncosweep.gpu_engine import binomial as _binomial
from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.compile import CompiledModel
from oncosweep.gpu_engine.philox import uniform_pair

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


def ctdna_detected(xp: ModuleType, model: CompiledModel, key: tuple[int, int], step: int,
                   realization: Any, flux: Any, variant_flux: Any) -> Any:
    """(A, V) bool: each monitored variant's reads reach the threshold. ``flux``: (A,) cells
    dying per day; ``variant_flux``: (A, V) of those carrying each monitored variant."""
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
    reads = _binomial.binomial(xp, key, slot.reshape(-1), step, real.reshape(-1),
                               trials.reshape(-1), p.reshape(-1)).reshape(n_lanes, n_variants)
    return reads >= model.ctdna_threshold


def death_flux(xp: ModuleType, model: CompiledModel, rates: Any, counts: Any, conc: Any | None,
               crowd: Any | None) -> tuple[Any, Any]:
    """Expected cells dying per day of each lane (A,), and of those carrying each monitored
    variant (A, V), from the engine's own per-step death probabilities."""
    from oncosweep.gpu_engine.rates import pair_rates  # noqa: PLC0415 - keeps imports light

    lanes, types = xp.nonzero(counts > 0)
    n_lanes = counts.shape[0]
    flux = xp.zeros(n_lanes)
    variant_flux = xp.zeros((n_lanes, len(model.ctdna_loci)))
    if lanes.size == 0:
        return flux, variant_flux
    per_pair = counts[lanes, types] * pair_rates(xp, rates, lanes, types, conc, crowd).p_die
    per_pair = per_pair / model.dt
    flux = xp.bincount(lanes, weights=per_pair, minlength=n_lanes)
    genotype = xp.asarray(model.genotype)[types]
    for v, locus in enumerate(model.ctdna_loci):
        carries = ((genotype >> int(locus)) & 1) == 1
        variant_flux[:, v] = xp.bincount(lanes, weights=per_pair * carries, minlength=n_lanes)
    return flux, variant_flux
