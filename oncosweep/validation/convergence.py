"""Convergence study of the time-stepping schemes (``simulation.scheme``; issue 14).

Every theory case is simulated under each scheme (``exact``, ``euler``) at each step size
(dt = 0.1, 0.5 and 1 day) and compared with a value from an exact formula, never from earlier
runs: ``error = estimate - theory`` and ``z = error / SE``. A cell the euler scheme's dt check
refuses ((sum of rates) x dt > 1) is recorded as refused, not as a failure. Seeds are fixed.

The cases (units: cells, days, rates per day, mutation rates per daughter cell):

* ``extinction``: b = 1, d = 0.5 from one cell; a lineage dies out with probability d / b,
  estimated from the restarts before detection at 1000 cells as in ``cases.extinction``.
* ``mean-growth``: E[N(t)] = N0 exp((b - d) t), N0 = 10, b = 1, d = 0.5, t = 5 days.
* ``ld-pure-birth`` and ``ld-death``: Luria–Delbrück fluctuation tests at a fixed time T, not
  at detection (detection is on the step grid: at dt = 1 a pure-birth tumour overshoots the
  detection size by up to e**(b dt), and the at-detection formulas are asymptotic in the size).
  From N0 wild-type cells P(no mutant cell at T) = G(T)**N0, G from the backward Kolmogorov
  equations of the two-type process (a division gives two daughters, each mutant with
  probability u; mutants neutral, birth b, death d), by solve_ivp (DOP853, rtol 1e-12):

      q' = d - (b + d) q + b q**2,                  q(0) = 0  (a mutant line extinct by t)
      G' = d - (b + d) G + b ((1 - u) G + u q)**2,  G(0) = 1

  Without death G = 1 / ((1 - u)**2 + (1 - (1 - u)**2) e**(b t)) (tested). Pure birth: b = 1,
  one cell, T = 8 days, u = e**-8 / 2 (m = 2 u e**(b T) = 1); with death: b = 1, d = 0.9,
  100 cells, T = 10 days, u = 1e-3.
* ``iwasa2006-case1/2``: Iwasa, Michor & Nowak 2006 (Genetics 172:2557), P(no resistant cell
  at size M = 1e4) = exp(-M u r int_0^inf e**(-(r - d) s) p(s) ds), p(s) = (a - c) / (a - c
  e**(-(a - c) s)) (a resistant line, birth a, death c, born s days before detection is alive
  then); r = 1, d = 0.5, u = 1e-4 per division: 0.23529 and 0.36784 by quad, the published
  0.2353 and 0.3678 (asymptotic in M; detection on the step grid overshoots M).
* ``bozic2013-dual`` (expensive; run only when named): Bozic et al. 2013 (eLife 2:e00747),
  P(cure) = 0.263 (the published value).
* ``kendall-pk``: one cell type, b = 0.5, d = 0.1, a kill drug (emax 2 per day, Hill 1, IC50 =
  dose = 1 conc) given as boluses every day from treatment start, half-life 0.5 day, 100 cells
  at treatment start, horizon T = 10 days. With lambda = b and mu(t) = d + E(t), Kendall 1948
  (Ann. Math. Statist. 19:1) gives P(a cell's line is extinct by T) = 1 - 1 / W(T),
  W(T) = exp(-R(T)) + int_0^T lambda exp(-R(s)) ds, R(s) = int_0^s (lambda - mu), and
  P(cure by T) = (1 - 1 / W(T))**100 = 0.4110. The kill integral is closed-form for Hill 1
  (int E = emax / k ln((C0 + IC50) / (C0 e**(-k s) + IC50)) after a bolus), the outer one by
  quad per dosing interval (rel. error ~1e-12); tested against the backward Riccati equation.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from oncosweep.validation.cases import _proportion, bozic_config, iwasa_config, one_type
from oncosweep.validation.core import DEFAULT_SEED, Estimate

SCHEMES = ("exact", "euler")
DTS = (0.1, 0.5, 1.0)
REFUSED = "refused by the dt check"


def mean_theory(n0: float, birth: float, death: float, t: float) -> float:
    """E[N(t)] = n0 exp((b - d) t), cells (rates per day, t in days)."""
    return n0 * math.exp((birth - death) * t)


def constant_extinction(birth: float, death: float, t: float) -> float:
    """Kendall's P(a cell's line is extinct by t days), constant rates: d (e**(rho t) - 1) /
    (b e**(rho t) - d), rho = b - d (d t / (1 + d t) when b = d)."""
    rho = birth - death
    if rho == 0.0:
        return death * t / (1.0 + death * t)
    grow = math.expm1(rho * t)
    return death * grow / (birth * grow + rho)


def no_mutant_probability(birth: float, death: float, u: float, t: float, n0: int) -> float:
    """P(no mutant cell at t days) from n0 wild-type cells: G(t)**n0 by the backward equations
    of the module docstring (u per daughter cell, mutants neutral)."""
    from scipy.integrate import solve_ivp  # noqa: PLC0415

    def rhs(_: float, y: Sequence[float]) -> list[float]:
        q, g = y
        return [death - (birth + death) * q + birth * q * q,
                death - (birth + death) * g + birth * ((1 - u) * g + u * q) ** 2]

    solution = solve_ivp(rhs, (0.0, t), [0.0, 1.0], method="DOP853", rtol=1e-12, atol=1e-14)
    return float(solution.y[1, -1]) ** n0


def iwasa_theory(resistant_birth: float, resistant_death: float, *, size: float = 1e4,
                 u_division: float = 1e-4, birth: float = 1.0, death: float = 0.5) -> float:
    """Iwasa, Michor & Nowak 2006: P(no resistant cell at size ``size``), u per division."""
    from scipy.integrate import quad  # noqa: PLC0415

    a, c = resistant_birth, resistant_death

    def integrand(s: float) -> float:
        return math.exp(-(birth - death) * s) * (a - c) / (a - c * math.exp(-(a - c) * s))

    integral = quad(integrand, 0.0, math.inf, epsabs=0.0, epsrel=1e-12)[0]
    return math.exp(-size * u_division * birth * integral)


def kendall_extinction(birth: float, net: Callable[[float], float], horizon: float,
                       breaks: Sequence[float] = ()) -> float:
    """Kendall 1948: P(a cell's line is extinct by ``horizon`` days) = 1 - 1 / W with constant
    birth ``birth`` (per day) and ``net(s)`` = R(s) = int_0^s (birth - death) (dimensionless);
    ``breaks``: days where R is not smooth (bolus times), the pieces of the quadrature."""
    from scipy.integrate import quad  # noqa: PLC0415

    edges = sorted({0.0, horizon, *(x for x in breaks if 0.0 < x < horizon)})
    weighted = sum(quad(lambda s: birth * math.exp(-net(s)), lo, hi, epsabs=0.0,
                        epsrel=1e-12)[0] for lo, hi in zip(edges, edges[1:], strict=False))
    return 1.0 - 1.0 / (math.exp(-net(horizon)) + weighted)


@dataclass(frozen=True)
class BolusKill:
    """A kill-mode drug, Hill 1, boluses of ``dose`` every ``every`` days from day 0."""

    emax: float  # per day
    ic50: float  # conc
    dose: float  # conc per bolus
    half_life: float  # days
    every: float  # days

    def cumulative(self, s: float) -> float:
        """int_0^s E(t) dt (dimensionless), E = emax C / (C + ic50), C the bolus curve."""
        k = math.log(2.0) / self.half_life
        total, conc, start = 0.0, 0.0, 0.0
        while start < s:
            conc += self.dose
            h = min(self.every, s - start)
            total += self.emax / k * math.log((conc + self.ic50)
                                              / (conc * math.exp(-k * h) + self.ic50))
            conc *= math.exp(-k * self.every)
            start += self.every
        return total


def pk_cure_probability(birth: float, death: float, drug: BolusKill, n0: int,
                        horizon: float) -> float:
    """P(cure by ``horizon`` days) from n0 cells at treatment start, Kendall 1948."""
    alpha = kendall_extinction(
        birth, lambda s: (birth - death) * s - drug.cumulative(s), horizon,
        [drug.every * j for j in range(1, math.ceil(horizon / drug.every))])
    return alpha ** n0


PK_DRUG = BolusKill(emax=2.0, ic50=1.0, dose=1.0, half_life=0.5, every=1.0)
PK_BIRTH, PK_DEATH, PK_CELLS, PK_HORIZON = 0.5, 0.1, 100, 10.0
LD_PURE = {"birth": 1.0, "death": 0.0, "u": math.exp(-8.0) / 2, "t": 8.0, "n0": 1}
LD_DEATH = {"birth": 1.0, "death": 0.9, "u": 1.0e-3, "t": 10.0, "n0": 100}
MEAN = {"n0": 10, "birth": 1.0, "death": 0.5, "t": 5.0}


@dataclass(frozen=True)
class StudyCase:
    """One theory case: ``formula()`` the theory value (computed once, on first use),
    ``config(scheme, dt)`` a scenario dict, ``measure(ds, n, theory)`` the estimate."""

    name: str
    quantity: str
    formula: Callable[[], float] = field(repr=False)
    source: str
    config: Callable[[str, float], dict[str, Any]] = field(repr=False)
    measure: Callable[[Any, int, float], Estimate] = field(repr=False)
    n: int = 20_000  # realizations per cell
    n_quick: int = 2_000
    expensive: bool = False

    @cached_property
    def theory(self) -> float:
        """The theory value (the quantity's units)."""
        return self.formula()


def _fixed_time(birth: float, death: float, n0: int, t: float, **tumour: Any
                ) -> Callable[[str, float], dict[str, Any]]:
    """From n0 cells detected at once (treatment start = time 0, no drug), traced at 0, t."""
    def config(scheme: str, dt: float) -> dict[str, Any]:
        return one_type(birth, death, tumour={"initial_cells": n0, "detection_size": n0,
                                              **tumour},
                        simulation={"dt": dt, "horizon": t, "scheme": scheme},
                        trace={"every": t})
    return config


def _restarts(ds: Any, n: int, theory: float) -> Estimate:
    # restarts ~ Geometric(1 - q): pooled MLE q = failures / attempts, SE (1 - q) sqrt(q/n)
    failures = int(ds.restarts.sum())
    q = failures / (failures + n)
    return Estimate(q, (1 - q) * math.sqrt(q / n))


def _final_mean(ds: Any, n: int, theory: float) -> Estimate:
    values = ds.trajectory.isel(cell_type=0, time=-1).values
    return Estimate(float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size)))


def _no_mutant_at_end(ds: Any, n: int, theory: float) -> Estimate:
    mutants = ds.trajectory.sel(cell_type="R/proliferating").isel(time=-1).values
    return _proportion(int((mutants == 0).sum()), n, theory)


def _no_resistance(ds: Any, n: int, theory: float) -> Estimate:
    hits = int((ds.cells_at_detection.sel(cell_type="R/proliferating") == 0).sum())
    return _proportion(hits, n, theory)


def _cured(ds: Any, n: int, theory: float) -> Estimate:
    if not bool(ds.detected.all()):
        raise RuntimeError("some realizations were never detected")
    return _proportion(int(ds.cured.sum()), n, theory)


def _with(config: dict[str, Any], scheme: str, dt: float) -> dict[str, Any]:
    config["simulation"] = {**config["simulation"], "dt": dt, "scheme": scheme}
    return config


def _ld(p: Mapping[str, float]) -> Callable[[str, float], dict[str, Any]]:
    return _fixed_time(p["birth"], p["death"], int(p["n0"]), p["t"],
                       loci=[{"name": "R", "mutation_rate": p["u"]}])


def pk_config(scheme: str, dt: float) -> dict[str, Any]:
    """The ``kendall-pk`` scenario (module docstring) at step ``dt`` under ``scheme``."""
    drug = {"name": "kill", "mode": "kill", "emax": PK_DRUG.emax, "ic50": PK_DRUG.ic50,
            "hill": 1.0, "half_life": PK_DRUG.half_life,
            "dosing": {"dose": PK_DRUG.dose, "every": PK_DRUG.every}}
    return one_type(PK_BIRTH, PK_DEATH,
                    tumour={"initial_cells": PK_CELLS, "detection_size": PK_CELLS},
                    simulation={"dt": dt, "horizon": PK_HORIZON, "scheme": scheme},
                    drugs=[drug], regimens=[{"name": "bolus", "drugs": ["kill"]}],
                    treatment={"regimen": "bolus"})


IWASA = "Iwasa, Michor & Nowak 2006, Genetics 172:2557 (formula)"
CASES: list[StudyCase] = [
    StudyCase("extinction", "P(line dies), b=1 d=0.5", lambda: 0.5 / 1.0, "d/b",
              lambda s, dt: one_type(1.0, 0.5, simulation={"dt": dt, "scheme": s}), _restarts),
    StudyCase("mean-growth", "E[N(5 d)] from 10, b=1 d=0.5", lambda: mean_theory(**MEAN),
              "N0 exp((b-d)t)", _fixed_time(1.0, 0.5, 10, 5.0), _final_mean),
    StudyCase("ld-pure-birth", "P(no mutant at 8 d), b=1 d=0, m=1",
              lambda: no_mutant_probability(**LD_PURE), "backward Kolmogorov (closed form)",
              _ld(LD_PURE), _no_mutant_at_end),
    StudyCase("ld-death", "P(no mutant at 10 d), b=1 d=0.9, 100 cells",
              lambda: no_mutant_probability(**LD_DEATH), "backward Kolmogorov (ODE)",
              _ld(LD_DEATH), _no_mutant_at_end),
    StudyCase("iwasa2006-case1", "P(no resistance at M=1e4)", lambda: iwasa_theory(1.2, 0.5),
              IWASA, lambda s, dt: _with(iwasa_config(1.2, 0.5), s, dt), _no_resistance),
    StudyCase("iwasa2006-case2", "P(no resistance at M=1e4)", lambda: iwasa_theory(1.0, 0.9),
              IWASA, lambda s, dt: _with(iwasa_config(1.0, 0.9), s, dt), _no_resistance),
    StudyCase("kendall-pk", "P(cure by 10 d), bolus kill drug, 100 cells",
              lambda: pk_cure_probability(PK_BIRTH, PK_DEATH, PK_DRUG, PK_CELLS, PK_HORIZON),
              "Kendall 1948, time-varying rates", pk_config, _cured),
    StudyCase("bozic2013-dual", "P(cure), simultaneous", lambda: 0.263,
              "Bozic et al. 2013, eLife 2:e00747",
              lambda s, dt: _with(bozic_config(True), s, dt), _cured, n=2_000, n_quick=200,
              expensive=True),
]



@dataclass(frozen=True)
class Row:
    """One (case, scheme, dt) cell: the estimate, or why there is none."""

    case: str
    quantity: str
    theory: float
    scheme: str
    dt: float  # days
    n: int
    estimate: Estimate | None
    seconds: float
    note: str | None = None  # REFUSED + the check's message, or the error that stopped it

    @property
    def refused(self) -> bool:
        return self.note is not None and self.note.startswith(REFUSED)

    @property
    def error(self) -> float | None:
        """estimate - theory, or None."""
        return None if self.estimate is None else self.estimate.value - self.theory

    @property
    def z(self) -> float | None:
        """error / SE (+-inf when SE is 0 and the estimate differs), or None."""
        est = self.estimate
        return None if est is None else _ratio(est.value - self.theory, est.se)


def _ratio(err: float, se: float) -> float:
    """z = err / se; 0 or +-inf when se is 0."""
    if se > 0:
        return err / se
    return 0.0 if err == 0 else math.copysign(math.inf, err)


def select_cases(names: Sequence[str] | None = None, *, expensive: bool = False
                 ) -> list[StudyCase]:
    """The cases named (KeyError names an unknown one), else every case that is not
    expensive (all of them with ``expensive``)."""
    if not names:
        return [case for case in CASES if expensive or not case.expensive]
    by_name = {case.name: case for case in CASES}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise KeyError(f"unknown convergence case {unknown[0]!r}; cases: {', '.join(by_name)}")
    return [by_name[name] for name in names]


def run_cell(case: StudyCase, scheme: str, dt: float, n: int, seed: int,
             backend: str = "auto") -> Row:
    """Simulate one cell of the study; a scenario the dt check refuses is a refused row."""
    from oncosweep import Scenario, simulate  # noqa: PLC0415
    from oncosweep.scenario import ScenarioError  # noqa: PLC0415

    start = time.perf_counter()

    def row(estimate: Estimate | None, note: str | None = None) -> Row:
        return Row(case.name, case.quantity, case.theory, scheme, dt, n, estimate,
                   time.perf_counter() - start, note)

    config = case.config(scheme, dt)
    if "trace" in config:
        config["trace"] = {**config["trace"], "realizations": n}
    try:
        scenario = Scenario.from_dict(config)
    except ScenarioError as exc:
        if "dt" not in str(exc):
            raise
        return row(None, f"{REFUSED}: {exc}")
    try:
        ds = simulate(scenario, realizations=n, seed=seed, backend=backend)
        return row(case.measure(ds, n, case.theory))
    except Exception as exc:  # noqa: BLE001 - reported in the table
        return row(None, f"{type(exc).__name__}: {exc}")


def study(*, schemes: Sequence[str] = SCHEMES, dts: Sequence[float] = DTS,
          n: int | None = None, seed: int = DEFAULT_SEED, backend: str = "auto",
          cases: Sequence[str] | None = None, quick: bool = False, expensive: bool = False,
          progress: bool = False) -> list[Row]:
    """Every selected case x scheme x dt (days). ``n``: realizations per cell (default: each
    case's ``n``, or ``n_quick`` with ``quick``); ``cases``: names (default: all but the
    expensive ones, which ``expensive`` adds)."""
    from tqdm.auto import tqdm  # noqa: PLC0415

    chosen = select_cases(cases, expensive=expensive)
    cells = [(c, s, dt) for c in chosen for s in schemes for dt in dts]
    rows = []
    bar = tqdm(cells, desc="convergence", unit="cell", disable=not progress, file=sys.stderr)
    for case, scheme, dt in bar:
        bar.set_postfix_str(f"{case.name} {scheme} dt={dt:g}")
        count = n if n is not None else (case.n_quick if quick else case.n)
        rows.append(run_cell(case, scheme, dt, count, seed, backend))
    bar.close()
    return rows


def _cell(row: Row, digits: int) -> str:
    if row.estimate is None:
        return "refused (dt check)" if row.refused else "error"
    value, se = row.estimate.value, row.estimate.se
    return f"{value:.{digits}f} +- {se:.{digits}f} ({row.error:+.{digits}f}, z {row.z:+.1f})"


def format_study(rows: Sequence[Row], *, markdown: bool = False) -> str:
    """One line per (case, scheme): the theory, then per dt "estimate +- SE (error, z)";
    refused and failed cells say so (the errors are listed below the table)."""
    dts = list(dict.fromkeys(r.dt for r in rows))
    header = ["case", "scheme", "theory", *(f"dt = {dt:g} d" for dt in dts)]
    table: list[list[str]] = []
    by_key = {(r.case, r.scheme, r.dt): r for r in rows}
    for case, scheme in dict.fromkeys((r.case, r.scheme) for r in rows):
        theory = next(r.theory for r in rows if r.case == case)
        digits = 4 if abs(theory) < 10 else 2  # decimals of every number of the line
        cells = [_cell(by_key[case, scheme, dt], digits) if (case, scheme, dt) in by_key
                 else "-" for dt in dts]
        table.append([case, scheme, f"{theory:.{digits}f}", *cells])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in table]
    else:
        widths = [max(len(row[i]) for row in (header, *table)) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
                 for row in (header, ["-" * w for w in widths], *table)]
    failures = [r for r in rows if r.estimate is None and not r.refused]
    lines += [f"error: {r.case} {r.scheme} dt={r.dt:g}: {r.note}" for r in failures]
    counts = sorted({r.n for r in rows if r.estimate is not None})
    lines.append(f"cells: estimate +- SE (estimate - theory, z = error / SE); realizations per "
                 f"cell: {', '.join(map(str, counts)) or '-'}")
    return "\n".join(lines)
