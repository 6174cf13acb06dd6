// oncosweep: the flat parameter and output layout shared by the CUDA kernel, its host build
// and the Python packer (oncosweep/gpu_engine/kernel_layout.py parses the X-macro lists below,
// so this file is the single source of truth for the order of every field).
//
// A compiled model (oncosweep.gpu_engine.compile.CompiledModel) travels as two buffers:
//
//   iparams (int64):  [int scalars][offsets of the float arrays][offsets of the int arrays]
//                     [int array data ...]
//   fparams (double): [float scalars][float array data ...]
//
// Offsets are element indices into fparams (float arrays) or iparams (int arrays). Array
// shapes follow CompiledModel: T cell types, P phenotypes, C compartments, L loci, G growth
// groups, D drugs, Rg regimens, H = horizon_steps + 1, V monitored variants. Rates are per
// day, concentrations in the scenario's concentration units, times in steps of dt days.
//
// Outputs travel as one array of device (or host) addresses, one per entry of OS_OUTPUTS, in
// that order; their dtypes and shapes are fixed in kernel_layout.py.
#pragma once

// ---- integer scalars (iparams[0 ..]) --------------------------------------------------------
#define OS_INT_SCALARS(X)                                                                    \
  X(n_types) X(n_loci) X(n_phenotypes) X(n_compartments) X(n_groups) X(n_drugs)              \
  X(growth_law) X(combination) X(strategy_kind) X(n_regimens) X(horizon_steps)              \
  X(n_lines) X(off_regimen) X(on_steps) X(off_steps) X(n_dose_levels) X(visit_steps)         \
  X(progression_reference) X(ctdna) X(ctdna_depth) X(ctdna_poisson) X(ctdna_threshold)       \
  X(n_ctdna) X(detection_size) X(lethal_size) X(max_detection_steps) X(max_restarts)         \
  X(trace_every_steps) X(n_trace_times) X(n_visits) X(has_immune)                            \
  X(drug_sensitive_switching) X(imaging_noise)

// ---- float scalars (fparams[0 ..]) -----------------------------------------------------------
// imaging_sigma = sqrt(log1p(cv^2)); imaging_half_var = (0.5 sigma) sigma; half_shed =
// 0.5 shed_per_death: formed in Python exactly as the numpy engine forms them.
#define OS_FLOAT_SCALARS(X)                                                                  \
  X(dt) X(frac_off) X(frac_on) X(imaging_sigma) X(imaging_half_var) X(detection_limit)       \
  X(progression_factor) X(progression_floor) X(shed_per_death) X(half_shed)                  \
  X(normal_genomes) X(ctdna_depth_f)

// ---- float arrays ------------------------------------------------------------------------------
// pk_* are oncosweep.gpu_engine.pharmacology.StepDecay's per-drug constants; log_capacity is
// numpy's log of carrying_capacity (Gompertz crowding).
#define OS_FLOAT_ARRAYS(X)                                                                   \
  X(birth_rate) X(death_rate) X(immune_kill) X(switch_rate) X(switch_rate_on_drug)           \
  X(migration_rate) X(mutation_rate) X(carrying_capacity) X(log_capacity) X(alpha) X(emax)   \
  X(hill) X(conc_factor) X(ic50) X(effect_factor) X(pk_decay) X(pk_half_decay)                \
  X(pk_infusion_end) X(pk_infusion_mid) X(pk_auc_bolus) X(pk_auc_infusion) X(regimen_bolus)   \
  X(regimen_infusion) X(dose_levels)

// ---- int arrays --------------------------------------------------------------------------------
#define OS_INT_ARRAYS(X)                                                                     \
  X(genotype) X(phenotype) X(compartment) X(group) X(drug_kill) X(lines) X(ctdna_loci)        \
  X(regimen_resists) X(initial_counts)

// ---- per-realization outputs (one address each) ---------------------------------------------
// status (int64, 0 = ok) .. treated_steps are (R,) int64 except cells_at_detection (R, T) int64
// and auc (R, D) double; trajectory (K, n_trace_times, T), concentration (K, n_trace_times, D),
// on_treatment (K, n_trace_times) and observed_burden (K, n_visits) are double, NaN-filled by
// the caller, K = traced realizations of the chunk.
#define OS_OUTPUTS(X)                                                                        \
  X(status) X(attempt_start) X(restarts) X(detect_it) X(end_it) X(cured)                      \
  X(cells_at_detection) X(auc) X(progressed) X(progression_it) X(first_pd_it) X(ctdna_it)     \
  X(switches) X(treated_steps) X(trajectory) X(concentration) X(on_treatment)                 \
  X(observed_burden)

// ---- chunk statistics (unsigned long long stats[OS_N_STATS]) -------------------------------
#define OS_STATS(X) X(lane_steps) X(nontrivial_draws) X(iterations) X(failed_lanes)

enum OsIntIndex {
#define OS_X(name) OSI_##name,
  OS_INT_SCALARS(OS_X)
#undef OS_X
#define OS_X(name) OSI_OFFSET_##name,
  OS_FLOAT_ARRAYS(OS_X)
#undef OS_X
#define OS_X(name) OSI_OFFSET_##name,
  OS_INT_ARRAYS(OS_X)
#undef OS_X
  OSI_HEADER_SIZE
};

enum OsFloatIndex {
#define OS_X(name) OSF_##name,
  OS_FLOAT_SCALARS(OS_X)
#undef OS_X
  OSF_HEADER_SIZE
};

enum OsOutputIndex {
#define OS_X(name) OSO_##name,
  OS_OUTPUTS(OS_X)
#undef OS_X
  OS_N_OUTPUTS
};

enum OsStatIndex {
#define OS_X(name) OSS_##name,
  OS_STATS(OS_X)
#undef OS_X
  OS_N_STATS
};

// Codes of the string fields (the order of the tuples in compile.py).
enum OsGrowthLaw { OS_EXPONENTIAL = 0, OS_LOGISTIC = 1, OS_GOMPERTZ = 2, OS_LOTKA_VOLTERRA = 3 };
enum OsCombination { OS_BLISS = 0, OS_HIGHEST_SINGLE_AGENT = 1 };
enum OsStrategyKind {
  OS_KIND_NONE = 0, OS_KIND_CONTINUOUS = 1, OS_KIND_INTERMITTENT = 2, OS_KIND_SEQUENTIAL = 3,
  OS_KIND_ADAPTIVE = 4, OS_KIND_CTDNA_SWITCH = 5
};
enum OsReference { OS_REFERENCE_NADIR = 0, OS_REFERENCE_BASELINE = 1 };

// Status codes of a realization (output "status").
enum OsStatus {
  OS_OK = 0,
  OS_BAD_PROBABILITY = 1,  // a draw's probability left [0, 1] (the numpy engine raises)
  OS_TOO_LARGE = 2         // a size exceeded the kernel's compiled capacity
};

// Compiled capacities of the per-thread arrays (the Python launcher checks them).
#define OS_MAX_DRUGS 8
#define OS_MAX_GROUPS 8
#define OS_MAX_PHENOTYPES 8
#define OS_MAX_COMPARTMENTS 8
#define OS_MAX_VARIANTS 8
