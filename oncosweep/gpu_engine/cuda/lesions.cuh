// oncosweep: lesions measured at clinic visits and evaluated by RECIST 1.1, for ONE
// realization. The CUDA twin of oncosweep/gpu_engine/lesions.py; see its docstring for the
// model. Every expression is the numpy module's, in the same order (no FMA: compat.cuh).
#pragma once

#include "compat.cuh"
#include "model.cuh"
#include "philox.cuh"
#include "recist.cuh"
#include "step.cuh"

#define OS_EVENT_LESION_BASE 40u  // lesions.EVENT_LESION_BASE (+ compartment)
#define OS_LESION_SMALLEST_MM 5.0  // lesions.SMALLEST_MM (RECIST 1.1 section 4.3.2)
#define OS_LESION_PI 3.141592653589793  // math.pi

// lesions.lesion_cells + measure: measured diameters (mm; 0: not seen) of the compartments.
OS_HD inline void os_lesion_measure(const OsModel& m, OsKey key, uint32_t step, uint64_t real,
                                    const int64_t* counts, double* measured) {
  const int n_comp = (int)m.n_compartments();
  double cells[OS_MAX_COMPARTMENTS];
  for (int c = 0; c < n_comp; ++c) cells[c] = 0.0;
  for (int t = 0; t < (int)m.n_types(); ++t) cells[m.compartment()[t]] += (double)counts[t];
  for (int c = 0; c < n_comp; ++c) {
    double u0, u1;
    os_uniform_pair(key, (OS_RESERVED_CELL_TYPE << OS_TYPE_SHIFT) |
                             ((OS_EVENT_LESION_BASE + (uint32_t)c) << OS_EVENT_SHIFT),
                    step, real, &u0, &u1);
    const double z = sqrt(-2.0 * log(u0)) * cos(2.0 * OS_LESION_PI * u1);
    const double volume = cells[c] / m.cells_per_cm3();
    const double diameter = 10.0 * cbrt(6.0 * volume / OS_LESION_PI);
    double value = diameter + m.lesion_noise_mm() * z;
    value = value < OS_LESION_SMALLEST_MM ? OS_LESION_SMALLEST_MM : value;
    const bool seen = cells[c] > 0.0 && cells[c] >= m.detection_limit();
    measured[c] = seen ? value : 0.0;
  }
}

// lesions.RecistLanes for one lane.
struct OsRecistLane {
  OsRecistState state;
  OsRecistBest best;
  int64_t target;   // bit mask of the current line's target lesions
  int64_t present;  // bit mask of the lesions seen at the current line's baseline
  OS_HD void reset() {
    state.reset();
    best.reset();
    target = 0;
    present = 0;
  }
};

// lesions.evaluate: the time point response of a visit; *total: the sum of target diameters.
OS_HD inline int64_t os_lesions_evaluate(const OsModel& m, OsRecistLane* r,
                                         const double* measured, double* total) {
  const int n_comp = (int)m.n_compartments();
  if (r->state.visits == 0) {
    int64_t target = 0, present = 0;
    for (int c = 0; c < n_comp; ++c) {
      if (measured[c] >= m.measurable_mm()) target |= (int64_t)1 << c;
      if (measured[c] > 0.0) present |= (int64_t)1 << c;
    }
    r->target = target;
    r->present = present;
  }
  double sum = 0.0;
  bool any_present_seen = false, new_lesion = false;
  for (int c = 0; c < n_comp; ++c) {
    const bool in_target = (r->target >> c) & 1;
    const bool in_present = (r->present >> c) & 1;
    const bool seen = measured[c] > 0.0;
    sum = sum + (in_target ? measured[c] : 0.0);
    if (in_present && seen) any_present_seen = true;
    if (!in_present && seen) new_lesion = true;
  }
  const bool all_gone = r->present != 0 && !any_present_seen;
  *total = sum;
  const int64_t code = os_recist_visit(&r->state, sum, new_lesion, all_gone);
  return (r->target == 0 && code == OS_RECIST_PR) ? (int64_t)OS_RECIST_SD : code;
}

// lesions.rebaseline: a new treatment line takes this visit as its baseline.
OS_HD inline void os_lesions_rebaseline(const OsModel& m, OsRecistLane* r,
                                        const double* measured) {
  r->state.visits = 0;
  r->state.progressed = 0;
  double total;
  (void)os_lesions_evaluate(m, r, measured, &total);
}
