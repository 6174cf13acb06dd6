"""RECIST 1.1 response evaluation over realizations (the twin of ``cuda/recist.cuh``).

Eisenhauer et al., "New response evaluation criteria in solid tumours: revised RECIST guideline
(version 1.1)", Eur J Cancer 2009;45:228-247 (sections cited below). Target lesions and new
lesions only: non-target lesions and lymph-node short axes are not modelled (docs/recist.md).
Fed by gpu_engine/lesions.py (``monitoring.recist``).

**Time point response** (:func:`recist_visit`; section 4.3.1 for the target lesions, 4.3.5
for new lesions, Table 1 without non-target lesions). Input per visit: ``sum_mm``, the sum of
the longest diameters of the target lesions (mm, >= 0, measured with noise, after the caller's
conversion: a lesion still present but measured below 5 mm counts as 5 mm, a disappeared one
as 0 mm, section 4.3.2), ``new_lesion`` and ``all_gone`` (the sum is then taken as 0). The
first visit is the baseline (code NE; it sets the baseline and nadir sums). Then, in order of
precedence:

* PD: a new lesion, or sum >= 1.2 x nadir AND sum - nadir >= 5 mm, the nadir being the
  smallest sum so far, baseline included;
* CR: every target lesion gone;
* PR: sum <= 0.7 x baseline (a decrease of at least 30 %);
* SD: otherwise.

After the first PD every visit is PD (evaluation stops; the state is frozen).

**Best overall response** (:class:`RecistBest`, :func:`recist_best_update`,
:func:`recist_best_finish`; sections 4.4.3, 4.6.1, 4.6.2 and Table 3), accumulated visit by
visit: a CR/PR is confirmed by a later visit at least ``confirm_days`` after the first visit of
an unbroken run of visits at least as good (CR or PR confirms a PR, CR a CR); SD needs a visit
that is not PD at least ``min_sd_days`` after the baseline (protocol-defined; 6-8 weeks is
usual); evaluation stops at the first PD. Best: confirmed CR > confirmed PR > SD > PD > NE.
Also the first day of the first confirmed response run, the duration of response to the first
PD (event) or to the last visit (censored), and the day of the first PD.

Floating point: the thresholds are written once (:data:`PR_MAX_TENTHS` ...), the ratios in
tenths and compared as products of small integers (``10 * sum <= 7 * baseline``), exact for
sums that are whole mm: ``0.7 * 90 = 62.99999999999999`` would make an exact 30 % decrease
(90 -> 63 mm) SD. Every expression is the CUDA twin's, in the same order, so results agree bit
for bit; days are float64 (NaN: never).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import ModuleType
from typing import Any, NamedTuple

# ---- codes (cuda: enum OsRecist) -----------------------------------------------------------

NE = 0  # not evaluable: the baseline visit
CR = 1  # complete response
PR = 2  # partial response
SD = 3  # stable disease
PD = 4  # progressive disease
NAMES = {NE: "NE", CR: "CR", PR: "PR", SD: "SD", PD: "PD"}

# ---- thresholds (cuda: OS_RECIST_*) --------------------------------------------------------

RATIO_SCALE = 10.0  # the ratios below are in tenths
PR_MAX_TENTHS = 7.0  # section 4.3.1 PR: >= 30 % decrease from the baseline sum
PD_MIN_TENTHS = 12.0  # section 4.3.1 PD: >= 20 % increase over the nadir ...
PD_MIN_INCREASE_MM = 5.0  # ... and >= 5 mm absolute increase (section 4.3.1)
CONFIRM_DAYS = 28.0  # section 4.6.1 / Table 3: confirmation >= 4 weeks later
MIN_SD_DAYS = 42.0  # section 4.6.1: protocol-defined minimum for SD, usually 6-8 weeks


def _index(lanes: Any | None) -> Any:
    return slice(None) if lanes is None else lanes


class _Lanes:
    """Helpers of the per-lane state records (arrays over realizations)."""

    def select(self, lanes: Any) -> Any:
        """A copy of the state of ``lanes`` (indices or a mask)."""
        return type(self)(**{f.name: getattr(self, f.name)[lanes].copy() for f in fields(self)})

    def assign(self, lanes: Any, part: Any) -> None:
        """Write ``part`` (a state from :meth:`select`) back into ``lanes``."""
        for f in fields(self):
            getattr(self, f.name)[lanes] = getattr(part, f.name)


@dataclass
class RecistState(_Lanes):
    """Time point state of every lane (cuda: OsRecistState)."""

    baseline: Any  # (R,) float64 sum at the baseline visit, mm (reference for PR)
    nadir: Any  # (R,) float64 smallest sum so far, baseline included, mm (reference for PD)
    visits: Any  # (R,) int64 visits seen; 0: the next visit is the baseline
    progressed: Any  # (R,) int64 1 from the first PD on

    @classmethod
    def empty(cls, xp: ModuleType, n: int) -> RecistState:
        return cls(baseline=xp.zeros(n, dtype=xp.float64), nadir=xp.zeros(n, dtype=xp.float64),
                   visits=xp.zeros(n, dtype=xp.int64), progressed=xp.zeros(n, dtype=xp.int64))


def recist_visit(xp: ModuleType, state: RecistState, sum_mm: Any, new_lesion: Any,
                 all_gone: Any, lanes: Any | None = None) -> Any:
    """Time point response codes (int64) of one visit of ``lanes`` (all lanes when None; the
    inputs are then (R,) arrays or scalars, else one value per lane of ``lanes``), updating
    ``state`` (cuda: os_recist_visit)."""
    idx = _index(lanes)
    visits = state.visits[idx]
    shape = visits.shape
    all_gone = xp.broadcast_to(xp.asarray(all_gone, dtype=bool), shape)
    new_lesion = xp.broadcast_to(xp.asarray(new_lesion, dtype=bool), shape)
    total = xp.where(all_gone, 0.0, xp.asarray(sum_mm, dtype=xp.float64))
    first = visits == 0
    before = state.progressed[idx] != 0
    baseline = xp.where(first, total, state.baseline[idx])
    nadir = xp.where(first, total, state.nadir[idx])
    grew = ((RATIO_SCALE * total >= PD_MIN_TENTHS * nadir)
            & (total - nadir >= PD_MIN_INCREASE_MM))
    shrank = RATIO_SCALE * total <= PR_MAX_TENTHS * baseline
    code = xp.where(shrank, PR, SD)
    code = xp.where(all_gone, CR, code)
    code = xp.where(new_lesion | grew | before, PD, code)
    code = xp.where(first, NE, code).astype(xp.int64)
    evaluated = ~first & ~before
    state.baseline[idx] = baseline
    state.nadir[idx] = xp.where(evaluated, xp.where(nadir < total, nadir, total), nadir)
    state.progressed[idx] = xp.where(evaluated & (code == PD), 1, state.progressed[idx])
    state.visits[idx] = visits + 1
    return code


# ---- best overall response -----------------------------------------------------------------


@dataclass
class RecistBest(_Lanes):
    """Best-overall-response accumulator of every lane (cuda: OsRecistBest)."""

    baseline_day: Any  # (R,) float64 day of the baseline visit
    last_day: Any  # (R,) float64 day of the last evaluated visit
    pr_start: Any  # (R,) float64 first day of the current run of CR/PR visits
    cr_start: Any  # (R,) float64 first day of the current run of CR visits
    response_day: Any  # (R,) float64 first day of the first confirmed response run; NaN
    pd_day: Any  # (R,) float64 day of the first PD; NaN
    visits: Any  # (R,) int64 evaluated visits, baseline included
    pr_run: Any  # (R,) int64 1 while the last evaluated visit was CR or PR
    cr_run: Any  # (R,) int64 1 while the last evaluated visit was CR
    confirmed_pr: Any  # (R,) int64 a run of CR/PR visits spanned >= confirm_days
    confirmed_cr: Any  # (R,) int64 a run of CR visits spanned >= confirm_days
    sd_met: Any  # (R,) int64 a visit not PD >= min_sd_days after the baseline
    progressed: Any  # (R,) int64 1 from the first PD on

    @classmethod
    def empty(cls, xp: ModuleType, n: int) -> RecistBest:
        def full(value: float, dtype: Any) -> Any:
            return xp.full(n, value, dtype=dtype)

        nan = float("nan")
        return cls(baseline_day=full(0.0, xp.float64), last_day=full(0.0, xp.float64),
                   pr_start=full(nan, xp.float64), cr_start=full(nan, xp.float64),
                   response_day=full(nan, xp.float64), pd_day=full(nan, xp.float64),
                   visits=full(0, xp.int64), pr_run=full(0, xp.int64), cr_run=full(0, xp.int64),
                   confirmed_pr=full(0, xp.int64), confirmed_cr=full(0, xp.int64),
                   sd_met=full(0, xp.int64), progressed=full(0, xp.int64))


def recist_best_update(xp: ModuleType, best: RecistBest, code: Any, day: Any,
                       confirm_days: float = CONFIRM_DAYS, min_sd_days: float = MIN_SD_DAYS,
                       lanes: Any | None = None) -> None:
    """One visit of ``lanes`` (all when None) with time point ``code`` on ``day`` (cuda:
    os_recist_best_update). The first call is the baseline (its code is not read); later NE
    codes are skipped; nothing changes after the first PD. ``confirm_days`` = 0: no
    confirmation required (every CR/PR counts at once)."""
    idx = _index(lanes)
    visits = best.visits[idx]
    shape = visits.shape
    code = xp.broadcast_to(xp.asarray(code, dtype=xp.int64), shape)
    day = xp.broadcast_to(xp.asarray(day, dtype=xp.float64), shape)
    active = best.progressed[idx] == 0
    first = active & (visits == 0)
    evaluated = active & ~first & (code != NE)
    pd = evaluated & (code == PD)
    go = evaluated & ~pd
    best.visits[idx] = xp.where(first | evaluated, visits + 1, visits)
    best.baseline_day[idx] = xp.where(first, day, best.baseline_day[idx])
    best.last_day[idx] = xp.where(first | evaluated, day, best.last_day[idx])
    best.progressed[idx] = xp.where(pd, 1, best.progressed[idx])
    best.pd_day[idx] = xp.where(pd, day, best.pd_day[idx])
    # a run of CR/PR visits (Table 3): started by the first, confirmed >= confirm_days later
    response = go & ((code == CR) | (code == PR))
    pr_start = xp.where(response & (best.pr_run[idx] == 0), day, best.pr_start[idx])
    best.pr_start[idx] = pr_start
    best.pr_run[idx] = xp.where(go, response.astype(xp.int64), best.pr_run[idx])
    newly = response & (best.confirmed_pr[idx] == 0) & (day - pr_start >= confirm_days)
    best.confirmed_pr[idx] = xp.where(newly, 1, best.confirmed_pr[idx])
    best.response_day[idx] = xp.where(newly, pr_start, best.response_day[idx])
    complete = go & (code == CR)
    cr_start = xp.where(complete & (best.cr_run[idx] == 0), day, best.cr_start[idx])
    best.cr_start[idx] = cr_start
    best.cr_run[idx] = xp.where(go, complete.astype(xp.int64), best.cr_run[idx])
    confirmed = complete & (day - cr_start >= confirm_days)
    best.confirmed_cr[idx] = xp.where(confirmed, 1, best.confirmed_cr[idx])
    met = go & (day - best.baseline_day[idx] >= min_sd_days)
    best.sd_met[idx] = xp.where(met, 1, best.sd_met[idx])


class BestResponse(NamedTuple):
    """Finalized best overall response of every lane (cuda: os_recist_best_*)."""

    response: Any  # (R,) int64 best overall response code
    response_day: Any  # (R,) float64 first day of the first confirmed CR/PR run; NaN: none
    duration: Any  # (R,) float64 days from response_day to PD or the last visit; NaN: none
    event: Any  # (R,) int64 1: PD ended the response; 0: censored or no response
    pd_day: Any  # (R,) float64 day of the first PD; NaN: none


def recist_best_response(xp: ModuleType, best: RecistBest) -> Any:
    """Best overall response codes (cuda: os_recist_best_response)."""
    code = xp.where(best.progressed != 0, PD, NE)
    code = xp.where(best.sd_met != 0, SD, code)
    code = xp.where(best.confirmed_pr != 0, PR, code)
    return xp.where(best.confirmed_cr != 0, CR, code).astype(xp.int64)


def recist_best_finish(xp: ModuleType, best: RecistBest) -> BestResponse:
    """Every finalized output (cuda: os_recist_best_response, _response_day, _duration,
    _event, _pd_day)."""
    responded = best.confirmed_pr != 0
    progressed = best.progressed != 0
    end = xp.where(progressed, best.pd_day, best.last_day)
    return BestResponse(
        response=recist_best_response(xp, best),
        response_day=xp.where(responded, best.response_day, xp.nan),
        duration=xp.where(responded, end - best.response_day, xp.nan),
        event=(responded & progressed).astype(xp.int64),
        pd_day=xp.where(progressed, best.pd_day, xp.nan),
    )


def best_overall_response(xp: ModuleType, codes: Any, days: Any,
                          confirm_days: float = CONFIRM_DAYS,
                          min_sd_days: float = MIN_SD_DAYS) -> BestResponse:
    """Best overall response of whole sequences: ``codes`` (R, V) time point codes and
    ``days`` (R, V) or (V,), visit 0 the baseline (the accumulator run over the visits)."""
    codes = xp.asarray(codes, dtype=xp.int64)
    days = xp.broadcast_to(xp.asarray(days, dtype=xp.float64), codes.shape)
    best = RecistBest.empty(xp, codes.shape[0])
    for v in range(codes.shape[1]):
        recist_best_update(xp, best, codes[:, v], days[:, v], confirm_days, min_sd_days)
    return recist_best_finish(xp, best)


def evaluate_visits(xp: ModuleType, sum_mm: Any, new_lesion: Any, all_gone: Any, days: Any,
                    confirm_days: float = CONFIRM_DAYS,
                    min_sd_days: float = MIN_SD_DAYS) -> tuple[Any, BestResponse]:
    """Time point codes (R, V) and the best overall response of whole visit sequences (R, V
    arrays; ``days`` may be (V,)), visit 0 the baseline."""
    sum_mm = xp.asarray(sum_mm, dtype=xp.float64)
    n, n_visits = sum_mm.shape
    new_lesion = xp.broadcast_to(xp.asarray(new_lesion, dtype=bool), sum_mm.shape)
    all_gone = xp.broadcast_to(xp.asarray(all_gone, dtype=bool), sum_mm.shape)
    state = RecistState.empty(xp, n)
    codes = xp.empty((n, n_visits), dtype=xp.int64)
    for v in range(n_visits):
        codes[:, v] = recist_visit(xp, state, sum_mm[:, v], new_lesion[:, v], all_gone[:, v])
    return codes, best_overall_response(xp, codes, days, confirm_days, min_sd_days)
