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
#include "rates.cuh"

struct OsHazards {
  double birth;  // division rate after crowding and cytostatic drugs, per day
  double death;  // death after crowding + immune kill + kill-mode drugs, per day
  double activity;  // drug activity a in [0, 1] of the switching rates (0 without drug)
};

// Hazards of cell type t. ``conc``: the lane's concentrations (D) or null without drug;
// ``crowd``: crowding per growth group (G) or null. ``switch_out`` (P) receives the switching
// rate to each phenotype, per day. ``memo``: null or the occupancy memo of ``conc``
// (os_drug_terms).
OS_HD inline OsHazards os_pair_hazards(const OsModel& m, int t, const double* conc,
                                       const double* crowd, double* switch_out,
                                       OsOccupancyMemo* memo = nullptr) {
  double birth, death;
  os_crowded_rates(m, t, crowd, &birth, &death);
  if (m.has_immune()) death = death + m.immune_kill()[t];
  const int n_phen = (int)m.n_phenotypes();
  const double* s = m.switch_rate() + (int64_t)t * n_phen;
  for (int k = 0; k < n_phen; ++k) switch_out[k] = s[k];
  const int n_drugs = (int)m.n_drugs();
  OsHazards h;
  if (conc == nullptr || n_drugs == 0) {
    h.birth = birth;
    h.death = death;
    h.activity = 0.0;
    return h;
  }
  OsDrugTerms d;
  os_drug_terms(m, t, conc, &d, memo);
  bool has_kill = false;
  double kill = 0.0, activity;
  if (m.combination() == OS_HIGHEST_SINGLE_AGENT) {
    const OsStrongest st = os_strongest(m, d);
    has_kill = st.has_kill;
    kill = st.kill;
    if (st.any_cyto) birth = birth * (1.0 - st.cyto);
    activity = st.f;
  } else {
    const int64_t* drug_kill = m.drug_kill();
    for (int i = 0; i < n_drugs; ++i) {  // independent hazards add
      if (!drug_kill[i]) continue;
      kill = has_kill ? kill + d.effect[i] : d.effect[i];
      has_kill = true;
    }
    double untouched, keep;
    bool any_cyto;
    os_bliss_products(m, d, &untouched, &any_cyto, &keep);
    activity = 1.0 - untouched;
    if (any_cyto) birth = birth * keep;
  }
  if (has_kill) death = death + kill;
  if (m.drug_sensitive_switching()) {
    const double* s_on = m.switch_rate_on_drug() + (int64_t)t * n_phen;
    for (int k = 0; k < n_phen; ++k) switch_out[k] = s[k] + (s_on[k] - s[k]) * activity;
  }
  h.birth = birth;
  h.death = death;
  h.activity = activity;
  return h;
}
