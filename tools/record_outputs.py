"""Record every config x strategy dataset and one sweep store, or compare two recordings.

A refactoring must not change what a user sees. Run before the change::

    python tools/record_outputs.py record /tmp/before
    # ... refactor ...
    python tools/record_outputs.py record /tmp/after
    python tools/record_outputs.py compare /tmp/before /tmp/after

Each config in ``configs/`` is simulated with every strategy (the public ``simulate``) on the
numpy reference engine (``NUMPY_REALIZATIONS``) and on the compiled cpu engine
(``CPU_REALIZATIONS``) at fixed seeds, and the quickstart sweep is run into a zarr store.
``compare`` demands identical variables, coordinates, dtypes, values and attributes (all but
``oncosweep_version``) and exits 1 on the first difference of each dataset.

``record DIR --scheme euler`` runs every config with ``simulation.scheme`` set (the golden
comparison of the euler scheme against a recording made before the exact scheme existed);
``compare A B --ignore-attr NAME`` skips a dataset attribute that legitimately changed (e.g.
``scenario``, whose text now names the scheme).
"""

from __future__ import annotations

import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
NUMPY_REALIZATIONS = 12
CPU_REALIZATIONS = 300
SEED = 20261202
IGNORED_ATTRS = {"oncosweep_version", "version"}


def _with_scheme(config: Path, scheme: str | None, folder: Path) -> Path:
    """``config`` itself, or a copy in ``folder`` with ``simulation.scheme`` set."""
    if scheme is None:
        return config
    import yaml

    data = yaml.safe_load(config.read_text())
    data.setdefault("simulation", {})["scheme"] = scheme
    copy = folder / config.name
    copy.write_text(yaml.safe_dump(data, sort_keys=False))
    return copy


def record(out: Path, scheme: str | None = None) -> None:
    import oncosweep

    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="record_outputs_"))
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        scenario = oncosweep.Scenario.from_yaml(_with_scheme(config, scheme, folder))
        for backend, n in (("numpy", NUMPY_REALIZATIONS), ("cpu", CPU_REALIZATIONS)):
            t0 = time.perf_counter()
            ds = oncosweep.simulate(scenario, realizations=n, seed=SEED, point=3,
                                    backend=backend, threads=2 if backend == "cpu" else None)
            (out / f"{config.stem}.{backend}.pkl").write_bytes(pickle.dumps(ds.load()))
            print(f"{config.stem:28s} {backend:5s} {time.perf_counter() - t0:6.1f} s", flush=True)
    store = out / "quickstart_sweep.zarr"
    oncosweep.run_sweep(_with_scheme(ROOT / "configs" / "quickstart.yaml", scheme, folder),
                        store, workers=1, backend="cpu", threads=2, realizations=64, chunk=32,
                        seed=SEED, overwrite=True, progress=False)
    ds = xr.open_zarr(store).load()
    (out / "quickstart_sweep.pkl").write_bytes(pickle.dumps(ds))
    print("sweep store recorded", flush=True)


def _attrs(attrs: dict) -> dict:
    return {k: v for k, v in attrs.items() if k not in IGNORED_ATTRS}


def _flag_values(argv: list[str], flag: str) -> tuple[list[str], list[str]]:
    """(the arguments without ``flag VALUE`` pairs, the values)."""
    rest, values = [], []
    args = iter(argv)
    for arg in args:
        if arg == flag:
            values.append(next(args, ""))
        else:
            rest.append(arg)
    return rest, values


def _same_attrs(a: dict, b: dict) -> bool:
    a, b = _attrs(a), _attrs(b)
    if a.keys() != b.keys():
        return False
    return all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def diff(a: xr.Dataset, b: xr.Dataset) -> str | None:
    """The first difference between two datasets, or None."""
    if not _same_attrs(a.attrs, b.attrs):
        keys = sorted(set(_attrs(a.attrs)) ^ set(_attrs(b.attrs)))
        changed = [k for k in _attrs(a.attrs) if k in b.attrs
                   and not np.array_equal(np.asarray(a.attrs[k]), np.asarray(b.attrs[k]))]
        return f"dataset attributes differ: only in one {keys}, changed {changed}"
    if list(a.variables) != list(b.variables):
        return f"variables differ: {sorted(set(a.variables) ^ set(b.variables))} " \
               f"(order {list(a.variables)} vs {list(b.variables)})"
    if dict(a.sizes) != dict(b.sizes):
        return f"sizes differ: {dict(a.sizes)} vs {dict(b.sizes)}"
    for name in a.variables:
        va, vb = a.variables[name], b.variables[name]
        if va.dims != vb.dims or va.dtype != vb.dtype:
            return f"{name}: dims/dtype {va.dims} {va.dtype} vs {vb.dims} {vb.dtype}"
        if not np.array_equal(va.values, vb.values, equal_nan=va.dtype.kind in "fc"):
            return f"{name}: values differ"
        if not _same_attrs(va.attrs, vb.attrs):
            return f"{name}: attributes differ {va.attrs} vs {vb.attrs}"
        if va.encoding.get("dtype") != vb.encoding.get("dtype"):
            return f"{name}: encoding dtype differs"
    return None


def compare(before: Path, after: Path) -> int:
    names = sorted(p.name for p in before.glob("*.pkl"))
    failures = 0
    for name in names:
        other = after / name
        if not other.exists():
            print(f"MISSING {name}")
            failures += 1
            continue
        problem = diff(pickle.loads((before / name).read_bytes()),
                       pickle.loads(other.read_bytes()))
        print(f"{'DIFF' if problem else 'same'} {name}" + (f": {problem}" if problem else ""))
        failures += problem is not None
    print(f"{len(names) - failures} of {len(names)} recordings identical")
    return 1 if failures else 0


if __name__ == "__main__":
    argv, schemes = _flag_values(sys.argv, "--scheme")
    argv, ignored = _flag_values(argv, "--ignore-attr")
    IGNORED_ATTRS.update(ignored)
    if len(argv) == 3 and argv[1] == "record" and len(schemes) <= 1:
        record(Path(argv[2]), schemes[0] if schemes else None)
    elif len(argv) == 4 and argv[1] == "compare":
        sys.exit(compare(Path(argv[2]), Path(argv[3])))
    else:
        sys.exit(__doc__)
