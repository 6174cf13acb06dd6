"""The ``oncosweep`` command line: run, schema.

Bad input never produces a traceback: it is one line naming the file and field, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from oncosweep._version import __version__

EXIT_OK, EXIT_USAGE = 0, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oncosweep",
        description="Monte Carlo simulation of drug-resistance evolution in tumours.",
    )
    parser.add_argument("--version", action="version", version=f"oncosweep {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", help="simulate a scenario and write a zarr store",
        description="Simulate realizations of a scenario and write them as a zarr v3 store "
        "(open it with xarray.open_zarr).",
    )
    run.add_argument("config", help="scenario YAML file")
    run.add_argument("-o", "--output", required=True, help="output store, e.g. results.zarr")
    run.add_argument("-n", "--realizations", type=_positive_int, default=1000,
                     help="number of realizations (default 1000)")
    run.add_argument("--seed", type=_seed, default=0, help="root seed in [0, 2**32-1] (default 0)")
    run.add_argument("--start", type=_non_negative_int, default=0,
                     help="global index of the first realization (default 0)")
    run.add_argument("--backend", choices=["numpy", "cupy"], default="numpy",
                     help="array backend (default numpy)")
    run.add_argument("--overwrite", action="store_true", help="replace an existing output store")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")

    commands.add_parser("schema", help="print the JSON Schema of scenario files")

    validate = commands.add_parser(
        "validate", help="check the engine against exact theory and published results",
        description="Run the exact-theory and published-result checks and print a table; "
        "exit code 1 if any case fails.",
    )
    validate.add_argument("--quick", action="store_true",
                          help="fewer realizations: the whole run in under 2 minutes (CI)")
    validate.add_argument("--case", action="append", metavar="NAME",
                          help="run only this case (repeatable)")
    validate.add_argument("--seed", type=_seed, default=None,
                          help="root seed in [0, 2**32-1] (default: the fixed validation seed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "schema":
            from oncosweep.scenario import Scenario  # noqa: PLC0415

            print(json.dumps(Scenario.json_schema(), indent=2))
            return EXIT_OK
        if args.command == "validate":
            return _validate(args)
    except UserError as exc:
        print(f"oncosweep: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


class UserError(Exception):
    """A problem with the user's input, reported as one line with exit code 2."""


def _run(args: argparse.Namespace) -> int:
    from oncosweep.analysis.summary import summarize  # noqa: PLC0415
    from oncosweep.distributed.store import StoreExistsError, write_dataset  # noqa: PLC0415
    from oncosweep.gpu_engine.simulate import simulate  # noqa: PLC0415
    from oncosweep.scenario import Scenario, ScenarioError  # noqa: PLC0415

    try:
        scenario = Scenario.from_yaml(args.config)
    except ScenarioError as exc:
        raise UserError(f"{args.config}: {exc}") from None
    from pathlib import Path  # noqa: PLC0415

    if Path(args.output).exists() and not args.overwrite:
        raise UserError(f"{args.output} exists; pass --overwrite to replace it")
    try:
        ds = simulate(scenario, realizations=args.realizations, seed=args.seed,
                      start=args.start, backend=args.backend, progress=not args.quiet)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise UserError(str(exc)) from None
    try:
        path = write_dataset(ds, args.output, overwrite=args.overwrite)
    except StoreExistsError as exc:
        raise UserError(str(exc)) from None
    if not args.quiet:
        print(summarize(ds))
        print(f"results: {path}  (open with xarray.open_zarr({str(path)!r}))")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from oncosweep import validation  # noqa: PLC0415

    try:
        cases = validation.select(args.case)
    except KeyError as exc:
        raise UserError(exc.args[0]) from None
    seed = validation.DEFAULT_SEED if args.seed is None else args.seed
    return validation.main(quick=args.quick, cases=cases, seed=seed)


def _positive_int(text: str) -> int:
    return _bounded_int(text, 1, 2**63 - 1)


def _non_negative_int(text: str) -> int:
    return _bounded_int(text, 0, 2**63 - 1)


def _seed(text: str) -> int:
    return _bounded_int(text, 0, 2**32 - 1)


def _bounded_int(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be in [{low}, {high}], got {value}")
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
