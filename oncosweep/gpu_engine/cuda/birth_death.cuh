// oncosweep: cells after one exact step of a linear birth-death process (Kendall's law).
//
// The CUDA twin of oncosweep/gpu_engine/birth_death.py (see its docstring): surviving lines
// S ~ Binomial(n, 1 - alpha), then S + E with E ~ NegBin(S, 1 / (1 + odds)) extra cells, each
// draw in its own event of the cell type's channel: ``event`` (the lines), ``event + 2`` (E by
// inversion, NBINV, where S odds < 10 and odds <= 1: negative_binomial.cuh) or ``event + 1``
// and ``event + 2`` (E = Poisson(odds Gamma(S)) elsewhere). The default events are
// rng.EVENT_LINES, EVENT_OFFSPRING_GAMMA, EVENT_OFFSPRING_POISSON; the exact step's three
// draws, rng.EVENT_KENDALL_FULL / FIRST / SECOND, are such triples.
#pragma once

#include "binomial.cuh"
#include "compat.cuh"
#include "gamma.cuh"
#include "negative_binomial.cuh"
#include "poisson.cuh"

#define OS_EVENT_LINES 18u             // rng.EVENT_LINES
#define OS_EVENT_OFFSPRING_GAMMA 19u   // rng.EVENT_OFFSPRING_GAMMA
#define OS_EVENT_OFFSPRING_POISSON 20u // rng.EVENT_OFFSPRING_POISSON
#define OS_EVENT_KENDALL_FULL 18u      // rng.EVENT_KENDALL_FULL
#define OS_EVENT_KENDALL_FIRST 21u     // rng.EVENT_KENDALL_FIRST
#define OS_EVENT_KENDALL_SECOND 24u    // rng.EVENT_KENDALL_SECOND
#define OS_EVENT_MUTANTS 27u           // rng.EVENT_MUTANTS

// rng.slot(cell_type, event): (cell_type << (EVENT_BITS + ATTEMPT_BITS)) | (event << ATTEMPT_BITS)
OS_HD inline uint32_t os_birth_death_slot(uint32_t cell_type, uint32_t event) {
  return (cell_type << 18u) | (event << 8u);
}

// Cells after the step from n cells of ``cell_type`` with the step's Kendall survive =
// 1 - alpha and odds. ``nontrivial`` (may be null) counts the draws that took random numbers.
OS_HD inline int64_t os_birth_death_step(OsKey key, uint32_t cell_type, uint32_t event,
                                         uint32_t step, uint64_t realization, int64_t n,
                                         double survive, double odds,
                                         unsigned long long* nontrivial) {
  if (nontrivial != nullptr && n > 0 && survive > 0.0 && survive < 1.0) *nontrivial += 1;
  const int64_t survivors = os_binomial(key, os_birth_death_slot(cell_type, event), step,
                                        realization, n, survive);
  if (!(survivors > 0 && odds > 0.0)) return survivors;
  if (os_nbinom_uses_inversion((double)survivors, odds)) {
    if (nontrivial != nullptr) *nontrivial += 1;
    return survivors + os_negative_binomial_inversion(
                           key, os_birth_death_slot(cell_type, event + 2u), step, realization,
                           survivors, odds);
  }
  if (nontrivial != nullptr) *nontrivial += 2;
  int status = 0;
  const double mixing = os_standard_gamma(key, os_birth_death_slot(cell_type, event + 1u), step,
                                          realization, (double)survivors, OS_MAX_ATTEMPTS,
                                          &status);
  return survivors + os_poisson(key, os_birth_death_slot(cell_type, event + 2u), step,
                                realization, odds * mixing);
}
