// oncosweep: the whole life of ONE realization, from its first cells to detection and through
// therapy (the CUDA twin of oncosweep/gpu_engine/realization.py's run_engine loop, for one
// lane).
//
// The kernel (engine.cu) runs this with one thread per realization; the host build
// (host_engine.cu) runs it serially on the CPU, where tests compare it realization by
// realization with the numpy engine. Iteration ``it`` is both the loop counter and the step
// word of every random-number counter, as in the numpy engine.
//
// Order within an iteration (as realization.run_engine): bookkeeping (detection, restart, give
// up) -> if treated: policy start / tick, visit (imaging, ctDNA, decisions), the step's
// boluses, trajectory sample, cure / death / horizon -> if still running: the step (exact:
// drug effects on the quadrature pieces of the step from the start concentrations; euler: at
// the midpoint concentration), exact PK update and exposure.
#pragma once

#include "clinic.cuh"
#include "compat.cuh"
#include "kendall_step.cuh"
#include "lesions.cuh"
#include "model.cuh"
#include "pharmacology.cuh"
#include "philox.cuh"
#include "rates.cuh"
#include "step.cuh"

#define OS_GROWING 0
#define OS_TREATED 1
#define OS_FINISHED 2

// Simulate realization ``real`` (global index), chunk row ``lane``; ``trace_row`` >= 0 makes it
// traced (row of the trajectory outputs). TMAX / LMAX: capacities for cell types and loci.
template <int TMAX, int LMAX>
OS_HD inline OsLaneStats os_simulate_realization(const OsModel& m, OsKey key, uint64_t real,
                                                 int64_t lane, int64_t trace_row,
                                                 const OsOutputs& out) {
  OsLaneStats stats;
  stats.lane_steps = 0;
  stats.nontrivial_draws = 0;
  stats.iterations = 0;
  stats.status = OS_OK;
  const int n_types = (int)m.n_types();
  const int n_drugs = (int)m.n_drugs();
  if (n_types > TMAX || m.n_loci() > LMAX || n_drugs > OS_MAX_DRUGS ||
      m.n_groups() > OS_MAX_GROUPS || m.n_phenotypes() > OS_MAX_PHENOTYPES ||
      m.n_compartments() > OS_MAX_COMPARTMENTS || m.n_ctdna() > OS_MAX_VARIANTS) {
    stats.status = OS_TOO_LARGE;
    out.status[lane] = stats.status;
    return stats;
  }
  const bool treated_model = m.treated();
  const bool growth_crowding = m.growth_law() != OS_EXPONENTIAL;
  const int64_t n_times = m.n_trace_times();
  const int64_t trace_every = m.trace_every_steps();
  const int64_t visit_steps = m.visit_steps();

  int64_t counts[TMAX];
  int64_t next[TMAX];
  int64_t scratch[2 * TMAX];  // the exact step's cells between its two halves
  double laws[OS_LAW_STRIDE * TMAX];  // the exact step's cached laws (os_cache_law)
  double conc[OS_MAX_DRUGS];
  double auc[OS_MAX_DRUGS];
  double lane_conc[OS_MAX_DRUGS];
  double infusion[OS_MAX_DRUGS];
  double crowd[OS_MAX_GROUPS];
  const int64_t* initial = m.initial_counts();
  for (int t = 0; t < n_types; ++t) counts[t] = initial[t];
  for (int d = 0; d < n_drugs; ++d) {
    conc[d] = 0.0;
    auc[d] = 0.0;
  }
  int phase = OS_GROWING;
  int64_t attempt_start = 0, restarts = 0, detect_it = -1, end_it = -1;
  int64_t substeps = 0, substeps_all = 0, detect_substeps = 0;  // realization._Lanes
  const int64_t sub_m = m.detection_substeps();
  bool cured = false;
  OsPolicy plan;
  plan.reset();
  OsRecistLane lesion_eval;
  lesion_eval.reset();
  int64_t* cells_at_detection = out.cells_at_detection + lane * n_types;
  for (int t = 0; t < n_types; ++t) cells_at_detection[t] = 0;
  int64_t* cells_at_pd = out.cells_at_pd + lane * n_types;
  for (int t = 0; t < n_types; ++t) cells_at_pd[t] = 0;

  OsDrawContext ctx;
  ctx.key = key;
  ctx.realization = real;
  ctx.nontrivial = 0;
  ctx.status = OS_OK;

  int64_t it = 0;
  for (;;) {
    // ---- bookkeeping (realization._bookkeep) ----
    int64_t total = 0;
    for (int t = 0; t < n_types; ++t) total += counts[t];
    if (phase == OS_GROWING) {
      const bool found = total >= m.detection_size();
      const bool extinct = total == 0;
      if (extinct) restarts += 1;
      // the budget counts a sub-step as 1 / m of a step
      const int64_t spent = (it - substeps_all) * sub_m + substeps_all;
      const bool give_up = (extinct && restarts > m.max_restarts()) ||
                           (!found && !extinct && spent >= m.max_detection_steps() * sub_m);
      if (extinct && !give_up) {
        for (int t = 0; t < n_types; ++t) counts[t] = initial[t];
        attempt_start = it;
        substeps = 0;
      }
      if (give_up) {
        phase = OS_FINISHED;
        for (int t = 0; t < n_types; ++t) cells_at_detection[t] = counts[t];
      }
      if (found) {
        phase = OS_TREATED;
        detect_it = it;
        detect_substeps = substeps;
        for (int t = 0; t < n_types; ++t) cells_at_detection[t] = counts[t];
      }
    }
    if (phase == OS_TREATED) {
      const int64_t since = it - detect_it;
      if (treated_model) {
        if (since == 0) os_policy_start(m, &plan, it);
        os_policy_tick(m, &plan, since, it);
      }
      if (visit_steps != 0 && since % visit_steps == 0) {
        const uint32_t step = (uint32_t)it;
        const double observed = os_imaging(m, key, step, real, total);
        bool resisting = false;
        if (m.ctdna()) {
          if (growth_crowding) os_crowding(m, counts, total, crowd);
          resisting = os_ctdna_resisting(m, key, step, real, counts,
                                         treated_model ? conc : nullptr,
                                         growth_crowding ? crowd : nullptr, plan.line,
                                         &ctx.status,
                                         trace_row >= 0
                                             ? out.ctdna_vaf + (trace_row * m.n_visits() +
                                                                since / visit_steps) *
                                                                   m.n_ctdna()
                                             : nullptr);
        }
        if (m.recist()) {  // realization._visit with RECIST
          double measured[OS_MAX_COMPARTMENTS];
          os_lesion_measure(m, key, step, real, counts, measured);
          const int64_t line_before = plan.line;
          double sum_mm;
          const int64_t code = os_lesions_evaluate(m, &lesion_eval, measured, &sum_mm);
          if (line_before == 0) {
            os_recist_best_update(&lesion_eval.best, code, (double)since * m.dt(),
                                  m.confirm_days(), m.min_sd_days());
          }
          os_policy_visit(m, &plan, since == 0, observed, m.ctdna() != 0, resisting, it,
                          code == OS_RECIST_PD);
          if (plan.line != line_before) os_lesions_rebaseline(m, &lesion_eval, measured);
          if (trace_row >= 0) {
            out.sum_diameters[trace_row * m.n_visits() + since / visit_steps] = sum_mm;
          }
        } else {
          os_policy_visit(m, &plan, since == 0, observed, m.ctdna() != 0, resisting, it, false);
        }
        if (plan.first_pd_it == it) {  // realization._visit: the first imaging PD
          for (int t = 0; t < n_types; ++t) cells_at_pd[t] = counts[t];
        }
        if (trace_row >= 0) {
          out.observed_burden[trace_row * m.n_visits() + since / visit_steps] = observed;
        }
      }
      if (treated_model && plan.regimen >= 0) {
        const double* bolus = m.regimen_bolus() +
                              (plan.regimen * (m.horizon_steps() + 1) + (it - plan.activated)) *
                                  n_drugs;
        for (int d = 0; d < n_drugs; ++d) conc[d] += bolus[d] * plan.dose;
      }
      if (trace_row >= 0 && since % trace_every == 0) {
        const int64_t sample = trace_row * n_times + since / trace_every;
        for (int t = 0; t < n_types; ++t) {
          out.trajectory[sample * n_types + t] = (double)counts[t];
        }
        for (int d = 0; d < n_drugs; ++d) out.concentration[sample * n_drugs + d] = conc[d];
        out.on_treatment[sample] = plan.regimen >= 0 ? plan.dose : 0.0;
      }
      const bool cure = total == 0;
      const bool dies = total >= m.lethal_size();
      if (cure) cured = true;
      if (cure || dies) end_it = it;
      if (cure || dies || since >= m.horizon_steps()) phase = OS_FINISHED;
    }
    if (phase == OS_FINISHED || ctx.status != OS_OK) break;

    // ---- the step ----
    const bool on = phase == OS_TREATED;
    if (on && plan.regimen >= 0) plan.treated_steps += 1;
    const double* step_conc = nullptr;
    if (treated_model && on) {
      const double* rate = plan.regimen >= 0 ? m.regimen_infusion() + plan.regimen * n_drugs
                                             : nullptr;
      for (int d = 0; d < n_drugs; ++d) infusion[d] = rate != nullptr ? rate[d] * plan.dose : 0.0;
      os_pk_midpoint(m, n_drugs, conc, infusion, lane_conc);
      step_conc = lane_conc;
    }
    if (growth_crowding) os_crowding(m, counts, total, crowd);
    ctx.step = (uint32_t)it;
    if (m.scheme() == OS_SCHEME_EXACT) {
      // a growing tumour that may reach the detection size within the step takes a sub-step
      const bool close = m.detection_substeps() > 1 && phase == OS_GROWING &&
                         (double)total * m.detection_near() >= (double)m.detection_size();
      const double dt = close ? m.dt() / (double)m.detection_substeps() : m.dt();
      os_kendall_step<LMAX>(m, &ctx, dt, counts, next, scratch, laws,
                            step_conc != nullptr ? conc : nullptr, infusion,
                            growth_crowding ? crowd : nullptr);
      if (close) {
        substeps += 1;
        substeps_all += 1;
      }
    } else {
      os_branching_step<LMAX>(m, &ctx, counts, next, step_conc,
                              growth_crowding ? crowd : nullptr);
    }
    for (int t = 0; t < n_types; ++t) counts[t] = next[t];
    if (step_conc != nullptr) os_pk_advance(m, n_drugs, conc, infusion, auc);
    if (ctx.status != OS_OK) break;
    stats.lane_steps += 1;
    it += 1;
  }

  stats.iterations = (unsigned long long)it;
  stats.nontrivial_draws = ctx.nontrivial;
  stats.status = ctx.status;
  out.status[lane] = ctx.status;
  out.attempt_start[lane] = attempt_start;
  out.restarts[lane] = restarts;
  out.detect_it[lane] = detect_it;
  out.detect_substeps[lane] = detect_substeps;
  out.end_it[lane] = end_it;
  out.cured[lane] = cured ? 1 : 0;
  for (int d = 0; d < n_drugs; ++d) out.auc[lane * n_drugs + d] = auc[d];
  out.progressed[lane] = plan.progressed ? 1 : 0;
  out.progression_it[lane] = plan.progression_it;
  out.first_pd_it[lane] = plan.first_pd_it;
  out.ctdna_it[lane] = plan.ctdna_it;
  out.switches[lane] = plan.switches;
  out.switch_it[lane] = plan.switch_it;
  out.treated_steps[lane] = plan.treated_steps;
  out.best_response[lane] = os_recist_best_response(&lesion_eval.best);
  out.response_day[lane] = os_recist_best_response_day(&lesion_eval.best);
  out.response_duration[lane] = os_recist_best_duration(&lesion_eval.best);
  out.response_event[lane] = os_recist_best_event(&lesion_eval.best);
  return stats;
}
