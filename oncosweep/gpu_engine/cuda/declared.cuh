// oncosweep: GENERATED from oncosweep/lowering/declaration.py by
// `python -m oncosweep.lowering.declaration`; do not edit (a test checks it is current).
//
// The packed parameter lists (layout.cuh turns them into indices, model.cuh into
// accessors), the raw per-realization outputs (X(ctype, name), in address order), the
// chunk statistics, the codes of the string fields and the kernel's capacities.
#pragma once

#define OS_INT_SCALARS(X)                                                               \
  X(growth_law) X(strategy_kind) X(combination) X(off_regimen) X(on_steps) X(off_steps) \
  X(visit_steps) X(progression_reference) X(ctdna) X(ctdna_depth) X(ctdna_poisson)      \
  X(ctdna_threshold) X(recist) X(ctdna_assay) X(detection_size) X(lethal_size)          \
  X(scheme) X(horizon_steps) X(max_detection_steps) X(max_restarts)                     \
  X(trace_every_steps) X(n_types) X(n_loci) X(n_phenotypes) X(n_compartments)           \
  X(n_groups) X(n_drugs) X(n_regimens) X(n_lines) X(n_dose_levels) X(n_ctdna)           \
  X(n_trace_times) X(n_visits) X(has_immune) X(drug_sensitive_switching)                \
  X(imaging_noise) X(kendall_pieces) X(detection_substeps)

#define OS_FLOAT_SCALARS(X)                                                            \
  X(frac_off) X(frac_on) X(detection_limit) X(progression_factor) X(progression_floor) \
  X(shed_per_death) X(normal_genomes) X(cells_per_cm3) X(lesion_noise_mm)              \
  X(measurable_mm) X(confirm_days) X(min_sd_days) X(assay_shed) X(assay_normal)        \
  X(assay_tube) X(assay_error) X(assay_ch_vaf) X(dt) X(imaging_sigma)                  \
  X(imaging_half_var) X(half_shed) X(ctdna_depth_f) X(detection_near)

#define OS_FLOAT_ARRAYS(X)                                                         \
  X(birth_rate) X(death_rate) X(immune_kill) X(switch_rate) X(switch_rate_on_drug) \
  X(migration_rate) X(mutation_rate) X(carrying_capacity) X(alpha) X(emax) X(hill) \
  X(conc_factor) X(ic50) X(effect_factor) X(regimen_bolus) X(regimen_infusion)     \
  X(dose_levels) X(log_capacity) X(pk_decay) X(pk_half_decay) X(pk_infusion_end)   \
  X(pk_infusion_mid) X(pk_auc_bolus) X(pk_auc_infusion) X(pk_node_decay)           \
  X(pk_node_infusion) X(mutation_any) X(mutation_first)

#define OS_INT_ARRAYS(X)                                                          \
  X(genotype) X(phenotype) X(compartment) X(group) X(initial_counts) X(drug_kill) \
  X(lines) X(ctdna_loci) X(regimen_resists)

#define OS_OUTPUTS(X)                                                             \
  X(int64_t, status) X(int64_t, attempt_start) X(int64_t, restarts)               \
  X(int64_t, detect_it) X(int64_t, detect_substeps) X(int64_t, end_it)            \
  X(int64_t, cured) X(int64_t, cells_at_detection) X(int64_t, cells_at_pd)        \
  X(double, auc) X(int64_t, progressed) X(int64_t, progression_it)                \
  X(int64_t, first_pd_it) X(int64_t, ctdna_it) X(int64_t, switches)               \
  X(int64_t, switch_it) X(int64_t, treated_steps) X(int64_t, best_response)       \
  X(double, response_day) X(double, response_duration) X(int64_t, response_event) \
  X(double, trajectory) X(double, concentration) X(double, on_treatment)          \
  X(double, observed_burden) X(double, ctdna_vaf) X(double, sum_diameters)

#define OS_STATS(X)                                               \
  X(lane_steps) X(nontrivial_draws) X(iterations) X(failed_lanes)

// codes of the string fields (index in the declared choices)
enum OsGrowthLaw { OS_EXPONENTIAL = 0, OS_LOGISTIC = 1, OS_GOMPERTZ = 2, OS_LOTKA_VOLTERRA = 3 };  // growth_law
enum OsStrategyKind { OS_KIND_NONE = 0, OS_KIND_CONTINUOUS = 1, OS_KIND_INTERMITTENT = 2, OS_KIND_SEQUENTIAL = 3, OS_KIND_ADAPTIVE = 4, OS_KIND_CTDNA_SWITCH = 5 };  // strategy_kind
enum OsCombination { OS_BLISS = 0, OS_HIGHEST_SINGLE_AGENT = 1 };  // combination
enum OsReference { OS_REFERENCE_NADIR = 0, OS_REFERENCE_BASELINE = 1 };  // progression_reference
enum OsScheme { OS_SCHEME_EXACT = 0, OS_SCHEME_EULER = 1 };  // scheme

// capacities of the per-realization arrays (oncosweep/limits.py; the cell types and
// loci are template arguments TMAX <= 1024 and LMAX <= 8)
#define OS_MAX_DRUGS 8
#define OS_MAX_GROUPS 8
#define OS_MAX_PHENOTYPES 8
#define OS_MAX_COMPARTMENTS 8
#define OS_MAX_VARIANTS 8
// most quadrature pieces of the exact step (limits.KENDALL_MAX_PIECES)
#define OS_KENDALL_MAX_PIECES 8
