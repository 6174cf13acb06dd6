// oncosweep: one exact step (simulation.scheme: exact) of the multi-type branching process for
// ONE realization.
//
// The CUDA twin of oncosweep/gpu_engine/kendall_step.py (see its docstring for the scheme:
// Kendall's law per cell type over the step with the drug effects integrated on
// OS_KENDALL_PIECES pieces, Strang splitting of switching and migration, Poisson mutant
// daughters split by the conditioned binomial tree, arrivals at the midpoint). Every draw
// reads its own counter-addressed Philox blocks, so the order of the draws here is free; the
// accumulators are evaluated in the numpy module's order, one IEEE rounding per operation.
//
// The numpy engine computes a pair's accumulators once; here they are computed again for the
// second half step (the same doubles). Targets no type can reach have integral 0: their
// conditional probability is 0 and the mass left unchanged, which is why looping over every
// target equals the numpy engine's loop over the ranks some type can reach.
#pragma once

#include "binomial.cuh"
#include "birth_death.cuh"
#include "compat.cuh"
#include "hazards.cuh"
#include "kendall.cuh"
#include "model.cuh"
#include "poisson.cuh"
#include "step.cuh"

struct OsStepSpans {
  OsSpan first;
  OsSpan second;
  OsSpan full;
  double switch_integral[OS_MAX_PHENOTYPES];      // integral of each switching rate (1)
  double migration_integral[OS_MAX_COMPARTMENTS];  // integral of each migration rate (1)
  double transitions;                              // their sum L
};

// kendall_step.step_spans for cell type t over a step of ``dt`` days. ``conc``/``infusion``:
// start-of-step concentrations (after the boluses) and infusion rates (D), or null without drug.
OS_HD inline void os_step_spans(const OsModel& m, int t, double dt, const double* conc,
                                const double* infusion, const double* crowd, OsStepSpans* sp) {
  const int n_phen = (int)m.n_phenotypes();
  const int n_comp = (int)m.n_compartments();
  const int n_drugs = (int)m.n_drugs();
  const double mutant = m.mutation_any()[t];
  const double keep = 1.0 - mutant;
  const double* migration_rate = m.migration_rate() + (int64_t)t * n_comp;
  double migrate_out = 0.0;
  for (int c = 0; c < n_comp; ++c) migrate_out = migrate_out + migration_rate[c];
  double switch_rate[OS_MAX_PHENOTYPES];
  const OsSpan empty = os_span_empty();
  if (conc == nullptr) {
    const OsHazards hz = os_pair_hazards(m, t, nullptr, crowd, switch_rate);
    double out = 0.0;
    for (int k = 0; k < n_phen; ++k) out = out + switch_rate[k];
    const double birth = hz.birth;
    sp->first = os_span_add_piece(empty, birth, birth * keep * keep,
                                  hz.death + birth * mutant * mutant, out + migrate_out,
                                  dt / 2.0);
    sp->second = sp->first;
    for (int k = 0; k < n_phen; ++k) sp->switch_integral[k] = switch_rate[k] * dt;
  } else {
    const double h = dt / OS_KENDALL_PIECES;
    const double* node_decay = m.pk_node_decay();
    const double* node_infusion = m.pk_node_infusion();
    double node[OS_MAX_DRUGS];
    sp->first = empty;
    sp->second = empty;
    for (int k = 0; k < n_phen; ++k) sp->switch_integral[k] = 0.0;
    for (int q = 0; q < OS_KENDALL_PIECES; ++q) {
      for (int d = 0; d < n_drugs; ++d) {
        node[d] = conc[d] * node_decay[q * n_drugs + d] +
                  infusion[d] * node_infusion[q * n_drugs + d];
      }
      const OsHazards hz = os_pair_hazards(m, t, node, crowd, switch_rate);
      double out = 0.0;
      for (int k = 0; k < n_phen; ++k) out = out + switch_rate[k];
      const double birth = hz.birth;
      OsSpan* span = q < OS_KENDALL_PIECES / 2 ? &sp->first : &sp->second;
      *span = os_span_add_piece(*span, birth, birth * keep * keep,
                                hz.death + birth * mutant * mutant, out + migrate_out, h);
      for (int k = 0; k < n_phen; ++k) {
        sp->switch_integral[k] = sp->switch_integral[k] + switch_rate[k] * h;
      }
    }
  }
  for (int c = 0; c < n_comp; ++c) sp->migration_integral[c] = migration_rate[c] * dt;
  double total = 0.0;
  for (int k = 0; k < n_phen; ++k) total = total + sp->switch_integral[k];
  for (int c = 0; c < n_comp; ++c) total = total + sp->migration_integral[c];
  sp->transitions = total;
  sp->full = os_span_compose(sp->first, sp->second);
}

// One Kendall draw of cell type t (events ``event`` .. ``event + 2``).
OS_HD inline int64_t os_kendall_draw(OsDrawContext* ctx, uint32_t t, uint32_t event, int64_t n,
                                     const OsSpan& span) {
  double survive, odds;
  os_span_law(span, &survive, &odds);
  return os_birth_death_step(ctx->key, t, event, ctx->step, ctx->realization, n, survive, odds,
                             &ctx->nontrivial);
}

#define OS_EVENT_SECOND_SWITCH_BASE 28u   // rng.EVENT_SECOND_SWITCH_BASE
#define OS_EVENT_SECOND_MIGRATE_BASE 36u  // rng.EVENT_SECOND_MIGRATE_BASE

// kendall_step._thin: move ``cells`` of type t (transition hazard L = sp.transitions > 0) to
// each other phenotype, then each other compartment, by conditional binomials of
// (L_k / L)(1 - exp(-scale L)); movers are added to ``moved_to``; returns the stayers.
OS_HD inline int64_t os_thin(const OsModel& m, OsDrawContext* ctx, int t, const OsStepSpans& sp,
                             int64_t cells, double scale, uint32_t switch_base,
                             uint32_t migrate_base, int64_t* moved_to) {
  const int n_phen = (int)m.n_phenotypes();
  const int n_comp = (int)m.n_compartments();
  const uint32_t ut = (uint32_t)t;
  const double total = sp.transitions;
  const double leave = -expm1(-(total * scale));
  double left = 1.0;
  const int own_phen = (int)m.phenotype()[t];
  for (int k = 0; k < n_phen; ++k) {
    if (k == own_phen) continue;
    const double share = sp.switch_integral[k] / total * leave;
    const double p = os_min(left > 0.0 ? share / left : 0.0, 1.0);
    left = left - share;
    const int64_t moved = os_draw(ctx, ut, switch_base + (uint32_t)k, cells, p);
    cells -= moved;
    moved_to[t + (k - own_phen) * n_comp] += moved;
  }
  const int own_comp = (int)m.compartment()[t];
  for (int c = 0; c < n_comp; ++c) {
    if (c == own_comp) continue;
    const double share = sp.migration_integral[c] / total * leave;
    const double p = os_min(left > 0.0 ? share / left : 0.0, 1.0);
    left = left - share;
    const int64_t moved = os_draw(ctx, ut, migrate_base + (uint32_t)c, cells, p);
    cells -= moved;
    moved_to[t + (c - own_comp)] += moved;
  }
  return cells;
}

// counts (T) -> next (T) after one exact step of ``dt`` days (the model's dt, or a sub-step
// near the detection size); ``scratch`` (2 T): the cells that take the second half step and
// the cells that jumped once; ``laws`` (2 T): the second half step's (1 - alpha, odds) of the
// types occupied at the start (computed once; -1 marks the others). LMAX: capacity of the
// mutation tree (loci).
template <int LMAX>
OS_HD inline void os_kendall_step(const OsModel& m, OsDrawContext* ctx, double dt,
                                  const int64_t* counts, int64_t* next, int64_t* scratch,
                                  double* laws, const double* conc, const double* infusion,
                                  const double* crowd) {
  const int n_types = (int)m.n_types();
  const int n_phen = (int)m.n_phenotypes();
  const int n_comp = (int)m.n_compartments();
  const int n_loci = (int)m.n_loci();
  int64_t* mid = scratch;
  int64_t* once = scratch + n_types;
  for (int t = 0; t < n_types; ++t) {
    next[t] = 0;
    mid[t] = 0;
    once[t] = 0;
    laws[2 * t] = -1.0;
  }
  OsStepSpans sp;
  int64_t groups[1 << LMAX];
  for (int t = 0; t < n_types; ++t) {
    const int64_t n = counts[t];
    if (n <= 0) continue;
    const uint32_t ut = (uint32_t)t;
    os_step_spans(m, t, dt, conc, infusion, crowd, &sp);
    os_span_law(sp.second, &laws[2 * t], &laws[2 * t + 1]);
    if (!(sp.transitions > 0.0)) {
      next[t] += os_kendall_draw(ctx, ut, OS_EVENT_KENDALL_FULL, n, sp.full);
    } else {
      const int64_t half = os_kendall_draw(ctx, ut, OS_EVENT_KENDALL_FIRST, n, sp.first);
      mid[t] += os_thin(m, ctx, t, sp, half, 1.0, OS_EVENT_SWITCH_BASE, OS_EVENT_MIGRATE_BASE,
                        once);
    }
    // Mutant daughters of the step, split over the subsets of new mutations.
    const double mean = 2.0 * m.mutation_any()[t] * sp.full.divisions * (double)n;
    if (!(mean > 0.0)) continue;
    ctx->nontrivial += 1;
    const int64_t mutants = os_poisson(ctx->key, os_birth_death_slot(ut, OS_EVENT_MUTANTS),
                                       ctx->step, ctx->realization, mean);
    if (mutants == 0) continue;
    const int64_t geno = m.genotype()[t];
    const int n_groups = 1 << n_loci;
    for (int g = 0; g < n_groups; ++g) groups[g] = 0;
    groups[0] = mutants;
    const double* u = m.mutation_rate();
    const double* first = m.mutation_first() + (int64_t)t * n_loci;
    for (int j = 0; j < n_loci; ++j) {
      if (u[j] <= 0.0 || ((geno >> j) & 1) != 0) continue;
      for (int g = 0; g < (1 << j); ++g) {
        if (groups[g] <= 0) continue;
        const uint32_t node = (uint32_t)((1 << j) - 1 + g);  // rng.mutation_node(j, g)
        const double p = g == 0 ? first[j] : u[j];
        const int64_t moved = os_draw(ctx, ut, OS_EVENT_MUTATION_BASE + node, groups[g], p);
        groups[g] -= moved;
        groups[g | (1 << j)] += moved;
      }
    }
    const int own_phen = (int)m.phenotype()[t];
    const int own_comp = (int)m.compartment()[t];
    for (int g = 1; g < n_groups; ++g) {
      if (groups[g] == 0) continue;
      mid[((geno | g) * n_phen + own_phen) * n_comp + own_comp] += groups[g];
    }
  }
  // Cells that jumped once may jump again with half their new type's hazard.
  for (int t = 0; t < n_types; ++t) {
    if (once[t] <= 0) continue;
    os_step_spans(m, t, dt, conc, infusion, crowd, &sp);
    if (!(sp.transitions > 0.0)) {
      mid[t] += once[t];
      continue;
    }
    mid[t] += os_thin(m, ctx, t, sp, once[t], 0.5, OS_EVENT_SECOND_SWITCH_BASE,
                      OS_EVENT_SECOND_MIGRATE_BASE, mid);
  }
  for (int t = 0; t < n_types; ++t) {
    if (mid[t] <= 0) continue;
    if (laws[2 * t] < 0.0) {
      os_step_spans(m, t, dt, conc, infusion, crowd, &sp);
      os_span_law(sp.second, &laws[2 * t], &laws[2 * t + 1]);
    }
    next[t] += os_birth_death_step(ctx->key, (uint32_t)t, OS_EVENT_KENDALL_SECOND, ctx->step,
                                   ctx->realization, mid[t], laws[2 * t], laws[2 * t + 1],
                                   &ctx->nontrivial);
  }
}
