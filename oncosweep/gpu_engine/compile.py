"""Scenario -> CompiledModel for the engines: the lowering, completed by the engine's
resistance classification.

:func:`oncosweep.lowering.lower.lower` converts the scenario into model arrays; what makes a
genotype "resistant" is defined by the engine's own rates (positive net growth at a drug's
steady exposure), so it is classified with :func:`~oncosweep.gpu_engine.rates.pair_rates`,
the same code the numpy engine steps with (:mod:`oncosweep.gpu_engine.classify`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncosweep.gpu_engine.classify import regimen_resists, resistant_genotypes
from oncosweep.gpu_engine.derived import SIZE_VALUES
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.lowering.declaration import COMBINATION, GROWTH_LAW, STRATEGY_KIND
from oncosweep.lowering.lower import lower
from oncosweep.lowering.population import plan_population

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario import Scenario

__all__ = ["COMBINATIONS", "GROWTH_LAWS", "STRATEGY_KINDS", "CompiledModel", "compile_scenario",
           "resistant_genotypes"]

GROWTH_LAWS = GROWTH_LAW.choices
COMBINATIONS = COMBINATION.choices
STRATEGY_KINDS = STRATEGY_KIND.choices


def compile_scenario(scenario: Scenario, strategy: str | None = None) -> CompiledModel:
    """Compile a validated :class:`oncosweep.Scenario` into engine arrays for one strategy
    (``strategy``: its name; default the first, or none without treatment). A scenario with
    a ``population`` gives the model of its reference values carrying the population's plan
    (:mod:`oncosweep.lowering.population`); each realization's classification is formed
    again from its drawn rates (:mod:`oncosweep.gpu_engine.population`)."""
    model = lower(scenario, strategy)
    model = model.replace(resistant=resistant_genotypes(model, model.steady_exposure),
                          regimen_resists=regimen_resists(model))
    plan = plan_population(scenario, strategy, model)
    for parameter in plan.parameters if plan is not None else ():
        for effect in parameter.effects:
            if effect.field in SIZE_VALUES:
                raise ValueError(f"{parameter.path}: cannot vary from realization to "
                                 f"realization (it sets the model's {effect.field}, which "
                                 "sizes the outputs: the same for every realization)")
    return model.with_population(plan)


