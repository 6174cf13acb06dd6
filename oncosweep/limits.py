"""The limits every layer shares, declared once (sizes of a model, ranges of the seeds).

The schema (``oncosweep.scenario``) rejects a configuration beyond them with a message naming
the field; the engines and the CUDA header (generated from :mod:`oncosweep.lowering.declaration`)
are sized by them. The random-number addressing (``gpu_engine/rng.py``) packs a cell type, an
event and an attempt into one 32-bit slot word: 14 + 10 + 8 bits, so at most
``2**14 - 1`` real cell types (the largest value is reserved for per-realization draws).
"""

from __future__ import annotations

#: Resistance loci per tumour (the mutation tree has 2**MAX_LOCI - 1 nodes per cell type).
MAX_LOCI = 8
#: Phenotypes (cell states) per tumour: the slot events 2 .. 9 are the switches.
MAX_PHENOTYPES = 8
#: Compartments (microenvironments) per tumour.
MAX_COMPARTMENTS = 8
#: Real cell types (genotype x phenotype x compartment): 2**14 - 1, one value is reserved.
MAX_CELL_TYPES = (1 << 14) - 1
#: Root seeds and parameter-point ids are 32-bit words of the Philox key.
MAX_SEED = (1 << 32) - 1
MAX_POINT = (1 << 32) - 1
#: Loop iterations of one realization: the 32-bit step word of the Philox counter.
MAX_STEPS = (1 << 32) - 1

#: The exact step's quadrature of time-varying drug effects (gpu_engine/kendall_step.py): each
#: half step is cut into equal pieces and the rates are held at each piece's midpoint. Over a
#: piece of h days the concentration decays by exp(-k h) (k = ln 2 / half-life, per day); the
#: midpoint rule's relative error on the piece's exposure integral is (k h)**2 / 24 + O((k h)**4).
#: A model takes the fewest pieces per half with k h <= KENDALL_PIECE_DECAY for its fastest
#: drug (``derived.kendall_pieces``): 0.35 keeps every piece within the one validated against
#: Kendall's exact law at dt = 1 day (a half-life of 0.5 day on 4 pieces: k h = 0.347;
#: tests/test_exact_scheme.py), an exposure error of at most 0.5 % per piece.
KENDALL_PIECE_DECAY = 0.35
#: At most this many pieces per step (an even number: whole pieces per half). A drug with
#: k dt > KENDALL_PIECE_DECAY * KENDALL_MAX_PIECES (a half-life under 6 hours at dt = 1 day)
#: is integrated on pieces longer than the bound above (docs/model.md).
KENDALL_MAX_PIECES = 8
#: A drug with k dt >= KENDALL_INSTANT_DECAY settles to within e**-7 (0.1 %) of its
#: equilibrium within half the shortest piece (7 / k <= dt / (2 KENDALL_MAX_PIECES)): no
#: piece count resolves its transients, and its concentration is constant on every piece
#: after them, so it does not set the piece count. Such "instantaneous" drugs model a steady
#: exposure (bozic2013_dual's infusions, half-life 0.001 day: k dt = 693 at dt = 1); counting
#: them took that run from 4 to 16 pieces and 1.6x the time (measured) for the same rates.
KENDALL_INSTANT_DECAY = 7.0 * 2 * KENDALL_MAX_PIECES
#: The exact scheme's steps before detection, once a tumour may reach the detection size
#: within a step, are cut into 2**k sub-steps with (largest net growth rate) x sub-step <=
#: DETECTION_GROWTH (a mean overshoot of the detection size of ~0.25 %), at most
#: MAX_DETECTION_SUBSTEPS: detection is then read off a grid that fine, not off the dt grid.
DETECTION_GROWTH = 0.005
MAX_DETECTION_SUBSTEPS = 256

# ---- capacities of the compiled engines (the CUDA kernel and its host build) --------------
#: Cell-type capacities the compiled kernel is instantiated for (the smallest >= n_types).
TYPE_CAPACITIES = (8, 16, 32, 64, 128, 256, 512, 1024)
#: Per-realization arrays of the compiled kernel (the numpy engine has no such limits).
KERNEL_CAPACITIES = {"n_drugs": 8, "n_groups": 8, "n_phenotypes": MAX_PHENOTYPES,
                     "n_compartments": MAX_COMPARTMENTS, "n_ctdna": 8, "n_loci": MAX_LOCI}

# ---- the boundary: what a configuration file and a run request may ask for ----------------
#: Realization indices: the RNG addresses 2**64 realizations (two 32-bit counter words), but
#: the engines, the result datasets and the stores carry indices as signed 64-bit integers
#: (numpy int64, the kernel's ``int64_t`` lanes), so the last realization of a run,
#: ``start + realizations - 1``, must be at most 2**63 - 1.
MAX_REALIZATION_INDEX = (1 << 63) - 1
#: Size of a scenario file, bytes. The shipped configurations are 2-6 KB; the cap is ten
#: times the largest of them rounded up to 64 KiB. It bounds the work before validation:
#: PyYAML (pure Python) parses ~70 KB of the densest YAML (one node per two characters) a
#: second, so any accepted file is parsed within about a second; a longer file, a device
#: (``/dev/zero``) or a pipe is refused without being read beyond ``MAX_CONFIG_BYTES + 1``.
MAX_CONFIG_BYTES = 1 << 16
#: YAML nodes of a document after alias expansion (each ``*alias`` counts the nodes it
#: repeats). The densest file of MAX_CONFIG_BYTES holds one node per two characters (``0,``),
#: so aliases may not make a document larger than the largest alias-free file accepted: a
#: "billion laughs" is refused while it is composed, before anything is copied.
MAX_YAML_NODES = MAX_CONFIG_BYTES // 2
