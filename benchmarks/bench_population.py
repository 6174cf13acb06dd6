"""The cost of a virtual patient population on the ``cpu`` backend (issue 15).

For each config, the same realizations 0 .. R - 1 run on the compiled engine
(``cpu_engine.run_cpu``) twice, best of ``--repeats`` calls, interleaved:

* ``population``: the config as written, its parameters drawn per realization (one packed
  parameter block per realization, formed on the host before the launch);
* ``homogeneous``: the same scenario at its reference values (every distribution replaced by
  its median: ``population: null``), one shared block.

Reported: wall seconds, realization-steps (the engine's ``lane_steps``: a population's tumours
grow at their own rates, so they take a different number of steps), seconds per
realization-step, the ratios population / homogeneous of both (target: wall <= 1.2), and the
host time of the per-realization blocks (``population.population_blocks``) alone.

Configs: ``quickstart`` (its own population; the ``continuous`` strategy) and
``quickstart`` with only the imaging noise varying (``imaging_only``: the tumours are the
same as in the homogeneous run, so the ratio isolates the cost of the per-realization blocks).

    python benchmarks/bench_population.py [--quick] [--realizations 2000] [--output PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from oncosweep import Scenario, compile_scenario  # noqa: E402
from oncosweep.gpu_engine import cpu_engine  # noqa: E402
from oncosweep.gpu_engine.layout import pack_model  # noqa: E402
from oncosweep.gpu_engine.population import population_blocks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "bench_population.json"
SEED = 20261202
STRATEGY = "continuous"


def scenarios() -> dict[str, Scenario]:
    """name -> the population scenario of each benchmarked case."""
    quickstart = Scenario.from_yaml(ROOT / "configs" / "quickstart.yaml")
    data = yaml.safe_load((ROOT / "configs" / "quickstart.yaml").read_text())
    data.pop("sweep", None)
    flat = yaml.safe_load(homogeneous(quickstart).to_yaml())
    flat["monitoring"]["imaging"]["cv"] = {"distribution": "uniform", "low": 0.05,
                                           "high": 0.3}
    return {"quickstart": quickstart, "imaging_only": Scenario.from_dict(flat)}


def homogeneous(scenario: Scenario) -> Scenario:
    """The scenario at its reference values: every patient alike."""
    return scenario.at_reference().model_copy(update={"sweep": None})


def timed(model: Any, realizations: int, threads: int) -> tuple[float, int]:
    began = time.perf_counter()
    result = cpu_engine.run_cpu(model, realizations=realizations, seed=SEED, threads=threads)
    return time.perf_counter() - began, int(result.stats["lane_steps"])


def measure(scenario: Scenario, realizations: int, repeats: int,
            threads: Sequence[int]) -> list[dict[str, Any]]:
    population = compile_scenario(scenario, STRATEGY)
    plain = compile_scenario(homogeneous(scenario), STRATEGY)
    if population.population is None:
        raise SystemExit("bench_population: the scenario has no population")
    packed = pack_model(population)
    began = time.perf_counter()
    population_blocks(population, packed, SEED, 0, realizations)
    blocks_seconds = time.perf_counter() - began
    rows = []
    for n_threads in threads:
        best: dict[str, tuple[float, int]] = {}
        for _ in range(repeats):
            for name, model in (("homogeneous", plain), ("population", population)):
                seconds, steps = timed(model, realizations, n_threads)
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, steps)
        (hom_s, hom_steps), (pop_s, pop_steps) = best["homogeneous"], best["population"]
        rows.append({
            "threads": n_threads, "realizations": realizations,
            "homogeneous_seconds": hom_s, "population_seconds": pop_s,
            "homogeneous_lane_steps": hom_steps, "population_lane_steps": pop_steps,
            "wall_ratio": pop_s / hom_s,
            "per_step_ratio": (pop_s / pop_steps) / (hom_s / hom_steps),
            "blocks_seconds": blocks_seconds,
            "blocks_us_per_realization": 1e6 * blocks_seconds / realizations,
        })
    return rows


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts (a smoke test)")
    parser.add_argument("--realizations", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    realizations, repeats = (40, 1) if args.quick else (args.realizations, args.repeats)
    cores = cpu_engine.default_threads()
    threads = sorted({1, cores})
    cases = {name: measure(s, realizations, repeats, threads)
             for name, s in scenarios().items()}
    for name, rows in cases.items():
        for row in rows:
            print(f"{name:13s} {row['threads']} thr: homogeneous {row['homogeneous_seconds']:.3f}"
                  f" s, population {row['population_seconds']:.3f} s, wall x"
                  f"{row['wall_ratio']:.3f}, per step x{row['per_step_ratio']:.3f}, blocks "
                  f"{row['blocks_us_per_realization']:.0f} us/realization")
    result = {"quick": bool(args.quick),
              "strategy": STRATEGY, "seed": SEED, "repeats": repeats, "cases": cases,
              "threads_available": cores}
    write_result("bench_population", result, str(args.output))
    return {"benchmark": "bench_population", **result}


if __name__ == "__main__":
    main()
