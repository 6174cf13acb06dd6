"""A ctDNA assay at one blood draw: molecules in the tube, reads, a call (twin of
``cuda/ctdna_assay.cuh``).

The chain for one monitored variant (one genomic position) of one sample:

1. **Plasma.** The caller gives the concentrations, in haploid genome equivalents (copies of
   the position) per ml of plasma, of the variant allele (``mutant_per_ml``: tumour cells
   carrying the heterozygous variant contribute half their copies; a clonal-haematopoiesis
   clone carrying the same variant adds its own) and of the wild-type allele
   (``wild_per_ml``: normal cell-free DNA and the tumour's other copies).
2. **Tube.** The tube holds ``tube_ml`` ml of plasma; the copies in it are independent
   Poisson counts, M ~ Poisson(tube_ml x mutant_per_ml) and W ~ Poisson(tube_ml x
   wild_per_ml) (molecules spread at random through the plasma).
3. **Sequencing.** ``depth`` reads cover the position, each from a molecule of the tube drawn
   uniformly (with replacement: the library's copies of each molecule are alike); a read of
   a wild-type molecule shows the variant base with probability ``error_rate`` (the per-base
   error rate of that substitution after the assay's error suppression), a read of a variant
   molecule shows the wild-type base with the same probability. So the variant reads are
   R ~ Binomial(depth, q) with q = f (1 - e) + (1 - f) e, f = M / (M + W); no molecule, no
   read (R = 0).
4. **Call.** The variant is called when R >= ``threshold``; its variant allele fraction as
   measured is R / depth.

So detection is a Poisson mixture of binomial tails, which ``analysis.assay`` evaluates
exactly (its detection probability, read distribution, specificity and limit of detection);
``tests/test_ctdna_assay.py`` checks these draws against that theory.

Random numbers (rng.py addressing, the reserved cell type, the visit's step): M reads event
``EVENT_ASSAY_MUTANT_BASE + v``, W ``EVENT_ASSAY_WILD_BASE + v`` and R the read event
``EVENT_CTDNA_BASE + v`` of the clinic (the same slot as the simpler read models), v the
monitored variant's index. Floating point: every expression is the CUDA twin's, in the same
order (no FMA).
"""

from __future__ import annotations

from typing import Any

from oncosweep.gpu_engine import binomial as _binomial
from oncosweep.gpu_engine import poisson as _poisson
from oncosweep.gpu_engine import rng

#: slot events of the reserved cell type (clinic.EVENT_CTDNA_BASE + v is the read draw)
EVENT_ASSAY_MUTANT_BASE = 16  # + monitored variant index (at most 8 variants)
EVENT_ASSAY_WILD_BASE = 24  # + monitored variant index


def _slots(xp: Any, base: int, variant: Any) -> Any:
    events = xp.asarray(variant, dtype=xp.uint64) + xp.uint64(base)
    return xp.uint64(rng.slot(rng.RESERVED_CELL_TYPE, 0)) | (events << xp.uint64(
        rng.ATTEMPT_BITS))


def assay_reads(xp: Any, key: tuple[int, int], step: int, realization: Any, variant: Any,
                read_event_base: int, mutant_per_ml: Any, wild_per_ml: Any, *, tube_ml: float,
                depth: int, error_rate: float) -> Any:
    """Variant reads (int64, one per lane) of the samples ``(realization, variant)`` taken at
    engine step ``step``.

    ``realization`` (uint64) and ``variant`` (int, the monitored variant's index) are per
    lane, as are ``mutant_per_ml`` and ``wild_per_ml`` (float64 genome copies per ml of plasma,
    finite and >= 0); ``tube_ml`` (ml of plasma per sample), ``depth`` (reads) and
    ``error_rate`` (per read, in [0, 0.5]) are the assay's. ``read_event_base``: the slot event
    of variant 0's read draw.
    """
    realization = xp.asarray(realization, dtype=xp.uint64)
    mutants = _poisson.poisson(xp, key, _slots(xp, EVENT_ASSAY_MUTANT_BASE, variant), step,
                               realization, tube_ml * xp.asarray(mutant_per_ml, xp.float64))
    wild = _poisson.poisson(xp, key, _slots(xp, EVENT_ASSAY_WILD_BASE, variant), step,
                            realization, tube_ml * xp.asarray(wild_per_ml, xp.float64))
    total = mutants + wild
    m = mutants.astype(xp.float64)
    t = total.astype(xp.float64)
    some = total > 0
    frac = xp.where(some, m / xp.where(some, t, 1.0), 0.0)
    q = frac * (1.0 - error_rate) + (1.0 - frac) * error_rate
    q = xp.where(some, q, 0.0)
    trials = xp.full(q.shape, depth, dtype=xp.int64)
    return _binomial.binomial(xp, key, _slots(xp, read_event_base, variant), step,
                              realization, trials, q)
