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

// Per-day birth and death of cell type t after crowding (rates.crowded_rates; both schemes).
OS_HD inline void os_crowded_rates(const OsModel& m, int t, const double* crowd, double* birth,
                                   double* death) {
  *birth = m.birth_rate()[t];
  *death = m.death_rate()[t];
  if (crowd != nullptr) {
    const double pressure = os_max(*birth - *death, 0.0) * crowd[m.group()[t]];
    *death = *death + os_max(pressure - *birth, 0.0);
    *birth = os_max(*birth - pressure, 0.0);
  }
}

// Per drug: occupancy f and effect E = emax * effect_factor * f of cell type t at the lane's
// concentrations ``conc`` (rates.drug_terms).
struct OsDrugTerms {
  double f[OS_MAX_DRUGS];
  double effect[OS_MAX_DRUGS];
};

// The last Hill occupancy computed per drug at one set of concentrations: the ratio
// IC50 / C (the argument of the power, the only input f depends on besides the drug's Hill
// exponent) and f. Cell types that share a drug's IC50 and concentration factor (the
// phenotypes of a genotype, usually) then share one pow; the value is the one os_occupancy
// returns, so results do not depend on the memo. A ratio of -1 (never a ratio: IC50 >= 0 and
// C > 0) marks an empty entry.
struct OsOccupancyMemo {
  double ratio[OS_MAX_DRUGS];
  double f[OS_MAX_DRUGS];
};

OS_HD inline void os_occupancy_memo_clear(OsOccupancyMemo* memo) {
  for (int i = 0; i < OS_MAX_DRUGS; ++i) memo->ratio[i] = -1.0;
}

// ``memo``: null, or the memo of these concentrations (os_occupancy's f either way).
OS_HD inline void os_drug_terms(const OsModel& m, int t, const double* conc, OsDrugTerms* d,
                                OsOccupancyMemo* memo = nullptr) {
  const int n_drugs = (int)m.n_drugs();
  const double* emax = m.emax();
  const double* hill = m.hill();
  const double* cf = m.conc_factor() + (int64_t)t * n_drugs;
  const double* ic50 = m.ic50() + (int64_t)t * n_drugs;
  const double* ef = m.effect_factor() + (int64_t)t * n_drugs;
  for (int i = 0; i < n_drugs; ++i) {
    const double c = conc[i] * cf[i];
    if (memo == nullptr || !(c > 0.0)) {
      d->f[i] = os_occupancy(c, ic50[i], hill[i]);
    } else {
      const double ratio = ic50[i] / c;  // os_occupancy, with the memo
      if (memo->ratio[i] != ratio) {
        memo->ratio[i] = ratio;
        memo->f[i] = 1.0 / (1.0 + os_numpy_power(ratio, hill[i]));
      }
      d->f[i] = memo->f[i];
    }
    d->effect[i] = emax[i] * ef[i] * d->f[i];
  }
}

// Highest single agent (rates.strongest): the largest kill-mode and cytostatic effects and the
// largest occupancy, in drug order.
struct OsStrongest {
  bool has_kill, any_cyto;
  double kill, cyto, f;
};

OS_HD inline OsStrongest os_strongest(const OsModel& m, const OsDrugTerms& d) {
  OsStrongest s;
  s.has_kill = s.any_cyto = false;
  s.kill = s.cyto = s.f = 0.0;
  const int64_t* drug_kill = m.drug_kill();
  for (int i = 0; i < (int)m.n_drugs(); ++i) {
    s.f = i == 0 ? d.f[i] : os_max(s.f, d.f[i]);
    if (drug_kill[i]) {
      s.kill = s.has_kill ? os_max(s.kill, d.effect[i]) : d.effect[i];
      s.has_kill = true;
    } else {
      s.cyto = s.any_cyto ? os_max(s.cyto, d.effect[i]) : d.effect[i];
      s.any_cyto = true;
    }
  }
  return s;
}

// Bliss (rates.bliss_products): prod (1 - f) over all drugs and prod (1 - E) over cytostatic
// drugs (``any_cyto`` false: none).
OS_HD inline void os_bliss_products(const OsModel& m, const OsDrugTerms& d, double* untouched,
                                    bool* any_cyto, double* keep) {
  const int64_t* drug_kill = m.drug_kill();
  *any_cyto = false;
  *untouched = 0.0;
  *keep = 0.0;
  for (int i = 0; i < (int)m.n_drugs(); ++i) {
    *untouched = i == 0 ? 1.0 - d.f[i] : *untouched * (1.0 - d.f[i]);
    if (!drug_kill[i]) {
      *keep = *any_cyto ? *keep * (1.0 - d.effect[i]) : 1.0 - d.effect[i];
      *any_cyto = true;
    }
  }
}

// Rates of cell type t. ``conc``: the lane's (midpoint) concentrations (D) or null without
// drug; ``crowd``: the lane's crowding per growth group (G) or null (exponential growth).
// ``switch_out`` (P) receives the per-day switching rate to each phenotype.
OS_HD inline OsPairRates os_pair_rates(const OsModel& m, int t, const double* conc,
                                       const double* crowd, double* switch_out) {
  const double dt = m.dt();
  double birth, death;
  os_crowded_rates(m, t, crowd, &birth, &death);
  const double hazard = m.has_immune() ? death + m.immune_kill()[t] : death;
  bool has_kill = false;
  double kill = 0.0;
  bool has_activity = false;
  double activity = 0.0;
  const int n_drugs = (int)m.n_drugs();
  if (conc != nullptr && n_drugs > 0) {
    has_activity = true;
    OsDrugTerms d;
    os_drug_terms(m, t, conc, &d);
    if (m.combination() == OS_HIGHEST_SINGLE_AGENT) {
      const OsStrongest s = os_strongest(m, d);
      has_kill = s.has_kill;
      if (s.has_kill) kill = s.kill * dt;
      if (s.any_cyto) birth = birth * (1.0 - s.cyto);
      activity = s.f;
    } else {
      const int64_t* drug_kill = m.drug_kill();
      double survive = 0.0;  // prod (1 - E dt) over kill drugs
      for (int i = 0; i < n_drugs; ++i) {
        if (!drug_kill[i]) continue;
        survive = has_kill ? survive * (1.0 - d.effect[i] * dt) : 1.0 - d.effect[i] * dt;
        has_kill = true;
      }
      double untouched, keep_birth;
      bool any_cyto;
      os_bliss_products(m, d, &untouched, &any_cyto, &keep_birth);
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
