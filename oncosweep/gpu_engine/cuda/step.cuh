// oncosweep: one step of the multi-type branching process for ONE realization.
//
// The CUDA twin of oncosweep/gpu_engine/step.py. For every occupied cell type t (n cells):
//   births B ~ Bin(n, p_birth); deaths D ~ Bin(n - B, p_death); switches to each other
//   phenotype, then migrations to each other compartment (increasing target index), each a
//   conditional binomial of the cells still staying; the 2B daughters split over new mutations
//   by the locus-by-locus binomial tree. Every draw reads its own counter-addressed Philox
//   blocks (slot = (type << 18) | (event << 8) | attempt, rng.py), so the order in which this
//   code makes the draws is free: the values are those of the numpy engine.
//
// Targets no type can reach have rate 0: their conditional probability is 0 (no random
// numbers) and the mass left is unchanged (x - 0.0 == x), which is why looping over every
// target here equals the numpy engine's loop over the ranks some type can reach.
#pragma once

#include "binomial.cuh"
#include "compat.cuh"
#include "model.cuh"
#include "rates.cuh"

#define OS_EVENT_BIRTH 0u
#define OS_EVENT_DEATH 1u
#define OS_EVENT_SWITCH_BASE 2u
#define OS_EVENT_MIGRATE_BASE 10u
#define OS_EVENT_MUTATION_BASE 64u
#define OS_TYPE_SHIFT 18u    // EVENT_BITS + ATTEMPT_BITS
#define OS_EVENT_SHIFT 8u    // ATTEMPT_BITS
#define OS_RESERVED_CELL_TYPE 16383u

struct OsDrawContext {
  OsKey key;
  uint32_t step;
  uint64_t realization;
  unsigned long long nontrivial;  // draws that needed random numbers (n > 0, 0 < p < 1)
  int64_t status;
};

// Bin(n, p) for the draw of (cell type, event); a probability outside [0, 1] (or NaN) marks
// the realization failed, as the numpy engine raises.
OS_HD inline int64_t os_draw(OsDrawContext* ctx, uint32_t cell_type, uint32_t event, int64_t n,
                             double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    ctx->status = OS_BAD_PROBABILITY;
    return 0;
  }
  if (n > 0 && p > 0.0 && p < 1.0) ctx->nontrivial += 1;
  const uint32_t slot = (cell_type << OS_TYPE_SHIFT) | (event << OS_EVENT_SHIFT);
  return os_binomial(ctx->key, slot, ctx->step, ctx->realization, n, p);
}

// counts (T) -> next (T) after one step. ``conc``: midpoint concentrations (D) or null;
// ``crowd``: crowding per group or null. LMAX: capacity of the mutation tree (loci).
template <int LMAX>
OS_HD inline void os_branching_step(const OsModel& m, OsDrawContext* ctx, const int64_t* counts,
                                    int64_t* next, const double* conc, const double* crowd) {
  const int n_types = (int)m.n_types();
  const int n_phen = (int)m.n_phenotypes();
  const int n_comp = (int)m.n_compartments();
  const int n_loci = (int)m.n_loci();
  const double dt = m.dt();
  for (int t = 0; t < n_types; ++t) next[t] = 0;
  double switch_rate[OS_MAX_PHENOTYPES];
  int64_t groups[1 << LMAX];
  for (int t = 0; t < n_types; ++t) {
    const int64_t n = counts[t];
    if (n <= 0) continue;
    const uint32_t ut = (uint32_t)t;
    const OsPairRates r = os_pair_rates(m, t, conc, crowd, switch_rate);
    const int64_t births = os_draw(ctx, ut, OS_EVENT_BIRTH, n, r.p_birth);
    const int64_t deaths = os_draw(ctx, ut, OS_EVENT_DEATH, n - births, r.p_death);
    int64_t stay = n - births - deaths;
    double left = r.left;
    const int own_phen = (int)m.phenotype()[t];
    for (int k = 0; k < n_phen; ++k) {
      if (k == own_phen) continue;
      const double p = os_conditional(switch_rate[k], &left, dt);
      const int64_t moved = os_draw(ctx, ut, OS_EVENT_SWITCH_BASE + (uint32_t)k, stay, p);
      stay -= moved;
      next[t + (k - own_phen) * n_comp] += moved;
    }
    const int own_comp = (int)m.compartment()[t];
    const double* migration = m.migration_rate() + (int64_t)t * n_comp;
    for (int c = 0; c < n_comp; ++c) {
      if (c == own_comp) continue;
      const double p = os_conditional(migration[c], &left, dt);
      const int64_t moved = os_draw(ctx, ut, OS_EVENT_MIGRATE_BASE + (uint32_t)c, stay, p);
      stay -= moved;
      next[t + (c - own_comp)] += moved;
    }
    next[t] += stay;
    if (births == 0) continue;
    // Mutation tree: groups[new] = daughters whose new mutations (bit mask) are ``new``.
    const int64_t geno = m.genotype()[t];
    const int n_groups = 1 << n_loci;
    for (int g = 0; g < n_groups; ++g) groups[g] = 0;
    groups[0] = 2 * births;
    const double* u = m.mutation_rate();
    for (int j = 0; j < n_loci; ++j) {
      if (u[j] <= 0.0 || ((geno >> j) & 1) != 0) continue;
      for (int g = 0; g < (1 << j); ++g) {
        if (groups[g] <= 0) continue;
        const uint32_t node = (uint32_t)((1 << j) - 1 + g);  // rng.mutation_node(j, g)
        const int64_t mutants =
            os_draw(ctx, ut, OS_EVENT_MUTATION_BASE + node, groups[g], u[j]);
        groups[g] -= mutants;
        groups[g | (1 << j)] = mutants;
      }
    }
    for (int g = 0; g < n_groups; ++g) {
      if (groups[g] == 0) continue;
      next[((geno | g) * n_phen + own_phen) * n_comp + own_comp] += groups[g];
    }
  }
}
