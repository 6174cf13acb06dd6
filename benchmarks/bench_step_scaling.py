"""Cost of one engine step versus tumour size: 1e3 cells against 1e12 cells per realization,
with the same cell types all occupied, in one run. Binomials with large n cost the same as
with small n (BTRS is O(1) in n), so the ratio should stay near 1 (target <= 2).

Uses configs/bozic2013_dual.yaml (8 cell types, 2 drugs, highest single agent) under
treatment: drug concentrations at steady state.

    python benchmarks/bench_step_scaling.py [--lanes 4096] [--steps 40]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from oncosweep import Scenario, compile_scenario  # noqa: E402
from oncosweep.gpu_engine.allocator import tune_allocator  # noqa: E402
from oncosweep.gpu_engine.step import DeviceModel, branching_step  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def time_steps(model, dm, total: float, lanes: int, steps: int) -> float:
    """Median seconds per step with every cell type holding total / T cells per lane."""
    share = max(int(total // model.n_types), 1)
    counts = np.full((lanes, model.n_types), share, dtype=np.int64)
    real = np.arange(lanes, dtype=np.uint64)
    infusion = model.regimen_infusion[model.lines[0]]  # the strategy's first regimen
    steady = infusion / (np.log(2.0) / model.half_life)  # infusion steady state R / k
    conc = np.tile(steady, (lanes, 1))
    times = []
    for step in range(steps):
        t = time.perf_counter()
        branching_step(np, dm, counts, real, (1, 0), step, conc, None)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs/bozic2013_dual.yaml"))
    parser.add_argument("--lanes", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    tune_allocator()
    model = compile_scenario(Scenario.from_yaml(args.config))
    dm = DeviceModel.from_model(model, np)
    time_steps(model, dm, 1e3, args.lanes, 3)  # warm-up
    small = time_steps(model, dm, 1e3, args.lanes, args.steps)
    large = time_steps(model, dm, 1e12, args.lanes, args.steps)
    out = {
        "config": str(Path(args.config).resolve().relative_to(ROOT)),
        "lanes": args.lanes,
        "cell_types": model.n_types,
        "steps_timed": args.steps,
        "seconds_per_step_1e3_cells": small,
        "seconds_per_step_1e12_cells": large,
        "ratio_1e12_over_1e3": large / small,
        "target_ratio_at_most": 2.0,
    }
    print(f"per step: 1e3 cells {1e3 * small:.2f} ms, 1e12 cells {1e3 * large:.2f} ms, "
          f"ratio {large / small:.2f} ({args.lanes} realizations x {model.n_types} types)")
    print(f"written to {write_result('bench_step_scaling', out, args.output)}")
    return out


if __name__ == "__main__":
    main()
