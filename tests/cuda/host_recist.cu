// oncosweep: host (CPU) entry points over recist.cuh, for tests/test_recist.py. Built by
// cuda_build.build_host_library with a host C++ compiler (`g++ -x c++ -ffp-contract=off ...`,
// OS_HD empty) and called through ctypes; each function loops serially over realizations,
// running exactly the per-realization code a CUDA thread would run. It also compiles with
// nvcc (tests/test_cuda_compile.py), where the functions are plain host functions.
#include "compat.cuh"
#include "recist.cuh"

extern "C" {

// The codes and thresholds, in the order of test_recist.test_host_constants.
void os_host_recist_constants(double* out) {
  out[0] = OS_RECIST_NE;
  out[1] = OS_RECIST_CR;
  out[2] = OS_RECIST_PR;
  out[3] = OS_RECIST_SD;
  out[4] = OS_RECIST_PD;
  out[5] = OS_RECIST_TENTHS;
  out[6] = OS_RECIST_PR_MAX_TENTHS;
  out[7] = OS_RECIST_PD_MIN_TENTHS;
  out[8] = OS_RECIST_PD_MIN_MM;
  out[9] = OS_RECIST_CONFIRM_DAYS;
  out[10] = OS_RECIST_MIN_SD_DAYS;
}

// Whole visit sequences: realization r has n_visits[r] <= width visits, row-major (count,
// width) inputs (sum_mm, new_lesion, all_gone as 0/1 bytes, day), visit 0 the baseline. Out:
// the time point codes (count, width; -1 after the last visit), the finalized best response
// (response, response_day, duration, event, pd_day: count each), and the final states:
// state_f (count, 2) = baseline, nadir; state_i (count, 2) = visits, progressed; best_f
// (count, 6) and best_i (count, 7) = the fields of OsRecistBest in declaration order.
void os_host_recist_run(int64_t count, int64_t width, const int64_t* n_visits,
                        const double* sum_mm, const uint8_t* new_lesion,
                        const uint8_t* all_gone, const double* day, double confirm_days,
                        double min_sd_days, int64_t* codes, int64_t* response,
                        double* response_day, double* duration, int64_t* event, double* pd_day,
                        double* state_f, int64_t* state_i, double* best_f, int64_t* best_i) {
  for (int64_t r = 0; r < count; ++r) {
    OsRecistState s;
    s.reset();
    OsRecistBest b;
    b.reset();
    for (int64_t v = 0; v < width; ++v) {
      const int64_t k = r * width + v;
      if (v >= n_visits[r]) {
        codes[k] = -1;
        continue;
      }
      const int64_t code = os_recist_visit(&s, sum_mm[k], new_lesion[k] != 0, all_gone[k] != 0);
      codes[k] = code;
      os_recist_best_update(&b, code, day[k], confirm_days, min_sd_days);
    }
    response[r] = os_recist_best_response(&b);
    response_day[r] = os_recist_best_response_day(&b);
    duration[r] = os_recist_best_duration(&b);
    event[r] = os_recist_best_event(&b);
    pd_day[r] = os_recist_best_pd_day(&b);
    state_f[2 * r] = s.baseline;
    state_f[2 * r + 1] = s.nadir;
    state_i[2 * r] = s.visits;
    state_i[2 * r + 1] = s.progressed;
    const double bf[6] = {b.baseline_day, b.last_day, b.pr_start, b.cr_start, b.response_day,
                          b.pd_day};
    const int64_t bi[7] = {b.visits, b.pr_run, b.cr_run, b.confirmed_pr, b.confirmed_cr,
                           b.sd_met, b.progressed};
    for (int j = 0; j < 6; ++j) best_f[6 * r + j] = bf[j];
    for (int j = 0; j < 7; ++j) best_i[7 * r + j] = bi[j];
  }
}

// The default arguments of os_recist_best_update (CONFIRM_DAYS, MIN_SD_DAYS), on one sequence
// of codes: out = best response, response day, duration, event, pd day.
void os_host_recist_best_defaults(int64_t n, const int64_t* codes, const double* day,
                                  double* out) {
  OsRecistBest b;
  b.reset();
  for (int64_t v = 0; v < n; ++v) os_recist_best_update(&b, codes[v], day[v]);
  out[0] = (double)os_recist_best_response(&b);
  out[1] = os_recist_best_response_day(&b);
  out[2] = os_recist_best_duration(&b);
  out[3] = (double)os_recist_best_event(&b);
  out[4] = os_recist_best_pd_day(&b);
}

}  // extern "C"
