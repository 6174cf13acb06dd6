// oncosweep: Kendall's exact transition law of a linear birth-death process over one step.
//
// The CUDA twin of oncosweep/gpu_engine/kendall.py (see its docstring for the law and the
// reference: D. G. Kendall, Ann. Math. Statist. 19 (1948) 1-15). Every expression is evaluated
// in that module's order, one IEEE rounding per operation and no FMA; expm1 and exp may differ
// by an ulp between libraries (docs/rng.md section 5). The building block of an exact step
// scheme (kendall_step.cuh).
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

// ---- piecewise-constant rates: the accumulators of the exact step (kendall.Span) ---------
struct OsSpan {
  double survive;    // S = exp(-R)
  double weighted;   // I
  double deaths;     // D = W - 1
  double growth;     // exp(R_e), transitions out included
  double divisions;  // expected divisions per initial cell
};

OS_HD inline OsSpan os_span_empty() {
  OsSpan s;
  s.survive = 1.0;
  s.weighted = 0.0;
  s.deaths = 0.0;
  s.growth = 1.0;
  s.divisions = 0.0;
  return s;
}

// kendall.add_piece: ``span`` followed by h days of constant rates.
OS_HD inline OsSpan os_span_add_piece(const OsSpan& span, double birth, double kept_birth,
                                      double loss, double out, double h) {
  const double rho = kept_birth - loss;
  const bool flat = rho == 0.0;
  const double safe = flat ? 1.0 : rho;
  const double shrunk = expm1(-safe * h);  // exp(-rho h) - 1
  const double ghat = flat ? h : shrunk / -safe;
  const double decay = flat ? 1.0 : 1.0 + shrunk;
  OsSpan r;
  r.weighted = span.weighted + span.survive * kept_birth * ghat;
  r.deaths = span.deaths + span.survive * loss * ghat;
  const double rho_e = rho - out;
  const bool flat_e = rho_e == 0.0;
  const double grown = out != 0.0 ? expm1(rho_e * h) : (flat ? 0.0 : -shrunk / decay);
  const double g_e = flat_e ? h : grown / rho_e;
  r.divisions = span.divisions + span.growth * birth * g_e;
  r.survive = span.survive * decay;
  r.growth = span.growth * (1.0 + grown);
  return r;
}

// kendall.compose: ``first`` followed by ``second``.
OS_HD inline OsSpan os_span_compose(const OsSpan& first, const OsSpan& second) {
  OsSpan r;
  r.survive = first.survive * second.survive;
  r.weighted = first.weighted + first.survive * second.weighted;
  r.deaths = first.deaths + first.survive * second.deaths;
  r.growth = first.growth * second.growth;
  r.divisions = first.divisions + first.growth * second.divisions;
  return r;
}

// kendall.span_law: (1 - alpha, odds).
OS_HD inline void os_span_law(const OsSpan& span, double* survive, double* odds) {
  *survive = 1.0 / (1.0 + span.deaths);
  *odds = span.weighted / span.survive;
}
