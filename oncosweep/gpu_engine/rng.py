"""Counter-based random-number addressing (the contract every engine and kernel follows).

Every random draw of oncosweep is one Philox4x32-10 block addressed by

    key     = (k0, k1) = (root seed, parameter-point id)              two 32-bit words
    counter = (slot, step, realization & 0xFFFFFFFF, realization >> 32) four 32-bit words

so a realization's result is a pure function of (seed, point, realization) whatever chunk,
worker, order or device computes it.

``step`` is the engine's loop iteration for that realization (it keeps counting across
restarts, so a restarted tumour draws from a fresh stream). ``slot`` is a 32-bit word packed as

    slot = (channel << ATTEMPT_BITS) | attempt
    channel = (cell_type << EVENT_BITS) | event

Each (cell type, event) therefore owns a range of ``2**ATTEMPT_BITS`` = 256 consecutive blocks;
rejection samplers use attempt 0, 1, 2, ... inside their own range and never read another
event's numbers. The exhaustion probability of 256 attempts is below 1e-70 for the samplers
used here (see docs/rng.md).

Cell type ``RESERVED_CELL_TYPE`` (the largest value) is reserved for per-realization draws that
belong to no cell type (monitoring, policies), so real cell types number at most
``MAX_CELL_TYPES``.
"""

from __future__ import annotations

from oncosweep.limits import (  # noqa: F401 - re-exported: rng.MAX_SEED, ...
    MAX_CELL_TYPES,
    MAX_LOCI,
    MAX_PHENOTYPES,
    MAX_POINT,
    MAX_SEED,
    MAX_STEPS,
)

RNG_SCHEME = "philox4x32-10/slot-v1"

ATTEMPT_BITS = 8
EVENT_BITS = 10
CELL_TYPE_BITS = 32 - ATTEMPT_BITS - EVENT_BITS  # 14

MAX_ATTEMPTS = 1 << ATTEMPT_BITS
MAX_EVENTS = 1 << EVENT_BITS
RESERVED_CELL_TYPE = (1 << CELL_TYPE_BITS) - 1

# Events of a cell type (the ``event`` field of a channel). Gaps are reserved for later models.
EVENT_BIRTH = 0
EVENT_DEATH = 1
EVENT_SWITCH_BASE = 2  # + target phenotype index (at most 8 phenotypes)
EVENT_MIGRATE_BASE = 10  # + target compartment index (at most 8 compartments)
EVENT_MUTATION_BASE = 64  # + node of the mutation-splitting tree, 0 .. 2**n_loci - 2
# The exact (Kendall) birth–death draw (gpu_engine/birth_death.py) reads three consecutive
# events from its base: surviving lines, the gamma mixing and the Poisson offspring. The exact
# step (gpu_engine/kendall_step.py) makes up to three such draws per cell type and step: the
# whole step, its first half (types that switch or migrate) and its second half (cells that
# arrive at the midpoint, with the stayers of the first half).
EVENT_LINES = 18
EVENT_OFFSPRING_GAMMA = 19
EVENT_OFFSPRING_POISSON = 20
EVENT_KENDALL_FULL = EVENT_LINES
EVENT_KENDALL_FIRST = 21
EVENT_KENDALL_SECOND = 24
EVENT_MUTANTS = 27  # Poisson number of mutant daughters of the step (exact scheme)
# The exact step's second jumps (cells that switched or migrated in the step move once more):
EVENT_SECOND_SWITCH_BASE = 28  # + target phenotype index (28 .. 35)
EVENT_SECOND_MIGRATE_BASE = 36  # + target compartment index (36 .. 43)

# the shared limits (oncosweep.limits) fit this addressing
assert MAX_CELL_TYPES == RESERVED_CELL_TYPE  # 16383 real cell types
assert MAX_PHENOTYPES <= EVENT_MIGRATE_BASE - EVENT_SWITCH_BASE
assert MAX_PHENOTYPES <= EVENT_SECOND_MIGRATE_BASE - EVENT_SECOND_SWITCH_BASE
assert EVENT_SECOND_MIGRATE_BASE + 8 <= EVENT_MUTATION_BASE
assert 2**MAX_LOCI - 1 <= MAX_EVENTS - EVENT_MUTATION_BASE
assert MAX_SEED == MAX_POINT == MAX_STEPS == (1 << 32) - 1


def make_key(seed: int, point: int = 0) -> tuple[int, int]:
    """Philox key for a root seed and a parameter-point id (both 32-bit unsigned)."""
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"seed: must be an integer in [0, {MAX_SEED}], got {seed}")
    if not 0 <= int(point) <= MAX_POINT:
        raise ValueError(f"point: must be an integer in [0, {MAX_POINT}], got {point}")
    return int(seed), int(point)


def channel(cell_type, event):
    """Channel of (cell type, event); works on Python ints and on integer arrays alike."""
    return (cell_type << EVENT_BITS) | event


def slot(cell_type, event, attempt=0):
    """Base slot (attempt 0) or a given attempt's slot for (cell type, event)."""
    return (channel(cell_type, event) << ATTEMPT_BITS) | attempt


def mutation_node(locus: int, new_mutations: int) -> int:
    """Node of the mutation-splitting tree: the split at ``locus`` of the group of daughters
    whose new mutations so far (a bit mask over loci < ``locus``) are ``new_mutations``.

    Nodes are numbered breadth-first: locus j owns nodes ``2**j - 1 .. 2**(j+1) - 2``.
    """
    return (1 << locus) - 1 + new_mutations
