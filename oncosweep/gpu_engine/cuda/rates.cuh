// oncosweep: per-step event probabilities of one (realization, cell type) pair.
//
// The CUDA twin of oncosweep/gpu_engine/rates.py (occupancy: pharmacology.cuh): every
// expression is evaluated in the numpy engine's order, one IEEE rounding per operation and no
// fused multiply-add (device: --fmad=false; host: -ffp-contract=off), so that the same inputs
// give the same doubles. Only transcendental functions (log, pow) may round differently from
// numpy's (see docs/gpu.md).
#pragma once

#include "compat.cuh"
#include "model.cuh"
#include "pharmacology.cuh"

struct OsPairRates {
  double p_birth;  // division probability of the step
  double p_die;    // unconditional death probability of the step
  double p_death;  // conditional on no division: p_die / (1 - p_birth), at most 1
  double left;     // 1 - p_birth - p_die: mass left for switching, migration, nothing
};

// Rates of cell type t. ``conc``: the lane's (midpoint) concentrations (D) or null without
// drug; ``crowd``: the lane's crowding per growth group (G) or null (exponential growth).
// ``switch_out`` (P) receives the per-day switching rate to each phenotype.
OS_HD inline OsPairRates os_pair_rates(const OsModel& m, int t, const double* conc,
                                       const double* crowd, double* switch_out) {
  const double dt = m.dt();
  double birth = m.birth_rate()[t];
  double death = m.death_rate()[t];
  if (crowd != nullptr) {
    const double pressure = os_max(birth - death, 0.0) * crowd[m.group()[t]];
    death = death + os_max(pressure - birth, 0.0);
    birth = os_max(birth - pressure, 0.0);
  }
  const double hazard = m.has_immune() ? death + m.immune_kill()[t] : death;
  bool has_kill = false;
  double kill = 0.0;
  bool has_activity = false;
  double activity = 0.0;
  const int n_drugs = (int)m.n_drugs();
  if (conc != nullptr && n_drugs > 0) {
    has_activity = true;
    const double* emax = m.emax();
    const double* hill = m.hill();
    const int64_t* drug_kill = m.drug_kill();
    const double* cf = m.conc_factor() + (int64_t)t * n_drugs;
    const double* ic50 = m.ic50() + (int64_t)t * n_drugs;
    const double* ef = m.effect_factor() + (int64_t)t * n_drugs;
    if (m.combination() == OS_HIGHEST_SINGLE_AGENT) {
      bool any_cyto = false;
      double strongest_cyto = 0.0, strongest_kill = 0.0, strongest_f = 0.0;
      for (int d = 0; d < n_drugs; ++d) {
        const double f = os_occupancy(conc[d] * cf[d], ic50[d], hill[d]);
        const double effect = emax[d] * ef[d] * f;
        strongest_f = d == 0 ? f : os_max(strongest_f, f);
        if (drug_kill[d]) {
          strongest_kill = has_kill ? os_max(strongest_kill, effect) : effect;
          has_kill = true;
        } else {
          strongest_cyto = any_cyto ? os_max(strongest_cyto, effect) : effect;
          any_cyto = true;
        }
      }
      if (has_kill) kill = strongest_kill * dt;
      if (any_cyto) birth = birth * (1.0 - strongest_cyto);
      activity = strongest_f;
    } else {
      bool any_cyto = false;
      double survive = 0.0, keep_birth = 0.0, untouched = 0.0;
      for (int d = 0; d < n_drugs; ++d) {
        const double f = os_occupancy(conc[d] * cf[d], ic50[d], hill[d]);
        const double effect = emax[d] * ef[d] * f;
        untouched = d == 0 ? 1.0 - f : untouched * (1.0 - f);
        if (drug_kill[d]) {
          const double term = 1.0 - effect * dt;
          survive = has_kill ? survive * term : term;
          has_kill = true;
        } else {
          const double term = 1.0 - effect;
          keep_birth = any_cyto ? keep_birth * term : term;
          any_cyto = true;
        }
      }
      if (has_kill) kill = 1.0 - survive;
      if (any_cyto) birth = birth * keep_birth;
      activity = 1.0 - untouched;
    }
  }
  OsPairRates r;
  r.p_birth = birth * dt;
  r.p_die = has_kill ? hazard * dt + kill : hazard * dt;
  const double left = 1.0 - r.p_birth;
  const double p_death = left > 0.0 ? r.p_die / left : 0.0;
  r.p_death = os_min(p_death, 1.0);
  r.left = left - r.p_die;
  if (switch_out != nullptr) {
    const int n_phen = (int)m.n_phenotypes();
    const double* s = m.switch_rate() + (int64_t)t * n_phen;
    const double* s_on = m.switch_rate_on_drug() + (int64_t)t * n_phen;
    const bool sensitive = has_activity && m.drug_sensitive_switching();
    for (int k = 0; k < n_phen; ++k) {
      switch_out[k] = sensitive ? s[k] + (s_on[k] - s[k]) * activity : s[k];
    }
  }
  return r;
}

// Conditional probability of an event of per-day ``rate`` given none before it (``left`` is
// the mass left, updated in place), exactly as rates.conditional.
OS_HD inline double os_conditional(double rate, double* left, double dt) {
  const double p = rate * dt;
  const double cond = *left > 0.0 ? p / *left : 0.0;
  *left = *left - p;
  return os_min(cond, 1.0);
}

// Crowding of a lane per growth group (realization._crowding); ``total`` = sum of counts.
OS_HD inline void os_crowding(const OsModel& m, const int64_t* counts, int64_t total,
                              double* crowd) {
  const int law = (int)m.growth_law();
  const int n_groups = (int)m.n_groups();
  const double* capacity = m.carrying_capacity();
  if (law == OS_LOGISTIC) {
    const double n = (double)total;
    for (int g = 0; g < n_groups; ++g) crowd[g] = n / capacity[g];
  } else if (law == OS_GOMPERTZ) {
    const double log_n = log(os_max((double)total, 1.0));
    for (int g = 0; g < n_groups; ++g) crowd[g] = log_n / m.log_capacity()[g];
  } else if (law == OS_LOTKA_VOLTERRA) {
    int64_t sizes[OS_MAX_GROUPS];
    for (int g = 0; g < n_groups; ++g) sizes[g] = 0;
    const int n_types = (int)m.n_types();
    for (int t = 0; t < n_types; ++t) sizes[m.group()[t]] += counts[t];
    const double* alpha = m.alpha();
    for (int g = 0; g < n_groups; ++g) {
      double s = 0.0;
      for (int h = 0; h < n_groups; ++h) {
        const double term = (double)sizes[h] * alpha[g * n_groups + h];
        s = h == 0 ? term : s + term;
      }
      crowd[g] = s / capacity[g];
    }
  }
}
