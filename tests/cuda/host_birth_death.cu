// oncosweep: host (CPU) entry point over cuda/birth_death.cuh for tests/test_birth_death.py,
// built by cuda_build.build_host_library and called through ctypes; loops serially over lanes.
#include "birth_death.cuh"
#include "compat.cuh"

extern "C" {

void os_host_birth_death_step(int64_t count, uint32_t k0, uint32_t k1, uint32_t cell_type,
                              uint32_t step, const uint64_t* realization, const int64_t* n,
                              const double* survive, const double* odds, int64_t* out) {
  const OsKey key = {k0, k1};
  for (int64_t i = 0; i < count; ++i) {
    out[i] = os_birth_death_step(key, cell_type, OS_EVENT_LINES, step, realization[i], n[i],
                                 survive[i], odds[i], nullptr);
  }
}

}  // extern "C"
