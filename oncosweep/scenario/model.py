"""The top-level :class:`Scenario`: YAML in, validated immutable model out.

Each section is a model in its own module; ``Scenario`` composes them. Checks that involve two
sections live in a ``field_validator`` of the later section and read the earlier ones from
``info.data``, which holds only sections that validated, so a broken section never causes a
cascade of confusing follow-up errors. Adding a section is a field here, plus such a validator
where it depends on earlier sections (``monitoring``, ``strategies`` and ``sweep`` were the
latest; ``sweep`` must stay the last field: it validates the scenario made of the others). A
check that finds a problem in an earlier section (a mechanism naming an unknown drug, a time
step too long for the drugs) runs in the validator of the last section it needs and reports
the earlier section's path.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from oncosweep.limits import MAX_CONFIG_BYTES
from oncosweep.scenario._types import ScenarioModel
from oncosweep.scenario.cells import CellType, resolve_cell_types
from oncosweep.scenario.drugs import Drug, Regimen, Treatment
from oncosweep.scenario.errors import (
    ScenarioError,
    errors_from_validation,
    integer_field,
    raise_problems,
    short_repr,
)
from oncosweep.scenario.growth import Growth, Immune
from oncosweep.scenario.monitoring import Monitoring, monitoring_problems
from oncosweep.scenario.params import plain_data
from oncosweep.scenario.population import (
    Population,
    distribution_schema,
    extract_population,
    extreme_problems,
    inline_population,
)
from oncosweep.scenario.schedule import TreatmentSchedule, build_schedule
from oncosweep.scenario.simulation import Simulation, Trace
from oncosweep.scenario.strategies import MAX_STRATEGIES, Continuous, Strategy, StrategyPlan
from oncosweep.scenario.strategy_checks import strategy_problems
from oncosweep.scenario.sweep import Sweep
from oncosweep.scenario.sweep_checks import check_sweep
from oncosweep.scenario.sweep_grid import SweepMethods
from oncosweep.scenario.therapy_checks import drug_problems, regimen_problems, time_step_problems
from oncosweep.scenario.tumour import Tumour
from oncosweep.scenario.tumour_checks import listing
from oncosweep.scenario.yaml_io import load_yaml, string_keys

__all__ = ["Scenario", "time_step_problems"]


class Scenario(ScenarioModel, SweepMethods):
    """A complete, validated simulation scenario (immutable).

    Build it with :meth:`from_yaml`, :meth:`from_yaml_string` or :meth:`from_dict`; every
    problem is reported as a :class:`~oncosweep.scenario.errors.ScenarioError`. The sweep
    methods (:meth:`sweep_axes`, :meth:`grid_shape`, :meth:`at_point`,
    :meth:`biology_point_id`, :meth:`with_parameters`) are in
    :mod:`~oncosweep.scenario.sweep_grid`.
    """

    name: str = "scenario"
    """Short name of the scenario."""
    description: str = ""
    """Free text."""
    tumour: Tumour
    """The tumour: cells, rates, loci, phenotypes, compartments."""
    simulation: Simulation
    """Time step and time budgets."""
    trace: Trace = Trace()
    """Which realizations record trajectories (default: none)."""
    growth: Growth = Growth()
    """Density dependence of growth (default: exponential)."""
    immune: Immune | None = None
    """Immune killing (null: none)."""
    drugs: tuple[Drug, ...] = Field(default=(), validate_default=True)
    """The drugs, with their standard dosing."""
    regimens: tuple[Regimen, ...] = ()
    """Named drug combinations."""
    treatment: Treatment | None = None
    """The regimen given from detection to the horizon (null: no therapy); short for
    ``strategies: [{name: X, kind: continuous, regimen: X}]``."""
    monitoring: Monitoring | None = None
    """Clinic visits with imaging and optional ctDNA (null: none); needed by strategies of
    kind sequential, adaptive and ctdna_switch."""
    strategies: tuple[Strategy, ...] = ()
    """Treatment strategies, each simulated for the same tumours (at most 16; not together
    with ``treatment``)."""
    population: Population | None = None
    """The parameters that vary from patient to patient (realization to realization): filled
    from the distributions written in place of numbers (null: every patient alike)."""
    sweep: Sweep | None = None
    """A parameter sweep: a grid of variants of this scenario, each simulated for
    ``sweep.realizations`` tumours (null: no sweep)."""

    @field_validator("trace")
    @classmethod
    def _trace_fits_steps(cls, trace: Trace, info: ValidationInfo) -> Trace:
        simulation = info.data.get("simulation")
        if simulation is not None:
            raise_problems(trace.every_problems(simulation.dt))
        return trace

    @field_validator("growth")
    @classmethod
    def _growth_fits_tumour(cls, growth: Growth, info: ValidationInfo) -> Growth:
        tumour = info.data.get("tumour")
        if tumour is not None:
            raise_problems(growth.reference_problems(tumour.locus_names, tumour.detection_size))
        return growth

    @field_validator("immune")
    @classmethod
    def _tumour_outgrows_immune(cls, immune: Immune | None, info: ValidationInfo) -> Immune | None:
        tumour = info.data.get("tumour")
        if tumour is None or immune is None:
            return immune
        if sum(tumour.initial_counts().values()) < tumour.detection_size:
            types = resolve_cell_types(tumour, None, immune)
            growth = tumour.founder_growth_rate(types) + 0.0  # + 0.0: no "-0"
            if growth <= 0:
                message = (
                    f"the initial cells cannot outgrow the immune kill (net growth rate "
                    f"{growth:.3g} per day <= 0), so the tumour never reaches detection_size"
                )
                raise_problems([(("kill_rate",), message)])
        return immune

    @field_validator("drugs")
    @classmethod
    def _drugs_fit(cls, drugs: tuple[Drug, ...], info: ValidationInfo) -> tuple[Drug, ...]:
        raise_problems(drug_problems(drugs, info.data), absolute=True)
        return drugs

    @field_validator("regimens")
    @classmethod
    def _regimens_fit(
        cls, regimens: tuple[Regimen, ...], info: ValidationInfo
    ) -> tuple[Regimen, ...]:
        drugs = info.data.get("drugs")
        if drugs is not None:
            raise_problems(regimen_problems(regimens, drugs, info.data.get("simulation")))
        return regimens

    @field_validator("treatment")
    @classmethod
    def _known_regimen(cls, treatment: Treatment | None, info: ValidationInfo) -> Treatment | None:
        regimens = info.data.get("regimens")
        if treatment is not None and regimens is not None:
            names = [r.name for r in regimens]
            if treatment.regimen not in names:
                message = f"unknown regimen {treatment.regimen!r} {listing('regimens', names)}"
                raise_problems([(("regimen",), message)])
        return treatment

    @field_validator("monitoring")
    @classmethod
    def _monitoring_fits(
        cls, monitoring: Monitoring | None, info: ValidationInfo
    ) -> Monitoring | None:
        if monitoring is not None:
            raise_problems(monitoring_problems(monitoring, info.data))
        return monitoring

    @field_validator("strategies")
    @classmethod
    def _strategies_fit(
        cls, strategies: tuple[Strategy, ...], info: ValidationInfo
    ) -> tuple[Strategy, ...]:
        if len(strategies) > MAX_STRATEGIES:
            message = f"at most {MAX_STRATEGIES} strategies are supported, got {len(strategies)}"
            raise PydanticCustomError("too_long", message)
        raise_problems(strategy_problems(strategies, info.data))
        return strategies

    @field_validator("sweep")
    @classmethod
    def _sweep_fits(cls, sweep: Sweep | None, info: ValidationInfo) -> Sweep | None:
        if sweep is None:
            return None
        sections = [name for name in cls.model_fields if name != "sweep"]
        sweep, problems = check_sweep(sweep, info.data, sections, cls.from_dict)
        raise_problems(problems)
        return sweep

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate a mapping shaped like the YAML file."""
        if data is None:
            raise ScenarioError.single(
                "<root>", f"the scenario is empty (expected a mapping with {_sections(cls)})"
            )
        if not isinstance(data, Mapping):
            raise ScenarioError.single(
                "<root>",
                f"the scenario must be a mapping with {_sections(cls)}, "
                f"got a {type(data).__name__}: {short_repr(data)}",
            )
        try:
            data = string_keys(data)
        except RecursionError:
            raise ScenarioError.single("<root>", "the scenario is nested too deeply") from None
        data = extract_population(data, functools.partial(integer_field, cls))
        try:
            scenario = cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(errors_from_validation(exc, cls)) from None
        if scenario.population is not None and scenario.population.varying():
            fixed = {k: v for k, v in plain_data(scenario).items()
                     if k not in ("population", "sweep")}
            problems = extreme_problems(fixed, scenario.population, cls)
            if problems:
                raise ScenarioError(problems)
        return scenario

    @classmethod
    def from_yaml_string(cls, text: str) -> Scenario:
        """Parse and validate YAML text."""
        return cls.from_dict(load_yaml(text))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read, parse and validate a YAML file; errors carry the file name in ``source``."""
        try:
            source = os.fspath(path)
        except TypeError:
            raise ScenarioError.single("<file>", f"not a file path: {short_repr(path)}") from None
        try:
            text = _read_bounded(source).decode("utf-8")
        except ScenarioError:
            raise
        except FileNotFoundError:
            raise ScenarioError.single("<file>", f"file not found: {source}", source) from None
        except UnicodeDecodeError:
            raise ScenarioError.single("<file>", "not a UTF-8 text file", source) from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise ScenarioError.single(
                "<file>", f"cannot read {source}: {reason}", source
            ) from None
        try:
            return cls.from_yaml_string(text)
        except ScenarioError as exc:
            exc.source = source
            raise

    # ----------------------------------------------------------------- export
    def to_yaml(self) -> str:
        """The scenario as YAML text (all fields, YAML names); reads back to an equal object."""
        data = inline_population(string_keys(self.model_dump(by_alias=True, exclude_none=True)))
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)  # inf -> .inf

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of the YAML format (YAML names, e.g. ``from``). Every number of the
        sections a population may vary accepts a distribution too (``$defs/Distribution``)."""
        return distribution_schema(cls.model_json_schema(by_alias=True), cls)

    # ----------------------------------------------------------------- resolved model
    def at_reference(self) -> Scenario:
        """The scenario at its population's reference values (each distribution's median in
        its place): every patient alike. Itself without a population."""
        return self if self.population is None else self.model_copy(update={"population": None})

    def cell_types(self) -> list[CellType]:
        """All cell types (genotype x phenotype x compartment) with their rates and drug
        factors; see :class:`~oncosweep.scenario.cells.CellType`."""
        return resolve_cell_types(self.tumour, self.growth, self.immune, self.drugs)

    def founder_type_index(self) -> int:
        """Index into :meth:`cell_types` of the founder cell type."""
        return self.tumour.founder_type_index()

    def initial_counts(self) -> dict[int, int]:
        """Cell type index -> cells at time 0 and at every restart (only types with cells > 0):
        ``initial_population``, else ``{founder_type_index(): initial_cells}``."""
        return self.tumour.initial_counts()

    def strategy_plans(self) -> tuple[StrategyPlan, ...]:
        """One :class:`~oncosweep.scenario.strategies.StrategyPlan` per strategy, in order;
        ``treatment: {regimen: X}`` gives one continuous plan named X; () without therapy."""
        strategies = self.strategies
        if self.treatment is not None and not strategies:
            name = self.treatment.regimen
            strategies = (Continuous(name=name, kind="continuous", regimen=name),)
        return tuple(strategy.plan(self.simulation.dt) for strategy in strategies)

    def regimen_schedule(self, name: str) -> TreatmentSchedule:
        """The regimen called ``name`` resolved per drug, in steps from its start (ValueError
        for an unknown name)."""
        return build_schedule(name, self.regimens, self.drugs, self.simulation.dt)

    def treatment_schedule(self) -> TreatmentSchedule | None:
        """The first regimen of the first strategy (or of ``treatment``) resolved per drug,
        in steps (None without therapy); see :meth:`regimen_schedule`."""
        plans = self.strategy_plans()
        return self.regimen_schedule(plans[0].regimens[0]) if plans else None

    def ctdna_variant_indices(self) -> tuple[int, ...]:
        """Locus indices (bits) monitored by ctDNA, in the order listed (every locus when
        ``monitoring.ctdna.variants`` is not given; () without ctDNA)."""
        if self.monitoring is None:
            return ()
        return self.monitoring.variant_indices(self.tumour.locus_names)


def _read_bounded(source: str) -> bytes:
    """The bytes of the regular file ``source``: refused (a ScenarioError at ``<file>``) if it
    is no regular file (a directory, a device such as /dev/zero, a pipe: never opened) or if
    it is longer than ``MAX_CONFIG_BYTES`` (at most that many bytes + 1 are read)."""
    info = os.stat(source)
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
        raise ScenarioError.single("<file>", f"not a regular file ({kind})", source)
    with Path(source).open("rb") as stream:
        data = stream.read(MAX_CONFIG_BYTES + 1)  # never more, however long the file
    if info.st_size > MAX_CONFIG_BYTES or len(data) > MAX_CONFIG_BYTES:
        size = f"{max(info.st_size, len(data))} bytes" if info.st_size else "longer"
        raise ScenarioError.single(
            "<file>", f"the file is larger than {MAX_CONFIG_BYTES} bytes, the most a scenario "
            f"file may have ({size})", source)
    return data


def _sections(model: type[ScenarioModel]) -> str:
    return "sections " + ", ".join(f.alias or name for name, f in model.model_fields.items())
