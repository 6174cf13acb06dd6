// oncosweep: pharmacology of one realization: the exact one-compartment PK step and the Hill
// occupancy (PD).
//
// The CUDA twin of oncosweep/gpu_engine/pharmacology.py: the per-drug step constants
// (pk_decay, pk_half_decay, pk_infusion_end, pk_infusion_mid, pk_auc_bolus, pk_auc_infusion)
// are that module's StepDecay, packed by the declaration (gpu_engine/derived.py), and every
// expression below is numpy's, in numpy's order (one rounding per operation, no FMA).
#pragma once

#include "compat.cuh"
#include "model.cuh"

// x ** h as numpy evaluates ``array ** python_float``: the exponents -1, 0, 0.5, 1 and 2 take
// numpy's fast paths (reciprocal, ones, sqrt, identity, square), the others pow.
OS_HD inline double os_numpy_power(double x, double h) {
  if (h == 2.0) return x * x;
  if (h == 1.0) return x;
  if (h == 0.5) return sqrt(x);
  if (h == -1.0) return 1.0 / x;
  if (h == 0.0) return 1.0;
  return pow(x, h);
}

// Hill occupancy f = 1 / (1 + (IC50 / C)^h) in [0, 1]; 0 where C <= 0; IC50 = inf gives 0.
OS_HD inline double os_occupancy(double conc, double ic50, double hill) {
  if (!(conc > 0.0)) return 0.0;
  return 1.0 / (1.0 + os_numpy_power(ic50 / conc, hill));
}

// Concentration at the middle of the step (pharmacology.midpoint) from the start values
// ``conc`` and the lane's infusion rates (D each).
OS_HD inline void os_pk_midpoint(const OsModel& m, int n_drugs, const double* conc,
                                 const double* infusion, double* mid) {
  const double* half = m.pk_half_decay();
  const double* rate_mid = m.pk_infusion_mid();
  for (int d = 0; d < n_drugs; ++d) mid[d] = conc[d] * half[d] + infusion[d] * rate_mid[d];
}

// Concentration at the end of the step, in place, and the exposure over the step added to
// ``auc`` (pharmacology.advance).
OS_HD inline void os_pk_advance(const OsModel& m, int n_drugs, double* conc,
                                const double* infusion, double* auc) {
  const double* decay = m.pk_decay();
  const double* end = m.pk_infusion_end();
  const double* bolus_auc = m.pk_auc_bolus();
  const double* infusion_auc = m.pk_auc_infusion();
  for (int d = 0; d < n_drugs; ++d) {
    const double c0 = conc[d];
    conc[d] = c0 * decay[d] + infusion[d] * end[d];
    auc[d] += c0 * bolus_auc[d] + infusion[d] * infusion_auc[d];
  }
}
