// oncosweep: host (CPU) entry point over ctdna_assay.cuh, for tests/test_ctdna_assay.py.
// Built by cuda_build.build_host_library with a host C++ compiler (`g++ -x c++
// -ffp-contract=off ...`, OS_HD empty) and called through ctypes; it loops serially over
// samples, running exactly the per-sample code a CUDA thread would run. It also compiles with
// nvcc (tests/test_cuda_compile.py).
#include "compat.cuh"
#include "ctdna_assay.cuh"

extern "C" {

// count samples: realization[i], the three attempt-0 slots of sample i, its concentrations;
// out: variant reads.
void os_host_assay_reads(int64_t count, uint32_t k0, uint32_t k1, uint32_t step,
                         const uint64_t* realization, const uint32_t* mutant_slot,
                         const uint32_t* wild_slot, const uint32_t* read_slot,
                         const double* mutant_per_ml, const double* wild_per_ml,
                         double tube_ml, int64_t depth, double error_rate, int64_t* reads) {
  OsKey key;
  key.k0 = k0;
  key.k1 = k1;
  for (int64_t i = 0; i < count; ++i) {
    reads[i] = os_assay_reads(key, mutant_slot[i], wild_slot[i], read_slot[i], step,
                              realization[i], mutant_per_ml[i], wild_per_ml[i], tube_ml, depth,
                              error_rate);
  }
}

}  // extern "C"
