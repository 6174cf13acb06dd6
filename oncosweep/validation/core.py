"""The validation machinery: a :class:`Case`, its :class:`Estimate`, the runner and the table.

A case passes when ``|z| < z_max`` (default 4), ``z = (simulated - reference) / SE``, or, for
goodness-of-fit kinds (:data:`P_VALUE_KINDS`), when the test's p-value exceeds ``p_min``
(default 1e-3).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

DEFAULT_SEED = 20240601
TOLERANCE_Z = 4.0
TOLERANCE_P = 1e-3
P_VALUE_KINDS = {"chi2"}  # goodness-of-fit kinds, judged by the p-value of their test
# "superiority": an effect in the published direction, judged by value > reference (e.g. a
# ratio of median times > 1) and the p-value of a difference test < SUPERIORITY_P
SUPERIORITY_P = 0.01


@dataclass(frozen=True)
class Estimate:
    """A simulated value with its standard error; ``p_value`` for goodness-of-fit cases."""

    value: float
    se: float
    p_value: float | None = None


@dataclass(frozen=True)
class Case:
    """One validation check: ``run(n, seed)`` simulates ``n`` realizations."""

    name: str
    topic: str  # "exact theory" | "published" | an issue label
    quantity: str  # what is measured, e.g. "P(cure)"
    reference: float
    source: str  # citation of the reference value
    kind: str  # "proportion" | "mean" (judged by z) | a kind in P_VALUE_KINDS (by p-value)
    run: Callable[[int, int], Estimate] = field(repr=False)
    n_full: int
    n_quick: int
    z_max: float = TOLERANCE_Z
    p_min: float = TOLERANCE_P

    def check(self, estimate: Estimate) -> tuple[str, bool]:
        """The test statistic as text, and whether the case passes."""
        if self.kind == "superiority":
            p = estimate.p_value
            if p is None:
                raise ValueError(f"case {self.name}: a superiority case must return a p-value")
            better = estimate.value > self.reference
            return f"p = {p:.2g} (< {SUPERIORITY_P:g})", bool(better and p < SUPERIORITY_P)
        if self.kind in P_VALUE_KINDS:
            p = estimate.p_value
            if p is None:
                raise ValueError(f"case {self.name}: a {self.kind} case must return a p-value")
            limit = "" if self.p_min == TOLERANCE_P else f" (> {self.p_min:g})"
            return f"p = {p:.3g}{limit}", bool(p > self.p_min)
        if not estimate.se > 0:
            same = estimate.value == self.reference
            return ("z = 0" if same else "z = inf"), same
        z = (estimate.value - self.reference) / estimate.se
        limit = "" if self.z_max == TOLERANCE_Z else f" (< {self.z_max:g})"
        return f"z = {z:+.2f}{limit}", bool(abs(z) < self.z_max)


@dataclass(frozen=True)
class Result:
    """One case run: its estimate, or the error that stopped it (a failure)."""

    case: Case
    n: int
    estimate: Estimate | None
    seconds: float
    error: str | None = None

    @property
    def outcome(self) -> tuple[str, bool]:
        if self.estimate is None:
            return f"error: {self.error}", False
        return self.case.check(self.estimate)


# ---------------------------------------------------------------- runner and report

def run_cases(cases: Sequence[Case], *, quick: bool = False, seed: int = DEFAULT_SEED,
              progress: bool | None = None) -> list[Result]:
    """Run each case; an exception fails its case instead of stopping the run."""
    from tqdm.auto import tqdm  # noqa: PLC0415

    if progress is None:
        progress = sys.stderr.isatty()
    results = []
    bar = tqdm(cases, desc="validating", unit="case", disable=not progress, file=sys.stderr)
    for case in bar:
        bar.set_postfix_str(case.name)
        n = case.n_quick if quick else case.n_full
        start = time.perf_counter()
        try:
            estimate, error = case.run(n, seed), None
        except Exception as exc:  # noqa: BLE001 - reported as a failed case
            estimate, error = None, f"{type(exc).__name__}: {exc}"
        results.append(Result(case, n, estimate, time.perf_counter() - start, error))
    bar.close()
    return results


def _number(x: float, like: float) -> str:
    """``x`` with 4 decimals, or 2 where the reference ``like`` is 10 or more."""
    return f"{x:.4f}" if abs(like) < 10 else f"{x:.2f}"


def format_table(results: Sequence[Result], wall_seconds: float) -> str:
    """Aligned text table, one row per case, and a summary line."""
    header = ("case", "quantity", "reference", "source", "n", "simulated +- SE", "test",
              "result", "time")
    rows = []
    for r in results:
        statistic, passed = r.outcome
        ref = r.case.reference
        simulated = (f"{_number(r.estimate.value, ref)} +- {_number(r.estimate.se, ref)}"
                     if r.estimate is not None else "-")
        rows.append((r.case.name, r.case.quantity, _number(ref, ref), r.case.source,
                     str(r.n), simulated, statistic, "PASS" if passed else "FAIL",
                     f"{r.seconds:.1f}s"))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    right = {2, 4, 5, 8}  # numeric columns

    def line(row: Sequence[str]) -> str:
        cells = (c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        return "  ".join(cells).rstrip()

    failed = sum(not r.outcome[1] for r in results)
    lines = [line(header), "  ".join("-" * w for w in widths), *map(line, rows),
             f"{len(results) - failed} passed, {failed} failed in {wall_seconds:.1f}s "
             f"(default tolerance |z| < {TOLERANCE_Z:g}, p > {TOLERANCE_P:g})"]
    return "\n".join(lines)


def exit_code(results: Sequence[Result]) -> int:
    return 0 if all(r.outcome[1] for r in results) else 1
