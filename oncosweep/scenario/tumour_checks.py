"""Cross-field checks of the ``tumour`` section (names, references, sizes, growth)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from oncosweep.scenario._types import MAX_CELL_TYPES, WILD_TYPE
from oncosweep.scenario.errors import Loc, Problem
from oncosweep.scenario.mechanisms import mechanism_key

if TYPE_CHECKING:  # pragma: no cover
    from oncosweep.scenario.tumour import Tumour

__all__ = ["listing", "tumour_problems"]

_MAX_TOTAL_CELLS = 10**15


def listing(kind: str, names: Sequence[str]) -> str:
    """``(loci: R1, R2)`` or ``(no loci are defined)``."""
    return f"({kind}: {', '.join(dict.fromkeys(names))})" if names else f"(no {kind} are defined)"


def tumour_problems(t: Tumour) -> list[Problem]:
    """Cross-field problems of a structurally valid tumour section."""
    out: list[Problem] = []
    loci, phens, comps = t.locus_names, t.phenotype_names, t.compartment_names
    for kind, noun, names in (
        ("loci", "locus", loci),
        ("phenotypes", "phenotype", phens),
        ("compartments", "compartment", comps),
    ):
        for i, name in enumerate(names):
            if name in names[:i]:
                out.append(((kind, i, "name"), f"duplicate {noun} name {name!r}"))

    def genotype(loc: Loc, names: tuple[str, ...]) -> None:
        for i, name in enumerate(names):
            if name not in loci:
                out.append((loc, f"unknown locus {name!r} {listing('loci', loci)}"))
            elif name in names[:i]:
                out.append((loc, f"locus {name!r} is listed twice"))

    def known(loc: Loc, name: str | None, noun: str, kind: str, names: list[str]) -> None:
        if name is not None and name not in names:
            out.append((loc, f"unknown {noun} {name!r} {listing(kind, names)}"))

    genotype(("founder", "genotype"), t.founder.genotype)
    known(("founder", "phenotype"), t.founder.phenotype, "phenotype", "phenotypes", phens)
    known(("founder", "compartment"), t.founder.compartment, "compartment", "compartments", comps)
    seen: dict[frozenset[str], int] = {}
    for i, entry in enumerate(t.epistasis):
        genotype(("epistasis", i, "genotype"), entry.genotype)
        first = seen.setdefault(frozenset(entry.genotype), i)
        if first != i:
            label = "+".join(sorted(set(entry.genotype))) or WILD_TYPE
            again = f"(already given in tumour.epistasis[{first}])"
            out.append((("epistasis", i, "genotype"), f"duplicate genotype {label} {again}"))
    for kind, noun, kinds, names, entries in (
        ("switching", "phenotype", "phenotypes", phens, t.switching),
        ("migration", "compartment", "compartments", comps, t.migration),
    ):
        pairs: dict[tuple[str, str], int] = {}
        for i, move in enumerate(entries):
            known((kind, i, "from"), move.from_, noun, kinds, names)
            known((kind, i, "to"), move.to, noun, kinds, names)
            first = pairs.setdefault((move.from_, move.to), i)
            if move.from_ == move.to:
                out.append(((kind, i, "to"), f"must differ from 'from' ({move.from_})"))
            elif first != i:
                again = f"(already given in tumour.{kind}[{first}])"
                what = "switch" if kind == "switching" else "migration"
                out.append(((kind, i), f"duplicate {what} {move.from_} -> {move.to} {again}"))
    for j, locus in enumerate(t.loci):
        keys: dict[str, int] = {}
        for i, mechanism in enumerate(locus.mechanisms):
            loc = ("loci", j, "mechanisms", i)
            listed = mechanism.drug_references()
            for k, (field, drug) in enumerate(listed):
                if any(drug == earlier for _, earlier in listed[:k]):
                    out.append(((*loc, *field), f"drug {drug!r} is listed twice"))
            for key in dict.fromkeys(mechanism_key(mechanism)):
                first = keys.setdefault(key, i)
                if first != i:
                    again = f"(already given in tumour.loci[{j}].mechanisms[{first}])"
                    out.append((loc, f"duplicate {key} {again}"))
    n_types = 2 ** len(loci) * len(phens) * len(comps)
    if n_types > MAX_CELL_TYPES:
        message = (
            f"2**{len(loci)} genotypes x {len(phens)} phenotypes x {len(comps)} compartments = "
            f"{n_types} cell types, at most {MAX_CELL_TYPES} are supported"
        )
        out.append((("compartments",), message))
    if out:  # names do not resolve: cell types are not well defined
        return out
    population_ok = _population_problems(t, t.cell_type_labels(), out)
    if t.initial_population is None and t.detection_size < t.initial_cells:
        got = f"got {t.detection_size}"
        out.append((("detection_size",), f"must be >= initial_cells ({t.initial_cells}), {got}"))
    if t.lethal_size <= t.detection_size:
        got = f"got {t.lethal_size}"
        out.append((("lethal_size",), f"must be > detection_size ({t.detection_size}), {got}"))
    if population_ok and sum(t.initial_counts().values()) < t.detection_size:
        growth = t.founder_growth_rate() + 0.0  # + 0.0: no "-0"
        if growth <= 0:
            out.append(_no_growth_problem(t, growth))
    return out


def _no_growth_problem(t: Tumour, growth: float) -> Problem:
    rate = f"(net growth rate {growth:.3g} per day <= 0)"
    never = "so the tumour never reaches detection_size"
    if t.initial_population is not None:
        return (("initial_population",), f"the initial population cannot grow {rate}, {never}")
    label = t.cell_type_labels()[t.founder_type_index()]
    return (("birth_rate",), f"the founder cell type {label!r} cannot grow {rate}, {never}")


def _population_problems(t: Tumour, labels: list[str], out: list[Problem]) -> bool:
    """Check ``initial_population`` (appending to ``out``); True if it is usable."""
    population = t.initial_population
    if population is None:
        return True
    before = len(out)
    if t.initial_cells != 1 or t.founder != type(t.founder)():
        message = "give either initial_population or founder and initial_cells, not both"
        out.append((("initial_population",), message))
    seen: dict[str, int] = {}
    for i, entry in enumerate(population):
        loc = ("initial_population", i, "cell_type")
        first = seen.setdefault(entry.cell_type, i)
        if entry.cell_type not in labels:
            hint = _hint(entry.cell_type, labels)
            out.append((loc, f"unknown cell type {entry.cell_type!r} {hint}"))
        elif first != i:
            again = f"(already given in tumour.initial_population[{first}])"
            out.append((loc, f"duplicate cell type {entry.cell_type!r} {again}"))
    total = sum(entry.cells for entry in population)
    if total == 0:
        out.append((("initial_population",), "needs at least one cell type with cells > 0"))
    elif total > _MAX_TOTAL_CELLS:
        out.append((("initial_population",), f"must total <= 1e15 cells, got {total:.3g}"))
    elif total >= t.lethal_size:
        message = f"must total < lethal_size ({t.lethal_size}) cells, got {total}"
        out.append((("initial_population",), message))
    return len(out) == before


def _hint(name: str, labels: list[str]) -> str:
    close = difflib.get_close_matches(name, labels, n=1, cutoff=0.6)
    if close:
        return f"(did you mean {close[0]!r}?)"
    return f"(e.g. {', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''})"
