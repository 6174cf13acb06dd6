"""The ``oncosweep`` command line: run, sweep, verify, info, report, validate, schema.

Bad input never produces a traceback: it is one line naming the file and field, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from oncosweep._version import __version__

EXIT_OK, EXIT_USAGE = 0, 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(EXIT_USAGE, f"oncosweep: error: {text} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    _backend_options(run, sweep=False)
    run.add_argument("--overwrite", action="store_true", help="replace an existing output store")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")

    sweep = commands.add_parser(
        "sweep", help="run (or resume) a parameter sweep into a zarr store on Dask",
        description="Simulate every unit (grid point x realization chunk) of the scenario's "
        "sweep on a Dask cluster and write it into a resumable zarr v3 store. Re-running the "
        "same command on the same store computes only the missing units.",
    )
    sweep.add_argument("config", help="scenario YAML file with a sweep section")
    sweep.add_argument("-o", "--output", required=True, help="sweep store, e.g. sweep.zarr")
    sweep.add_argument("--workers", type=_positive_int, default=None,
                       help="worker processes of the embedded cluster (default: all cores)")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of an existing scheduler, tcp://HOST:PORT")
    where.add_argument("--scheduler-file", help="scheduler file of an existing cluster")
    where.add_argument("--cluster", choices=["local", "slurm"], default=None,
                       help="local: the embedded cluster (default); slurm: SLURM batch jobs "
                       "as Dask workers (dask-jobqueue; see the SLURM options)")
    _slurm_options(sweep)
    sweep.add_argument("--overwrite", action="store_true", help="start the store over")
    sweep.add_argument("--retries", type=_non_negative_int, default=3,
                       help="retries of a failed unit (default 3)")
    sweep.add_argument("--no-verify", action="store_true",
                       help="on resume, trust the done marks instead of checking the done "
                       "units' data against their checksums (by default damaged units are "
                       "found and computed again)")
    sweep.add_argument("--wait", nargs="?", type=_seconds, const=float("inf"), default=None,
                       metavar="SECONDS",
                       help="if another sweep writes the store, wait for it to finish (up to "
                       "SECONDS; default: as long as it takes) instead of stopping at once")
    sweep.add_argument("--break-lock", action="store_true",
                       help="clear the store's lock left by a sweep on another host that is "
                       "gone (a lock of a dead process on this host is cleared by itself)")
    sweep.add_argument("--scheduler-timeout", type=_seconds, default=30.0, metavar="SECONDS",
                       help="seconds to reach the scheduler of --scheduler or "
                       "--scheduler-file (default 30)")
    sweep.add_argument("--dashboard", nargs="?", const="127.0.0.1:8787", default=None,
                       metavar="ADDRESS",
                       help="serve the embedded cluster's Dask dashboard (default address "
                       "127.0.0.1:8787; needs bokeh); by default there is none")
    _backend_options(sweep, sweep=True)
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    for name, text in (("verify", "check every unit of a sweep store is done and intact"),
                       ("info", "show a sweep store's axes, progress, config hash, versions")):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("store", help="sweep store (zarr)")

    report = commands.add_parser(
        "report", help="write a self-contained HTML report of a result store",
        description="Write one self-contained HTML page (tables, figures, scenario, versions; "
        "no external resources) of a sweep store or a store written by `run`.",
    )
    report.add_argument("store", help="sweep store or run store (zarr)")
    report.add_argument("-o", "--output", required=True, help="HTML file to write")
    report.add_argument("--metric", default="rmst_progression",
                        choices=["rmst_progression", "rmst_pfs", "rmst_os", "rmst_ttp",
                                 "rmst_ttf", "rmst_pfs2", "rmst_death", "cure",
                                 "progression_by"],
                        help="robustness metric (default rmst_progression; rmst_<endpoint> for "
                        "pfs, os, ttp, ttf, pfs2, death)")
    report.add_argument("--criterion", default="cvar",
                        choices=["mean", "worst", "cvar", "max_regret", "mean_regret"],
                        help="robustness criterion of the ranking (default cvar)")
    report.add_argument("--alpha", type=float, default=0.25,
                        help="CVaR level in (0, 1]: fraction of worst sweep points (default "
                        "0.25)")
    report.add_argument("--tau", type=float, default=None,
                        help="days: RMST restriction and 'progression by' time (default: "
                        "the horizon)")
    report.add_argument("--realization", type=_non_negative_int, default=None,
                        help="traced realization of the Muller and burden figures (default: "
                        "the first traced)")

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
    validate.add_argument("--convergence", action="store_true",
                          help="instead, the convergence study: the theory cases under both "
                          "step schemes at dt = 0.1, 0.5 and 1 day, errors against theory "
                          "(--case names its cases; an expensive one runs only when named)")
    validate.add_argument("--backend", choices=["auto", "numpy", "cpu", "cupy"],
                          default="auto", help="engine of the convergence study (default auto)")
    return parser


BACKEND_HELP = ("auto (default: cupy if a CUDA device is usable, else cpu if a C++ compiler "
                "builds the compiled engine, else numpy), numpy (the reference engine), cpu "
                "(the fused kernel's source compiled for the CPU, multi-threaded) or cupy (the "
                "fused CUDA kernel{gpu}); results do not depend on it")


def _backend_options(command: argparse.ArgumentParser, *, sweep: bool) -> None:
    """--backend and --threads of ``run`` and ``sweep``."""
    gpu = ("; one worker per GPU; with --scheduler, workers started with --resources GPU=1"
           if sweep else "")
    command.add_argument("--backend", choices=["auto", "numpy", "cpu", "cupy"], default="auto",
                         help=BACKEND_HELP.format(gpu=gpu))
    share = ("per unit (default: each worker's share of the cores, so that workers x threads "
             "never exceed them)" if sweep else "(default: every core)")
    command.add_argument("--threads", type=_threads, default=None,
                         help=f"CPU threads of the cpu backend {share}")


def _slurm_options(command: argparse.ArgumentParser) -> None:
    """The SLURM worker jobs of ``sweep --cluster slurm``."""
    group = command.add_argument_group("SLURM (--cluster slurm)")
    group.add_argument("--jobs", type=_positive_int, default=2,
                       help="worker jobs kept running; a lost job is replaced (default 2)")
    group.add_argument("--job-cores", type=_positive_int, default=1,
                       help="CPUs per job, one single-threaded unit each (default 1)")
    group.add_argument("--job-memory", default="2GB", help="memory per job (default 2GB)")
    group.add_argument("--partition", default=None, help="SLURM partition (default: the "
                       "cluster's default)")
    group.add_argument("--account", default=None, help="SLURM account")
    group.add_argument("--walltime", default="01:00:00",
                       help="wall time per job (default 01:00:00)")
    group.add_argument("--job-name", default="oncosweep-worker",
                       help="SLURM job name of the workers (default oncosweep-worker)")
    group.add_argument("--job-log-dir", default="slurm-logs",
                       help="directory of the jobs' output, JOB_NAME-JOBID.out/.err (default "
                       "slurm-logs)")


def _slurm_cluster(args: argparse.Namespace):  # noqa: ANN202
    """(SlurmOptions or None, threads per unit) of ``sweep``; prints the cluster line."""
    if args.cluster != "slurm":
        return None, args.threads
    if args.workers is not None:
        raise UserError("--workers is for the embedded cluster; with --cluster slurm give "
                        "--jobs and --job-cores")
    import importlib.util  # noqa: PLC0415

    from oncosweep.distributed.slurm import SlurmOptions, describe  # noqa: PLC0415

    if importlib.util.find_spec("dask_jobqueue") is None:
        raise UserError('--cluster slurm needs dask-jobqueue: pip install "oncosweep[slurm]"')
    options = SlurmOptions(jobs=args.jobs, cores=args.job_cores, memory=args.job_memory,
                           partition=args.partition, account=args.account,
                           walltime=args.walltime, job_name=args.job_name,
                           log_directory=args.job_log_dir)
    print(describe(options), flush=True)
    return options, 1 if args.threads is None else args.threads


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an argument error already reported
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "schema":
            from oncosweep.scenario import Scenario  # noqa: PLC0415

            print(json.dumps(Scenario.json_schema(), indent=2))
            return EXIT_OK
        if args.command == "validate":
            return _validate(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "info":
            return _info(args)
        if args.command == "report":
            return _report(args)
    except UserError as exc:
        print(f"oncosweep: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ArithmeticError, MemoryError, RecursionError) as exc:
        # Input the boundary should have refused: still one line and exit 2, never a traceback
        # (naming the failure so that it can be reported and the missing check added).
        print(f"oncosweep: error: the input drives the computation out of range "
              f"({type(exc).__name__}: {' '.join(str(exc).split())})", file=sys.stderr)
        return EXIT_USAGE
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


class UserError(Exception):
    """A problem with the user's input, reported as one line with exit code 2."""


def _run(args: argparse.Namespace) -> int:
    from oncosweep.analysis.summary import summarize  # noqa: PLC0415
    from oncosweep.api import simulate  # noqa: PLC0415
    from oncosweep.distributed.store import StoreExistsError, write_dataset  # noqa: PLC0415
    from oncosweep.scenario import Scenario, ScenarioError  # noqa: PLC0415

    try:
        scenario = Scenario.from_yaml(args.config)
    except ScenarioError as exc:
        raise UserError(f"{args.config}: {exc}") from None
    from pathlib import Path  # noqa: PLC0415

    if Path(args.output).exists() and not args.overwrite:
        raise UserError(f"{args.output} exists; pass --overwrite to replace it")
    from oncosweep.gpu_engine.backend import resolve_backend  # noqa: PLC0415

    try:
        chosen = resolve_backend(args.backend, threads=args.threads)
        if not args.quiet:
            print(chosen.line(), flush=True)
        ds = simulate(scenario, realizations=args.realizations, seed=args.seed,
                      start=args.start, backend=chosen.name, threads=chosen.threads or None,
                      progress=not args.quiet)
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


def _sweep(args: argparse.Namespace) -> int:
    from oncosweep.distributed.sweep import (  # noqa: PLC0415
        SweepError,
        SweepFailedError,
        run_sweep,
    )
    from oncosweep.scenario import Scenario, ScenarioError  # noqa: PLC0415

    try:
        scenario = Scenario.from_yaml(args.config)
    except ScenarioError as exc:
        raise UserError(f"{args.config}: {exc}") from None
    from oncosweep.distributed.sweep import sweep_backend  # noqa: PLC0415

    slurm, threads = _slurm_cluster(args)
    try:
        chosen = sweep_backend(args.backend,
                               external=bool(args.scheduler or args.scheduler_file or slurm),
                               workers=args.workers, threads=threads)
    except RuntimeError as exc:  # SweepError too
        raise UserError(str(exc)) from None
    print(chosen.line, flush=True)
    try:
        summary = run_sweep(scenario, args.output, workers=args.workers,
                            scheduler=args.scheduler, scheduler_file=args.scheduler_file,
                            overwrite=args.overwrite, retries=args.retries,
                            backend=args.backend, threads=threads,
                            progress=False if args.quiet else None,
                            cluster=args.cluster, cluster_options=slurm,
                            verify=not args.no_verify, wait=args.wait,
                            break_lock=args.break_lock,
                            scheduler_timeout=args.scheduler_timeout,
                            dashboard=args.dashboard,
                            note=lambda text: print(text, flush=True))
    except SweepFailedError as exc:  # part way: what is done is kept
        print(f"oncosweep: error: {exc}", file=sys.stderr)
        return 1
    except SweepError as exc:
        raise UserError(str(exc)) from None
    busy = summary.simulate_seconds + summary.write_seconds
    share = summary.write_seconds / busy if busy else 0.0
    repaired = f" (of them {len(summary.repaired)} damaged)" if summary.repaired else ""
    print(f"sweep: {summary.units} units, {summary.skipped} already done, computed "
          f"{summary.computed}{repaired} in {summary.seconds:.1f} s (writing "
          f"{100 * share:.1f} % of worker time)")
    print(f"results: {args.output}  (oncosweep.open_results({args.output!r}))")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from oncosweep.distributed.sweep_store import (  # noqa: PLC0415
        open_store,
        plan_of,
        unit_label,
        verify_store,
    )

    plan = plan_of(_open(args.store, open_store))
    report = _open(args.store, verify_store)
    for unit in report.unfinished:
        print(f"unfinished: {unit_label(plan, unit)}")
    for unit in report.corrupt:
        print(f"damaged: {unit_label(plan, unit)}: {report.damaged[unit]}")
    print(f"{report.units - len(report.unfinished) - len(report.corrupt)} of {report.units} "
          f"units done and intact")
    if report.damaged:
        print(f"run the same `oncosweep sweep CONFIG -o {args.store}` command again to compute "
              "the damaged and unfinished units")
    return EXIT_OK if report.ok else 1


def _info(args: argparse.Namespace) -> int:
    from oncosweep.distributed.sweep_store import done_units, open_store, plan_of  # noqa: PLC0415

    ds = _open(args.store, open_store)
    plan = _open(args.store, lambda store: plan_of(ds))
    done = len(done_units(args.store, plan))
    print(f"store        {args.store} ({ds.attrs.get('format')})")
    for axis in plan.axes:
        kind = " (strategy)" if axis.is_strategy else ""
        print(f"axis         {axis.name}{kind}: {', '.join(str(v) for v in axis.values)}")
    print(f"realizations {plan.realizations} per grid point, chunks of {plan.chunk}, seed "
          f"{plan.seed}")
    print(f"progress     {done} of {len(plan.units())} units done")
    print(f"config hash  {plan.config_hash}")
    print(f"versions     oncosweep {ds.attrs.get('oncosweep_version')}, rng "
          f"{ds.attrs.get('rng_scheme')}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    from oncosweep.analysis.report import build_report  # noqa: PLC0415

    if not Path(args.store).exists():
        raise UserError(f"{args.store}: no such store")
    _refuse_damaged(args.store)
    try:
        path = build_report(args.store, output=args.output, metric=args.metric,
                            criterion=args.criterion, alpha=args.alpha, tau=args.tau,
                            realization=args.realization)
    except (FileNotFoundError, ValueError, TypeError) as exc:
        raise UserError(str(exc).removeprefix("source: ")) from None
    except OSError as exc:
        raise UserError(f"{args.output}: cannot write the report ({exc.strerror or exc})"
                        ) from None
    print(path)
    return EXIT_OK


def _refuse_damaged(store: str) -> None:
    """A sweep store with damaged units is refused (its data would read as fill values)."""
    from oncosweep.distributed.sweep import StoreDamagedError, open_results  # noqa: PLC0415

    try:
        with _quiet_zarr_notice():
            open_results(store)
    except StoreDamagedError as exc:
        raise UserError(f"{exc}") from None
    except Exception:  # noqa: BLE001, S110 - not a sweep store: the report says what it is
        pass


def _quiet_zarr_notice():  # noqa: ANN202
    from oncosweep.distributed.store import quiet_zarr  # noqa: PLC0415

    return quiet_zarr()


def _open(store: str, reader):  # noqa: ANN001, ANN202
    from pathlib import Path  # noqa: PLC0415

    if not Path(store).exists():
        raise UserError(f"{store}: no such store")
    try:
        return reader(store)
    except Exception as exc:  # noqa: BLE001 - whatever it is, it is not a readable store
        text = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise UserError(f"{store}: not an oncosweep sweep store ({text})") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}"
                                         ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _validate(args: argparse.Namespace) -> int:
    from oncosweep import validation  # noqa: PLC0415

    seed = validation.DEFAULT_SEED if args.seed is None else args.seed
    if args.convergence:
        from oncosweep.validation.convergence import select_cases  # noqa: PLC0415

        try:
            select_cases(args.case)
        except KeyError as exc:
            raise UserError(exc.args[0]) from None
        return validation.convergence_main(quick=args.quick, names=args.case, seed=seed,
                                           backend=args.backend)
    try:
        cases = validation.select(args.case)
    except KeyError as exc:
        raise UserError(exc.args[0]) from None
    return validation.main(quick=args.quick, cases=cases, seed=seed)


def _positive_int(text: str) -> int:
    from oncosweep.limits import MAX_REALIZATION_INDEX  # noqa: PLC0415

    return _bounded_int(text, 1, MAX_REALIZATION_INDEX)


def _non_negative_int(text: str) -> int:
    from oncosweep.limits import MAX_REALIZATION_INDEX  # noqa: PLC0415

    return _bounded_int(text, 0, MAX_REALIZATION_INDEX)


def _threads(text: str) -> int:
    from oncosweep.gpu_engine.cpu_engine import MAX_THREADS  # noqa: PLC0415

    return _bounded_int(text, 1, MAX_THREADS)


def _seed(text: str) -> int:
    return _bounded_int(text, 0, 2**32 - 1)


def _bounded_int(text: str, low: int, high: int) -> int:
    shown = repr(text) if len(text) <= 40 else repr(text[:37]) + "..."
    if not text.strip().lstrip("+-").isascii() or len(text) > 40:  # int() reads '٣', '1_0'
        raise argparse.ArgumentTypeError(f"must be an integer, got {shown}")
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {shown}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be in [{low}, {high}], got {value}")
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
