// oncosweep: clinic visits (imaging, ctDNA) and treatment strategies for ONE realization.
//
// The CUDA twin of oncosweep/gpu_engine/clinic.py; see its docstring
// for the model. Monitoring draws live in the channel of the reserved cell type (16383):
// event 0 imaging (one Philox block, Box–Muller), event 1 + v the ctDNA reads of variant v,
// events 16 + v and 24 + v the assay model's variant and wild-type copies in the tube.
#pragma once

#include "binomial.cuh"
#include "compat.cuh"
#include "ctdna_assay.cuh"
#include "hazards.cuh"
#include "model.cuh"
#include "philox.cuh"
#include "rates.cuh"
#include "step.cuh"

#define OS_TWO_PI 6.283185307179586  // 2.0 * math.pi, the double Python forms
#define OS_POISSON_TRIALS 1125899906842624LL  // 2**50: Poisson(mu) drawn as Bin(2**50, mu/2**50)

// Per-realization policy state and outcomes (clinic.PolicyLanes for one lane).
struct OsPolicy {
  int64_t regimen;  // active regimen, -1 none
  int64_t activated;
  double dose;
  int64_t line;
  int64_t level;
  double baseline;
  double nadir;
  bool progressed;
  int64_t progression_it;
  int64_t first_pd_it;
  int64_t ctdna_it;
  int64_t switches;
  int64_t switch_it;  // first regimen switch, -1
  int64_t treated_steps;

  OS_HD void reset() {
    regimen = -1;
    activated = 0;
    dose = 1.0;
    line = 0;
    level = 0;
    baseline = 0.0;
    nadir = 0.0;
    progressed = false;
    progression_it = -1;
    first_pd_it = -1;
    ctdna_it = -1;
    switches = 0;
    switch_it = -1;
    treated_steps = 0;
  }

  // Give ``next`` (-1: none) from iteration ``it``; a regimen already running keeps its
  // schedule (clinic._activate).
  OS_HD void activate(int64_t next, int64_t it) {
    if (regimen != next) activated = it;
    regimen = next;
  }
};

// clinic.start: treatment starts at iteration ``it``.
OS_HD inline void os_policy_start(const OsModel& m, OsPolicy* s, int64_t it) {
  const int64_t kind = m.strategy_kind();
  if (kind == OS_KIND_NONE) return;
  s->activate(m.lines()[0], it);
  s->dose = kind == OS_KIND_ADAPTIVE ? m.dose_levels()[0] : 1.0;
}

// clinic.tick: intermittent on/off cycles at the start of a step.
OS_HD inline void os_policy_tick(const OsModel& m, OsPolicy* s, int64_t since, int64_t it) {
  if (m.strategy_kind() != OS_KIND_INTERMITTENT) return;
  const int64_t position = since % (m.on_steps() + m.off_steps());
  s->activate(position < m.on_steps() ? m.lines()[0] : m.off_regimen(), it);
}

// clinic.imaging: observed total burden (cells) at a visit.
OS_HD inline double os_imaging(const OsModel& m, OsKey key, uint32_t step, uint64_t real,
                               int64_t total) {
  double observed = (double)total;
  if (m.imaging_noise()) {
    double u0, u1;
    os_uniform_pair(key, OS_RESERVED_CELL_TYPE << OS_TYPE_SHIFT, step, real, &u0, &u1);
    const double z = sqrt(-2.0 * log(u0)) * cos(OS_TWO_PI * u1);
    observed = observed * exp(m.imaging_sigma() * z - m.imaging_half_var());
  }
  return observed < m.detection_limit() ? 0.0 : observed;
}

// clinic.death_flux + ctdna_reads: does ctDNA detect a monitored variant that resists the
// current regimen (any monitored variant without treatment)? ``conc``: concentrations at the
// visit (D) or null; ``crowd``: crowding or null; ``vaf_out``: where to write each variant's
// measured allele fraction (reads / depth), or null.
OS_HD inline bool os_ctdna_resisting(const OsModel& m, OsKey key, uint32_t step, uint64_t real,
                                     const int64_t* counts, const double* conc,
                                     const double* crowd, int64_t line, int64_t* status,
                                     double* vaf_out) {
  const int n_types = (int)m.n_types();
  const int n_var = (int)m.n_ctdna();
  const double dt = m.dt();
  double flux = 0.0;
  double variant_flux[OS_MAX_VARIANTS];
  for (int v = 0; v < n_var; ++v) variant_flux[v] = 0.0;
  for (int t = 0; t < n_types; ++t) {
    if (counts[t] <= 0) continue;
    double per_pair;
    if (m.scheme() == OS_SCHEME_EXACT) {
      double switch_rate[OS_MAX_PHENOTYPES];
      per_pair = (double)counts[t] * os_pair_hazards(m, t, conc, crowd, switch_rate).death;
    } else {
      const OsPairRates r = os_pair_rates(m, t, conc, crowd, nullptr);
      per_pair = (double)counts[t] * r.p_die;
      per_pair = per_pair / dt;
    }
    flux += per_pair;
    const int64_t geno = m.genotype()[t];
    for (int v = 0; v < n_var; ++v) {
      if ((geno >> m.ctdna_loci()[v]) & 1) variant_flux[v] += per_pair;
    }
  }
  const double tumour = m.shed_per_death() * flux;
  const double denominator = m.normal_genomes() + tumour;
  const int64_t* resists =
      m.treated() ? m.regimen_resists() + m.lines()[line] * n_var : nullptr;
  bool resisting = false;
  for (int v = 0; v < n_var; ++v) {
    const uint32_t slot = (OS_RESERVED_CELL_TYPE << OS_TYPE_SHIFT) |
                          ((uint32_t)(1 + v) << OS_EVENT_SHIFT);
    if (m.ctdna_assay()) {  // clinic._assay_reads
      const double a_tumour = m.assay_shed() * flux;
      const double a_variant = (0.5 * m.assay_shed()) * variant_flux[v];
      const double ch = m.assay_ch_vaf() * m.assay_normal();
      const double mutant = a_variant + ch;
      const double wild = (m.assay_normal() - ch) + (a_tumour - a_variant);
      const uint32_t cell = OS_RESERVED_CELL_TYPE << OS_TYPE_SHIFT;
      const int64_t reads = os_assay_reads(
          key, cell | ((OS_EVENT_ASSAY_MUTANT_BASE + (uint32_t)v) << OS_EVENT_SHIFT),
          cell | ((OS_EVENT_ASSAY_WILD_BASE + (uint32_t)v) << OS_EVENT_SHIFT), slot, step, real,
          mutant, wild, m.assay_tube(), m.ctdna_depth(), m.assay_error());
      if (vaf_out) vaf_out[v] = (double)reads / (double)m.ctdna_depth();
      if (reads >= m.ctdna_threshold() && (resists == nullptr || resists[v] != 0)) {
        resisting = true;
      }
      continue;
    }
    double vaf = m.half_shed() * variant_flux[v] / denominator;
    vaf = os_min(vaf, 1.0);
    int64_t trials;
    double p;
    if (m.ctdna_poisson()) {
      trials = OS_POISSON_TRIALS;
      p = m.ctdna_depth_f() * vaf / (double)OS_POISSON_TRIALS;
    } else {
      trials = m.ctdna_depth();
      p = vaf;
    }
    if (!(p >= 0.0 && p <= 1.0)) {
      *status = OS_BAD_PROBABILITY;
      return false;
    }
    const int64_t reads = os_binomial(key, slot, step, real, trials, p);
    if (vaf_out) vaf_out[v] = (double)reads / (double)m.ctdna_depth();
    const bool detected = reads >= m.ctdna_threshold();
    if (detected && (resists == nullptr || resists[v] != 0)) resisting = true;
  }
  return resisting;
}

// clinic._adapt: one dose level down at <= frac_off x baseline, one up at >= frac_on x baseline.
OS_HD inline void os_policy_adapt(const OsModel& m, OsPolicy* s, bool first, double observed,
                                  int64_t it) {
  const int64_t off = m.n_dose_levels();
  const bool down = !first && observed <= m.frac_off() * s->baseline;
  const bool up = !first && !down && observed >= m.frac_on() * s->baseline;
  int64_t level = s->level + (down ? 1 : 0) - (up ? 1 : 0);
  level = level < 0 ? 0 : (level > off ? off : level);
  s->level = level;
  const bool on = level < off;
  s->dose = on ? m.dose_levels()[level < off - 1 ? level : off - 1] : 0.0;
  s->activate(on ? m.lines()[0] : -1, it);
}

// clinic.visit: decisions at a visit with imaging ``observed`` (cells); ``resisting``: ctDNA
// saw a variant resisting the current regimen (only read when has_ctdna); ``recist_pd``: the
// visit's RECIST progressive disease (only read when m.recist()).
OS_HD inline void os_policy_visit(const OsModel& m, OsPolicy* s, bool first, double observed,
                                  bool has_ctdna, bool resisting, int64_t it, bool recist_pd) {
  if (first) {
    s->baseline = observed;
    s->nadir = observed;
  }
  if (has_ctdna && resisting && s->ctdna_it < 0) s->ctdna_it = it;
  const int64_t kind = m.strategy_kind();
  if (kind == OS_KIND_NONE) return;
  const double reference =
      m.progression_reference() == OS_REFERENCE_NADIR ? s->nadir : s->baseline;
  const bool progression =
      m.recist() ? (!first && recist_pd)
                 : (!first && observed > 0.0 && observed >= m.progression_factor() * reference &&
                    observed >= m.progression_floor());
  if (progression && s->first_pd_it < 0) s->first_pd_it = it;
  bool failed = progression;
  if (kind == OS_KIND_SEQUENTIAL || kind == OS_KIND_CTDNA_SWITCH) {
    const bool more = s->line < m.n_lines() - 1;
    bool trigger = progression;
    if (kind == OS_KIND_CTDNA_SWITCH && has_ctdna) trigger = trigger || resisting;
    const bool change = trigger && more;
    failed = progression && !more;
    s->line += change ? 1 : 0;
    s->switches += change ? 1 : 0;
    if (change && s->switch_it < 0) s->switch_it = it;
    s->activate(m.lines()[s->line], it);
    if (change) s->nadir = observed;
  }
  const bool newly = failed && !s->progressed;
  if (newly) {
    s->progressed = true;
    s->progression_it = it;
  }
  s->nadir = os_min(s->nadir, observed);
  if (kind == OS_KIND_ADAPTIVE) os_policy_adapt(m, s, first, observed, it);
}
