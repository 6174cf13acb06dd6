"""CompiledModel -> the flat buffers the fused kernel reads, and its outputs -> EngineResult.

The order of every field is read from ``cuda/layout.cuh`` (its X-macro lists), the single
source of truth shared with the CUDA code, so the packer cannot drift from the kernel. Both
launchers use this module: :mod:`oncosweep.gpu_engine.fused` (CuPy, the GPU) and
:mod:`oncosweep.gpu_engine.cpu_engine` (the same C++ source built for the CPU: the ``cpu``
backend).

Numpy alone is needed here; derived constants (PK decay factors, log carrying capacities, the
imaging noise's sigma) are formed with exactly the numpy engine's expressions, so both engines
start from the same doubles.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from oncosweep.gpu_engine.compile import COMBINATIONS, GROWTH_LAWS, STRATEGY_KINDS, CompiledModel
from oncosweep.gpu_engine.engine import EngineResult, _Lanes, _result, _zero_after_cure
from oncosweep.gpu_engine.pharmacology import StepDecay
from oncosweep.gpu_engine.policy import PolicyLanes

LAYOUT = Path(__file__).resolve().parent / "cuda" / "layout.cuh"

TYPE_CAPACITIES = (8, 16, 32, 64, 128, 256, 512, 1024)
"""Cell-type capacities the kernel is instantiated for (the smallest >= n_types is used)."""
MAX_KERNEL_LOCI = 8

_LIMITS = {"n_drugs": "OS_MAX_DRUGS", "n_groups": "OS_MAX_GROUPS",
           "n_phenotypes": "OS_MAX_PHENOTYPES", "n_compartments": "OS_MAX_COMPARTMENTS",
           "n_ctdna": "OS_MAX_VARIANTS"}


@cache
def layout() -> dict[str, tuple[str, ...]]:
    """The X-macro lists of layout.cuh: name -> field names in order."""
    text = LAYOUT.read_text()
    lists: dict[str, tuple[str, ...]] = {}
    for match in re.finditer(r"#define (OS_[A-Z_]+)\(X\)((?:.*\\\n)*.*)", text):
        body = match.group(2)
        lists[match.group(1)] = tuple(re.findall(r"X\((\w+)\)", body))
    return lists


@cache
def constants() -> dict[str, int]:
    """Integer ``#define``s of layout.cuh (capacities)."""
    return {name: int(value) for name, value in
            re.findall(r"#define (OS_MAX_\w+) (\d+)", LAYOUT.read_text())}


def int_header_size() -> int:
    lists = layout()
    return (len(lists["OS_INT_SCALARS"]) + len(lists["OS_FLOAT_ARRAYS"])
            + len(lists["OS_INT_ARRAYS"]))


@dataclass(frozen=True)
class PackedModel:
    """A model as the kernel reads it."""

    fparams: np.ndarray  # float64
    iparams: np.ndarray  # int64
    type_capacity: int  # TMAX template argument
    loci_capacity: int  # LMAX template argument

    @property
    def kernel_name(self) -> str:
        return f"os_simulate<{self.type_capacity}, {self.loci_capacity}>"


def _scalars(model: CompiledModel) -> tuple[dict[str, int], dict[str, float]]:
    sigma = math.sqrt(math.log1p(model.imaging_cv**2))
    ints = {
        "n_types": model.n_types, "n_loci": model.n_loci, "n_phenotypes": model.n_phenotypes,
        "n_compartments": model.n_compartments, "n_groups": len(model.carrying_capacity),
        "n_drugs": model.n_drugs, "growth_law": GROWTH_LAWS.index(model.growth_law),
        "combination": COMBINATIONS.index(model.combination),
        "strategy_kind": STRATEGY_KINDS.index(model.strategy_kind),
        "n_regimens": len(model.regimen_names), "horizon_steps": model.horizon_steps,
        "n_lines": len(model.lines), "off_regimen": model.off_regimen,
        "on_steps": model.on_steps, "off_steps": model.off_steps,
        "n_dose_levels": len(model.dose_levels), "visit_steps": model.visit_steps,
        "progression_reference": ("nadir", "baseline").index(model.progression_reference),
        "ctdna": int(model.ctdna), "ctdna_depth": model.ctdna_depth,
        "ctdna_poisson": int(model.ctdna_poisson), "ctdna_threshold": model.ctdna_threshold,
        "n_ctdna": len(model.ctdna_loci), "detection_size": model.detection_size,
        "lethal_size": model.lethal_size, "max_detection_steps": model.max_detection_steps,
        "max_restarts": model.max_restarts, "trace_every_steps": model.trace_every_steps,
        "n_trace_times": model.n_trace_times, "n_visits": model.n_visits,
        "has_immune": int(np.any(model.immune_kill > 0)),
        "drug_sensitive_switching": int(np.any(model.switch_rate_on_drug
                                               != model.switch_rate)),
        "imaging_noise": int(model.imaging_cv > 0),
    }
    floats = {
        "dt": model.dt, "frac_off": model.frac_off, "frac_on": model.frac_on,
        "imaging_sigma": sigma, "imaging_half_var": 0.5 * sigma * sigma,
        "detection_limit": model.detection_limit,
        "progression_factor": model.progression_factor,
        "progression_floor": model.progression_floor, "shed_per_death": model.shed_per_death,
        "half_shed": 0.5 * model.shed_per_death, "normal_genomes": model.normal_genomes,
        "ctdna_depth_f": float(model.ctdna_depth),
    }
    return ints, floats


def _arrays(model: CompiledModel) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    decay = StepDecay.from_half_lives(model.half_life, model.dt)
    floats = {
        "birth_rate": model.birth_rate, "death_rate": model.death_rate,
        "immune_kill": model.immune_kill, "switch_rate": model.switch_rate,
        "switch_rate_on_drug": model.switch_rate_on_drug,
        "migration_rate": model.migration_rate, "mutation_rate": model.mutation_rate,
        "carrying_capacity": model.carrying_capacity,
        "log_capacity": np.log(model.carrying_capacity), "alpha": model.alpha,
        "emax": model.emax, "hill": model.hill, "conc_factor": model.conc_factor,
        "ic50": model.ic50, "effect_factor": model.effect_factor, "pk_decay": decay.decay,
        "pk_half_decay": decay.half_decay, "pk_infusion_end": decay.infusion_end,
        "pk_infusion_mid": decay.infusion_mid, "pk_auc_bolus": decay.auc_bolus,
        "pk_auc_infusion": decay.auc_infusion, "regimen_bolus": model.regimen_bolus,
        "regimen_infusion": model.regimen_infusion, "dose_levels": model.dose_levels,
    }
    ints = {
        "genotype": model.genotype, "phenotype": model.phenotype,
        "compartment": model.compartment, "group": model.group, "drug_kill": model.drug_kill,
        "lines": model.lines, "ctdna_loci": model.ctdna_loci,
        "regimen_resists": model.regimen_resists, "initial_counts": model.initial_counts,
    }
    return floats, ints


def check_capacity(model: CompiledModel) -> tuple[int, int]:
    """(TMAX, LMAX) for the model; ValueError naming the size the kernel cannot hold."""
    ints, _ = _scalars(model)
    limits = constants()
    for name, macro in _LIMITS.items():
        if ints[name] > limits[macro]:
            raise ValueError(f"{name}: the fused kernel holds at most {limits[macro]}, the "
                             f"model has {ints[name]} (use backend='numpy')")
    if model.n_loci > MAX_KERNEL_LOCI:
        raise ValueError(f"n_loci: the fused kernel holds at most {MAX_KERNEL_LOCI} loci")
    fitting = [c for c in TYPE_CAPACITIES if c >= model.n_types]
    if not fitting:
        raise ValueError(f"n_types: the fused kernel holds at most {TYPE_CAPACITIES[-1]} cell "
                         f"types, the model has {model.n_types} (use backend='numpy')")
    return fitting[0], model.n_loci


def pack_model(model: CompiledModel) -> PackedModel:
    """The model's two parameter buffers (layout.cuh) and its kernel capacities."""
    tmax, lmax = check_capacity(model)
    lists = layout()
    int_scalars, float_scalars = _scalars(model)
    float_arrays, int_arrays = _arrays(model)
    for listed, given, what in ((lists["OS_INT_SCALARS"], int_scalars, "int scalars"),
                                (lists["OS_FLOAT_SCALARS"], float_scalars, "float scalars"),
                                (lists["OS_FLOAT_ARRAYS"], float_arrays, "float arrays"),
                                (lists["OS_INT_ARRAYS"], int_arrays, "int arrays")):
        if set(listed) != set(given):  # pragma: no cover - a developer error
            raise RuntimeError(f"layout.cuh {what} {listed} != packer {sorted(given)}")
    header = int_header_size()
    iparams: list[int] = [int(int_scalars[name]) for name in lists["OS_INT_SCALARS"]]
    fparams: list[float] = [float(float_scalars[name]) for name in lists["OS_FLOAT_SCALARS"]]
    float_data: list[np.ndarray] = []
    position = len(fparams)
    for name in lists["OS_FLOAT_ARRAYS"]:
        values = np.ascontiguousarray(float_arrays[name], dtype=np.float64).reshape(-1)
        iparams.append(position)
        float_data.append(values)
        position += values.size
    int_data: list[np.ndarray] = []
    position = header
    for name in lists["OS_INT_ARRAYS"]:
        values = np.ascontiguousarray(int_arrays[name]).astype(np.int64).reshape(-1)
        iparams.append(position)
        int_data.append(values)
        position += values.size
    return PackedModel(
        fparams=np.concatenate([np.array(fparams, dtype=np.float64), *float_data]),
        iparams=np.concatenate([np.array(iparams, dtype=np.int64), *int_data]),
        type_capacity=tmax, loci_capacity=lmax)


def output_specs(model: CompiledModel, count: int, n_traced: int
                 ) -> dict[str, tuple[tuple[int, ...], Any, float]]:
    """name -> (shape, dtype, fill) of every kernel output for a chunk of ``count``."""
    t, d = model.n_types, model.n_drugs
    times = model.n_trace_times
    specs: dict[str, tuple[tuple[int, ...], Any, float]] = {}
    for name in layout()["OS_OUTPUTS"]:
        if name == "cells_at_detection":
            specs[name] = ((count, t), np.int64, 0)
        elif name == "auc":
            specs[name] = ((count, d), np.float64, 0.0)
        elif name == "trajectory":
            specs[name] = ((n_traced, times, t), np.float64, np.nan)
        elif name == "concentration":
            specs[name] = ((n_traced, times, d), np.float64, np.nan)
        elif name == "on_treatment":
            specs[name] = ((n_traced, times), np.float64, np.nan)
        elif name == "observed_burden":
            specs[name] = ((n_traced, model.n_visits), np.float64, np.nan)
        else:
            specs[name] = ((count,), np.int64, 0)
    return specs


def allocate_outputs(xp: Any, model: CompiledModel, count: int, n_traced: int
                     ) -> dict[str, Any]:
    """The output arrays of a chunk on ``xp`` (numpy or cupy), in layout order."""
    return {name: xp.full(shape, fill, dtype=dtype)
            for name, (shape, dtype, fill) in output_specs(model, count, n_traced).items()}


def trace_rows(model: CompiledModel, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(traced global indices, per-lane trajectory row or -1) of a chunk."""
    traced = model.traced_in(start, count)
    rows = np.full(count, -1, dtype=np.int64)
    rows[traced - start] = np.arange(traced.size)
    return traced, rows


STATUS_MESSAGES = {
    1: "a per-step probability left [0, 1] (e.g. birth_rate x dt > 1); the numpy engine "
       "raises the same error",
    2: "the model exceeds the kernel's compiled capacities",
}


def to_engine_result(model: CompiledModel, outputs: dict[str, np.ndarray], *, start: int,
                     traced: np.ndarray, rows: np.ndarray, stats: dict[str, int]
                     ) -> EngineResult:
    """The numpy engine's EngineResult from the kernel's raw per-lane state (host arrays):
    the derived outputs (days, fractions, resistance at start) are formed by the numpy
    engine's own code, so only the simulation itself is written twice."""
    status = outputs["status"]
    bad = np.nonzero(status != 0)[0]
    if bad.size:
        code = int(status[bad[0]])
        raise RuntimeError(f"realization {start + int(bad[0])}: "
                           f"{STATUS_MESSAGES.get(code, f'status {code}')} "
                           f"({bad.size} realizations failed)")
    plan = PolicyLanes(
        regimen=None, activated=None, dose=None, line=None, level=None, baseline=None,
        nadir=None, progressed=outputs["progressed"].astype(bool),
        progression_it=outputs["progression_it"], first_pd_it=outputs["first_pd_it"],
        ctdna_it=outputs["ctdna_it"], switches=outputs["switches"],
        treated_steps=outputs["treated_steps"])
    state = _Lanes(counts=None, phase=None, attempt_start=outputs["attempt_start"],
                   restarts=outputs["restarts"], detect_it=outputs["detect_it"],
                   end_it=outputs["end_it"], cured=outputs["cured"].astype(bool),
                   cells_at_detection=outputs["cells_at_detection"], conc=None,
                   auc=outputs["auc"], policy=plan)
    trajectory = outputs["trajectory"]
    _zero_after_cure(np, model, state, rows, trajectory)
    traces = {"trajectory": trajectory, "concentration": outputs["concentration"],
              "on_treatment": outputs["on_treatment"],
              "observed_burden": outputs["observed_burden"]}
    return _result(np, model, state, start, traced, traces, dict(stats))
