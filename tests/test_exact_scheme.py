"""The exact step scheme (``simulation.scheme: exact``, gpu_engine/kendall_step.py) against
exact theory at the large steps users run (dt = 0.5 and 1 day).

Each statistical test uses a fixed seed and accepts |estimate - theory| < 4 SE, at realization
counts where 4 SE is below 2 % of the theory value (asserted too, so that a test cannot pass
by being vague). The runs use the ``auto`` backend (the compiled cpu engine where a compiler
exists; it equals the numpy engine realization by realization, tests/test_fused_host.py).
The euler scheme's first-order bias at the same dt is shown alongside where it is large
enough to fail the same tolerance, so the tests show what the exact scheme fixes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sampler_checks import grouped_chisq_pvalue
from scipy.linalg import expm

from oncosweep import Scenario, simulate
from oncosweep.gpu_engine import kendall
from oncosweep.gpu_engine.derived import mutation_split

pytestmark = pytest.mark.slow


def _one_type(birth: float, death: float, dt: float, scheme: str = "exact",
              **tumour: object) -> dict:
    return {"tumour": {"initial_cells": 1, "detection_size": 1000, "birth_rate": birth,
                       "death_rate": death, **tumour},
            "simulation": {"dt": dt, "horizon": 0.0, "scheme": scheme}}


def _within(estimate: float, se: float, theory: float) -> None:
    assert 4 * se < 0.02 * abs(theory), ("too few realizations", se, theory)
    assert abs(estimate - theory) < 4 * se, (estimate, theory, se,
                                             (estimate - theory) / se)


@pytest.mark.parametrize("dt", [0.5, 1.0])
def test_extinction_probability_is_death_over_birth(dt: float) -> None:
    """A line from one cell dies out with probability d / b (each restart is one line)."""
    n, birth, death = 40_000, 1.0, 0.5
    ds = simulate(Scenario.from_dict(_one_type(birth, death, dt)), realizations=n, seed=11)
    failures = int(ds.restarts.sum())
    q = failures / (failures + n)  # restarts ~ Geometric(1 - q): pooled MLE
    _within(q, (1 - q) * math.sqrt(q / n), death / birth)


def _traced_growth(dt: float, scheme: str, n: int, horizon: float = 5.0) -> np.ndarray:
    """N(t) from 10 cells, b = 1, d = 0.5, at t = 0, dt, ..., horizon (detection at once)."""
    config = _one_type(1.0, 0.5, dt, scheme, initial_cells=10, detection_size=10)
    config["simulation"]["horizon"] = horizon
    config["trace"] = {"realizations": n}
    ds = simulate(Scenario.from_dict(config), realizations=n, seed=12)
    return ds.trajectory.isel(cell_type=0).values


@pytest.mark.parametrize("dt", [0.5, 1.0])
def test_mean_growth_is_exponential(dt: float) -> None:
    """E[N(t)] = N0 exp((b - d) t) at every step (the euler mean is N0 (1 + (b - d) dt)**k)."""
    n = 20_000
    values = _traced_growth(dt, "exact", n)
    for k in range(1, values.shape[1]):
        theory = 10 * math.exp(0.5 * k * dt)
        column = values[:, k]
        _within(column.mean(), column.std(ddof=1) / math.sqrt(n), theory)


def test_euler_mean_growth_is_biased_at_the_same_step() -> None:
    """The control: at dt = 0.5 the euler mean after 5 days is 10 * 1.25**10 = 93.1, not
    10 e^{2.5} = 121.8 (the euler dt check refuses dt = 1 for these rates)."""
    values = _traced_growth(0.5, "euler", 4000)
    final = values[:, -1]
    se = final.std(ddof=1) / math.sqrt(final.size)
    assert abs(final.mean() - 10 * 1.25**10) < 4 * se
    assert final.mean() < 10 * math.exp(2.5) - 20 * se


def _variance_growth(birth: float, death: float, t: float) -> float:
    rho = birth - death
    return (birth + death) / rho * math.exp(rho * t) * math.expm1(rho * t)


@pytest.mark.parametrize("dt", [0.5, 1.0])
def test_variance_of_growth_is_kendalls(dt: float) -> None:
    """Var N(t) = N0 (b + d)/(b - d) e^{rho t}(e^{rho t} - 1): the exact law, not only its mean.
    SE of the sample variance from the fourth central moment."""
    n = 20_000
    values = _traced_growth(dt, "exact", n)
    final = values[:, -1]
    centred = final - final.mean()
    var = centred.var(ddof=1)
    se = math.sqrt(max((centred**4).mean() - var**2, 0.0) / n)
    theory = 10 * _variance_growth(1.0, 0.5, 5.0)
    assert abs(var - theory) < 4 * se, (var, theory, se)


def _mutant_config(dt: float, u: float) -> dict:
    config = _one_type(1.0, 0.5, dt, initial_cells=100, detection_size=100,
                       loci=[{"name": "R", "mutation_rate": u}])
    config["simulation"]["horizon"] = 4.0
    config["trace"] = {"realizations": 20_000}
    return config


@pytest.mark.parametrize("dt", [0.5, 1.0])
def test_mutant_mean_follows_the_two_type_odes(dt: float) -> None:
    """Wild type W and mutant M (neutral, one locus, u per daughter so U = u): a division
    leaves two wild-type daughters with probability (1 - u)**2, so dW/dt = (b(1 - 2u) - d) W,
    dM/dt = (b - d) M + 2 b u W, hence E[W(t)] = N0 e^{(rho - 2bu) t} and
    E[M(t)] = N0 (e^{rho t} - e^{(rho - 2bu) t}). u = 0.05 makes mutation a leading process."""
    n, u, rho, n0 = 20_000, 0.05, 0.5, 100
    ds = simulate(Scenario.from_dict(_mutant_config(dt, u)), realizations=n, seed=13)
    labels = [str(x) for x in ds.cell_type.values]
    traj = ds.trajectory.values  # (realization, time, cell_type)
    wild, mutant = labels.index("wt/proliferating"), labels.index("R/proliferating")
    t = 4.0
    w_theory = n0 * math.exp((rho - 2 * u) * t)
    m_theory = n0 * (math.exp(rho * t) - math.exp((rho - 2 * u) * t))
    w, m = traj[:, -1, wild], traj[:, -1, mutant]
    _within(w.mean(), w.std(ddof=1) / math.sqrt(n), w_theory)
    _within(m.mean(), m.std(ddof=1) / math.sqrt(n), m_theory)


SWITCH_RATES = {"moderate": (0.05, 0.02), "fast": (0.3, 0.2)}  # a -> b, b -> a per day
BIRTH_A, DEATH_A, BIRTH_B, DEATH_B = 0.6, 0.2, 0.15, 0.2


def _switching_config(dt: float, rates: str) -> dict:
    to_b, to_a = SWITCH_RATES[rates]
    return {
        "tumour": {"initial_cells": 100, "detection_size": 100, "birth_rate": BIRTH_A,
                   "death_rate": DEATH_A,
                   "phenotypes": [{"name": "a"},
                                  {"name": "b", "birth_factor": BIRTH_B / BIRTH_A,
                                   "death_factor": DEATH_B / DEATH_A}],
                   "switching": [{"from": "a", "to": "b", "rate": to_b},
                                 {"from": "b", "to": "a", "rate": to_a}]},
        "simulation": {"dt": dt, "horizon": 6.0, "scheme": "exact"},
        "trace": {"realizations": 20_000},
    }


def _switching_means(dt: float, rates: str) -> np.ndarray:
    n = 20_000
    ds = simulate(Scenario.from_dict(_switching_config(dt, rates)), realizations=n, seed=14)
    labels = [str(x) for x in ds.cell_type.values]
    final = ds.trajectory.values[:, -1, :]
    return np.array([[final[:, labels.index(f"wt/{name}")].mean(),
                      final[:, labels.index(f"wt/{name}")].std(ddof=1) / math.sqrt(n)]
                     for name in ("a", "b")])


def _ode_means(rates: str, t: float = 6.0) -> np.ndarray:
    to_b, to_a = SWITCH_RATES[rates]
    generator = np.array([[BIRTH_A - DEATH_A - to_b, to_a], [to_b, BIRTH_B - DEATH_B - to_a]])
    return expm(generator * t) @ np.array([100.0, 0.0])


def _scheme_means(rates: str, dt: float, t: float = 6.0) -> np.ndarray:
    """The mean of the exact scheme, step by step: half a step of growth, the two-jump
    thinning (jump with 1 - e^{-s dt}, then jump again with 1 - e^{-s' dt / 2}), half a step
    of growth (kendall_step.py, point 3)."""
    to_b, to_a = SWITCH_RATES[rates]
    grow = np.diag([math.exp((BIRTH_A - DEATH_A) * dt / 2), math.exp((BIRTH_B - DEATH_B) * dt / 2)])
    pa, pb = -math.expm1(-to_b * dt), -math.expm1(-to_a * dt)
    qa, qb = -math.expm1(-to_b * dt / 2), -math.expm1(-to_a * dt / 2)
    jump = np.array([[1 - pa + pa * qb, pb * (1 - qa)], [pa * (1 - qb), 1 - pb + pb * qa]])
    step = grow @ jump @ grow
    return np.linalg.matrix_power(step, round(t / dt)) @ np.array([100.0, 0.0])


def test_switching_means_follow_the_linear_odes() -> None:
    """Two phenotypes a (birth 0.6, death 0.2) and b (birth 0.15, death 0.2) switching a -> b at
    0.05 and b -> a at 0.02 per day (drug-tolerant persister rates): E[X(t)] = expm(A t) X0 at
    dt = 0.5 (the splitting error there, -0.18 % on b, is below 4 SE = 0.47 %; at dt = 1 it is
    -0.73 %: see the next test for the order)."""
    for (mean, se), theory in zip(_switching_means(0.5, "moderate"), _ode_means("moderate"),
                                  strict=True):
        _within(mean, se, float(theory))


def test_switching_is_second_order_and_the_engine_follows_its_mean_map() -> None:
    """With fast switching (0.3 and 0.2 per day) the splitting error shows: the scheme's mean
    map converges to expm(A t) at second order (error ratio 4 per halving of dt; 2.3 % at
    dt = 1 and 0.56 % at dt = 0.5 on phenotype a), and the simulated means equal that map's
    values within 4 SE (a one-jump thinning would fail here: its error is first order)."""
    exact = _ode_means("fast")
    errors = [abs(_scheme_means("fast", dt)[0] / exact[0] - 1) for dt in (1.0, 0.5, 0.25)]
    assert 3.5 < errors[0] / errors[1] < 4.5 and 3.5 < errors[1] / errors[2] < 4.5, errors
    for dt in (0.5, 1.0):
        for (mean, se), expected in zip(_switching_means(dt, "fast"), _scheme_means("fast", dt),
                                        strict=True):
            assert abs(mean - expected) < 4 * se, (dt, mean, expected, se)


THREE_STATES = {("a", "b"): 0.3, ("a", "c"): 0.1, ("b", "c"): 0.4, ("b", "a"): 0.05,
                ("c", "a"): 0.2}  # switching rates per day


def test_one_step_of_jumps_follows_the_two_jump_law() -> None:
    """Three phenotypes, no growth to speak of (birth 1e-12, death 0 per day), 50 cells of a,
    one step of dt = 1 (kendall_step._jump): the end states are multinomial with the two-jump
    probabilities -- to k with q_k = (L_k / L)(1 - e^-L), staying there with e^(-L'_k / 2),
    else on to j with L'_kj / L'_k -- so c is reached directly and through b. Grouped
    chi-square of the joint (b, c) counts against that multinomial, p-value floor 1e-4;
    without the two-hop term p_c would be 0.075 instead of 0.119, which this test rejects."""
    from scipy import stats  # noqa: PLC0415

    from oncosweep.gpu_engine.compile import compile_scenario  # noqa: PLC0415
    from oncosweep.gpu_engine.kendall_step import kendall_step  # noqa: PLC0415
    from oncosweep.gpu_engine.step import DeviceModel  # noqa: PLC0415

    config = {"tumour": {"initial_cells": 1, "detection_size": 100, "birth_rate": 1e-12,
                         "death_rate": 0.0,
                         "phenotypes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                         "switching": [{"from": f, "to": t, "rate": r}
                                       for (f, t), r in THREE_STATES.items()]},
              "simulation": {"dt": 1.0, "horizon": 5.0}}
    dm = DeviceModel.from_model(compile_scenario(Scenario.from_dict(config), None), np)
    lanes, n = 100_000, 50
    counts = np.zeros((lanes, 3), dtype=np.int64)
    counts[:, 0] = n
    after = kendall_step(np, dm, counts, np.arange(lanes, dtype=np.uint64), (7, 8), 3)
    assert bool((after.sum(axis=1) == n).all())
    out = {k: sum(r for (f, _), r in THREE_STATES.items() if f == k) for k in "abc"}
    leave = -math.expm1(-out["a"])
    q_b, q_c = THREE_STATES["a", "b"] / out["a"] * leave, THREE_STATES["a", "c"] / out["a"] * leave
    p_b = q_b * math.exp(-out["b"] / 2)
    p_c = (q_c * math.exp(-out["c"] / 2)
           + q_b * -math.expm1(-out["b"] / 2) * THREE_STATES["b", "c"] / out["b"])
    cells = after[:, 1] * (n + 1) + after[:, 2]  # the joint (b, c) outcome as one integer
    b, c = np.divmod(np.arange((n + 1) ** 2), n + 1)
    ok = b + c <= n
    pmf = np.zeros((n + 1) ** 2)
    pmf[ok] = stats.multinomial.pmf(np.stack([n - b[ok] - c[ok], b[ok], c[ok]], axis=1), n,
                                    [1 - p_b - p_c, p_b, p_c])
    assert grouped_chisq_pvalue(cells, 0, (n + 1) ** 2 - 1, pmf) > 1e-4
    assert abs(after[:, 2].mean() / n - p_c) < 5 * math.sqrt(p_c * (1 - p_c) / n / lanes)


# ---- deterministic parts -------------------------------------------------------------------


@pytest.mark.parametrize(("birth", "death"), [(1.0, 0.5), (0.5, 1.0), (0.7, 0.7), (2.0, 0.0)])
def test_one_piece_equals_the_constant_rate_law(birth: float, death: float) -> None:
    for h in (0.1, 0.5, 3.0):
        span = kendall.add_piece(np, kendall.empty_span(np, np.zeros(1)), np.array([birth]),
                                 np.array([birth]), np.array([death]), np.zeros(1), h)
        survive, odds = kendall.span_law(np, span)
        alpha, _, odds_c = kendall.constant_rates(np, np.float64(birth), np.float64(death), h)
        assert survive[0] == pytest.approx(1 - alpha, rel=1e-14)
        assert odds[0] == pytest.approx(odds_c, rel=1e-13)
        # expected divisions: birth * integral of e^{rho s} over [0, h]
        rho = birth - death
        expected = birth * (h if rho == 0 else math.expm1(rho * h) / rho)
        assert span.divisions[0] == pytest.approx(expected, rel=1e-13)


def test_halves_compose_to_the_whole_step() -> None:
    empty = kendall.empty_span(np, np.zeros(1))
    args = (np.array([0.9]), np.array([0.8]), np.array([0.4]), np.array([0.1]))
    half = kendall.add_piece(np, empty, *args, 0.25)
    whole = kendall.add_piece(np, empty, *args, 0.5)
    both = kendall.compose(half, half)
    for field in kendall.Span.__dataclass_fields__:
        assert getattr(both, field)[0] == pytest.approx(getattr(whole, field)[0], rel=1e-14)


def test_without_death_no_line_dies() -> None:
    """D = 0 exactly without death, so 1 - alpha = 1 and no random number is taken."""
    span = kendall.add_piece(np, kendall.empty_span(np, np.zeros(1)), np.array([1.3]),
                             np.array([1.3]), np.zeros(1), np.zeros(1), 0.5)
    assert kendall.span_law(np, span)[0][0] == 1.0


@pytest.mark.parametrize("dt", [0.1, 0.25, 0.5, 1.0, 2.0])
def test_quadrature_pieces_are_the_fewest_within_the_decay_bound(dt: float) -> None:
    """Per half step, the fewest pieces with k h <= KENDALL_PIECE_DECAY for the fastest drug
    (k = ln 2 / half-life) that is not instantaneous (k dt < KENDALL_INSTANT_DECAY), at most
    KENDALL_MAX_PIECES per step; 2 without drugs or with instantaneous drugs alone."""
    from oncosweep.gpu_engine.derived import kendall_pieces  # noqa: PLC0415
    from oncosweep.limits import (  # noqa: PLC0415
        KENDALL_INSTANT_DECAY,
        KENDALL_MAX_PIECES,
        KENDALL_PIECE_DECAY,
    )

    assert kendall_pieces(np.zeros(0), dt) == 2
    for half_life in (1e-300, 1e-6, 0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 1.5, 2.0, 10.0, 1e6):
        pieces = kendall_pieces(np.array([5.0, half_life, 3.0]), dt)
        decay = math.log(2.0) / half_life * dt
        assert pieces % 2 == 0 and 2 <= pieces <= KENDALL_MAX_PIECES, (half_life, pieces)
        if decay >= KENDALL_INSTANT_DECAY:  # the other drugs (half-lives 3 and 5) set it
            assert pieces == kendall_pieces(np.array([5.0, 3.0]), dt), (half_life, dt, pieces)
            continue
        if pieces < KENDALL_MAX_PIECES:
            assert decay / pieces <= KENDALL_PIECE_DECAY, (half_life, dt, pieces)
        if pieces > 2:  # two fewer pieces would break the bound
            assert decay / (pieces - 2) > KENDALL_PIECE_DECAY, (half_life, dt, pieces)
    # an instantaneous drug (bozic2013_dual's infusions) beside a resolved one
    assert kendall_pieces(np.array([0.001, 0.5]), 1.0) == 4
    assert kendall_pieces(np.array([0.001, 0.001]), 1.0) == 2


def test_quadrature_nodes_are_the_piece_midpoints_of_the_pk_curve() -> None:
    """The derived node tables: exp(-k s_q) and (1 - exp(-k s_q)) / k at s_q = (q + 1/2) h for
    the model's kendall_pieces rows, zero below (the tables have KENDALL_MAX_PIECES rows, so
    every patient of a population packs the same sizes); the validated PK case takes 4
    pieces at dt = 1 and 2 at dt = 0.5."""
    from oncosweep import compile_scenario  # noqa: PLC0415
    from oncosweep.gpu_engine.derived import derived_parameters  # noqa: PLC0415
    from oncosweep.limits import KENDALL_MAX_PIECES  # noqa: PLC0415

    for dt, expected in ((1.0, 4), (0.5, 2)):
        config = _one_type(1.0, 0.5, dt, detection_size=100)
        config["drugs"] = [{"name": "x", "mode": "kill", "emax": 1.0, "ic50": 1.0,
                            "half_life": 0.5, "dosing": {"dose": 4.0, "every": 1.0}}]
        config["treatment"] = {"regimen": "x"}
        config["regimens"] = [{"name": "x", "drugs": ["x"]}]
        values = derived_parameters(compile_scenario(Scenario.from_dict(config)))
        pieces = values["kendall_pieces"]
        assert pieces == expected
        decay, infusion = values["pk_node_decay"], values["pk_node_infusion"]
        assert decay.shape == infusion.shape == (KENDALL_MAX_PIECES, 1)
        k = math.log(2.0) / 0.5
        s = (np.arange(pieces) + 0.5) * dt / pieces
        np.testing.assert_allclose(decay[:pieces, 0], np.exp(-k * s), rtol=1e-15)
        np.testing.assert_allclose(infusion[:pieces, 0], -np.expm1(-k * s) / k, rtol=1e-15)
        assert not decay[pieces:].any() and not infusion[pieces:].any()


def test_mutation_split_gives_the_product_distribution_over_new_mutations() -> None:
    """The conditioned binomial tree with ``first`` puts a mutant daughter on subset S with
    probability prod_{j in S} u_j prod_{j free, not in S} (1 - u_j) / U."""
    u = np.array([1e-3, 0.2, 0.0, 0.05])
    genotype = np.array([0, 1, 8])
    any_new, first = mutation_split(genotype, u)
    for t, g in enumerate(genotype):
        free = [j for j in range(4) if not (g >> j) & 1 and u[j] > 0]
        assert any_new[t] == pytest.approx(1 - np.prod([1 - u[j] for j in free]), rel=1e-14)
        tree = {0: 1.0}  # mask -> probability, mask 0 still conditioned on >= 1 new mutation
        for j in free:
            step = {}
            for mask, p in tree.items():
                q = first[t, j] if mask == 0 else u[j]
                step[mask | 1 << j] = step.get(mask | 1 << j, 0.0) + p * q
                step[mask] = step.get(mask, 0.0) + p * (1 - q)
            tree = step
        assert tree.pop(0, 0.0) == 0.0
        for mask, p in tree.items():
            direct = np.prod([u[j] if mask >> j & 1 else 1 - u[j] for j in free])
            assert p == pytest.approx(direct / any_new[t], rel=1e-12), (t, mask)


# ---- the cases against theory at dt = 0.5 and 1 (oncosweep.validation.convergence) -


def _realizations_for_2_percent(p: float) -> int:
    """Realizations at which 4 SE of a proportion p is 1.9 % of p."""
    return math.ceil((4 / 0.019) ** 2 * (1 - p) / p)


@pytest.mark.parametrize("dt", [0.5, 1.0])
@pytest.mark.parametrize("name", ["ld-death", "iwasa2006-case1", "iwasa2006-case2",
                                  "kendall-pk"])
def test_published_and_kendall_cases_at_large_steps(name: str, dt: float) -> None:
    """Luria–Delbrück with death (b = 1, d = 0.9: P(no mutant at 10 days) from the backward
    Kolmogorov equations), Iwasa, Michor & Nowak 2006 (P(no resistance at M = 1e4), read at
    detection: the exact scheme sub-steps near the detection size) and a bolus drug with a
    half-life of 0.5 day against Kendall's law for time-varying rates (P(cure by 10 days))."""
    from oncosweep.validation.convergence import run_cell, select_cases  # noqa: PLC0415

    (case,) = select_cases([name])
    n = _realizations_for_2_percent(case.theory)
    row = run_cell(case, "exact", dt, n, seed=2026)
    assert row.estimate is not None, row.note
    _within(row.estimate.value, row.estimate.se, case.theory)
