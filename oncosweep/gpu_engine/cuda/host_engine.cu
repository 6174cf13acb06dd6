// oncosweep: the fused kernel's per-realization simulation built for the CPU -- the `cpu`
// backend (oncosweep/gpu_engine/cpu_engine.py).
//
// Compiled as C++ with the host compiler (-ffp-contract=off; compat.cuh makes OS_HD empty) into
// a shared library that Python loads with ctypes: the very source the GPU runs
// (realization.cuh and below), run over realizations on `threads` std::threads. Tests require
// its outputs to equal the numpy engine's realization by realization, at several thread counts
// and chunkings.
//
// Capacities: one library per cell-type capacity OS_HOST_TMAX (8, 16, ..., 1024: the smallest
// that holds the model, as oncosweep.limits.TYPE_CAPACITIES picks for the GPU kernel), with room
// for OS_HOST_LMAX loci. The stack arrays of a realization are sized by them; loops run over
// the model's own sizes.
//
// Scheduling: realizations differ in cost by orders of magnitude (an early extinction takes a
// few steps, a tumour treated to the horizon thousands), so threads take realizations one at a
// time from a shared atomic counter (dynamic scheduling; the cost of one fetch-add is nothing
// beside a realization's). Every realization writes only its own output slots, and the chunk
// statistics are sums and a maximum combined after the threads join, so the results are a pure
// function of (seed, point, realization) whatever the thread count or the order of completion.
#include <atomic>
#include <thread>
#include <vector>

#include "compat.cuh"
#include "layout.cuh"
#include "model.cuh"
#include "philox.cuh"
#include "realization.cuh"

#ifndef OS_HOST_TMAX
#define OS_HOST_TMAX 1024
#endif
#ifndef OS_HOST_LMAX
#define OS_HOST_LMAX 8
#endif

namespace {

struct alignas(64) OsHostStats {
  unsigned long long lane_steps = 0;
  unsigned long long nontrivial_draws = 0;
  unsigned long long iterations = 0;
  unsigned long long failed_lanes = 0;
};

struct OsHostRun {
  OsModel model;
  int64_t f_stride;  // a population's realizations each read their own parameter block
  int64_t i_stride;  // (strides 0: one block shared by every realization)
  OsKey key;
  uint64_t start;
  int64_t count;
  const int64_t* trace_row;
  OsOutputs out;
  alignas(64) std::atomic<int64_t> next{0};
  int64_t* done;          // realizations finished (read by the caller's progress bar), or null
  const int64_t* cancel;  // nonzero: take no further realization (Ctrl-C), or null
};

void os_host_worker(OsHostRun* run, OsHostStats* stats) {
  // Thread-local copies of what every step reads: the shared run record also holds the
  // counters all threads write, and its cache line would bounce between cores.
  const OsModel model = run->model;
  const OsOutputs out = run->out;
  const OsKey key = run->key;
  for (;;) {
    if (run->cancel != nullptr && __atomic_load_n(run->cancel, __ATOMIC_RELAXED) != 0) return;
    const int64_t lane = run->next.fetch_add(1, std::memory_order_relaxed);
    if (lane >= run->count) return;
    OsModel lane_model = model;
    lane_model.f = model.f + lane * run->f_stride;
    lane_model.i = model.i + lane * run->i_stride;
    const OsLaneStats s = os_simulate_realization<OS_HOST_TMAX, OS_HOST_LMAX>(
        lane_model, key, run->start + (uint64_t)lane, lane, run->trace_row[lane], out);
    stats->lane_steps += s.lane_steps;
    stats->nontrivial_draws += s.nontrivial_draws;
    if (s.iterations > stats->iterations) stats->iterations = s.iterations;
    if (s.status != OS_OK) stats->failed_lanes += 1;
    if (run->done != nullptr) __atomic_add_fetch(run->done, 1, __ATOMIC_RELAXED);
  }
}

}  // namespace

extern "C" {

// Layout sizes (0..3) and compiled capacities (4: cell types, 5: loci), so the Python side can
// check that it parsed layout.cuh as compiled and picked the right library.
int os_host_layout(int what) {
  switch (what) {
    case 0: return OSI_HEADER_SIZE;
    case 1: return OSF_HEADER_SIZE;
    case 2: return OS_N_OUTPUTS;
    case 3: return OS_N_STATS;
    case 4: return OS_HOST_TMAX;
    case 5: return OS_HOST_LMAX;
    default: return -1;
  }
}

// Realizations start .. start + count - 1 on `threads` threads (1: the calling thread alone);
// stats[OS_N_STATS] accumulate like the kernel's. `done` (may be null) counts finished
// realizations as they finish; a nonzero `*cancel` (may be null) stops the threads after the
// realizations they are simulating (the outputs of the others are then left as allocated).
// Returns the number of threads used (a failed thread start falls back to fewer).
int os_host_simulate(const double* fparams, const int64_t* iparams, int64_t f_stride,
                     int64_t i_stride, uint32_t k0, uint32_t k1,
                     uint64_t start, int64_t count, const int64_t* trace_row,
                     const unsigned long long* out_addresses, unsigned long long* stats,
                     int threads, int64_t* done, const int64_t* cancel) {
  OsHostRun run;
  run.model.f = fparams;
  run.model.i = iparams;
  run.f_stride = f_stride;
  run.i_stride = i_stride;
  run.key.k0 = k0;
  run.key.k1 = k1;
  run.start = start;
  run.count = count;
  run.trace_row = trace_row;
  run.out = OsOutputs::from_addresses(out_addresses);
  run.done = done;
  run.cancel = cancel;
  if (threads < 1) threads = 1;
  if ((int64_t)threads > count) threads = (int)(count > 0 ? count : 1);
  std::vector<OsHostStats> per_thread((size_t)threads);
  std::vector<std::thread> pool;
  pool.reserve((size_t)threads - 1);
  for (int t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(os_host_worker, &run, &per_thread[(size_t)t]);
    } catch (...) {  // no more threads to be had: the ones started share the work
      break;
    }
  }
  os_host_worker(&run, &per_thread[0]);
  for (std::thread& th : pool) th.join();
  for (const OsHostStats& s : per_thread) {
    stats[OSS_lane_steps] += s.lane_steps;
    stats[OSS_nontrivial_draws] += s.nontrivial_draws;
    if (s.iterations > stats[OSS_iterations]) stats[OSS_iterations] = s.iterations;
    stats[OSS_failed_lanes] += s.failed_lanes;
  }
  return 1 + (int)pool.size();
}

}  // extern "C"
