"""Scenario schema: YAML config -> validated, immutable model objects.

::

    from oncosweep.scenario import Scenario, ScenarioError
    scenario = Scenario.from_yaml("configs/quickstart.yaml")
    for ct in scenario.cell_types():
        print(ct.index, ct.label, ct.birth_rate, ct.death_rate)

Every problem in a scenario raises :class:`ScenarioError` whose ``errors`` are
:class:`FieldError` ``(path, message)`` pairs such as
``tumour.loci[1].mutation_rate: must be in [0, 1], got 2.5``.

Sections: ``tumour`` (cells, loci with resistance ``mechanisms``, phenotypes, compartments),
``simulation``, ``trace``, ``growth`` (density dependence), ``immune``, ``drugs``, ``regimens``,
``treatment`` (one regimen throughout), ``monitoring`` (clinic visits: imaging, ctDNA),
``strategies`` (treatment policies, :meth:`Scenario.strategy_plans`) and ``sweep`` (a grid of
parameter variants, :meth:`Scenario.sweep_axes`, :meth:`Scenario.at_point`); all but
``tumour`` and ``simulation`` are optional, and without them there is no therapy, growth is
exponential, the tumour is one compartment and there is one scenario to simulate.
"""

from oncosweep.scenario._types import MAX_COMPARTMENTS
from oncosweep.scenario.cells import CellType
from oncosweep.scenario.compartments import Compartment, Migration, PopulationEntry
from oncosweep.scenario.drugs import Dosing, Drug, Regimen, RegimenDrug, Treatment
from oncosweep.scenario.errors import FieldError, ScenarioError
from oncosweep.scenario.growth import CompetitionGroup, Growth, Immune
from oncosweep.scenario.mechanisms import (
    ApoptosisEvasion,
    Bypass,
    Efflux,
    ImmuneEvasion,
    Mechanism,
    Target,
)
from oncosweep.scenario.model import Scenario
from oncosweep.scenario.monitoring import CtDNA, Imaging, Monitoring, Progression
from oncosweep.scenario.schedule import TreatmentSchedule
from oncosweep.scenario.simulation import Simulation, Trace
from oncosweep.scenario.strategies import (
    MAX_STRATEGIES,
    Adaptive,
    Continuous,
    CtdnaSwitch,
    Intermittent,
    Sequential,
    Strategy,
    StrategyPlan,
)
from oncosweep.scenario.sweep import MAX_GRID_POINTS, Sweep, SweepAxis, ZipGroup
from oncosweep.scenario.sweep_checks import MAX_CHECKED_POINTS
from oncosweep.scenario.tumour import (
    Epistasis,
    Founder,
    Locus,
    Phenotype,
    Switching,
    Tumour,
)

__all__ = [
    "MAX_CHECKED_POINTS",
    "MAX_COMPARTMENTS",
    "MAX_GRID_POINTS",
    "MAX_STRATEGIES",
    "Adaptive",
    "ApoptosisEvasion",
    "Bypass",
    "CellType",
    "Compartment",
    "CompetitionGroup",
    "Continuous",
    "CtDNA",
    "CtdnaSwitch",
    "Dosing",
    "Drug",
    "Efflux",
    "Epistasis",
    "FieldError",
    "Founder",
    "Growth",
    "Imaging",
    "Immune",
    "ImmuneEvasion",
    "Intermittent",
    "Locus",
    "Mechanism",
    "Migration",
    "Monitoring",
    "Phenotype",
    "PopulationEntry",
    "Progression",
    "Regimen",
    "RegimenDrug",
    "Scenario",
    "ScenarioError",
    "Sequential",
    "Simulation",
    "Strategy",
    "StrategyPlan",
    "Sweep",
    "SweepAxis",
    "Switching",
    "Target",
    "Trace",
    "Treatment",
    "TreatmentSchedule",
    "Tumour",
    "ZipGroup",
]
