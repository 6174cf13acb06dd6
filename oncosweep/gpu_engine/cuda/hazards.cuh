// oncosweep: per-day event rates (hazards) of one (realization, cell type) pair at given drug
// concentrations, what the exact step integrates over a step.
//
// The CUDA twin of oncosweep/gpu_engine/hazards.py (see its docstring for the formulas): every
// expression in that module's order, one IEEE rounding per operation and no FMA; only pow (in
// os_occupancy) may round differently from numpy's (docs/gpu.md).
#pragma once

#include "compat.cuh"
#include "model.cuh"
#include "pharmacology.cuh"

struct OsHazards {
  double birth;  // division rate after crowding and cytostatic drugs, per day
  double death;  // death after crowding + immune kill + kill-mode drugs, per day
};

// Hazards of cell type t. ``conc``: the lane's concentrations (D) or null without drug;
// ``crowd``: crowding per growth group (G) or null. ``switch_out`` (P) receives the switching
// rate to each phenotype, per day.
OS_HD inline OsHazards os_pair_hazards(const OsModel& m, int t, const double* conc,
                                       const double* crowd, double* switch_out) {
  double birth = m.birth_rate()[t];
  double death = m.death_rate()[t];
  if (crowd != nullptr) {
    const double pressure = os_max(birth - death, 0.0) * crowd[m.group()[t]];
    death = death + os_max(pressure - birth, 0.0);
    birth = os_max(birth - pressure, 0.0);
  }
  if (m.has_immune()) death = death + m.immune_kill()[t];
  const int n_phen = (int)m.n_phenotypes();
  const double* s = m.switch_rate() + (int64_t)t * n_phen;
  for (int k = 0; k < n_phen; ++k) switch_out[k] = s[k];
  const int n_drugs = (int)m.n_drugs();
  if (conc == nullptr || n_drugs == 0) {
    OsHazards h;
    h.birth = birth;
    h.death = death;
    return h;
  }
  const bool hsa = m.combination() == OS_HIGHEST_SINGLE_AGENT;
  const double* emax = m.emax();
  const double* hill = m.hill();
  const int64_t* drug_kill = m.drug_kill();
  const double* cf = m.conc_factor() + (int64_t)t * n_drugs;
  const double* ic50 = m.ic50() + (int64_t)t * n_drugs;
  const double* ef = m.effect_factor() + (int64_t)t * n_drugs;
  bool has_kill = false, any_cyto = false;
  double kill = 0.0, keep = 0.0, activity = 0.0;
  for (int d = 0; d < n_drugs; ++d) {
    const double f = os_occupancy(conc[d] * cf[d], ic50[d], hill[d]);
    const double effect = emax[d] * ef[d] * f;
    if (hsa) {
      activity = d == 0 ? f : os_max(activity, f);
      if (drug_kill[d]) {
        kill = has_kill ? os_max(kill, effect) : effect;
        has_kill = true;
      } else {
        keep = any_cyto ? os_max(keep, effect) : effect;
        any_cyto = true;
      }
      continue;
    }
    activity = d == 0 ? 1.0 - f : activity * (1.0 - f);
    if (drug_kill[d]) {
      kill = has_kill ? kill + effect : effect;
      has_kill = true;
    } else {
      keep = any_cyto ? keep * (1.0 - effect) : 1.0 - effect;
      any_cyto = true;
    }
  }
  if (hsa) {
    if (any_cyto) birth = birth * (1.0 - keep);
  } else {
    activity = 1.0 - activity;
    if (any_cyto) birth = birth * keep;
  }
  if (has_kill) death = death + kill;
  if (m.drug_sensitive_switching()) {
    const double* s_on = m.switch_rate_on_drug() + (int64_t)t * n_phen;
    for (int k = 0; k < n_phen; ++k) switch_out[k] = s[k] + (s_on[k] - s[k]) * activity;
  }
  OsHazards h;
  h.birth = birth;
  h.death = death;
  return h;
}
