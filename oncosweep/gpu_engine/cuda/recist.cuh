// oncosweep: RECIST 1.1 response evaluation for ONE realization (twin of recist.py).
//
// Eisenhauer et al., "New response evaluation criteria in solid tumours: revised RECIST
// guideline (version 1.1)", Eur J Cancer 2009;45:228-247. Target lesions and new lesions only
// (no non-target lesions, no lymph-node short axes); docs/recist.md states the rules and the
// simplifications, recist.py's docstring the same in short. Fed by lesions.cuh.
//
// Two parts, both updated visit by visit, with no storage of past visits:
//   * os_recist_visit: the time point response of one visit (section 4.3.1, 4.3.5, Table 1),
//     from the sum of the target lesions' longest diameters (mm) and the new-lesion and
//     all-gone flags; the state holds the baseline and the nadir.
//   * os_recist_best_update + os_recist_best_*: the best overall response with confirmation
//     (sections 4.4.3, 4.6.1, Table 3), the date of the first confirmed response, the
//     duration of response with its event flag (section 4.6.2) and the day of the first PD.
//
// Every comparison is the same expression, in the same operation order, as in recist.py, so
// the two twins agree bit for bit (doubles only; + - * are correctly rounded everywhere).
#pragma once

#include "compat.cuh"

// Time point response codes (recist.py: NE, CR, PR, SD, PD).
enum OsRecist {
  OS_RECIST_NE = 0,  // not evaluable: the baseline visit (no response is defined before it)
  OS_RECIST_CR = 1,  // complete response: every target lesion has disappeared
  OS_RECIST_PR = 2,  // partial response: sum <= 70 % of the baseline sum
  OS_RECIST_SD = 3,  // stable disease: neither PR nor PD
  OS_RECIST_PD = 4,  // progressive disease: +20 % and +5 mm over the nadir, or a new lesion
};

// Thresholds (recist.py: RATIO_SCALE, PR_MAX_TENTHS, PD_MIN_TENTHS, PD_MIN_INCREASE_MM). The
// ratios are written in tenths and compared as products of small integers,
// OS_RECIST_TENTHS * sum <= OS_RECIST_PR_MAX_TENTHS * baseline, not sum <= 0.7 * baseline:
// 0.7 and 1.2 are not doubles, and 0.7 * 90 = 62.99999999999999 would call an exact 30 %
// decrease (90 -> 63 mm) SD. 10 * sum, 7 * baseline and 12 * nadir are exact for any sum that
// is a whole number of mm (or of 1/2**k mm) below 2**49, so the boundaries hold exactly there.
#define OS_RECIST_TENTHS 10.0         // the ratios below are in tenths
#define OS_RECIST_PR_MAX_TENTHS 7.0   // section 4.3.1 PR: >= 30 % decrease from the baseline sum
#define OS_RECIST_PD_MIN_TENTHS 12.0  // section 4.3.1 PD: >= 20 % increase over the nadir ...
#define OS_RECIST_PD_MIN_MM 5.0       // ... and >= 5 mm absolute increase (section 4.3.1)

// Defaults of the best-response parameters (recist.py: CONFIRM_DAYS, MIN_SD_DAYS).
#define OS_RECIST_CONFIRM_DAYS 28.0  // section 4.6.1 / Table 3: confirmation >= 4 weeks later
#define OS_RECIST_MIN_SD_DAYS 42.0   // section 4.6.1: protocol-defined, usually 6-8 weeks

// Per-realization time point state (recist.RecistState for one lane).
struct OsRecistState {
  double baseline;     // sum at the baseline (first) visit, mm: the reference for PR
  double nadir;        // smallest sum so far, baseline included, mm: the reference for PD
  int64_t visits;      // visits seen; 0: the next visit is the baseline
  int64_t progressed;  // 1 from the first PD on (later visits are PD: evaluation has stopped)

  OS_HD void reset() {
    baseline = 0.0;
    nadir = 0.0;
    visits = 0;
    progressed = 0;
  }
};

// The time point response of one visit (section 4.3.1 for the target lesions, 4.3.5 for new
// lesions, Table 1 with non-target lesions absent). ``sum_mm``: the sum of the longest
// diameters of the target lesions, mm, >= 0, already measured with noise and with the caller's
// conversion applied (a lesion still present but measured below 5 mm counts as 5 mm, a lesion
// that has disappeared as 0 mm: section 4.3.2). ``all_gone``: every target lesion has
// disappeared (the sum is then taken as 0). ``new_lesion``: a new lesion is seen. The first
// visit is the baseline: it sets the baseline and the nadir and returns NE (its flags are not
// read: every lesion seen at baseline is a baseline lesion). Precedence: PD (new lesion, or
// the sum rule) over CR over PR over SD. After the first PD every visit is PD and the state
// no longer changes (but for the visit count).
OS_HD inline int64_t os_recist_visit(OsRecistState* s, double sum_mm, bool new_lesion,
                                     bool all_gone) {
  const double sum = all_gone ? 0.0 : sum_mm;
  if (s->visits == 0) {
    s->visits = 1;
    s->baseline = sum;
    s->nadir = sum;
    return OS_RECIST_NE;
  }
  s->visits += 1;
  if (s->progressed != 0) return OS_RECIST_PD;
  // section 4.3.1 PD: >= 20 % over the smallest sum on study (baseline included) AND >= 5 mm
  const bool grew = OS_RECIST_TENTHS * sum >= OS_RECIST_PD_MIN_TENTHS * s->nadir &&
                    sum - s->nadir >= OS_RECIST_PD_MIN_MM;
  int64_t code;
  if (new_lesion || grew) {
    code = OS_RECIST_PD;  // section 4.3.5: a new lesion is PD whatever the sum (even all gone)
  } else if (all_gone) {
    code = OS_RECIST_CR;
  } else if (OS_RECIST_TENTHS * sum <= OS_RECIST_PR_MAX_TENTHS * s->baseline) {
    code = OS_RECIST_PR;  // section 4.3.1 PR: the reference is the baseline sum
  } else {
    code = OS_RECIST_SD;
  }
  if (code == OS_RECIST_PD) s->progressed = 1;
  s->nadir = os_min(s->nadir, sum);
  return code;
}

// Best overall response accumulator (recist.RecistBest for one lane): fed every visit from
// the baseline on with its time point code and day, it keeps what Table 3 needs.
struct OsRecistBest {
  double baseline_day;  // day of the baseline (first) visit
  double last_day;      // day of the last evaluated visit (censoring of the response)
  double pr_start;      // first day of the current unbroken run of CR/PR visits
  double cr_start;      // first day of the current unbroken run of CR visits
  double response_day;  // first day of the first confirmed response run; NaN: none
  double pd_day;        // day of the first PD; NaN: none
  int64_t visits;       // evaluated visits (the baseline included)
  int64_t pr_run;       // 1 while the last evaluated visit was CR or PR
  int64_t cr_run;       // 1 while the last evaluated visit was CR
  int64_t confirmed_pr; // 1 once a run of CR/PR visits spans >= confirm_days
  int64_t confirmed_cr; // 1 once a run of CR visits spans >= confirm_days
  int64_t sd_met;       // 1 once a visit not PD lies >= min_sd_days after the baseline
  int64_t progressed;   // 1 from the first PD on (evaluation stops)

  OS_HD void reset() {
    baseline_day = 0.0;
    last_day = 0.0;
    pr_start = OS_NAN;
    cr_start = OS_NAN;
    response_day = OS_NAN;
    pd_day = OS_NAN;
    visits = 0;
    pr_run = 0;
    cr_run = 0;
    confirmed_pr = 0;
    confirmed_cr = 0;
    sd_met = 0;
    progressed = 0;
  }
};

// One visit of the best-response accumulator: ``code`` from os_recist_visit, ``day`` the
// visit's day (any origin; days are compared by differences). The first call is the baseline
// (its code is not read). Later NE codes are skipped (they neither confirm nor break a
// response). Evaluation stops at the first PD (section 4.4.3). A CR or PR is confirmed by a
// later visit >= ``confirm_days`` after the first visit of an unbroken run of visits at least
// as good (CR or PR for a PR, CR for a CR; an SD in between breaks the run): Table 3, section
// 4.6.1. ``confirm_days`` = 0 confirms every response at once (no confirmation required, as in
// randomised trials, section 4.6.1). SD is met by any visit that is not PD (SD, or an
// unconfirmed PR / CR) at least ``min_sd_days`` after the baseline (section 4.6.1, Table 3).
OS_HD inline void os_recist_best_update(OsRecistBest* b, int64_t code, double day,
                                        double confirm_days = OS_RECIST_CONFIRM_DAYS,
                                        double min_sd_days = OS_RECIST_MIN_SD_DAYS) {
  if (b->progressed != 0) return;
  if (b->visits == 0) {
    b->visits = 1;
    b->baseline_day = day;
    b->last_day = day;
    return;
  }
  if (code == OS_RECIST_NE) return;
  b->visits += 1;
  b->last_day = day;
  if (code == OS_RECIST_PD) {
    b->progressed = 1;
    b->pd_day = day;
    return;
  }
  const bool response = code == OS_RECIST_CR || code == OS_RECIST_PR;
  if (response) {
    if (b->pr_run == 0) b->pr_start = day;
    b->pr_run = 1;
    if (b->confirmed_pr == 0 && day - b->pr_start >= confirm_days) {
      b->confirmed_pr = 1;
      b->response_day = b->pr_start;
    }
  } else {
    b->pr_run = 0;
  }
  if (code == OS_RECIST_CR) {
    if (b->cr_run == 0) b->cr_start = day;
    b->cr_run = 1;
    if (day - b->cr_start >= confirm_days) b->confirmed_cr = 1;
  } else {
    b->cr_run = 0;
  }
  if (day - b->baseline_day >= min_sd_days) b->sd_met = 1;
}

// Best overall response (Table 3, target lesions only): confirmed CR, else confirmed PR, else
// SD when met, else PD when progressed (SD not met before it), else NE.
OS_HD inline int64_t os_recist_best_response(const OsRecistBest* b) {
  if (b->confirmed_cr != 0) return OS_RECIST_CR;
  if (b->confirmed_pr != 0) return OS_RECIST_PR;
  if (b->sd_met != 0) return OS_RECIST_SD;
  if (b->progressed != 0) return OS_RECIST_PD;
  return OS_RECIST_NE;
}

// Day of the first response: the first visit of the first confirmed CR/PR run; NaN: none.
OS_HD inline double os_recist_best_response_day(const OsRecistBest* b) {
  return b->confirmed_pr != 0 ? b->response_day : OS_NAN;
}

// Duration of response (section 4.6.2), days: from the first response to the first PD, or to
// the last evaluated visit when there is none (censored); NaN without a confirmed response.
OS_HD inline double os_recist_best_duration(const OsRecistBest* b) {
  if (b->confirmed_pr == 0) return OS_NAN;
  const double end = b->progressed != 0 ? b->pd_day : b->last_day;
  return end - b->response_day;
}

// Event flag of the duration: 1 when PD ended the response, 0 when censored or no response.
OS_HD inline int64_t os_recist_best_event(const OsRecistBest* b) {
  return b->confirmed_pr != 0 && b->progressed != 0 ? 1 : 0;
}

// Day of the first PD (with or without a response); NaN: none.
OS_HD inline double os_recist_best_pd_day(const OsRecistBest* b) {
  return b->progressed != 0 ? b->pd_day : OS_NAN;
}
