"""``oncosweep validate``: the engine against exact theory and published results.

Each :class:`Case` simulates one scenario and compares one number with a reference value
(``core``: the rule, the runner and the table; ``cases``: scenarios and the registry). Seeds
are fixed, so a run is deterministic. ``n_quick`` keeps the whole ``--quick`` run under
2 minutes on 2 cores (CI, about 45-60 s measured); ``n_full`` about 2.5 minutes.

``--convergence`` runs :mod:`oncosweep.validation.convergence` instead: the theory cases under
both step schemes at dt = 0.1, 0.5 and 1 day (:func:`convergence_main`).

Adding a case: append a :class:`Case` to :data:`CASES` (names must be unique) in
``validation/cases.py`` or in a new module of this package imported below. Its ``run(n,
seed)`` returns an :class:`Estimate` (value, SE and, for goodness-of-fit kinds, a p-value).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from oncosweep.validation.cases import CASES
from oncosweep.validation.core import (
    DEFAULT_SEED,
    P_VALUE_KINDS,
    TOLERANCE_P,
    TOLERANCE_Z,
    Case,
    Estimate,
    Result,
    exit_code,
    format_table,
    run_cases,
)
from oncosweep.validation.strategy_cases import CASES as STRATEGY_CASES

CASES.extend(STRATEGY_CASES)

__all__ = ["CASES", "DEFAULT_SEED", "P_VALUE_KINDS", "TOLERANCE_P", "TOLERANCE_Z", "Case",
           "Estimate", "Result", "convergence_main", "exit_code", "format_table", "main",
           "run_cases", "select"]


def select(names: Sequence[str] | None, cases: Sequence[Case] | None = None) -> list[Case]:
    """The cases named (all when ``names`` is empty); KeyError names an unknown one."""
    cases = CASES if cases is None else cases
    if not names:
        return list(cases)
    by_name = {case.name: case for case in cases}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise KeyError(f"unknown case {unknown[0]!r}; cases: {', '.join(by_name)}")
    return [by_name[name] for name in names]


def main(*, quick: bool = False, names: Sequence[str] | None = None, seed: int = DEFAULT_SEED,
         progress: bool | None = None, cases: Sequence[Case] | None = None,
         out: TextIO | None = None) -> int:
    """Run the selected cases, print the table; 0 if all pass, 1 otherwise."""
    selected = select(names, cases)
    start = time.perf_counter()
    results = run_cases(selected, quick=quick, seed=seed, progress=progress)
    mode = "quick" if quick else "full"
    from oncosweep.gpu_engine.backend import resolve_backend  # noqa: PLC0415

    print(f"oncosweep validate ({mode}, seed {seed}; {resolve_backend('auto').line()})",
          file=out or sys.stdout)
    print(format_table(results, time.perf_counter() - start), file=out or sys.stdout)
    return exit_code(results)


def convergence_main(*, quick: bool = False, names: Sequence[str] | None = None,
                     seed: int = DEFAULT_SEED, backend: str = "auto",
                     progress: bool | None = None, out: TextIO | None = None) -> int:
    """``oncosweep validate --convergence``: run the study (:mod:`.convergence`) and print its
    table; 1 if a cell failed with an error (refusals and large z do not fail a study)."""
    from oncosweep.gpu_engine.backend import resolve_backend  # noqa: PLC0415
    from oncosweep.validation import convergence  # noqa: PLC0415

    if progress is None:
        progress = sys.stderr.isatty()
    start = time.perf_counter()
    rows = convergence.study(cases=names, quick=quick, seed=seed, backend=backend,
                             progress=progress)
    stream = out or sys.stdout
    print(f"oncosweep validate --convergence ({'quick' if quick else 'full'}, seed {seed}; "
          f"{resolve_backend(backend).line()})", file=stream)
    print(convergence.format_study(rows), file=stream)
    print(f"{len(rows)} cells in {time.perf_counter() - start:.1f}s", file=stream)
    return 1 if any(r.estimate is None and not r.refused for r in rows) else 0
