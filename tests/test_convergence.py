"""The convergence study (``oncosweep validate --convergence``): its theory values, a tiny run
and its table, and the command-line flag. Small counts on the numpy engine; fixed seeds."""

from __future__ import annotations

import dataclasses
import math

import pytest
from scipy.integrate import quad, solve_ivp

from oncosweep.cli import main as cli_main
from oncosweep.validation import convergence
from oncosweep.validation.convergence import (
    REFUSED,
    BolusKill,
    constant_extinction,
    format_study,
    iwasa_theory,
    kendall_extinction,
    no_mutant_probability,
    pk_cure_probability,
    study,
)


@pytest.mark.parametrize(("birth", "death", "t"), [(1.0, 0.5, 3.0), (0.5, 0.9, 7.0),
                                                   (0.3, 0.3, 2.0)])
def test_kendall_integral_equals_the_constant_rate_closed_form(birth: float, death: float,
                                                               t: float) -> None:
    rho = birth - death
    closed = (death * t / (1 + death * t) if rho == 0 else
              death * (math.exp(rho * t) - 1) / (birth * math.exp(rho * t) - death))
    assert constant_extinction(birth, death, t) == pytest.approx(closed, rel=1e-13)
    assert kendall_extinction(birth, lambda s: rho * s, t, [1.0, 2.5]) == pytest.approx(
        closed, rel=1e-11)


def test_bolus_kill_integral_and_an_inert_drug() -> None:
    drug = BolusKill(emax=2.0, ic50=1.0, dose=1.0, half_life=0.5, every=1.0)
    k = math.log(2) / drug.half_life

    def kill(t: float) -> float:
        conc = sum(drug.dose * math.exp(-k * (t - j)) for j in range(int(t) + 1))
        return drug.emax * conc / (conc + drug.ic50)

    numeric = sum(quad(kill, j, min(j + 1, 3.5), epsrel=1e-12)[0] for j in range(4))
    assert drug.cumulative(3.5) == pytest.approx(numeric, rel=1e-10)
    inert = dataclasses.replace(drug, ic50=1e15)  # no effect: the constant-rate law
    assert pk_cure_probability(0.5, 0.1, inert, 3, 4.0) == pytest.approx(
        constant_extinction(0.5, 0.1, 4.0) ** 3, rel=1e-9)


def test_pk_cure_probability_equals_the_backward_riccati_equation() -> None:
    """q(s) = P(a line started at s is extinct by T) solves q' = -(mu - (lambda + mu) q +
    lambda q**2) backwards from q(T) = 0: an independent check of Kendall's integrals."""
    drug, birth, death, horizon = convergence.PK_DRUG, 0.5, 0.1, 6.0
    k = math.log(2) / drug.half_life

    def mu(t: float, doses: int) -> float:
        conc = sum(drug.dose * math.exp(-k * (t - j)) for j in range(doses))
        return death + drug.emax * conc / (conc + drug.ic50)

    q = 0.0
    for j in range(int(horizon), 0, -1):  # day j - 1 .. j, after the boluses at 0 .. j - 1
        def rhs(s: float, y: list[float], doses: int = j) -> list[float]:
            return [-(mu(s, doses) - birth * y[0]) * (1 - y[0])]

        sol = solve_ivp(rhs, (j, j - 1), [q], method="DOP853", rtol=1e-12, atol=1e-14)
        q = float(sol.y[0, -1])
    assert pk_cure_probability(birth, death, drug, 1, horizon) == pytest.approx(q, rel=1e-8)
    case = convergence.select_cases(["kendall-pk"])[0]
    assert case.theory == pytest.approx(0.4110, abs=1e-4)


def test_no_mutant_probability() -> None:
    # pure birth: G = 1 / ((1 - u)**2 + (1 - (1 - u)**2) e**(b t)), a Bernoulli equation
    u, t = 1e-3, 5.0
    closed = 1 / ((1 - u) ** 2 + (1 - (1 - u) ** 2) * math.exp(t))
    assert no_mutant_probability(1.0, 0.0, u, t, 1) == pytest.approx(closed, rel=1e-9)
    assert no_mutant_probability(1.0, 0.0, u, t, 3) == pytest.approx(closed ** 3, rel=1e-9)
    # without mutation no mutant ever appears; with u = 1 every division gives two mutants,
    # so (pure birth) no mutant at t <=> no division by t
    assert no_mutant_probability(1.0, 0.9, 0.0, t, 10) == pytest.approx(1.0, abs=1e-12)
    assert no_mutant_probability(1.0, 0.0, 1.0, t, 1) == pytest.approx(math.exp(-t), rel=1e-9)


def test_iwasa_formula_gives_the_published_values() -> None:
    assert iwasa_theory(1.2, 0.5) == pytest.approx(0.2353, abs=5e-5)
    assert iwasa_theory(1.0, 0.9) == pytest.approx(0.3678, abs=5e-5)


def test_every_case_has_a_finite_theory_and_names_are_unique() -> None:
    names = [case.name for case in convergence.CASES]
    assert len(names) == len(set(names)) and " " not in "".join(names)
    assert all(math.isfinite(case.theory) for case in convergence.CASES)
    cheap = convergence.select_cases()
    assert [c.name for c in cheap] == [c.name for c in convergence.CASES if not c.expensive]
    assert convergence.select_cases(["bozic2013-dual"])[0].expensive
    with pytest.raises(KeyError, match="unknown convergence case 'nope'"):
        convergence.select_cases(["nope"])


def test_a_tiny_study_runs_and_formats() -> None:
    rows = study(n=200, dts=(0.5, 1.0), backend="numpy", seed=11,
                 cases=["mean-growth", "kendall-pk"])
    assert len(rows) == 2 * 2 * 2
    by = {(r.case, r.scheme, r.dt): r for r in rows}
    # the euler scheme's dt check: (b + d) dt = 1.5 at dt = 1; (b + d + emax) dt >= 1.3
    refused = {key for key, r in by.items() if r.refused}
    assert refused == {("mean-growth", "euler", 1.0), ("kendall-pk", "euler", 0.5),
                       ("kendall-pk", "euler", 1.0)}
    assert all(r.note.startswith(REFUSED) and "dt" in r.note for r in rows if r.refused)
    for r in rows:
        if not r.refused:
            assert r.note is None and r.estimate is not None and r.estimate.se > 0
            assert r.error == pytest.approx(r.estimate.value - r.theory)
            assert r.z == pytest.approx(r.error / r.estimate.se)
    # the exact scheme's mean is exact at any dt; euler's is N0 (1 + (b - d) dt)**(t / dt)
    exact = by["mean-growth", "exact", 1.0]
    assert abs(exact.z) < 4
    euler = by["mean-growth", "euler", 0.5]
    assert euler.estimate.value == pytest.approx(10 * 1.25 ** 10, rel=0.1)
    table = format_study(rows).splitlines()
    assert table[0].split()[:3] == ["case", "scheme", "theory"] and "dt = 0.5 d" in table[0]
    assert len(table) == 2 + 4 + 1
    assert "refused (dt check)" in table[3] and table[2].startswith("mean-growth  exact")
    markdown = format_study(rows, markdown=True).splitlines()
    assert markdown[0].startswith("| case | scheme | theory |") and markdown[1].startswith("|---")


def test_cli_convergence_flag(monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    small = [dataclasses.replace(case, n_quick=50) for case in convergence.CASES]
    monkeypatch.setattr(convergence, "CASES", small)
    code = cli_main(["validate", "--convergence", "--quick", "--case", "mean-growth",
                     "--backend", "numpy", "--seed", "5"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("oncosweep validate --convergence (quick, seed 5; backend: numpy")
    assert "mean-growth" in out and "refused (dt check)" in out
    assert "realizations per cell: 50" in out
    assert cli_main(["validate", "--convergence", "--case", "nope"]) == 2
    assert "unknown convergence case 'nope'" in capsys.readouterr().err
