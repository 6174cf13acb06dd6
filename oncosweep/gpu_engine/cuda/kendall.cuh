// oncosweep: Kendall's exact transition law of a linear birth-death process over one step.
//
// The CUDA twin of oncosweep/gpu_engine/kendall.py (see its docstring for the law and the
// reference: D. G. Kendall, Ann. Math. Statist. 19 (1948) 1-15). Every expression is evaluated
// in that module's order, one IEEE rounding per operation and no FMA; expm1 and exp may differ
// by an ulp between libraries (docs/rng.md section 5). The building block of an exact step
// scheme (issue 14); not yet used by the kernel.
#pragma once

#include "compat.cuh"

// g = expm1((birth - death) dt) / (birth - death), or dt where the rates are equal.
OS_HD inline double os_kendall_growth(double birth, double death, double dt) {
  const double rho = birth - death;
  if (rho == 0.0) return dt;
  return expm1(rho * dt) / rho;
}

// (alpha, beta, odds) of the step for constant per-day rates: extinction probability of one
// cell's line, the parameter of the geometric number of cells of a surviving line, and
// odds = beta / (1 - beta) formed directly (1 - beta is lost when beta is near 1).
OS_HD inline void os_kendall_constant(double birth, double death, double dt, double* alpha,
                                      double* beta, double* odds) {
  const double g = os_kendall_growth(birth, death, dt);
  *odds = birth * g;
  const double denominator = 1.0 + *odds;
  *alpha = death * g / denominator;
  *beta = *odds / denominator;
}

// (alpha, beta, odds) from the integrals of time-varying rates over the step: net = R,
// weighted = I.
OS_HD inline void os_kendall_integrated(double net, double weighted, double* alpha,
                                        double* beta, double* odds) {
  const double survive = exp(-net);
  const double w = survive + weighted;
  *alpha = (w - 1.0) / w;
  *beta = weighted / w;
  *odds = weighted / survive;
}
