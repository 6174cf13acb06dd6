"""The lowering layer: a validated :class:`~oncosweep.scenario.Scenario` -> a
:class:`~oncosweep.lowering.compiled.CompiledModel` of dense numpy arrays.

* :mod:`~oncosweep.lowering.declaration`: the one declaration of every model parameter and
  output (standard library only);
* :mod:`~oncosweep.lowering.compiled`: ``CompiledModel`` and its records, built from the
  declaration (numpy only: a GPU box unpickles it without pydantic);
* :mod:`~oncosweep.lowering.lower`: the conversion itself (cell types, schedules, the strategy
  plan, visits and ctDNA, all times in steps by the one days-to-steps rule
  :func:`oncosweep.scenario.simulation.to_steps`).

Layers: the engine (``oncosweep.gpu_engine``) reads this package; this package reads the
scenario schema; nothing here imports the engine. Nothing is imported eagerly, so
``import oncosweep.lowering.compiled`` needs numpy alone.
"""
