// oncosweep: host (CPU) entry points over cuda/kendall.cuh for tests/test_kendall.py, built by
// cuda_build.build_host_library and called through ctypes; each loops serially over `count`.
#include "compat.cuh"
#include "kendall.cuh"

extern "C" {

void os_host_kendall_constant(int64_t count, const double* birth, const double* death,
                              double dt, double* alpha, double* beta, double* odds) {
  for (int64_t i = 0; i < count; ++i) {
    os_kendall_constant(birth[i], death[i], dt, alpha + i, beta + i, odds + i);
  }
}

void os_host_kendall_integrated(int64_t count, const double* net, const double* weighted,
                                double* alpha, double* beta, double* odds) {
  for (int64_t i = 0; i < count; ++i) {
    os_kendall_integrated(net[i], weighted[i], alpha + i, beta + i, odds + i);
  }
}

}  // extern "C"
