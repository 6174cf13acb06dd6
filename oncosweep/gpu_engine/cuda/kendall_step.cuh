// oncosweep: one exact step (simulation.scheme: exact) of the multi-type branching process for
// ONE realization.
//
// The CUDA twin of oncosweep/gpu_engine/kendall_step.py (see its docstring for the scheme:
// Kendall's law per cell type over the step with the drug effects integrated on
// m.kendall_pieces() pieces, Strang splitting of switching and migration, Poisson mutant
// daughters split by the conditioned binomial tree, arrivals at the midpoint). Every draw
// reads its own counter-addressed Philox blocks, so the order of the draws here is free; the
// accumulators are evaluated in the numpy module's order, one IEEE rounding per operation.
//
// As in the numpy engine, a pair's accumulators are computed once per step: what the second
// jumps and the second half step need of them is cached (os_cache_law). Targets no type can reach have integral 0: their
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

// The integrals of a cell type's transition rates over the step (kendall_step.StepSpans'
// switch, migration, transitions).
struct OsTransitions {
  double switch_integral[OS_MAX_PHENOTYPES];      // integral of each switching rate (1)
  double migration_integral[OS_MAX_COMPARTMENTS];  // integral of each migration rate (1)
  double total;                                    // their sum L
};

// kendall_step.switch_integrals (s_k dt + (s_k_on_drug - s_k) A, A: the integral of the drug
// activity over the step, days), the migration integrals and their sum.
OS_HD inline void os_transitions(const OsModel& m, int t, double dt, double activity,
                                 OsTransitions* tr) {
  const int n_phen = (int)m.n_phenotypes();
  const int n_comp = (int)m.n_compartments();
  const double* s = m.switch_rate() + (int64_t)t * n_phen;
  for (int k = 0; k < n_phen; ++k) tr->switch_integral[k] = s[k] * dt;
  if (m.drug_sensitive_switching()) {
    const double* s_on = m.switch_rate_on_drug() + (int64_t)t * n_phen;
    for (int k = 0; k < n_phen; ++k) {
      tr->switch_integral[k] = tr->switch_integral[k] + (s_on[k] - s[k]) * activity;
    }
  }
  const double* migration_rate = m.migration_rate() + (int64_t)t * n_comp;
  for (int c = 0; c < n_comp; ++c) tr->migration_integral[c] = migration_rate[c] * dt;
  double total = 0.0;
  for (int k = 0; k < n_phen; ++k) total = total + tr->switch_integral[k];
  for (int c = 0; c < n_comp; ++c) total = total + tr->migration_integral[c];
  tr->total = total;
}

struct OsStepSpans {
  OsSpan first;
  OsSpan second;
  OsSpan full;
  double activity;  // integral of the drug activity over the step, days (0 without drug)
  OsTransitions jumps;
};

// kendall_step.step_spans for cell type t over a step of ``dt`` days. ``conc``/``infusion``:
// start-of-step concentrations (after the boluses) and infusion rates (D), or null without drug;
// ``memo`` (m.kendall_pieces()): the occupancy memos of the step's quadrature nodes.
OS_HD inline void os_step_spans(const OsModel& m, int t, double dt, const double* conc,
                                const double* infusion, const double* crowd,
                                OsOccupancyMemo* memo, OsStepSpans* sp) {
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
  double activity = 0.0;
  if (conc == nullptr) {
    const OsHazards hz = os_pair_hazards(m, t, nullptr, crowd, switch_rate);
    double out = 0.0;
    for (int k = 0; k < n_phen; ++k) out = out + switch_rate[k];
    const double birth = hz.birth;
    sp->first = os_span_add_piece(empty, birth, birth * keep * keep,
                                  hz.death + birth * mutant * mutant, out + migrate_out,
                                  dt / 2.0);
    sp->second = sp->first;
  } else {
    const int pieces = (int)m.kendall_pieces();
    const double h = dt / (double)pieces;
    const double* node_decay = m.pk_node_decay();
    const double* node_infusion = m.pk_node_infusion();
    double node[OS_MAX_DRUGS];
    sp->first = empty;
    sp->second = empty;
    for (int q = 0; q < pieces; ++q) {
      for (int d = 0; d < n_drugs; ++d) {
        node[d] = conc[d] * node_decay[q * n_drugs + d] +
                  infusion[d] * node_infusion[q * n_drugs + d];
      }
      const OsHazards hz = os_pair_hazards(m, t, node, crowd, switch_rate, &memo[q]);
      double out = 0.0;
      for (int k = 0; k < n_phen; ++k) out = out + switch_rate[k];
      const double birth = hz.birth;
      OsSpan* span = q < pieces / 2 ? &sp->first : &sp->second;
      *span = os_span_add_piece(*span, birth, birth * keep * keep,
                                hz.death + birth * mutant * mutant, out + migrate_out, h);
      activity = activity + hz.activity * h;
    }
  }
  sp->activity = activity;
  os_transitions(m, t, dt, activity, &sp->jumps);
  sp->full = os_span_compose(sp->first, sp->second);
}

#define OS_EVENT_SECOND_SWITCH_BASE 28u   // rng.EVENT_SECOND_SWITCH_BASE
#define OS_EVENT_SECOND_MIGRATE_BASE 36u  // rng.EVENT_SECOND_MIGRATE_BASE

// One target of os_thin: of the ``*cells`` still staying, those that leave with ``share`` (of
// the ``*left`` probability mass still unassigned) by a conditional binomial; updates both and
// returns the movers.
OS_HD inline int64_t os_thin_move(OsDrawContext* ctx, uint32_t ut, uint32_t event, double share,
                                  double* left, int64_t* cells) {
  const double p = os_min(*left > 0.0 ? share / *left : 0.0, 1.0);
  *left = *left - share;
  const int64_t moved = os_draw(ctx, ut, event, *cells, p);
  *cells -= moved;
  return moved;
}

// kendall_step._thin: move ``cells`` of type t (transition hazard L = jumps.total > 0) to
// each other phenotype, then each other compartment, by conditional binomials of
// (L_k / L)(1 - exp(-scale L)); movers are added to ``moved_to``; returns the stayers.
OS_HD inline int64_t os_thin(const OsModel& m, OsDrawContext* ctx, int t,
                             const OsTransitions& jumps, int64_t cells, double scale,
                             uint32_t switch_base, uint32_t migrate_base, int64_t* moved_to) {
  const int n_phen = (int)m.n_phenotypes();
  const int n_comp = (int)m.n_compartments();
  const uint32_t ut = (uint32_t)t;
  const double total = jumps.total;
  const double leave = -expm1(-(total * scale));
  double left = 1.0;
  const int own_phen = (int)m.phenotype()[t];
  for (int k = 0; k < n_phen; ++k) {
    if (k == own_phen) continue;
    moved_to[t + (k - own_phen) * n_comp] +=
        os_thin_move(ctx, ut, switch_base + (uint32_t)k, jumps.switch_integral[k] / total * leave,
                     &left, &cells);
  }
  const int own_comp = (int)m.compartment()[t];
  for (int c = 0; c < n_comp; ++c) {
    if (c == own_comp) continue;
    moved_to[t + (c - own_comp)] +=
        os_thin_move(ctx, ut, migrate_base + (uint32_t)c,
                     jumps.migration_integral[c] / total * leave, &left, &cells);
  }
  return cells;
}

#define OS_LAW_STRIDE 8  // per cell type in ``laws``: see os_cache_law

// The step's accumulators of type t into ``laws`` (OS_LAW_STRIDE per type): the second half
// step's (1 - alpha, odds), the integral A of the drug activity (days, from which the
// transition integrals follow: os_transitions), the first half step's and the whole step's
// (1 - alpha, odds) and the whole step's expected divisions per cell. The numpy engine
// computes a pair's spans once; this cache keeps the kernel from computing them again when a
// type's spans were needed before its own turn (a jump target, os_type_jumps), for the second
// jumps and for the second half step (the same doubles).
OS_HD inline void os_cache_law(const OsStepSpans& sp, double* law) {
  os_span_law(sp.second, &law[0], &law[1]);
  law[2] = sp.activity;
  os_span_law(sp.first, &law[3], &law[4]);
  os_span_law(sp.full, &law[5], &law[6]);
  law[7] = sp.full.divisions;
}

// The cached entries of type t (os_cache_law), its spans computed now if the step has not yet.
OS_HD inline const double* os_cached_law(const OsModel& m, int t, double dt, const double* conc,
                                         const double* infusion, const double* crowd,
                                         OsOccupancyMemo* memo, double* laws) {
  double* law = &laws[OS_LAW_STRIDE * t];
  if (law[0] < 0.0) {
    OsStepSpans sp;
    os_step_spans(m, t, dt, conc, infusion, crowd, memo, &sp);
    os_cache_law(sp, law);
  }
  return law;
}

// Whether type t's switching rates depend on the drug activity (some s_on != s).
OS_HD inline bool os_switching_follows_drug(const OsModel& m, int t) {
  if (!m.drug_sensitive_switching()) return false;
  const int n_phen = (int)m.n_phenotypes();
  const double* s = m.switch_rate() + (int64_t)t * n_phen;
  const double* s_on = m.switch_rate_on_drug() + (int64_t)t * n_phen;
  for (int k = 0; k < n_phen; ++k) {
    if (s_on[k] != s[k]) return true;
  }
  return false;
}

// The transition integrals of type k over the step (os_transitions): from the law cache, or
// from k's spans computed (and cached) now when k holds cells (its own turn needs them), else
// from A = 0: os_jump asks only for types whose switching does not follow the drug
// (s dt + 0 A: the same doubles as with k's own A).
OS_HD inline void os_type_jumps(const OsModel& m, int k, double dt, const int64_t* counts,
                                const double* conc, const double* infusion, const double* crowd,
                                OsOccupancyMemo* memo, double* laws, OsTransitions* tr) {
  if (laws[OS_LAW_STRIDE * k] >= 0.0 || counts[k] > 0) {
    const double* law = os_cached_law(m, k, dt, conc, infusion, crowd, memo, laws);
    os_transitions(m, k, dt, law[2], tr);
  } else {
    os_transitions(m, k, dt, 0.0, tr);
  }
}

// kendall_step._jump: the jumps of ``cells`` of type t (hazard L = jumps.total > 0) in a model
// whose cell types differ along one axis besides the genotype (phenotypes with one
// compartment, or compartments with one phenotype): os_thin's two jumps -- a cell leaves for
// state k with q_k = (L_k / L)(1 - exp(-L)) and from k jumps once more with 1 - exp(-L' / 2)
// (L': k's hazard) to state j with share L'_j / L' -- drawn as ONE multinomial over the final
// states j != own (conditional binomials in increasing j, the first jumps' events). Movers are
// added to ``mid``; returns the stayers (those back home included). Where a target k with
// q_k > 0 holds no cells and its switching follows the drug (L' would need k's drug activity,
// which the step has not computed), the two jumps are drawn one after the other instead
// (os_thin, then the second jumps of ``once``): the same law.
OS_HD inline int64_t os_jump(const OsModel& m, OsDrawContext* ctx, int t,
                             const OsTransitions& jumps, int64_t cells, double dt,
                             const int64_t* counts, const double* conc, const double* infusion,
                             const double* crowd, OsOccupancyMemo* memo, double* laws,
                             int64_t* mid, int64_t* once) {
  if (cells <= 0) return 0;  // no draw takes random numbers (the numpy engine's values)
  const bool phenotypes = m.n_compartments() == 1;  // else n_phenotypes() == 1
  const int n_states = phenotypes ? (int)m.n_phenotypes() : (int)m.n_compartments();
  const int own = phenotypes ? (int)m.phenotype()[t] : (int)m.compartment()[t];
  const double* integral = phenotypes ? jumps.switch_integral : jumps.migration_integral;
  const uint32_t event_base = phenotypes ? OS_EVENT_SWITCH_BASE : OS_EVENT_MIGRATE_BASE;
  const double total = jumps.total;
  const double leave = -expm1(-total);
  const uint32_t ut = (uint32_t)t;
  for (int k = 0; k < n_states; ++k) {  // kendall_step._needs_two_jumps
    if (k == own || !(integral[k] / total * leave > 0.0)) continue;
    const int target = t + (k - own);
    if (counts[target] <= 0 && os_switching_follows_drug(m, target)) {
      return os_thin(m, ctx, t, jumps, cells, 1.0, OS_EVENT_SWITCH_BASE, OS_EVENT_MIGRATE_BASE,
                     once);
    }
  }
  OsTransitions next_jumps;
  if (n_states == 2) {  // the loops below for one other state: the same doubles
    const int k = 1 - own;
    const double q = integral[k] / total * leave;
    double share_k = 0.0;
    if (q > 0.0) {
      os_type_jumps(m, t + (k - own), dt, counts, conc, infusion, crowd, memo, laws,
                    &next_jumps);
      share_k = share_k + q * exp(-(next_jumps.total * 0.5));
    }
    double left = 1.0;
    mid[t + (k - own)] += os_thin_move(ctx, ut, event_base + (uint32_t)k, share_k, &left,
                                       &cells);
    return cells;
  }
  double share[OS_MAX_PHENOTYPES > OS_MAX_COMPARTMENTS ? OS_MAX_PHENOTYPES
                                                       : OS_MAX_COMPARTMENTS];
  for (int j = 0; j < n_states; ++j) share[j] = 0.0;
  for (int k = 0; k < n_states; ++k) {
    if (k == own) continue;
    const double q = integral[k] / total * leave;
    if (!(q > 0.0)) continue;
    os_type_jumps(m, t + (k - own), dt, counts, conc, infusion, crowd, memo, laws,
                  &next_jumps);
    const double next_total = next_jumps.total;
    const double settle = exp(-(next_total * 0.5));  // no second jump
    share[k] = share[k] + q * settle;
    if (!(next_total > 0.0)) continue;
    const double moved_again = q * (1.0 - settle);
    const double* next_integral =
        phenotypes ? next_jumps.switch_integral : next_jumps.migration_integral;
    for (int j = 0; j < n_states; ++j) {
      if (j == own || j == k) continue;
      share[j] = share[j] + moved_again * (next_integral[j] / next_total);
    }
  }
  double left = 1.0;
  for (int j = 0; j < n_states; ++j) {
    if (j == own) continue;
    mid[t + (j - own)] += os_thin_move(ctx, ut, event_base + (uint32_t)j, share[j], &left,
                                       &cells);
  }
  return cells;
}

// counts (T) -> next (T) after one exact step of ``dt`` days (the model's dt, or a sub-step
// near the detection size); ``scratch`` (2 T): the cells that take the second half step and
// the cells that jumped once; ``laws`` (OS_LAW_STRIDE T): os_cache_law of the types whose
// spans were computed in this step (-1 in the first entry marks the others). LMAX: capacity
// of the mutation tree (loci).
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
    laws[OS_LAW_STRIDE * t] = -1.0;
  }
  OsOccupancyMemo memo[OS_KENDALL_MAX_PIECES];
  for (int q = 0; q < (int)m.kendall_pieces(); ++q) os_occupancy_memo_clear(&memo[q]);
  int64_t groups[1 << LMAX];
  const bool composed = n_phen == 1 || n_comp == 1;  // os_jump, else os_thin's two jumps
  OsTransitions jumps;
  for (int t = 0; t < n_types; ++t) {
    const int64_t n = counts[t];
    if (n <= 0) continue;
    const uint32_t ut = (uint32_t)t;
    const double* law = os_cached_law(m, t, dt, conc, infusion, crowd, memo, laws);
    os_transitions(m, t, dt, law[2], &jumps);
    if (!(jumps.total > 0.0)) {
      next[t] += os_birth_death_step(ctx->key, ut, OS_EVENT_KENDALL_FULL, ctx->step,
                                     ctx->realization, n, law[5], law[6], &ctx->nontrivial);
    } else {
      const int64_t half = os_birth_death_step(ctx->key, ut, OS_EVENT_KENDALL_FIRST, ctx->step,
                                               ctx->realization, n, law[3], law[4],
                                               &ctx->nontrivial);
      if (composed) {
        mid[t] += os_jump(m, ctx, t, jumps, half, dt, counts, conc, infusion, crowd, memo,
                          laws, mid, once);
      } else {
        mid[t] += os_thin(m, ctx, t, jumps, half, 1.0, OS_EVENT_SWITCH_BASE,
                          OS_EVENT_MIGRATE_BASE, once);
      }
    }
    // Mutant daughters of the step, split over the subsets of new mutations.
    const double mean = 2.0 * m.mutation_any()[t] * law[7] * (double)n;
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
  // Cells that jumped once may jump again with half their new type's hazard (os_thin's two
  // jumps: models with both phenotypes and compartments, and os_jump's fallback).
  for (int t = 0; t < n_types; ++t) {
    if (once[t] <= 0) continue;
    const double* law = os_cached_law(m, t, dt, conc, infusion, crowd, memo, laws);
    os_transitions(m, t, dt, law[2], &jumps);
    if (!(jumps.total > 0.0)) {
      mid[t] += once[t];
      continue;
    }
    mid[t] += os_thin(m, ctx, t, jumps, once[t], 0.5, OS_EVENT_SECOND_SWITCH_BASE,
                      OS_EVENT_SECOND_MIGRATE_BASE, mid);
  }
  for (int t = 0; t < n_types; ++t) {
    if (mid[t] <= 0) continue;
    const double* law = os_cached_law(m, t, dt, conc, infusion, crowd, memo, laws);
    next[t] += os_birth_death_step(ctx->key, (uint32_t)t, OS_EVENT_KENDALL_SECOND, ctx->step,
                                   ctx->realization, mid[t], law[0], law[1], &ctx->nontrivial);
  }
}
