"""Scenario schema: YAML config -> validated, immutable model objects.

::

    from oncosweep.scenario import Scenario, ScenarioError
    scenario = Scenario.from_yaml("configs/quickstart.yaml")
    for ct in scenario.cell_types():
        print(ct.index, ct.label, ct.birth_rate, ct.death_rate)

Every problem in a scenario raises :class:`ScenarioError` whose ``errors`` are
:class:`FieldError` ``(path, message)`` pairs such as
``tumour.loci[1].mutation_rate: must be in [0, 1], got 2.5``.
"""

from oncosweep.scenario.errors import FieldError, ScenarioError
from oncosweep.scenario.model import Scenario
from oncosweep.scenario.simulation import Simulation, Trace
from oncosweep.scenario.tumour import (
    CellType,
    Epistasis,
    Founder,
    Locus,
    Phenotype,
    Switching,
    Tumour,
)

__all__ = [
    "CellType",
    "Epistasis",
    "FieldError",
    "Founder",
    "Locus",
    "Phenotype",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "Switching",
    "Trace",
    "Tumour",
]
