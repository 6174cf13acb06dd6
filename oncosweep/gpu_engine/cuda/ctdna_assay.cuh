// oncosweep: a ctDNA assay at one blood draw for ONE (realization, variant) sample: Poisson
// copies of the position in the tube, binomial reads with a per-read error rate, the variant
// reads. The CUDA twin of oncosweep/gpu_engine/ctdna_assay.py; see its docstring for the
// model and the random-number slots. Every expression is the numpy module's, in the same
// order (builds do not contract a * b + c into an FMA: compat.cuh).
#pragma once

#include "binomial.cuh"
#include "compat.cuh"
#include "philox.cuh"
#include "poisson.cuh"

#define OS_EVENT_ASSAY_MUTANT_BASE 16u  // ctdna_assay.EVENT_ASSAY_MUTANT_BASE (+ variant)
#define OS_EVENT_ASSAY_WILD_BASE 24u    // ctdna_assay.EVENT_ASSAY_WILD_BASE (+ variant)

// Variant reads of one sample. Slots: the attempt-0 slots of the mutant-copy, wild-type-copy
// and read draws; mutant_per_ml, wild_per_ml: genome copies per ml of plasma (>= 0);
// tube_ml: ml of plasma; depth: reads; error_rate: per read.
OS_HD inline int64_t os_assay_reads(OsKey key, uint32_t mutant_slot, uint32_t wild_slot,
                                    uint32_t read_slot, uint32_t step, uint64_t real,
                                    double mutant_per_ml, double wild_per_ml, double tube_ml,
                                    int64_t depth, double error_rate) {
  const int64_t mutants = os_poisson(key, mutant_slot, step, real, tube_ml * mutant_per_ml);
  const int64_t wild = os_poisson(key, wild_slot, step, real, tube_ml * wild_per_ml);
  const int64_t total = mutants + wild;
  double q = 0.0;
  if (total > 0) {
    const double frac = (double)mutants / (double)total;
    q = frac * (1.0 - error_rate) + (1.0 - frac) * error_rate;
  }
  return os_binomial(key, read_slot, step, real, depth, q);
}
