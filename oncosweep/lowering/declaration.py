"""The one declaration of the model: every parameter and every output, with dtype, shape,
units and meaning.

Everything else is derived from these tables:

* :class:`~oncosweep.lowering.compiled.CompiledModel` and its records (biology, drugs, plan,
  clinic, budget) from :data:`PARAMETERS`;
* the CUDA layout (``gpu_engine/cuda/declared.cuh``: the packed parameter lists, their accessors
  through ``model.cuh``, the output struct and the codes of the string fields), written by
  :func:`cuda_header` and checked to be current by the tests;
* the packer (``gpu_engine/layout.py``), which packs the parameters marked ``kernel`` in
  declaration order, and the numpy engine's device arrays (``gpu_engine/device.py``);
* the raw per-realization record both engines return (:data:`RAW_OUTPUTS`), finished into an
  ``EngineResult`` (:data:`RESULTS`) by one function (``gpu_engine/record.py``);
* the dataset variables and coordinates with their attributes (:data:`RESULTS`,
  :data:`COORDINATES`), and from them the sweep store's template (no trial run).

Dimension symbols (sizes come from the model): T cell types, L loci, P phenotypes,
C compartments, G competition groups, D drugs, Rg regimens, H = horizon_steps + 1 treatment
steps, V monitored ctDNA variants, N lines of a strategy, Lv adaptive dose levels, K traced
realizations, Q = limits.KENDALL_MAX_PIECES quadrature pieces of the exact step (the first
kendall_pieces used); R realizations of a chunk, times trajectory samples, visits clinic
visits.

This module imports nothing but the standard library, so every layer may read it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from oncosweep.limits import KENDALL_MAX_PIECES, KERNEL_CAPACITIES, TYPE_CAPACITIES

RECORDS = ("biology", "drugs", "plan", "clinic", "budget")
"""The records of a compiled model, in order (see :class:`Parameter`.record)."""


@dataclass(frozen=True)
class Code:
    """A string field packed as an integer code: its index in ``choices``."""

    choices: tuple[str, ...]
    enum: str
    """Name of the CUDA enum generated for it."""
    prefix: str
    """Prefix of the enum's constants (``OS_KIND_`` + ``CONTINUOUS``)."""


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    ``dtype`` is ``int64``, ``float64``, ``bool``, ``uint64``, ``str`` (a scalar string) or
    ``strs`` (a tuple of strings); ``shape`` is () for a scalar or a tuple of dimension
    symbols. ``record`` is the record of the compiled model that holds it, or ``derived``: a
    value computed from the others for the engines (``gpu_engine/derived.py``), never stored.
    ``kernel``: packed for the compiled engines (strings need a ``code``).
    """

    name: str
    dtype: str
    shape: tuple[str, ...]
    record: str
    units: str
    description: str
    kernel: bool = True
    code: Code | None = None

    @property
    def is_float(self) -> bool:
        return self.dtype == "float64"


GROWTH_LAW = Code(("exponential", "logistic", "gompertz", "lotka_volterra"), "OsGrowthLaw", "OS_")
COMBINATION = Code(("bliss", "highest_single_agent"), "OsCombination", "OS_")
STRATEGY_KIND = Code(("none", "continuous", "intermittent", "sequential", "adaptive",
                      "ctdna_switch"), "OsStrategyKind", "OS_KIND_")
REFERENCE = Code(("nadir", "baseline"), "OsReference", "OS_REFERENCE_")
SCHEME = Code(("exact", "euler"), "OsScheme", "OS_SCHEME_")


def _p(name: str, dtype: str, shape: tuple[str, ...], record: str, units: str,
       description: str, *, kernel: bool = True, code: Code | None = None) -> Parameter:
    return Parameter(name, dtype, shape, record, units, description, kernel, code)


PARAMETERS: tuple[Parameter, ...] = (
    # ---- biology: cell types, rates, growth law -----------------------------------------
    _p("labels", "strs", ("T",), "biology", "", "cell-type labels, e.g. "
       "``R1+R2/persister@sanctuary``", kernel=False),
    _p("genotype", "int64", ("T",), "biology", "1", "bit mask of mutated loci"),
    _p("phenotype", "int64", ("T",), "biology", "1", "phenotype index"),
    _p("compartment", "int64", ("T",), "biology", "1", "compartment index"),
    _p("birth_rate", "float64", ("T",), "biology", "per day", "drug-free division rate"),
    _p("death_rate", "float64", ("T",), "biology", "per day", "drug-free death rate"),
    _p("immune_kill", "float64", ("T",), "biology", "per day",
       "immune kill rate (added to death)"),
    _p("switch_rate", "float64", ("T", "P"), "biology", "per day",
       "phenotype switching rate without drug (0 on the own phenotype)"),
    _p("switch_rate_on_drug", "float64", ("T", "P"), "biology", "per day",
       "switching rate at full drug activity"),
    _p("migration_rate", "float64", ("T", "C"), "biology", "per day",
       "migration rate to each compartment (0 on the own compartment)"),
    _p("mutation_rate", "float64", ("L",), "biology", "per daughter cell",
       "probability that a daughter mutates at each locus"),
    _p("growth_law", "str", (), "biology", "", "crowding law (see docs/model.md)",
       code=GROWTH_LAW),
    _p("group", "int64", ("T",), "biology", "1", "competition group (0 unless lotka_volterra)"),
    _p("carrying_capacity", "float64", ("G",), "biology", "cells",
       "carrying capacity of each group; empty for exponential growth"),
    _p("alpha", "float64", ("G", "G"), "biology", "1", "Lotka–Volterra competition "
       "coefficients (effect of the column group on the row group)"),
    _p("initial_counts", "int64", ("T",), "biology", "cells",
       "cells at time 0 and at every restart"),
    # ---- drugs: pharmacology and the cell types' responses -----------------------------
    _p("drug_names", "strs", ("D",), "drugs", "", "drug names", kernel=False),
    _p("drug_kill", "bool", ("D",), "drugs", "", "kill mode (adds to death) or cytostatic "
       "(lowers birth)"),
    _p("emax", "float64", ("D",), "drugs", "per day or 1",
       "maximal effect: per day (kill) or fraction of birth (cytostatic)"),
    _p("hill", "float64", ("D",), "drugs", "1", "Hill coefficients"),
    _p("half_life", "float64", ("D",), "drugs", "days", "elimination half-lives",
       kernel=False),
    _p("steady_exposure", "float64", ("D",), "drugs", "concentration",
       "mean concentration of each drug's standard dosing over the horizon", kernel=False),
    _p("conc_factor", "float64", ("T", "D"), "drugs", "1",
       "effective / plasma concentration (penetration x efflux)"),
    _p("ic50", "float64", ("T", "D"), "drugs", "concentration",
       "IC50 after target mutations (inf: no binding)"),
    _p("effect_factor", "float64", ("T", "D"), "drugs", "1",
       "multiplier of the effect (tolerance x bypass x apoptosis evasion)"),
    _p("resistant", "bool", ("T", "D"), "drugs", "", "the type's genotype grows "
       "(proliferating, first compartment, no crowding) at the drug's steady exposure",
       kernel=False),
    # ---- plan: the compiled strategy ---------------------------------------------------
    _p("strategy", "str", (), "plan", "", "name of the compiled strategy (\"\" without "
       "treatment)", kernel=False),
    _p("strategy_kind", "str", (), "plan", "", "kind of strategy (\"none\": natural "
       "history after detection)", code=STRATEGY_KIND),
    _p("combination", "str", (), "plan", "", "combination rule of every regimen",
       code=COMBINATION),
    _p("regimen_names", "strs", ("Rg",), "plan", "", "the regimens the strategy can give "
       "(its lines, then the off-period regimen)", kernel=False),
    _p("regimen_bolus", "float64", ("Rg", "H", "D"), "plan", "concentration",
       "concentration added at each step after the regimen's activation"),
    _p("regimen_infusion", "float64", ("Rg", "D"), "plan", "concentration per day",
       "infusion rate of each regimen"),
    _p("lines", "int64", ("N",), "plan", "1", "regimen index of each line"),
    _p("off_regimen", "int64", (), "plan", "1",
       "regimen index given during intermittent off periods, or -1"),
    _p("on_steps", "int64", (), "plan", "steps", "intermittent: steps on per cycle"),
    _p("off_steps", "int64", (), "plan", "steps", "intermittent: steps off per cycle"),
    _p("frac_off", "float64", (), "plan", "1",
       "adaptive: step down when observed <= frac_off x baseline"),
    _p("frac_on", "float64", (), "plan", "1",
       "adaptive: step up when observed >= frac_on x baseline"),
    _p("dose_levels", "float64", ("Lv",), "plan", "1",
       "adaptive dose factors, descending; level Lv is off"),
    # ---- clinic: visits, imaging, ctDNA ------------------------------------------------
    _p("visit_steps", "int64", (), "clinic", "steps",
       "steps between clinic visits (0: no monitoring)"),
    _p("imaging_cv", "float64", (), "clinic", "1",
       "coefficient of variation of the multiplicative imaging noise", kernel=False),
    _p("detection_limit", "float64", (), "clinic", "cells",
       "observed burdens below this are recorded as 0"),
    _p("progression_reference", "str", (), "clinic", "", "'nadir' (RECIST) or 'baseline'",
       code=REFERENCE),
    _p("progression_factor", "float64", (), "clinic", "1",
       "progression when observed >= factor x reference ..."),
    _p("progression_floor", "float64", (), "clinic", "cells", "... and observed >= floor"),
    _p("ctdna", "bool", (), "clinic", "", "ctDNA is sampled at visits"),
    _p("shed_per_death", "float64", (), "clinic", "genome equivalents per dying cell per day",
       "tumour genome equivalents per sample per cell dying per day"),
    _p("normal_genomes", "float64", (), "clinic", "genome equivalents",
       "genome equivalents from normal cells per sample"),
    _p("ctdna_depth", "int64", (), "clinic", "reads", "reads covering each variant position"),
    _p("ctdna_poisson", "bool", (), "clinic", "", "Poisson read sampling instead of binomial"),
    _p("ctdna_threshold", "int64", (), "clinic", "reads", "mutant reads for a call"),
    _p("ctdna_loci", "int64", ("V",), "clinic", "1", "monitored loci"),
    _p("ctdna_names", "strs", ("V",), "clinic", "", "names of the monitored loci",
       kernel=False),
    _p("recist", "bool", (), "clinic", "", "lesions evaluated by RECIST 1.1 (lesions.py)"),
    _p("cells_per_cm3", "float64", (), "clinic", "cells per cm^3", "lesion cell density"),
    _p("lesion_noise_mm", "float64", (), "clinic", "mm", "sd of a measured diameter"),
    _p("measurable_mm", "float64", (), "clinic", "mm", "smallest target lesion at baseline"),
    _p("confirm_days", "float64", (), "clinic", "days", "confirmation of CR / PR"),
    _p("min_sd_days", "float64", (), "clinic", "days", "minimum time for SD"),
    _p("ctdna_assay", "bool", (), "clinic", "", "reads from the assay model (ctdna_assay)"),
    _p("assay_shed", "float64", (), "clinic", "genome equivalents per ml per dying cell per day",
       "plasma copies per tumour cell dying per day at steady state"),
    _p("assay_normal", "float64", (), "clinic", "genome equivalents per ml",
       "normal cell-free DNA"),
    _p("assay_tube", "float64", (), "clinic", "ml", "plasma per sample"),
    _p("assay_error", "float64", (), "clinic", "1", "per-read error rate"),
    _p("assay_ch_vaf", "float64", (), "clinic", "1",
       "allele fraction of the variant in normal cell-free DNA (clonal haematopoiesis)"),
    _p("regimen_resists", "bool", ("Rg", "V"), "clinic", "", "the single mutant of each "
       "monitored locus grows under the regimen at steady exposure"),
    # ---- budget: sizes, time step, horizon, tracing ------------------------------------
    _p("detection_size", "int64", (), "budget", "cells",
       "total cells at which the tumour is detected; treatment starts then"),
    _p("lethal_size", "int64", (), "budget", "cells",
       "total cells at which the patient dies; the realization stops"),
    _p("dt", "float64", (), "budget", "days", "time step"),
    _p("scheme", "str", (), "budget", "", "step scheme: 'exact' (Kendall's law per cell type, "
       "docs/model.md) or 'euler' (per-step probabilities rate x dt)", code=SCHEME),
    _p("horizon_steps", "int64", (), "budget", "steps", "steps simulated after treatment start"),
    _p("max_detection_steps", "int64", (), "budget", "steps",
       "pre-detection step budget, summed over all restarts of a realization"),
    _p("max_restarts", "int64", (), "budget", "1",
       "restarts allowed before a realization is given up as undetected"),
    _p("trace_first", "int64", (), "budget", "1",
       "realizations with global index < trace_first are traced", kernel=False),
    _p("trace_list", "uint64", ("K",), "budget", "1",
       "further traced global realization indices (sorted, distinct)", kernel=False),
    _p("trace_every_steps", "int64", (), "budget", "steps", "trajectory sampling interval"),
    # ---- derived for the engines (gpu_engine/derived.py) --------------------------------
    _p("n_types", "int64", (), "derived", "1", "cell types T"),
    _p("n_loci", "int64", (), "derived", "1", "loci L"),
    _p("n_phenotypes", "int64", (), "derived", "1", "phenotypes P"),
    _p("n_compartments", "int64", (), "derived", "1", "compartments C"),
    _p("n_groups", "int64", (), "derived", "1", "competition groups G"),
    _p("n_drugs", "int64", (), "derived", "1", "drugs D"),
    _p("n_regimens", "int64", (), "derived", "1", "regimens Rg"),
    _p("n_lines", "int64", (), "derived", "1", "lines N"),
    _p("n_dose_levels", "int64", (), "derived", "1", "adaptive dose levels Lv"),
    _p("n_ctdna", "int64", (), "derived", "1", "monitored variants V"),
    _p("n_trace_times", "int64", (), "derived", "1", "trajectory samples per traced "
       "realization"),
    _p("n_visits", "int64", (), "derived", "1", "visits per realization"),
    _p("has_immune", "bool", (), "derived", "", "some cell type has an immune kill rate"),
    _p("drug_sensitive_switching", "bool", (), "derived", "",
       "some switching rate changes with drug activity"),
    _p("imaging_noise", "bool", (), "derived", "", "imaging_cv > 0"),
    _p("imaging_sigma", "float64", (), "derived", "1",
       "sqrt(log1p(imaging_cv**2)): sigma of the log-normal imaging noise"),
    _p("imaging_half_var", "float64", (), "derived", "1", "(0.5 sigma) sigma"),
    _p("half_shed", "float64", (), "derived", "genome equivalents per dying cell per day",
       "0.5 shed_per_death"),
    _p("ctdna_depth_f", "float64", (), "derived", "reads", "ctdna_depth as a double"),
    _p("log_capacity", "float64", ("G",), "derived", "1", "log of carrying_capacity "
       "(Gompertz crowding)"),
    _p("pk_decay", "float64", ("D",), "derived", "1", "exp(-k dt): one step's decay"),
    _p("pk_half_decay", "float64", ("D",), "derived", "1", "exp(-k dt / 2)"),
    _p("pk_infusion_end", "float64", ("D",), "derived", "days",
       "concentration per unit infusion rate after one step"),
    _p("pk_infusion_mid", "float64", ("D",), "derived", "days",
       "concentration per unit infusion rate at the step's midpoint"),
    _p("pk_auc_bolus", "float64", ("D",), "derived", "days",
       "exposure over one step per unit starting concentration"),
    _p("pk_auc_infusion", "float64", ("D",), "derived", "days squared",
       "exposure over one step per unit infusion rate"),
    _p("kendall_pieces", "int64", (), "derived", "1",
       "quadrature pieces of the exact step (even; the fewest with k h <= "
       "limits.KENDALL_PIECE_DECAY for the fastest drug that is not instantaneous)"),
    _p("pk_node_decay", "float64", ("Q", "D"), "derived", "1",
       "exp(-k s_q) at the midpoint s_q of each quadrature piece of the exact step (rows "
       "from kendall_pieces on: 0)"),
    _p("pk_node_infusion", "float64", ("Q", "D"), "derived", "days",
       "concentration per unit infusion rate at s_q: (1 - exp(-k s_q)) / k"),
    _p("detection_substeps", "int64", (), "derived", "1",
       "sub-steps per step before detection near the detection size (exact scheme; 1: none)"),
    _p("detection_near", "float64", (), "derived", "1",
       "exp(largest net growth rate x dt): a growing tumour with cells x detection_near >= "
       "detection_size takes sub-steps"),
    _p("mutation_any", "float64", ("T",), "derived", "per daughter cell",
       "U = 1 - prod (1 - u_j) over the type's free loci: a daughter mutates somewhere"),
    _p("mutation_first", "float64", ("T", "L"), "derived", "1",
       "u_j / U_{>=j}: a daughter with a new mutation at a free locus >= j has one at j "
       "(exact step's split of the mutant daughters; 0 at a mutated locus)"),
)
"""Every parameter, by record; the kernel packs the ``kernel`` ones in this order."""

PARAMETER = {p.name: p for p in PARAMETERS}
MODEL_FIELDS = tuple(p for p in PARAMETERS if p.record != "derived")
"""The parameters a compiled model stores (the rest are derived by the engines)."""


@functools.cache
def kernel_lists() -> dict[str, tuple[str, ...]]:
    """The packed parameter lists of the compiled engines, in declaration order:
    integer scalars (ints, bools, codes), float scalars, float arrays and integer arrays."""
    packed = [p for p in PARAMETERS if p.kernel]
    return {
        "OS_INT_SCALARS": tuple(p.name for p in packed if not p.shape and not p.is_float),
        "OS_FLOAT_SCALARS": tuple(p.name for p in packed if not p.shape and p.is_float),
        "OS_FLOAT_ARRAYS": tuple(p.name for p in packed if p.shape and p.is_float),
        "OS_INT_ARRAYS": tuple(p.name for p in packed if p.shape and not p.is_float),
    }


# ---- outputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawOutput:
    """One output of the raw per-realization record both engines fill (the compiled engines
    write it through ``OsOutputs``; the numpy engine builds the same arrays). Shape symbols:
    R realizations of the chunk, K traced ones of them, times, visits, T, D."""

    name: str
    dtype: str
    shape: tuple[str, ...]
    fill: float
    description: str

    @property
    def ctype(self) -> str:
        return "double" if self.dtype == "float64" else "int64_t"


NAN = float("nan")
RAW_OUTPUTS: tuple[RawOutput, ...] = (
    RawOutput("status", "int64", ("R",), 0, "0 ok; 1 a probability left [0, 1]; 2 too large"),
    RawOutput("attempt_start", "int64", ("R",), 0, "iteration the successful attempt started"),
    RawOutput("restarts", "int64", ("R",), 0, "pre-detection extinctions followed by a restart"),
    RawOutput("detect_it", "int64", ("R",), 0, "iteration of detection, -1 if never"),
    RawOutput("detect_substeps", "int64", ("R",), 0, "iterations of the detecting attempt "
              "that were sub-steps (exact scheme near the detection size)"),
    RawOutput("end_it", "int64", ("R",), 0, "iteration of cure or death, -1 if neither"),
    RawOutput("cured", "int64", ("R",), 0, "1 when extinct after treatment start"),
    RawOutput("cells_at_detection", "int64", ("R", "T"), 0, "cells at detection (or give-up)"),
    RawOutput("cells_at_pd", "int64", ("R", "T"), 0, "cells at the first imaging progression"),
    RawOutput("auc", "float64", ("R", "D"), 0.0, "exposure after treatment start"),
    RawOutput("progressed", "int64", ("R",), 0, "1 after an unanswered progression"),
    RawOutput("progression_it", "int64", ("R",), 0, "iteration of that progression, or -1"),
    RawOutput("first_pd_it", "int64", ("R",), 0, "iteration of the first imaging PD, or -1"),
    RawOutput("ctdna_it", "int64", ("R",), 0, "iteration of the first ctDNA call, or -1"),
    RawOutput("switches", "int64", ("R",), 0, "regimen switches"),
    RawOutput("switch_it", "int64", ("R",), 0, "iteration of the first regimen switch, or -1"),
    RawOutput("treated_steps", "int64", ("R",), 0, "steps with a regimen given"),
    RawOutput("best_response", "int64", ("R",), 0, "first line's RECIST best response code"),
    RawOutput("response_day", "float64", ("R",), NAN, "first confirmed CR/PR visit, days"),
    RawOutput("response_duration", "float64", ("R",), NAN, "duration of response, days"),
    RawOutput("response_event", "int64", ("R",), 0, "1: PD ended the response"),
    RawOutput("trajectory", "float64", ("K", "times", "T"), NAN, "cells of traced lanes"),
    RawOutput("concentration", "float64", ("K", "times", "D"), NAN, "plasma concentration"),
    RawOutput("on_treatment", "float64", ("K", "times"), NAN, "dose factor given (0: off)"),
    RawOutput("observed_burden", "float64", ("K", "visits"), NAN, "imaged burden at visits"),
    RawOutput("ctdna_vaf", "float64", ("K", "visits", "V"), NAN,
              "measured variant allele fraction (variant reads / depth) at visits"),
    RawOutput("sum_diameters", "float64", ("K", "visits"), NAN,
              "RECIST sum of target lesion diameters at visits, mm"),
)
"""The raw record, in the order of the compiled engines' output addresses."""

STATS = ("lane_steps", "nontrivial_draws", "iterations", "failed_lanes")
"""Chunk statistics the compiled engines sum (``unsigned long long stats[...]``)."""


@dataclass(frozen=True)
class Result:
    """One variable of the result dataset (and field of ``EngineResult``).

    ``dims`` are dataset dimensions; ``per_strategy`` False for the pre-treatment outputs,
    identical under every strategy (common random numbers), which keep no strategy
    dimension when ``simulate`` runs several.
    """

    name: str
    dtype: str
    dims: tuple[str, ...]
    long_name: str
    units: str = ""
    description: str = ""
    per_strategy: bool = True

    @property
    def attrs(self) -> dict[str, str]:
        attrs = {"long_name": self.long_name}
        if self.units:
            attrs["units"] = self.units
        if self.description:
            attrs["description"] = self.description
        return attrs


_R = ("realization",)
_TRACE = ("traced_realization", "time")
RESULTS: tuple[Result, ...] = (
    Result("detected", "bool", _R, "tumour reached detection_size",
           description="False only when the pre-detection budget or max_restarts ran out",
           per_strategy=False),
    Result("time_to_detection", "float64", _R,
           "time from the founder cells of the successful attempt to detection", "days",
           "NaN where detected is False", per_strategy=False),
    Result("restarts", "int64", _R, "pre-detection extinctions followed by a restart", "1",
           per_strategy=False),
    Result("cells_at_detection", "int64", ("realization", "cell_type"),
           "cells of each type at detection (treatment start)", "cells",
           "where detected is False: the state when the realization was given up",
           per_strategy=False),
    Result("cells_at_start", "int64", ("realization", "cell_type"),
           "cells of each type at treatment start (detection)", "cells",
           "0 where detected is False", per_strategy=False),
    Result("resistant_at_start", "bool", ("realization", "drug"),
           "some cell at treatment start has a genotype that grows at the drug's steady "
           "exposure (its standard dosing, drug alone)", per_strategy=False),
    Result("cured", "bool", _R, "the tumour went extinct after treatment start"),
    Result("time_to_cure", "float64", _R, "time from treatment start to extinction", "days",
           "NaN where cured is False"),
    Result("died", "bool", _R, "total cells reached lethal_size within the horizon"),
    Result("time_to_death", "float64", _R,
           "time from treatment start (detection) to lethal_size", "days",
           "NaN where died is False"),
    Result("drug_exposure", "float64", ("realization", "drug"),
           "area under the plasma concentration curve after treatment start",
           "concentration x days", "until the horizon, death or cure"),
    Result("progressed", "bool", _R,
           "imaging progression the strategy could not answer by switching"),
    Result("time_to_progression", "float64", _R,
           "time from treatment start to progression (strategy failure)", "days",
           "NaN where progressed is False (censored at death, cure or the horizon)"),
    Result("cells_at_progression", "int64", ("realization", "cell_type"),
           "cells of each type at the visit of the first imaging progression (on any line)",
           "cells", "0 where the tumour never progressed on imaging"),
    Result("regimen_switches", "int64", _R, "regimen switches (sequential, ctdna_switch)",
           "1"),
    Result("time_to_switch", "float64", _R,
           "time from treatment start to the first regimen switch (the first line's end)",
           "days", "NaN where the strategy never switched"),
    Result("ctdna_detection_time", "float64", _R,
           "time from treatment start to the first visit whose ctDNA detects a monitored "
           "variant that resists the current regimen", "days",
           "NaN where never detected or without ctDNA monitoring"),
    Result("ctdna_lead_time", "float64", _R, "first imaging progression minus ctDNA detection",
           "days", "NaN unless both happened"),
    Result("treated_fraction", "float64", _R,
           "share of the simulated treatment time with a regimen given", "1"),
    Result("best_response", "int64", _R,
           "RECIST 1.1 best overall response of the first treatment line", "1",
           "0 NE, 1 CR, 2 PR, 3 SD, 4 PD (confirmed CR/PR); 0 without monitoring.recist"),
    Result("time_to_response", "float64", _R,
           "time from treatment start to the first visit of the first confirmed response",
           "days", "NaN without a confirmed CR or PR"),
    Result("duration_of_response", "float64", _R,
           "from the first visit of the confirmed response to PD or the last visit of the "
           "first line", "days", "NaN without a confirmed CR or PR"),
    Result("response_ended", "bool", _R,
           "the response ended in PD (False: censored at the first line's last visit)"),
    Result("trajectory", "float64", (*_TRACE, "cell_type"),
           "cells of each type of traced realizations after treatment start", "cells",
           "0 after cure; NaN after death and for realizations never detected"),
    Result("concentration", "float64", (*_TRACE, "drug"),
           "plasma drug concentration of traced realizations (after boluses due at that "
           "time)", "concentration",
           "NaN after death or cure (not simulated) and where never detected"),
    Result("on_treatment", "float64", _TRACE,
           "dose factor of the regimen given (0: off) of traced realizations",
           description="NaN where not simulated"),
    Result("observed_burden", "float64", ("traced_realization", "visit"),
           "imaged total burden at each visit of traced realizations", "cells",
           "0 below the detection limit; NaN where no visit took place"),
    Result("ctdna_vaf", "float64", ("traced_realization", "visit", "variant"),
           "measured variant allele fraction (variant reads / depth) of each monitored variant "
           "at each visit of traced realizations", "1",
           "NaN where no visit took place or without ctDNA monitoring"),
    Result("sum_diameters", "float64", ("traced_realization", "visit"),
           "RECIST sum of the target lesions' measured diameters at each visit of traced "
           "realizations", "mm", "NaN where no visit took place or without monitoring.recist"),
)
"""The result variables, in dataset order."""


@dataclass(frozen=True)
class Coordinate:
    """A dataset coordinate (its values come from the model or the chunk: dataset.py)."""

    name: str
    long_name: str
    units: str = ""
    description: str = ""

    @property
    def attrs(self) -> dict[str, str]:
        attrs = {"long_name": self.long_name}
        if self.description:
            attrs["description"] = self.description
        if self.units:
            attrs["units"] = self.units
        return attrs


COORDINATES: tuple[Coordinate, ...] = (
    Coordinate("realization", "global realization index"),
    Coordinate("cell_type", "genotype/phenotype", description="wt = no resistance mutation"),
    Coordinate("drug", "drug"),
    Coordinate("traced_realization", "global index of a traced realization"),
    Coordinate("time", "time since treatment start (detection)", "days"),
    Coordinate("visit", "clinic visit, time since treatment start", "days"),
    Coordinate("variant", "locus monitored by ctDNA"),
)


# ---- the generated CUDA header --------------------------------------------------------------

HEADER_NAME = "declared.cuh"
CAPACITY_MACROS = {"n_drugs": "OS_MAX_DRUGS", "n_groups": "OS_MAX_GROUPS",
                   "n_phenotypes": "OS_MAX_PHENOTYPES", "n_compartments": "OS_MAX_COMPARTMENTS",
                   "n_ctdna": "OS_MAX_VARIANTS"}
"""The kernel's capacity macros (values: oncosweep.limits.KERNEL_CAPACITIES)."""


def _macro(name: str, items: list[str], args: str = "X") -> list[str]:
    lines = [f"#define {name}({args})"]
    row = ""
    for item in items:
        if len(row) + len(item) + 1 > 86:
            lines.append(f"  {row.rstrip()}")
            row = ""
        row += item + " "
    lines.append(f"  {row.rstrip()}")
    width = max(len(line) for line in lines) + 1
    return [line.ljust(width) + "\\" for line in lines[:-1]] + [lines[-1], ""]


def cuda_header() -> str:
    """The text of ``gpu_engine/cuda/declared.cuh`` (``python -m oncosweep.lowering.declaration``
    writes it; a test checks the committed file is current)."""
    lines = [
        "// oncosweep: GENERATED from oncosweep/lowering/declaration.py by",
        "// `python -m oncosweep.lowering.declaration`; do not edit (a test checks it is current).",
        "//",
        "// The packed parameter lists (layout.cuh turns them into indices, model.cuh into",
        "// accessors), the raw per-realization outputs (X(ctype, name), in address order), the",
        "// chunk statistics, the codes of the string fields and the kernel's capacities.",
        "#pragma once",
        "",
    ]
    for name, fields in kernel_lists().items():
        lines += _macro(name, [f"X({f})" for f in fields])
    lines += _macro("OS_OUTPUTS", [f"X({o.ctype}, {o.name})" for o in RAW_OUTPUTS])
    lines += _macro("OS_STATS", [f"X({s})" for s in STATS])
    lines.append("// codes of the string fields (index in the declared choices)")
    for p in PARAMETERS:
        if p.code is not None:
            values = ", ".join(f"{p.code.prefix}{c.upper()} = {i}"
                               for i, c in enumerate(p.code.choices))
            lines.append(f"enum {p.code.enum} {{ {values} }};  // {p.name}")
    lines += ["", "// capacities of the per-realization arrays (oncosweep/limits.py; the cell "
              "types and", "// loci are template arguments TMAX <= "
              f"{TYPE_CAPACITIES[-1]} and LMAX <= {KERNEL_CAPACITIES['n_loci']})"]
    for name, macro in CAPACITY_MACROS.items():
        lines.append(f"#define {macro} {KERNEL_CAPACITIES[name]}")
    lines += ["// most quadrature pieces of the exact step (limits.KENDALL_MAX_PIECES)",
              f"#define OS_KENDALL_MAX_PIECES {KENDALL_MAX_PIECES}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - the developer's regeneration step
    from pathlib import Path

    target = Path(__file__).resolve().parents[1] / "gpu_engine" / "cuda" / HEADER_NAME
    target.write_text(cuda_header())
    print(f"wrote {target}")
