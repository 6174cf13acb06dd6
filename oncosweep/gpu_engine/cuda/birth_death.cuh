// oncosweep: cells after one exact step of a linear birth-death process (Kendall's law).
//
// The CUDA twin of oncosweep/gpu_engine/birth_death.py (see its docstring): surviving lines
// S ~ Binomial(n, 1 - alpha), then S + Poisson(odds * Gamma(S)), each draw in its own event
// of the cell type's channel (rng.EVENT_LINES, EVENT_OFFSPRING_GAMMA, EVENT_OFFSPRING_POISSON).
// The groundwork of an exact step scheme (issue 14); not yet used by the kernel.
#pragma once

#include "binomial.cuh"
#include "compat.cuh"
#include "gamma.cuh"
#include "poisson.cuh"

#define OS_EVENT_LINES 18u             // rng.EVENT_LINES
#define OS_EVENT_OFFSPRING_GAMMA 19u   // rng.EVENT_OFFSPRING_GAMMA
#define OS_EVENT_OFFSPRING_POISSON 20u // rng.EVENT_OFFSPRING_POISSON

// rng.slot(cell_type, event): (cell_type << (EVENT_BITS + ATTEMPT_BITS)) | (event << ATTEMPT_BITS)
OS_HD inline uint32_t os_birth_death_slot(uint32_t cell_type, uint32_t event) {
  return (cell_type << 18u) | (event << 8u);
}

// Cells after the step from n cells of ``cell_type`` with the step's Kendall alpha and odds.
OS_HD inline int64_t os_birth_death_step(OsKey key, uint32_t cell_type, uint32_t step,
                                         uint64_t realization, int64_t n, double alpha,
                                         double odds) {
  const int64_t survivors = os_binomial(key, os_birth_death_slot(cell_type, OS_EVENT_LINES),
                                        step, realization, n, 1.0 - alpha);
  if (!(survivors > 0 && odds > 0.0)) return survivors;
  int status = 0;
  const double mixing = os_standard_gamma(
      key, os_birth_death_slot(cell_type, OS_EVENT_OFFSPRING_GAMMA), step, realization,
      (double)survivors, OS_MAX_ATTEMPTS, &status);
  return survivors + os_poisson(key, os_birth_death_slot(cell_type, OS_EVENT_OFFSPRING_POISSON),
                                step, realization, odds * mixing);
}
