"""The ctDNA assay model (gpu_engine/ctdna_assay.py, cuda/ctdna_assay.cuh) against its exact
Poisson-binomial theory (analysis/assay.py), and the numpy and host-built CUDA copies tied draw
for draw.

Tolerances: detection and false-call frequencies within 4 standard errors of the theory
(binomial SE sqrt(p (1 - p) / n)); the read distribution by a grouped chi-square test with a
p-value floor of 1e-3, and its mean within 4 SE. Seeds are fixed, so every check is
deterministic.
"""

from __future__ import annotations

import ctypes
import math
from pathlib import Path

import numpy as np
import pytest
from sampler_checks import contiguous, grouped_chisq_pvalue, pointer
from scipy import stats

from oncosweep.analysis import assay
from oncosweep.gpu_engine import cuda_build, rng
from oncosweep.gpu_engine.clinic import EVENT_CTDNA_BASE
from oncosweep.gpu_engine.ctdna_assay import (
    EVENT_ASSAY_MUTANT_BASE,
    EVENT_ASSAY_WILD_BASE,
    assay_reads,
)

HARNESS = Path(__file__).parent / "cuda" / "host_ctdna_assay.cu"
KEY = rng.make_key(2026, 12)
STEP = 448
# a plasma of 1500 normal genome copies per ml (about 5 ng/ml of cell-free DNA), 4 ml per tube
NORMAL = 1500.0
DESIGN = assay.AssayDesign(tube_ml=4.0, depth=5000, error_rate=1e-4, threshold=3)
SAMPLES = 20_000


def _draw(mutant_per_ml: float, wild_per_ml: float, design: assay.AssayDesign, *,
          variant: int = 0, n: int = SAMPLES) -> np.ndarray:
    real = np.arange(n, dtype=np.uint64)
    var = np.full(n, variant)
    return assay_reads(np, KEY, STEP, real, var, EVENT_CTDNA_BASE, np.full(n, mutant_per_ml),
                       np.full(n, wild_per_ml), tube_ml=design.tube_ml, depth=design.depth,
                       error_rate=design.error_rate)


def _plasma(vaf: float) -> tuple[float, float]:
    """(variant, wild-type) copies per ml for a variant allele fraction ``vaf`` of the tumour
    DNA added to the normal plasma."""
    mutant = vaf * NORMAL / (1.0 - vaf)
    return mutant, NORMAL


def _within(hits: int, n: int, p: float, sds: float = 4.0) -> bool:
    se = math.sqrt(max(p * (1.0 - p), 1e-12) / n)
    return abs(hits / n - p) <= sds * se


@pytest.mark.parametrize("vaf", [2e-4, 5e-4, 1e-3])
def test_detection_probability_equals_the_poisson_binomial_theory(vaf: float) -> None:
    mutant, wild = _plasma(vaf)
    reads = _draw(mutant, wild, DESIGN)
    p = assay.detection_probability(mutant, wild, DESIGN)
    assert 0.05 < p < 0.999  # a fraction where detection is uncertain: the test can fail
    hits = int(np.sum(reads >= DESIGN.threshold))
    assert _within(hits, SAMPLES, p), (vaf, hits / SAMPLES, p)


@pytest.mark.parametrize("vaf", [5e-4, 3e-3])
def test_read_and_allele_fraction_distribution_equal_the_theory(vaf: float) -> None:
    mutant, wild = _plasma(vaf)
    reads = _draw(mutant, wild, DESIGN)
    top = int(reads.max()) + 20
    pmf = assay.read_distribution(mutant, wild, DESIGN, max_reads=top)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    cells = pmf.copy()
    cells[-1] += max(0.0, 1.0 - pmf.sum())
    assert grouped_chisq_pvalue(reads, 0, top, cells) > 1e-3
    r = np.arange(top + 1)
    mean = float(r @ pmf)
    sd = math.sqrt(float((r - mean) ** 2 @ pmf))
    measured_vaf = reads / DESIGN.depth
    assert abs(measured_vaf.mean() - mean / DESIGN.depth) <= 4 * sd / DESIGN.depth / math.sqrt(
        SAMPLES)


@pytest.mark.parametrize(("error_rate", "ch_vaf"), [(3e-4, 0.0), (1e-4, 2e-4)])
def test_specificity_without_tumour_equals_the_error_model(error_rate: float,
                                                           ch_vaf: float) -> None:
    """Without tumour DNA only sequencing errors (and a clonal-haematopoiesis clone carrying
    the variant) make calls; error rates large enough for false calls to be counted."""
    design = assay.AssayDesign(tube_ml=4.0, depth=5000, error_rate=error_rate, threshold=3)
    reads = _draw(ch_vaf * NORMAL, (1.0 - ch_vaf) * NORMAL, design)
    false_rate = 1.0 - assay.specificity(NORMAL, design, ch_vaf=ch_vaf)
    assert 0.01 < false_rate < 0.99
    if ch_vaf == 0.0:  # errors alone: the binomial tail at the error rate (W > 0 surely)
        assert false_rate == pytest.approx(float(stats.binom.sf(2, 5000, error_rate)),
                                           rel=1e-9)
    hits = int(np.sum(reads >= design.threshold))
    assert _within(hits, SAMPLES, false_rate), (hits / SAMPLES, false_rate)


def test_limit_of_detection_is_where_the_detection_probability_reaches_its_level() -> None:
    lod = assay.limit_of_detection(NORMAL, DESIGN, probability=0.95)
    mutant, wild = _plasma(lod)
    assert assay.detection_probability(mutant, wild, DESIGN) == pytest.approx(0.95, abs=1e-4)
    # below it, less; a deeper assay with more plasma detects lower fractions
    lower = _plasma(0.5 * lod)
    assert assay.detection_probability(*lower, DESIGN) < 0.95
    deeper = assay.AssayDesign(tube_ml=8.0, depth=20_000, error_rate=1e-4, threshold=3)
    assert assay.limit_of_detection(NORMAL, deeper) < lod


def test_no_copies_in_the_tube_gives_no_reads() -> None:
    reads = _draw(0.0, 0.0, DESIGN, n=100)
    assert np.all(reads == 0)


def test_design_errors_name_the_field() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        assay.AssayDesign(tube_ml=4.0, depth=100, error_rate=0.7, threshold=3)
    with pytest.raises(ValueError, match="threshold"):
        assay.AssayDesign(tube_ml=4.0, depth=2, error_rate=0.0, threshold=3)


@pytest.mark.skipif(cuda_build.host_compiler() is None, reason="no host C++ compiler")
def test_numpy_and_the_host_built_cuda_source_draw_the_same_reads() -> None:
    lib = cuda_build.build_host_library(str(HARNESS))
    gen = np.random.default_rng(7)
    n = 6000
    real = gen.integers(0, 2**40, n).astype(np.uint64)
    variant = gen.integers(0, 8, n)
    mutant = np.where(gen.random(n) < 0.2, 0.0, 10.0 ** gen.uniform(-3, 3, n))
    wild = np.where(gen.random(n) < 0.02, 0.0, 10.0 ** gen.uniform(0, 5, n))
    for error_rate, depth in ((0.0, 1000), (1e-4, 30_000), (0.01, 50)):
        want = assay_reads(np, KEY, STEP, real, variant, EVENT_CTDNA_BASE, mutant, wild,
                           tube_ml=4.0, depth=depth, error_rate=error_rate)

        def slots(base: int) -> np.ndarray:
            return contiguous([rng.slot(rng.RESERVED_CELL_TYPE, base + int(v))
                               for v in variant], np.uint32)

        ins = [contiguous(real, np.uint64), slots(EVENT_ASSAY_MUTANT_BASE),
               slots(EVENT_ASSAY_WILD_BASE), slots(EVENT_CTDNA_BASE),
               contiguous(mutant, np.float64), contiguous(wild, np.float64)]
        got = np.empty(n, dtype=np.int64)
        lib.os_host_assay_reads(ctypes.c_int64(n), ctypes.c_uint32(KEY[0]),
                                ctypes.c_uint32(KEY[1]), ctypes.c_uint32(STEP),
                                *map(pointer, ins), ctypes.c_double(4.0),
                                ctypes.c_int64(depth), ctypes.c_double(error_rate),
                                pointer(got))
        np.testing.assert_array_equal(got, want)


def test_the_scenario_lowers_the_assay_and_refuses_the_simple_model_beside_it() -> None:
    from oncosweep import Scenario  # noqa: PLC0415
    from oncosweep.gpu_engine.compile import compile_scenario  # noqa: PLC0415
    from oncosweep.scenario import ScenarioError  # noqa: PLC0415

    config = Path(__file__).resolve().parents[1] / "configs" / "ctdna_monitoring.yaml"
    base = Scenario.from_yaml(config)
    scenario = base.with_parameters({"monitoring.ctdna.assay": {"shedding": 2e-4,
                                                                "half_life": 0.05}})
    model = compile_scenario(scenario, "ctdna_switch")
    # steady state: shedding x deaths per day / (ln 2 / half-life x plasma volume)
    assert model.ctdna_assay
    assert model.assay_shed == pytest.approx(2e-4 * 0.05 / (math.log(2) * 3000.0), rel=1e-15)
    assert (model.assay_normal, model.assay_tube) == (1500.0, 4.0)
    assert not compile_scenario(base, "ctdna_switch").ctdna_assay
    with pytest.raises(ScenarioError, match=r"monitoring\.ctdna\.shed_per_death.*assay"):
        base.with_parameters({"monitoring.ctdna.assay": {}, "monitoring.ctdna.shed_per_death":
                              3e-5})


def test_the_dataset_records_each_visit_s_measured_allele_fraction() -> None:
    from oncosweep import Scenario, simulate  # noqa: PLC0415

    config = Path(__file__).resolve().parents[1] / "configs" / "ctdna_monitoring.yaml"
    scenario = Scenario.from_yaml(config).with_parameters({
        "monitoring.ctdna.assay": {"shedding": 1.4e-4}, "monitoring.ctdna.depth": 20000,
        "simulation.horizon": 200.0, "trace.realizations": 2})
    ds = simulate(scenario, realizations=3, seed=5, backend="numpy", progress=False,
                  strategy="continuous")
    vaf = ds["ctdna_vaf"]
    assert vaf.dims == ("traced_realization", "visit", "variant")
    assert vaf["variant"].values.tolist() == ["RA", "RB"]
    values = vaf.values[np.isfinite(vaf.values)]
    assert values.size and (values >= 0).all() and (values <= 1).all()
    reads = values * 20000  # reads / depth: whole numbers of reads
    np.testing.assert_allclose(reads, np.round(reads), rtol=0, atol=1e-9)
    assert values.max() > 0  # the RA clone (1e3 cells, resistant) is seen in plasma


def test_the_summary_line_reads_the_assay_s_limit_of_detection_and_specificity() -> None:
    import yaml  # noqa: PLC0415

    text = yaml.safe_dump({"monitoring": {"ctdna": {"depth": 5000, "threshold": 3,
                                                    "assay": {"error_rate": 1e-4}}}})
    line = assay.assay_line(text)
    lod = assay.limit_of_detection(1500.0, DESIGN)  # the defaults: 4 ml, 1500 copies per ml
    assert f"{lod:.2e}" in line
    assert f"{assay.specificity(1500.0, DESIGN):.6f}" in line
    assert assay.assay_line(yaml.safe_dump({"monitoring": {"ctdna": {"depth": 10}}})) is None
    assert assay.assay_line(None) is None
