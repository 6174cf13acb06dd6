"""One exact step of the multi-type branching process (``simulation.scheme: exact``),
vectorised over realizations. The CUDA twin is ``cuda/kendall_step.cuh``.

For every occupied (realization, cell type) pair with n cells, over one step of dt days:

1. **Rates over the step.** The hazards of ``hazards.py`` at the midpoints of
   ``kendall_pieces`` equal pieces of the step (drug concentrations from the exact PK curve of
   the step; one piece per half without drug, where the rates are constant). The model's
   piece count (``derived.kendall_pieces``) is the fewest, per half step, with k h <=
   ``limits.KENDALL_PIECE_DECAY`` for its fastest-eliminated drug that is not instantaneous
   (k per day, h days; ``limits.KENDALL_INSTANT_DECAY``), so that drug's concentration changes
   by at most that much within a piece. Held constant on each
   piece, the rates give Kendall's law of the step exactly (``kendall.Span``): the drug-effect
   integrals are those of the midpoint rule on each piece, O((k h)**2) relative.
   Crowding is evaluated at the step's start (first order in dt; docs/model.md).
2. **Birth and death: exact.** A division leaves two daughters of the type with probability
   (1 - U)**2 (U: a daughter carries a new mutation, ``derived.mutation_split``), so the type's
   own cells follow a linear birth–death process with birth' = birth (1 - U)**2 and
   death' = death + birth U**2, sampled with Kendall's law (``birth_death.py``).
3. **Switching and migration: Strang splitting** (second order in the mean). A pair with a
   transition hazard in the step takes half a step of birth–death, then its cells jump, then
   take the second half step. The jumps: each cell leaves for target k with the
   competing-risk probability (L_k / L)(1 - exp(-L)) (L_k: the integral of the rate to k over
   the step, L = sum L_k); a cell that jumped may jump once more from its new type with half
   that type's hazard (the rest of the step is half of it on average). The cell's end state
   then has the probabilities of exp(G) (G: the step's integrated generator) to O(dt**2) --
   back-and-forth and two-hop moves included -- so the splitting error is O(dt**3) per step.
   Pairs with no transition hazard take the whole step in one Kendall draw. How the two jumps
   are drawn (the law is the same):

   * where the cell types differ along one axis besides the genotype (phenotypes with one
     compartment, or compartments with one phenotype: :func:`_jump`), as ONE multinomial per
     pair over the final states -- a cell ends in state j != own with probability
     ``q_j exp(-L'_j / 2) + sum_{k != j} q_k (1 - exp(-L'_k / 2)) L'_kj / L'_k`` (q_k the
     first jump's probability to k, L'_k k's hazard, L'_kj its integrated rate to j), those
     back home staying -- by conditional binomials in increasing j with the first jumps'
     events;
   * otherwise (phenotypes and compartments; or a target k with q_k > 0 that holds no cells
     and whose switching follows the drug, whose hazard the CUDA twin would have to compute
     for an empty type: :func:`_needs_two_jumps`), one after the other: the first jumps by
     conditional binomials in increasing target index (switches, then migrations), then the
     movers' second jumps, pooled per new type.
4. **Mutation.** The mutant daughters of the step are Poisson with the exact expected number
   given the n cells at the step's start, 2 U * E[divisions], and are split over the subsets of
   new mutations by a binomial tree conditioned on at least one new mutation
   (``mutation_first``). The number of mutants ignores the correlation with the parent's own
   fate within the step (an O(dt) error in a covariance, not in the mean); the parent's
   (1 - U)**2 keeps the mean cell count exact.
5. **Arrivals at the midpoint.** Migrants, switchers and mutants join their new cell type at
   the step's midpoint and take its second half step (with that type's stayers), so a cell
   that arrives at a uniform time within the step is placed with O(dt**2) error.

Every draw is addressed by (cell type, event, step, realization) (``rng.py``): the whole
step, the first half and the second half use three different Kendall event triples, the
mutant count ``EVENT_MUTANTS``, the split tree, the one-multinomial jumps and the first jumps
the euler scheme's events, the second jumps ``EVENT_SECOND_SWITCH_BASE`` /
``EVENT_SECOND_MIGRATE_BASE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from oncosweep.gpu_engine import rng
from oncosweep.gpu_engine.binomial import binomial
from oncosweep.gpu_engine.birth_death import birth_death_step
from oncosweep.gpu_engine.hazards import pair_hazards
from oncosweep.gpu_engine.kendall import Span, add_piece, compose, empty_span, span_law
from oncosweep.gpu_engine.pharmacology import at_nodes
from oncosweep.gpu_engine.poisson import poisson


@dataclass
class StepSpans:
    """Kendall accumulators of the pairs' step and the integrals of their transition rates."""

    first: Span
    second: Span
    full: Span
    switch: Any
    """(pairs, P) integral of the switching rate to each phenotype over the step (1)
    (:func:`switch_integrals`)."""
    migration: Any
    """(pairs, C) integral of the migration rate to each compartment over the step (1)."""
    transitions: Any
    """(pairs,) sum of both: the step's transition hazard L."""


def step_spans(xp: ModuleType, dm: Any, lanes: Any, types: Any, conc: Any | None,
               infusion: Any | None, crowd: Any | None) -> StepSpans:
    """The accumulators of pairs (lanes[i], types[i]). ``conc``/``infusion``: (A, D)
    concentrations just after the step's boluses and infusion rates, or None without drug;
    ``crowd``: (A, G) crowding at the step's start, or None."""
    dr = dm.rates
    dt = dr.dt
    mutant = dm.mutation_any[types]
    keep = 1.0 - mutant
    migration_rate = dr.migration_rate[types]
    migrate_out = xp.zeros(types.shape[0])
    for c in range(dm.n_compartments):
        migrate_out = migrate_out + migration_rate[:, c]

    def piece(span: Span, hz: Any, h: float) -> Span:
        out = xp.zeros(types.shape[0])
        for k in range(dm.n_phenotypes):
            out = out + hz.switch[:, k]
        birth = hz.birth
        return add_piece(xp, span, birth, birth * keep * keep, hz.death + birth * mutant * mutant,
                         out + migrate_out, h)

    empty = empty_span(xp, keep)
    activity = xp.zeros(types.shape[0])  # integral of the drug activity a over the step (days)
    if conc is None:
        hz = pair_hazards(xp, dr, lanes, types, None, crowd)
        first = second = piece(empty, hz, dt / 2.0)
    else:
        pieces = dm.kendall_pieces
        h = dt / pieces
        first = second = empty
        for q in range(pieces):
            node = at_nodes(xp, conc, infusion, dm.pk_node_decay, dm.pk_node_infusion, q)
            hz = pair_hazards(xp, dr, lanes, types, node, crowd)
            if q < pieces // 2:
                first = piece(first, hz, h)
            else:
                second = piece(second, hz, h)
            if hz.activity is not None:
                activity = activity + hz.activity * h
    switch = switch_integrals(xp, dr, types, activity)
    migration = migration_rate * dt
    total = xp.zeros(types.shape[0])
    for k in range(dm.n_phenotypes):
        total = total + switch[:, k]
    for c in range(dm.n_compartments):
        total = total + migration[:, c]
    return StepSpans(first, second, compose(first, second), switch, migration, total)


def switch_integrals(xp: ModuleType, dr: Any, types: Any, activity: Any) -> Any:
    """(pairs, P) integral of the switching rate to each phenotype over the step:
    s_k dt + (s_k_on_drug - s_k) * A, with A (days) the integral of the drug activity (0
    without drug); the rate is linear in the activity (``hazards.py``)."""
    rate = dr.switch_rate[types]
    switch = rate * dr.dt
    if dr.drug_sensitive_switching:
        switch = switch + (dr.switch_rate_on_drug[types] - rate) * activity[:, None]
    return switch


def _pick(span: Span, rows: Any) -> Span:
    return Span(*(getattr(span, f)[rows] for f in Span.__dataclass_fields__))


def lane_spans(xp: ModuleType, dm: Any, lanes: Any, types: Any, conc: Any | None,
               infusion: Any | None, crowd: Any | None, treated: Any | None) -> StepSpans:
    """:func:`step_spans` where only the lanes with ``treated`` (A,) true (all when None) use
    the drug concentrations: the others' rates are constant over the step, as in the CUDA
    twin, which sees no concentrations outside treatment."""
    if conc is None or treated is None:
        return step_spans(xp, dm, lanes, types, conc, infusion, crowd)
    on = treated[lanes]
    if bool(on.all()):
        return step_spans(xp, dm, lanes, types, conc, infusion, crowd)
    if not bool(on.any()):
        return step_spans(xp, dm, lanes, types, None, None, crowd)
    (a,) = xp.nonzero(on)
    (b,) = xp.nonzero(~on)
    dosed = step_spans(xp, dm, lanes[a], types[a], conc, infusion, crowd)
    plain = step_spans(xp, dm, lanes[b], types[b], None, None, crowd)
    return _interleave(xp, lanes.shape[0], a, dosed, b, plain)


def kendall_step(
    xp: ModuleType,
    dm: Any,
    counts: Any,
    realization: Any,
    key: tuple[int, int],
    step: int,
    conc: Any | None = None,
    infusion: Any | None = None,
    crowd: Any | None = None,
    counter: Any | None = None,
    treated: Any | None = None,
) -> Any:
    """Counts after one exact step. ``counts``: (A, T) int64; ``realization``: (A,) uint64;
    ``conc``/``infusion``: (A, D) start-of-step concentrations (after the boluses) and infusion
    rates, or None without drug; ``treated``: (A,) lanes on treatment (the others ignore
    ``conc``), None: all; ``crowd``: (A, G) or None; ``dm``: a ``step.DeviceModel``."""
    lanes, types = xp.nonzero(counts > 0)
    n_lanes, n_types = counts.shape
    if lanes.size == 0:
        return counts.copy()
    n = counts[lanes, types]
    real = realization[lanes]
    spans = lane_spans(xp, dm, lanes, types, conc, infusion, crowd, treated)
    row = lanes * n_types
    position = xp.full(counts.size, -1, dtype=xp.int64)  # flat pair -> row of ``spans``
    position[row + types] = xp.arange(types.shape[0])
    done_index, done_value = [], []  # cells at the step's end
    mid_index, mid_value = [], []  # cells that take the second half step

    (still,) = xp.nonzero(spans.transitions <= 0.0)
    if still.size:
        survive, odds = span_law(xp, _pick(spans.full, still))
        done_index.append(row[still] + types[still])
        done_value.append(birth_death_step(xp, key, types[still], step, real[still], n[still],
                                           survive, odds, rng.EVENT_KENDALL_FULL, counter))
    (moving,) = xp.nonzero(spans.transitions > 0.0)
    if moving.size:
        survive, odds = span_law(xp, _pick(spans.first, moving))
        stay = birth_death_step(xp, key, types[moving], step, real[moving], n[moving], survive,
                                odds, rng.EVENT_KENDALL_FIRST, counter)
        two = xp.ones(moving.shape[0], dtype=bool)
        if dm.n_phenotypes == 1 or dm.n_compartments == 1:
            two = _needs_two_jumps(xp, dm, spans, moving, types[moving],
                                   row[moving] + types[moving], counts.reshape(-1))
            (one,) = xp.nonzero(~two)
            if one.size:
                rows = moving[one]
                kept = _jump(xp, dm, spans, rows, types[rows], row[rows] + types[rows],
                             real[rows], key, step, stay[one], counter, mid_index, mid_value,
                             lambda flat: _spans_for(xp, dm, spans, position, flat, n_types,
                                                     conc, infusion, crowd, treated))
                mid_index.append(row[rows] + types[rows])
                mid_value.append(kept)
        (pair,) = xp.nonzero(two)
        if pair.size:
            _two_jumps(xp, dm, spans, position, moving[pair], types, row, real, realization,
                       key, step, stay[pair], counter, mid_index, mid_value, n_types, conc,
                       infusion, crowd, treated)
    _mutants(xp, dm, spans, n, types, row, real, key, step, counter, mid_index, mid_value)

    if mid_index:
        pending, cells = _pool(xp, mid_index, mid_value, counts.size)
        if cells.size:
            sp = _spans_for(xp, dm, spans, position, cells, n_types, conc, infusion,
                            crowd, treated)
            survive, odds = span_law(xp, sp.second)
            done_index.append(cells)
            done_value.append(birth_death_step(
                xp, key, cells % n_types, step, realization[cells // n_types], pending[cells],
                survive, odds, rng.EVENT_KENDALL_SECOND, counter))
    if not done_index:
        return xp.zeros_like(counts)
    # Float64 sums are exact: every count and partial sum is a whole number below 2**53.
    summed = xp.bincount(xp.concatenate(done_index),
                         weights=xp.concatenate(done_value).astype(xp.float64),
                         minlength=n_lanes * n_types)
    return summed.astype(xp.int64).reshape(n_lanes, n_types)


def _two_jumps(xp, dm, spans, position, moving, types, row, real, realization, key, step,
               stay, counter, mid_index, mid_value, n_types, conc, infusion, crowd, treated):
    """The jumps of the ``moving`` pairs' ``stay`` cells one after the other (models with both
    phenotypes and compartments, and the pairs of :func:`_needs_two_jumps`): the first jumps
    (:func:`_thin`), then the movers' second jumps from their new types with half those types'
    hazard; stayers and movers are added to ``mid_*``."""
    once_index: list[Any] = []
    once_value: list[Any] = []
    stay = _thin(xp, dm, spans, moving, types[moving], row[moving] + types[moving],
                 real[moving], key, step, stay, 1.0, FIRST_JUMP, counter, once_index,
                 once_value)
    mid_index.append(row[moving] + types[moving])
    mid_value.append(stay)
    jumped, cells = _pool(xp, once_index, once_value, n_types * realization.shape[0])
    if not cells.size:
        return
    sp = _spans_for(xp, dm, spans, position, cells, n_types, conc, infusion, crowd, treated)
    (again,) = xp.nonzero(sp.transitions > 0.0)
    (settled,) = xp.nonzero(sp.transitions <= 0.0)
    mid_index.append(cells[settled])
    mid_value.append(jumped[cells[settled]])
    if again.size:
        where = cells[again]
        stayers = _thin(xp, dm, sp, again, where % n_types, where,
                        realization[where // n_types], key, step, jumped[where], 0.5,
                        SECOND_JUMP, counter, mid_index, mid_value)
        mid_index.append(where)
        mid_value.append(stayers)


def _axis(xp, dm, spans, rows, t):
    """The jump axis of a one-axis model's pairs ``rows`` (types ``t``): (whether it is the
    phenotypes, its number of states, each pair's own state, the integrated rates to every
    state, their sum L and 1 - exp(-L))."""
    phenotypes = dm.n_compartments == 1
    n_states = dm.n_phenotypes if phenotypes else dm.n_compartments
    own = dm.phenotype[t] if phenotypes else dm.compartment[t]
    integral = (spans.switch if phenotypes else spans.migration)[rows]
    total = spans.transitions[rows]
    return phenotypes, n_states, own, integral, total, -xp.expm1(-total)


def _needs_two_jumps(xp, dm, spans, rows, t, base, flat_counts):
    """Mask of the pairs ``rows`` (one-axis models) whose jumps :func:`_jump` leaves to
    :func:`_two_jumps`: those with a target k (q_k > 0) that holds no cells at the step's start
    and whose switching follows the drug (its hazard would need its drug activity, which the
    CUDA twin does not compute for empty types). The law is the same either way."""
    _, n_states, own, integral, total, leave = _axis(xp, dm, spans, rows, t)
    dr = dm.rates
    need = xp.zeros(t.shape[0], dtype=bool)
    if not dr.drug_sensitive_switching:
        return need
    follows = (dr.switch_rate_on_drug != dr.switch_rate).any(axis=1)
    pairs = xp.arange(t.shape[0])
    for rank in range(n_states - 1):
        k = rank + (own <= rank)
        q = integral[pairs, k] / total * leave
        need |= (q > 0.0) & (flat_counts[base + (k - own)] <= 0) & follows[t + (k - own)]
    return need


def _jump(xp, dm, spans, rows, t, base, real, key, step, cells, counter, out_index,
          out_value, spans_of):
    """The jumps of ``cells`` of the pairs ``rows`` of ``spans`` (types ``t``, flat indices
    ``base``, all with a transition hazard L > 0) in a model whose types differ along one axis
    besides the genotype (phenotypes with one compartment, or compartments with one
    phenotype): the law of the two jumps of :func:`_thin` -- a cell leaves for state k with
    q_k = (L_k / L)(1 - exp(-L)) and from k jumps once more with 1 - exp(-L' / 2) (L': k's
    hazard) to state j with share L'_j / L' -- drawn as one multinomial over the final states
    j != own, by conditional binomials in increasing j (the first jumps' events).
    ``spans_of(flat)``: the StepSpans of flat pair indices. Appends the movers to ``out_*``;
    returns the stayers (those back home included)."""
    phenotypes, n_states, own, integral, total, leave = _axis(xp, dm, spans, rows, t)
    event_base = FIRST_JUMP[0] if phenotypes else FIRST_JUMP[1]
    size = t.shape[0]
    pairs = xp.arange(size)
    share = xp.zeros((size, n_states))
    for rank in range(n_states - 1):
        k = rank + (own <= rank)
        q = integral[pairs, k] / total * leave
        (go,) = xp.nonzero(q > 0.0)
        if go.size == 0:
            continue
        kg = k[go]
        sp = spans_of(base[go] + (kg - own[go]))
        next_total = sp.transitions
        settle = xp.exp(-(next_total * 0.5))  # no second jump
        qg = q[go]
        share[go, kg] = share[go, kg] + qg * settle
        if n_states == 2:
            continue  # a second jump can only go home
        moved_again = qg * (1.0 - settle)
        next_integral = sp.switch if phenotypes else sp.migration
        safe = xp.where(next_total > 0.0, next_total, 1.0)
        for j in range(n_states):
            ok = (j != own[go]) & (j != kg) & (next_total > 0.0)
            add = moved_again * (next_integral[:, j] / safe)
            share[go, j] = share[go, j] + xp.where(ok, add, 0.0)
    left = xp.ones(size)
    for rank in range(n_states - 1):
        j = rank + (own <= rank)
        piece = share[pairs, j]
        p = xp.minimum(xp.where(left > 0, piece / xp.where(left > 0, left, 1.0), 0.0), 1.0)
        left = left - piece
        if counter is not None:
            counter.add(xp, cells, p)
        moved = binomial(xp, key, rng.slot(t.astype(xp.uint64), event_base + j.astype(xp.uint64)),
                         step, real, cells, p)
        cells = cells - moved
        out_index.append(base + (j - own))
        out_value.append(moved)
    return cells


FIRST_JUMP = (rng.EVENT_SWITCH_BASE, rng.EVENT_MIGRATE_BASE)
SECOND_JUMP = (rng.EVENT_SECOND_SWITCH_BASE, rng.EVENT_SECOND_MIGRATE_BASE)


def _pool(xp, index, value, size):
    """(dense counts of the flat lane * T + type indices, the indices holding cells)."""
    dense = xp.bincount(xp.concatenate(index), weights=xp.concatenate(value).astype(xp.float64),
                        minlength=size).astype(xp.int64)
    (cells,) = xp.nonzero(dense > 0)
    return dense, cells


def _thin(xp, dm, sp, rows, t, base, real, key, step, cells, scale, events, counter,
          out_index, out_value):
    """Move ``cells`` of the pairs ``rows`` of ``sp`` (types ``t``, flat indices ``base``, all
    with a transition hazard L > 0): to each other phenotype, then each other compartment, in
    increasing index, by conditional binomials of the competing-risk probabilities
    (L_k / L)(1 - exp(-scale L)). Appends the movers to ``out_*``; returns the stayers."""
    left = xp.ones(t.shape[0])
    total = sp.transitions[rows]
    leave = -xp.expm1(-(total * scale))
    for integral, own, stride, event_base, ranks in (
            (sp.switch, dm.phenotype[t], dm.n_compartments, events[0], dm.switch_ranks),
            (sp.migration, dm.compartment[t], 1, events[1], dm.migrate_ranks)):
        for rank in ranks:
            target = rank + (own <= rank)
            share = integral[rows, target] / total * leave
            p = xp.minimum(xp.where(left > 0, share / xp.where(left > 0, left, 1.0), 0.0), 1.0)
            left = left - share
            if counter is not None:
                counter.add(xp, cells, p)
            moved = binomial(xp, key, rng.slot(t.astype(xp.uint64),
                                              event_base + target.astype(xp.uint64)), step,
                             real, cells, p)
            cells = cells - moved
            out_index.append(base + (target - own) * stride)
            out_value.append(moved)
    return cells


def _mutants(xp, dm, spans, n, types, row, real, key, step, counter, mid_index, mid_value):
    """The step's mutant daughters of every occupied pair, split over the subsets of new
    mutations, added to the cells that arrive at the midpoint."""
    mutant = dm.mutation_any[types]
    mean = 2.0 * mutant * spans.full.divisions * n.astype(xp.float64)
    (pairs,) = xp.nonzero(mean > 0.0)
    if pairs.size == 0:
        return
    t = types[pairs]
    if counter is not None:
        counter.nontrivial += int(pairs.size)
    total = poisson(xp, key, rng.slot(t, rng.EVENT_MUTANTS), step, real[pairs], mean[pairs])
    geno = dm.genotype[t]
    groups = {0: total}  # new-mutation mask -> mutant daughters; mask 0: not placed yet
    for j, u in enumerate(dm.mutation_rate):
        if u <= 0.0:
            continue
        free = ((geno >> j) & 1) == 0
        for new in sorted(groups):
            (pick,) = xp.nonzero((groups[new] > 0) & free)
            if pick.size == 0:
                continue
            p = dm.mutation_first[t[pick], j] if new == 0 else xp.full(pick.shape, u)
            size = groups[new][pick]
            if counter is not None:
                counter.add(xp, size, p)
            node = rng.EVENT_MUTATION_BASE + rng.mutation_node(j, new)
            moved = xp.zeros_like(groups[new])
            moved[pick] = binomial(xp, key, rng.slot(t[pick], node), step, real[pairs][pick],
                                   size, p)
            groups[new] = groups[new] - moved
            groups[new | (1 << j)] = groups.get(new | (1 << j), 0) + moved
    phen = dm.phenotype[t]
    comp = dm.compartment[t]
    base = row[pairs]
    for new, size in groups.items():
        if new == 0:
            continue  # the last free locus takes every daughter still unplaced (p = 1)
        mid_index.append(base + ((geno | new) * dm.n_phenotypes + phen) * dm.n_compartments
                         + comp)
        mid_value.append(size)


def _spans_for(xp, dm, spans, position, cells, n_types, conc, infusion, crowd,
               treated) -> StepSpans:
    """The accumulators of the pairs ``cells`` (flat lane * T + type indices): the occupied
    pairs' own (``position``: flat index -> row of ``spans``, -1 for the others, which are
    computed now)."""
    where = position[cells]
    (new,) = xp.nonzero(where < 0)
    if new.size == 0:
        return _pick_spans(spans, where)
    fresh = lane_spans(xp, dm, cells[new] // n_types, cells[new] % n_types, conc, infusion,
                       crowd, treated)
    (known,) = xp.nonzero(where >= 0)
    if known.size == 0:
        return fresh
    return _interleave(xp, cells.shape[0], known, _pick_spans(spans, where[known]), new, fresh)


def _pick_spans(sp: StepSpans, rows: Any) -> StepSpans:
    return StepSpans(_pick(sp.first, rows), _pick(sp.second, rows), _pick(sp.full, rows),
                     sp.switch[rows], sp.migration[rows], sp.transitions[rows])


def _interleave(xp: ModuleType, size: int, rows_a: Any, a: StepSpans, rows_b: Any,
                b: StepSpans) -> StepSpans:
    """The accumulators of ``size`` pairs: ``a``'s at ``rows_a``, ``b``'s at ``rows_b``."""

    def merge(x: Any, y: Any) -> Any:
        out = xp.empty((size,) + x.shape[1:], dtype=x.dtype)
        out[rows_a] = x
        out[rows_b] = y
        return out

    return _map_spans(merge, a, b)


def _map_spans(merge: Any, a: StepSpans, b: StepSpans) -> StepSpans:
    """StepSpans whose every array is ``merge(a's, b's)``."""

    def span(x: Span, y: Span) -> Span:
        return Span(*(merge(getattr(x, f), getattr(y, f)) for f in Span.__dataclass_fields__))

    return StepSpans(span(a.first, b.first), span(a.second, b.second), span(a.full, b.full),
                     merge(a.switch, b.switch), merge(a.migration, b.migration),
                     merge(a.transitions, b.transitions))
