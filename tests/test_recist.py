"""RECIST 1.1 response evaluation (``gpu_engine/recist.py`` and its twin ``cuda/recist.cuh``).

* Worked cases, written out by hand, for every rule: the nadir as the reference of PD, the
  5 mm absolute increase, the exact 30 % and 20 % boundaries, new lesions, CR, confirmation
  of PR and CR, the minimum time for SD, the duration of response with and without PD.
* The CUDA header built for the host (``tests/cuda/host_recist.cu``, the project's host flags)
  against numpy on those cases and on 10,000 random visit sequences per parameter set (fixed
  seed): codes, days, durations and every field of the final states, bit for bit.
* The header's device code, instantiated by a kernel that calls every function: nvcc (sm_80)
  and NVRTC where present, and the host compiler in the simulated NVRTC environment of
  ``test_cuda_compile`` (no standard header).
"""

from __future__ import annotations

import ctypes
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sampler_checks import contiguous, pointer
from test_cuda_compile import NVRTC_PRELUDE

from oncosweep.gpu_engine import cuda_build
from oncosweep.gpu_engine import recist as rc
from oncosweep.gpu_engine.recist import CR, NE, PD, PR, SD

HARNESS = Path(__file__).parent / "cuda" / "host_recist.cu"
NAN = math.nan

needs_cxx = pytest.mark.skipif(
    cuda_build.host_compiler() is None,
    reason="no host C++ compiler (g++ / c++ / clang++ on PATH, or ONCOSWEEP_CXX) to build "
    "cuda/recist.cuh for the CPU",
)

# --------------------------------------------------------------------------------------------
# Worked cases: (name, visits, expected codes, expected best, keyword options). A visit is
# (day, sum_mm) or (day, sum_mm, flags) with flags "n" (new lesion) and / or "g" (all gone).
# best = (response, response_day, duration, event, pd_day).
# --------------------------------------------------------------------------------------------

CASES = [
    # the nadir is the reference of PD: 100 -> 50 (PR) -> 61 = +22 % and +11 mm over the nadir
    # 50, though still 39 % below the baseline: PD. PR unconfirmed; SD met on day 42.
    ("nadir_reference", [(0, 100), (42, 50), (84, 61)], [NE, PR, PD], (SD, NAN, NAN, 0, 84)),
    # ... and 60 (+20 %, +10 mm) is PD exactly at the boundary, 59 (+18 %) is not
    ("nadir_boundary", [(0, 100), (42, 50), (84, 60)], [NE, PR, PD], (SD, NAN, NAN, 0, 84)),
    ("nadir_below", [(0, 100), (42, 50), (84, 59)], [NE, PR, PR], (PR, 42, 42, 0, NAN)),
    # the 5 mm absolute rule: +20 % of a 10 mm nadir is 2 mm: SD; 12 -> 15 (+25 %, 3 mm): SD;
    # 25 -> 30 (+20 % and +5 mm exactly): PD; +5 mm but +19 % (100 -> 119) is SD, 120 PD
    ("abs_10_12", [(0, 10), (42, 12)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    ("abs_12_15", [(0, 12), (42, 15)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    ("abs_25_30", [(0, 25), (42, 30)], [NE, PD], (PD, NAN, NAN, 0, 42)),
    ("abs_25_29", [(0, 25), (42, 29)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    ("rel_100_119", [(0, 100), (42, 119)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    ("rel_100_120", [(0, 100), (42, 120)], [NE, PD], (PD, NAN, NAN, 0, 42)),
    # a small nadir: 10 -> 6 (PR) -> 11: +83 % and +5 mm over the nadir: PD
    ("small_nadir", [(0, 10), (42, 6), (84, 11)], [NE, PR, PD], (SD, NAN, NAN, 0, 84)),
    # exactly 30 % less is PR (also 90 -> 63, where 0.7 * 90 < 63 in doubles); 29.9 % is SD
    ("pr_exact_100", [(0, 100), (42, 70)], [NE, PR], (SD, NAN, NAN, 0, NAN)),
    ("pr_exact_90", [(0, 90), (42, 63), (70, 63)], [NE, PR, PR], (PR, 42, 28, 0, NAN)),
    ("pr_29_9", [(0, 1000), (42, 701)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    ("pr_29_9_frac", [(0, 100), (42, 70.1)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    # a new lesion is PD whatever the sums: shrinking, or every target lesion gone
    ("new_lesion", [(0, 100), (42, 50, "n")], [NE, PD], (PD, NAN, NAN, 0, 42)),
    ("new_lesion_all_gone", [(0, 100), (42, 0, "ng")], [NE, PD], (PD, NAN, NAN, 0, 42)),
    ("new_after_pr", [(0, 100), (42, 60), (70, 40, "n")], [NE, PR, PD], (SD, NAN, NAN, 0, 70)),
    # CR when every target lesion is gone (the sum is then taken as 0, whatever was passed)
    ("cr", [(0, 30), (42, 0, "g")], [NE, CR], (SD, NAN, NAN, 0, NAN)),
    ("cr_sum_ignored", [(0, 30), (42, 12, "g"), (70, 0, "g")], [NE, CR, CR],
     (CR, 42, 28, 0, NAN)),
    # confirmation: PR then SD is unconfirmed (best SD, met on day 42) ...
    ("pr_then_sd", [(0, 100), (42, 65), (84, 72)], [NE, PR, SD], (SD, NAN, NAN, 0, NAN)),
    # ... PR then PR 27 days later is unconfirmed, 28 days later confirmed (censored DoR)
    ("pr_pr_27", [(0, 100), (42, 60), (69, 60)], [NE, PR, PR], (SD, NAN, NAN, 0, NAN)),
    ("pr_pr_28", [(0, 100), (42, 60), (70, 60)], [NE, PR, PR], (PR, 42, 28, 0, NAN)),
    # ... PR then CR confirms the PR (the CR itself unconfirmed)
    ("pr_then_cr", [(0, 100), (42, 60), (70, 0, "g")], [NE, PR, CR], (PR, 42, 28, 0, NAN)),
    # ... CR then CR 28 days later: confirmed CR; 27 days: neither CR nor PR confirmed
    ("cr_cr", [(0, 50), (42, 0, "g"), (70, 0, "g")], [NE, CR, CR], (CR, 42, 28, 0, NAN)),
    ("cr_cr_27", [(0, 50), (42, 0, "g"), (69, 0, "g")], [NE, CR, CR], (SD, NAN, NAN, 0, NAN)),
    # ... CR then PR 28 days later confirms a PR (the CR reread as a PR, Table 3 footnote)
    ("cr_then_pr", [(0, 50), (42, 0, "g"), (70, 3)], [NE, CR, PR], (PR, 42, 28, 0, NAN)),
    # ... visits every 14 days: the run's first visit is the response day
    ("pr_run", [(0, 100), (28, 60), (42, 62), (56, 58)], [NE, PR, PR, PR],
     (PR, 28, 28, 0, NAN)),
    # ... a broken run starts again: PR, SD, PR, PR (28 days): confirmed from the second run
    ("pr_rerun", [(0, 100), (28, 69), (56, 71), (84, 69), (112, 68)], [NE, PR, SD, PR, PR],
     (PR, 84, 28, 0, NAN)),
    # ... a confirmed PR then a confirmed CR: best CR, response day the PR's first visit
    ("pr_to_cr", [(0, 100), (28, 60), (56, 0, "g"), (84, 0, "g")], [NE, PR, CR, CR],
     (CR, 28, 56, 0, NAN)),
    # SD must be met >= 42 days after the baseline, else NE; then PD (Table 3: PR, PD -> PD)
    ("sd_41", [(0, 100), (41, 95)], [NE, SD], (NE, NAN, NAN, 0, NAN)),
    ("sd_42", [(0, 100), (42, 95)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    ("sd_then_pd", [(0, 100), (28, 95), (56, 130)], [NE, SD, PD], (PD, NAN, NAN, 0, 56)),
    ("pr_early_pd", [(0, 100), (28, 60), (49, 80)], [NE, PR, PD], (PD, NAN, NAN, 0, 49)),
    ("first_pd", [(0, 100), (63, 140)], [NE, PD], (PD, NAN, NAN, 0, 63)),
    ("baseline_only", [(0, 100)], [NE], (NE, NAN, NAN, 0, NAN)),
    # days are compared by differences: a baseline on day -7 meets SD on day 35
    ("baseline_before_start", [(-7, 100), (35, 95)], [NE, SD], (SD, NAN, NAN, 0, NAN)),
    # duration of response ended by PD (event) ...
    ("dor_pd", [(0, 100), (42, 60), (84, 60), (126, 50), (168, 70)], [NE, PR, PR, PR, PD],
     (PR, 42, 126, 1, 168)),
    # ... a CR, then a lesion back (>= 5 mm over a nadir of 0): PD
    ("dor_cr_pd", [(0, 50), (42, 0, "g"), (84, 0, "g"), (126, 5)], [NE, CR, CR, PD],
     (CR, 42, 84, 1, 126)),
    # ... censored at the last visit
    ("dor_censored", [(0, 100), (42, 60), (84, 55), (126, 58)], [NE, PR, PR, PR],
     (PR, 42, 84, 0, NAN)),
    # evaluation stops at the first PD: later shrinkage stays PD, the state is frozen
    ("pd_absorbs", [(0, 100), (42, 130), (84, 50), (126, 0, "g")], [NE, PD, PD, PD],
     (PD, NAN, NAN, 0, 42)),
    # confirm_days = 0: no confirmation (randomised trials, section 4.6.1)
    ("no_confirmation", [(0, 100), (42, 60)], [NE, PR], (PR, 42, 0, 0, NAN),
     {"confirm_days": 0.0}),
    ("min_sd_56", [(0, 100), (42, 95), (56, 95)], [NE, SD, SD], (SD, NAN, NAN, 0, NAN),
     {"min_sd_days": 56.0}),
    ("min_sd_56_short", [(0, 100), (42, 95), (55, 95)], [NE, SD, SD], (NE, NAN, NAN, 0, NAN),
     {"min_sd_days": 56.0}),
]


def _case(case):
    name, visits, codes, best, *opts = case
    days = np.array([v[0] for v in visits], dtype=float)
    sums = np.array([v[1] for v in visits], dtype=float)
    flags = [v[2] if len(v) > 2 else "" for v in visits]
    new = np.array(["n" in f for f in flags])
    gone = np.array(["g" in f for f in flags])
    return name, days, sums, new, gone, codes, best, (opts[0] if opts else {})


def _assert_best(got: rc.BestResponse, want, row: int = 0) -> None:
    values = [got.response[row], got.response_day[row], got.duration[row], got.event[row],
              got.pd_day[row]]  # fmt: skip
    names = ["response", "response_day", "duration", "event", "pd_day"]
    for name, g, w in zip(names, values, want, strict=True):
        same = math.isnan(g) if isinstance(w, float) and math.isnan(w) else g == w
        assert same, f"{name}: got {g}, want {w}"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_worked_case(case):
    _, days, sums, new, gone, codes, best, opts = _case(case)
    got_codes, got_best = rc.evaluate_visits(np, sums[None], new[None], gone[None], days, **opts)
    assert got_codes[0].tolist() == codes, [rc.NAMES[int(c)] for c in got_codes[0]]
    _assert_best(got_best, best)


def test_ne_codes_neither_confirm_nor_break():
    # an NE visit after the baseline (a missed or unreadable scan) is skipped
    codes = [[NE, PR, NE, PR], [NE, PR, SD, PR], [NE, NE, NE, NE]]
    best = rc.best_overall_response(np, codes, [0.0, 42.0, 56.0, 70.0])
    assert best.response.tolist() == [PR, SD, NE]
    assert best.response_day[0] == 42.0 and best.duration[0] == 28.0
    assert np.isnan(best.response_day[1:]).all()


def test_state_updates():
    state = rc.RecistState.empty(np, 2)
    assert rc.recist_visit(np, state, [100.0, 40.0], False, False).tolist() == [NE, NE]
    assert rc.recist_visit(np, state, [60.0, 50.0], False, [False, False]).tolist() == [PR, PD]
    assert state.baseline.tolist() == [100.0, 40.0] and state.nadir.tolist() == [60.0, 40.0]
    assert state.progressed.tolist() == [0, 1] and state.visits.tolist() == [2, 2]
    # lanes: only lane 0 visits; lane 1 (progressed) keeps its frozen state
    assert rc.recist_visit(np, state, [55.0], [False], [False], lanes=[0]).tolist() == [PR]
    assert state.nadir.tolist() == [55.0, 40.0] and state.visits.tolist() == [3, 2]
    part = state.select([1])
    assert rc.recist_visit(np, part, 10.0, False, True).tolist() == [PD]
    state.assign([1], part)
    assert state.nadir.tolist() == [55.0, 40.0] and state.visits.tolist() == [3, 3]


def test_thresholds_are_exact_for_whole_millimetres():
    # every exact 30 % decrease and every exact 20 % (>= 5 mm) increase of a whole-mm sum
    # is on the response side; one millimetre less is not
    base = np.arange(10, 100_001, 10, dtype=float)
    state = rc.RecistState.empty(np, base.size)
    rc.recist_visit(np, state, base, False, False)
    assert (rc.recist_visit(np, state.select(slice(None)), base * 7 // 10, False,
                            False) == PR).all()  # fmt: skip
    assert (rc.recist_visit(np, state.select(slice(None)), base * 7 // 10 + 1, False,
                            False) == SD).all()  # fmt: skip
    nadir = np.arange(25, 100_001, 5, dtype=float)
    state = rc.RecistState.empty(np, nadir.size)
    rc.recist_visit(np, state, nadir, False, False)
    assert (rc.recist_visit(np, state.select(slice(None)), nadir * 6 // 5, False, False)
            == PD).all()  # fmt: skip
    assert (rc.recist_visit(np, state.select(slice(None)), nadir * 6 // 5 - 1, False, False)
            == SD).all()  # fmt: skip
    # the decimal form would not do: 0.7 * 90 < 63
    assert 63.0 > 0.7 * 90.0


# --------------------------------------------------------------------------------------------
# The CUDA twin on the host
# --------------------------------------------------------------------------------------------


class Host:
    """ctypes wrappers over tests/cuda/host_recist.cu."""

    def __init__(self) -> None:
        self.lib = cuda_build.build_host_library(str(HARNESS))

    def constants(self) -> np.ndarray:
        out = np.empty(11)
        self.lib.os_host_recist_constants(pointer(out))
        return out

    def run(self, n_visits, sums, new, gone, days, confirm_days, min_sd_days):
        count, width = sums.shape
        ins = [contiguous(n_visits, np.int64), contiguous(sums, np.float64),
               contiguous(new, np.uint8), contiguous(gone, np.uint8),
               contiguous(days, np.float64)]  # fmt: skip
        codes = np.empty((count, width), dtype=np.int64)
        response, event = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
        response_day, duration, pd_day = np.empty(count), np.empty(count), np.empty(count)
        state_f, state_i = np.empty((count, 2)), np.empty((count, 2), dtype=np.int64)
        best_f, best_i = np.empty((count, 6)), np.empty((count, 7), dtype=np.int64)
        self.lib.os_host_recist_run(
            ctypes.c_int64(count), ctypes.c_int64(width), *map(pointer, ins),
            ctypes.c_double(confirm_days), ctypes.c_double(min_sd_days),
            *map(pointer, (codes, response, response_day, duration, event, pd_day, state_f,
                           state_i, best_f, best_i)))  # fmt: skip
        best = rc.BestResponse(response, response_day, duration, event, pd_day)
        return codes, best, (state_f, state_i, best_f, best_i)

    def best_defaults(self, codes, days) -> np.ndarray:
        codes, days = contiguous(codes, np.int64), contiguous(days, np.float64)
        out = np.empty(5)
        self.lib.os_host_recist_best_defaults(ctypes.c_int64(codes.size), pointer(codes),
                                              pointer(days), pointer(out))  # fmt: skip
        return out


@pytest.fixture(scope="module")
def host() -> Host:
    if cuda_build.host_compiler() is None:
        pytest.skip("no host C++ compiler (g++ / c++ / clang++ on PATH, or ONCOSWEEP_CXX) to "
                    "build cuda/recist.cuh for the CPU")
    return Host()


def numpy_run(n_visits, sums, new, gone, days, confirm_days, min_sd_days):
    """The numpy twin over ragged sequences (the ``lanes`` path): what Host.run returns."""
    count, width = sums.shape
    state = rc.RecistState.empty(np, count)
    best = rc.RecistBest.empty(np, count)
    codes = np.full((count, width), -1, dtype=np.int64)
    for v in range(width):
        (lanes,) = np.nonzero(n_visits > v)
        code = rc.recist_visit(np, state, sums[lanes, v], new[lanes, v], gone[lanes, v],
                               lanes=lanes)  # fmt: skip
        codes[lanes, v] = code
        rc.recist_best_update(np, best, code, days[lanes, v], confirm_days, min_sd_days,
                              lanes=lanes)  # fmt: skip
    state_f = np.stack([state.baseline, state.nadir], axis=1)
    state_i = np.stack([state.visits, state.progressed], axis=1)
    best_f = np.stack([best.baseline_day, best.last_day, best.pr_start, best.cr_start,
                       best.response_day, best.pd_day], axis=1)  # fmt: skip
    best_i = np.stack([best.visits, best.pr_run, best.cr_run, best.confirmed_pr,
                       best.confirmed_cr, best.sd_met, best.progressed], axis=1)  # fmt: skip
    return codes, rc.recist_best_finish(np, best), (state_f, state_i, best_f, best_i)


def assert_bitwise(got, want, label: str) -> None:
    """Equal arrays; floats compared by their bits (NaN == NaN, 0.0 != -0.0)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, label
    if got.dtype == np.float64:
        got, want = got.view(np.int64), want.view(np.int64)
    bad = np.argwhere(got != want)
    assert bad.size == 0, f"{label}: {len(bad)} differ, first at {bad[:5].tolist()}"


def assert_twins(host_out, numpy_out) -> None:
    (hc, hb, hs), (nc, nb, ns) = host_out, numpy_out
    assert_bitwise(hc, nc, "codes")
    for name in rc.BestResponse._fields:
        assert_bitwise(getattr(hb, name), getattr(nb, name), name)
    for label, h, n in zip(["state_f", "state_i", "best_f", "best_i"], hs, ns, strict=True):
        assert_bitwise(h, n, label)


@needs_cxx
def test_host_constants(host):
    assert host.constants().tolist() == [NE, CR, PR, SD, PD, rc.RATIO_SCALE, rc.PR_MAX_TENTHS,
                                         rc.PD_MIN_TENTHS, rc.PD_MIN_INCREASE_MM,
                                         rc.CONFIRM_DAYS, rc.MIN_SD_DAYS]  # fmt: skip


def _pack(cases):
    """Ragged worked cases as padded (count, width) arrays."""
    parsed = [_case(c) for c in cases]
    width = max(p[1].size for p in parsed)
    count = len(parsed)
    n_visits = np.array([p[1].size for p in parsed], dtype=np.int64)
    days, sums = np.zeros((count, width)), np.zeros((count, width))
    new, gone = np.zeros((count, width), bool), np.zeros((count, width), bool)
    for r, (_, d, s, nw, g, *_rest) in enumerate(parsed):
        k = d.size
        days[r, :k], sums[r, :k], new[r, :k], gone[r, :k] = d, s, nw, g
    return parsed, n_visits, sums, new, gone, days


@needs_cxx
@pytest.mark.parametrize("opts", [{}, {"confirm_days": 0.0}, {"min_sd_days": 56.0}],
                         ids=["default", "confirm_0", "min_sd_56"])
def test_host_worked_cases(host, opts):
    chosen = [c for c in CASES if (c[4] if len(c) > 4 else {}) == opts]
    parsed, n_visits, sums, new, gone, days = _pack(chosen)
    params = (opts.get("confirm_days", rc.CONFIRM_DAYS), opts.get("min_sd_days", rc.MIN_SD_DAYS))
    got = host.run(n_visits, sums, new, gone, days, *params)
    assert_twins(got, numpy_run(n_visits, sums, new, gone, days, *params))
    for r, p in enumerate(parsed):
        assert got[0][r, : p[1].size].tolist() == p[5], p[0]
        _assert_best(got[1], p[6], r)


@needs_cxx
def test_host_default_arguments(host):
    # the header's default confirm_days / min_sd_days are the Python defaults
    for codes, days in [([NE, PR, PR], [0.0, 42.0, 70.0]), ([NE, PR, PR], [0.0, 42.0, 69.0]),
                        ([NE, SD, PD], [0.0, 41.0, 80.0]), ([NE, PR, NE, PR, PD],
                                                            [0.0, 42.0, 56.0, 70.0, 99.0])]:
        want = rc.best_overall_response(np, [codes], days)
        got = host.best_defaults(codes, days)
        assert_bitwise(got, np.array([float(want.response[0]), want.response_day[0],
                                      want.duration[0], float(want.event[0]),
                                      want.pd_day[0]]), str(codes))  # fmt: skip


def random_sequences(seed: int, count: int = 10_000, width: int = 16):
    """Visit sequences that hit every rule and boundary often: whole-mm sums moved by factors
    that land on the 30 % / 20 % boundaries (with 5 mm steps around small nadirs), a quarter
    of them with continuous noise instead; CR, re-growth, new lesions; integer days with gaps
    around 28 and 42, or days of a fractional step (it * dt)."""
    g = np.random.default_rng(seed)
    n_visits = g.integers(1, width + 1, count)
    factors = np.array([0.5, 0.7, 0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.2, 1.25, 1.5])
    sums = np.empty((count, width))
    sums[:, 0] = g.choice([10.0, 12.0, 25.0, 30.0, 50.0, 63.0, 90.0, 100.0, 150.0], count)
    noisy = g.random(count) < 0.25
    for v in range(1, width):
        step = g.choice(factors, count) * sums[:, v - 1] + g.choice([0.0, 0.0, -5.0, 5.0], count)
        whole = np.round(step)
        cont = step * np.exp(0.1 * g.standard_normal(count))
        sums[:, v] = np.maximum(np.where(noisy, cont, whole), 5.0)  # the caller's 5 mm rule
    gone = g.random((count, width)) < 0.06
    for v in range(1, width):  # a complete response tends to last (confirmed CRs)
        gone[:, v] |= gone[:, v - 1] & (g.random(count) < 0.7)
    sums = np.where(gone & (g.random((count, width)) < 0.8), 0.0, sums)  # mostly 0 when gone
    new = g.random((count, width)) < 0.03
    gaps = g.choice([7.0, 14.0, 21.0, 27.0, 28.0, 29.0, 35.0, 41.0, 42.0, 43.0, 56.0],
                    (count, width))  # fmt: skip
    days = np.cumsum(gaps, axis=1) - gaps[:, :1] + g.integers(-14, 1, (count, 1))
    steps = np.cumsum(g.integers(50, 600, (count, width)), axis=1)
    fractional = g.random(count) < 0.3
    days = np.where(fractional[:, None], steps * 0.1, days)  # it * dt, dt = 0.1 day
    return n_visits, sums, new, gone, days


@needs_cxx
@pytest.mark.parametrize(("confirm_days", "min_sd_days"), [(28.0, 42.0), (0.0, 56.0),
                                                           (27.9, 41.7)])
def test_host_equals_numpy_on_random_sequences(host, confirm_days, min_sd_days):
    n_visits, sums, new, gone, days = random_sequences(20240611 + int(min_sd_days * 10))
    got = host.run(n_visits, sums, new, gone, days, confirm_days, min_sd_days)
    want = numpy_run(n_visits, sums, new, gone, days, confirm_days, min_sd_days)
    assert_twins(got, want)
    # the sequences exercise every outcome
    codes = want[0][want[0] >= 0]
    assert np.bincount(codes, minlength=5).min() >= 1000
    counts = np.bincount(want[1].response, minlength=5)
    assert counts.min() >= 300, counts
    assert 100 <= want[1].event.sum() and (want[1].event == 0).sum() >= 100


# --------------------------------------------------------------------------------------------
# Device code: every function instantiated in a kernel
# --------------------------------------------------------------------------------------------

EXERCISE = """#include "recist.cuh"
extern "C" __global__ void os_stub(const double* in, int64_t* code, double* out) {
    OsRecistState s;
    s.reset();
    OsRecistBest b;
    b.reset();
    for (int v = 0; v < 4; ++v) {
        code[v] = os_recist_visit(&s, in[v], in[4 + v] != 0.0, in[8 + v] != 0.0);
        os_recist_best_update(&b, code[v], in[12 + v], in[16], in[17]);
        os_recist_best_update(&b, code[v], in[12 + v]);
    }
    code[4] = os_recist_best_response(&b) + os_recist_best_event(&b) + s.visits + s.progressed;
    out[0] = os_recist_best_response_day(&b) + os_recist_best_duration(&b)
             + os_recist_best_pd_day(&b) + s.baseline + s.nadir + OS_RECIST_TENTHS
             + OS_RECIST_PR_MAX_TENTHS + OS_RECIST_PD_MIN_TENTHS + OS_RECIST_PD_MIN_MM
             + OS_RECIST_CONFIRM_DAYS + OS_RECIST_MIN_SD_DAYS + OS_RECIST_NE + OS_RECIST_CR
             + OS_RECIST_PR + OS_RECIST_SD + OS_RECIST_PD;
}
"""


@pytest.mark.skipif(cuda_build.nvcc_path() is None, reason="nvcc not found (PATH, CUDA_HOME, "
                    "CUDA_PATH, /usr/local/cuda, ONCOSWEEP_NVCC)")
def test_device_code_compiles_with_nvcc(tmp_path):
    path = tmp_path / "recist_stub.cu"
    path.write_text(EXERCISE)
    ptx = cuda_build.compile_with_nvcc(path, arch="sm_80", output_dir=tmp_path, mode="--ptx")
    text = ptx.read_text()
    assert ".entry os_stub" in text and "fma." not in text


@pytest.mark.skipif(cuda_build.nvrtc_library() is None, reason="libnvrtc not found (install "
                    "nvidia-cuda-nvrtc-cu12 or set ONCOSWEEP_NVRTC)")
def test_device_code_compiles_with_nvrtc():
    ptx = cuda_build.compile_with_nvrtc("recist_stub.cu", code=EXERCISE)
    assert ".entry os_stub" in ptx


@needs_cxx
def test_header_needs_no_standard_library_under_simulated_nvrtc(tmp_path):
    prelude = tmp_path / "nvrtc_prelude.h"
    prelude.write_text(NVRTC_PRELUDE)
    src = tmp_path / "check.cpp"
    src.write_text(EXERCISE)
    cmd = [cuda_build.host_compiler(), "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra",
           "-Werror", "-nostdinc", "-nostdinc++", "-D__CUDACC__", "-D__CUDACC_RTC__",
           "-D__CUDA_ARCH__=800", "-Wno-unused-parameter", "-Wno-unknown-pragmas", "-include",
           str(prelude), "-I", str(cuda_build.CUDA_DIR), str(src)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
