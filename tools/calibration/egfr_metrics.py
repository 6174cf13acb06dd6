"""Trial endpoints of a scenario, the figures configs/quickstart.yaml was calibrated to
(issue 16; tests/test_quickstart_trials.py asserts them).

    .venv/bin/python tools/calibration/egfr_metrics.py configs/quickstart.yaml [REALIZATIONS]

Runs CONFIG on the cpu backend (seed 7) and prints, per strategy: median progression-free
survival (months), objective response rate (confirmed CR or PR, RECIST 1.1), cure by the
horizon, median overall survival and the ctDNA lead time (median, interquartile range); for
``continuous`` the share of progressions carrying each locus (>= 10 % of the cells); for
``sequential`` the second-line PFS of tumours T790M-positive at their first progression
(AURA3's population). Targets (issue 16): PFS 8.4-12.3 months, ORR 60-85 %, T790M in 45-75 %
of progressions, second-line PFS 8-13 months, < 1 % cured at five years, ctDNA lead IQR >
one visit interval.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from oncosweep import Scenario, simulate
from oncosweep.analysis import (
    carries_at_progression,
    loci_at_progression,
    median_survival,
    survival_table,
)
from oncosweep.analysis._data import endpoint_data

MONTH = 30.44  # days


def main(config: str, realizations: int) -> None:
    started = time.perf_counter()
    ds = simulate(Scenario.from_yaml(config), realizations=realizations, seed=7,
                  backend="cpu", progress=False)
    print(f"{time.perf_counter() - started:.1f} s, {realizations} realizations")
    pfs = survival_table(ds, endpoint="pfs")
    os_ = survival_table(ds, endpoint="os")
    for name in ds["strategy"].values:
        one = ds.sel(strategy=name)
        detected = one["detected"].values
        best = one["best_response"].values[detected]
        lead = one["ctdna_lead_time"].values[detected]
        lead = lead[np.isfinite(lead)]
        iqr = np.subtract(*np.percentile(lead, [75, 25])) if lead.size > 3 else np.nan
        print(f"{name:12s} PFS {float(pfs.sel(strategy=name)['median']) / MONTH:5.1f} mo  "
              f"ORR {np.isin(best, [1, 2]).mean():.2f}  CR {(best == 1).mean():.2f}  "
              f"cured {one['cured'].values[detected].mean():.3f}  "
              f"OS {float(os_.sel(strategy=name)['median']) / MONTH:5.1f} mo  ctDNA lead "
              f"median {np.median(lead) if lead.size else np.nan:.0f} d, IQR {iqr:.0f} d")
    loci = loci_at_progression(ds.sel(strategy="continuous"))
    shares = ", ".join(f"{locus} {share:.2f}" for locus, share in
                       zip(loci["locus"].values, loci["fraction"].values, strict=True))
    print(f"continuous: loci at progression ({int(loci['n'])} progressions): {shares}")
    sequential = ds.sel(strategy="sequential")
    second = endpoint_data(sequential, "pfs2")
    keep = second.detected & carries_at_progression(sequential, "T790M", share=0.1).values
    median = median_survival(second.time[keep], second.event[keep]).value
    print(f"sequential: second-line PFS after T790M ({int(keep.sum())} tumours): "
          f"{median / MONTH:.1f} mo")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300)
