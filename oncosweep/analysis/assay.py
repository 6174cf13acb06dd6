"""The exact operating characteristics of the ctDNA assay model (``gpu_engine/ctdna_assay.py``).

With M ~ Poisson(V c_m) variant copies and W ~ Poisson(V c_w) wild-type copies in a tube of V ml
of plasma, and R ~ Binomial(depth, q(M, W)) variant reads, q = f (1 - e) + (1 - f) e with
f = M / (M + W) (q = 0 when the tube holds no copy), the law of R is the Poisson mixture

    P(R = r) = sum_m sum_w Pois(m; V c_m) Pois(w; V c_w) Bin(r; depth, q(m, w)),

summed here over every (m, w) outside tails of mass below ``TAIL`` each. From it:
:func:`read_distribution` (the law of R, so of the measured allele fraction R / depth),
:func:`detection_probability` (P(R >= threshold)), :func:`specificity` (1 - P(call) without
tumour DNA: only sequencing errors and clonal haematopoiesis can make a call) and
:func:`limit_of_detection` (the variant allele fraction in plasma detected with a given
probability). Concentrations are haploid genome copies of the position per ml of plasma.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["AssayDesign", "assay_line", "detection_probability", "limit_of_detection",
           "read_distribution", "specificity"]

#: Poisson tails left out of the sums, each side (their mass bounds the error of every
#: probability returned).
TAIL = 1e-14


class AssayDesign:
    """The assay's constants: ``tube_ml`` (ml of plasma per sample), ``depth`` (reads over the
    position), ``error_rate`` (probability a read shows the other allele) and ``threshold``
    (variant reads for a call)."""

    def __init__(self, tube_ml: float, depth: int, error_rate: float, threshold: int) -> None:
        if not (tube_ml > 0 and math.isfinite(tube_ml)):
            raise ValueError(f"tube_ml: must be a positive number of ml, got {tube_ml!r}")
        if int(depth) != depth or depth < 1:
            raise ValueError(f"depth: must be an integer >= 1, got {depth!r}")
        if not 0.0 <= error_rate <= 0.5:
            raise ValueError(f"error_rate: must be in [0, 0.5], got {error_rate!r}")
        if int(threshold) != threshold or not 1 <= threshold <= depth:
            raise ValueError(f"threshold: must be an integer in [1, depth], got {threshold!r}")
        self.tube_ml, self.depth = float(tube_ml), int(depth)
        self.error_rate, self.threshold = float(error_rate), int(threshold)


def _support(mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Values and pmf of Poisson(mean) outside tails of mass < TAIL each side."""
    from scipy import stats  # noqa: PLC0415 - analysis-only dependency, imported on use

    if mean <= 0.0:
        return np.zeros(1), np.ones(1)
    lo, hi = stats.poisson.ppf([TAIL, 1.0 - TAIL], mean)
    values = np.arange(max(lo - 1, 0), hi + 2)
    return values, stats.poisson.pmf(values, mean)


def _mixture(mutant_per_ml: float, wild_per_ml: float, design: AssayDesign
             ) -> tuple[np.ndarray, np.ndarray]:
    """Read probability q and weight of every (m, w) in the summed support (flat arrays)."""
    m, pm = _support(design.tube_ml * mutant_per_ml)
    w, pw = _support(design.tube_ml * wild_per_ml)
    mm, ww = np.meshgrid(m, w, indexing="ij")
    total = mm + ww
    frac = np.divide(mm, total, out=np.zeros_like(mm), where=total > 0)
    e = design.error_rate
    q = np.where(total > 0, frac * (1.0 - e) + (1.0 - frac) * e, 0.0)
    return q.ravel(), np.outer(pm, pw).ravel()


def read_distribution(mutant_per_ml: float, wild_per_ml: float, design: AssayDesign,
                      max_reads: int | None = None) -> np.ndarray:
    """P(R = r) for r = 0 .. ``max_reads`` (default: the depth) variant reads."""
    from scipy import stats  # noqa: PLC0415

    q, weight = _mixture(mutant_per_ml, wild_per_ml, design)
    top = design.depth if max_reads is None else min(int(max_reads), design.depth)
    r = np.arange(top + 1)
    out = np.zeros(top + 1)
    for lo in range(0, q.size, 4096):  # bounded memory: 4096 x (top + 1) at a time
        out += weight[lo:lo + 4096] @ stats.binom.pmf(r[None, :], design.depth,
                                                      q[lo:lo + 4096, None])
    return out


def detection_probability(mutant_per_ml: float, wild_per_ml: float,
                          design: AssayDesign) -> float:
    """P(R >= threshold): the probability that one sample calls the variant."""
    from scipy import stats  # noqa: PLC0415

    q, weight = _mixture(mutant_per_ml, wild_per_ml, design)
    return float(weight @ stats.binom.sf(design.threshold - 1, design.depth, q))


def specificity(normal_per_ml: float, design: AssayDesign, ch_vaf: float = 0.0) -> float:
    """1 - P(call) for a sample without tumour DNA: normal cell-free DNA at ``normal_per_ml``
    genome copies per ml, a fraction ``ch_vaf`` of them carrying the variant (clonal
    haematopoiesis; 0: none)."""
    return 1.0 - detection_probability(ch_vaf * normal_per_ml, (1.0 - ch_vaf) * normal_per_ml,
                                       design)


def limit_of_detection(normal_per_ml: float, design: AssayDesign,
                       probability: float = 0.95) -> float:
    """The variant allele fraction in plasma (variant copies / all copies of the position,
    tumour DNA added to ``normal_per_ml`` of normal DNA) that one sample calls with
    ``probability``: bisection to a relative 1e-6 (the detection probability increases with
    the fraction)."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability: must be in (0, 1), got {probability!r}")

    def detect(vaf: float) -> float:
        mutant = vaf * normal_per_ml / (1.0 - vaf)  # variant copies added to the normal ones
        return detection_probability(mutant, normal_per_ml, design)

    lo, hi = 0.0, 0.5
    if detect(hi) < probability:
        raise ValueError(f"the assay does not reach a detection probability of {probability} "
                         "at any allele fraction up to 0.5")
    while hi - lo > 1e-6 * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if detect(mid) < probability else (lo, mid)
    return hi


def assay_line(scenario_yaml: str | None) -> str | None:
    """One line with the operating characteristics of a scenario's ctDNA assay (the YAML of a
    dataset's ``scenario`` attribute), or None without an assay: its limit of detection (the
    allele fraction called in 95 % of samples) and its specificity per variant and sample."""
    import yaml  # noqa: PLC0415

    try:
        ctdna = ((yaml.safe_load(scenario_yaml or "") or {}).get("monitoring") or {}).get("ctdna")
    except yaml.YAMLError:
        return None
    if not isinstance(ctdna, dict) or not isinstance(ctdna.get("assay"), dict):
        return None
    assay = ctdna["assay"]

    def number(name: str, default: float) -> float:
        value = assay.get(name, default)
        return float(value) if isinstance(value, int | float) else float("nan")

    design = AssayDesign(tube_ml=number("tube", 4.0), depth=int(ctdna.get("depth", 1000)),
                         error_rate=number("error_rate", 1e-5),
                         threshold=int(ctdna.get("threshold", 3)))
    normal = number("normal_cfdna", 1500.0)
    lod = limit_of_detection(normal, design)
    spec = specificity(normal, design, ch_vaf=number("ch_vaf", 0.0))
    return (f"ctDNA assay         limit of detection {lod:.2e} allele fraction (called in 95 % "
            f"of samples), specificity {spec:.6f} per variant and sample")
