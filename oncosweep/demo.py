"""``make demo``: the quickstart sweep (its ``sweep`` section's grid) on an embedded Dask
cluster into a zarr store; prints a summary and where the results are, then writes the HTML
report of the store and ends with its path."""

from __future__ import annotations

import sys
from pathlib import Path

from oncosweep.cli import main as cli_main

CONFIG = Path("configs/quickstart.yaml")
OUTPUT = Path("results/quickstart_sweep.zarr")
REPORT = Path("results/quickstart_report.html")


def _grid() -> str:
    """The sweep's grid in words, read from the config (e.g. "strategy 4 x
    tumour.detection_size 3")."""
    import yaml  # noqa: PLC0415

    axes = (yaml.safe_load(CONFIG.read_text()).get("sweep") or {}).get("axes") or {}
    return " x ".join(f"{name} {len(values)}" for name, values in axes.items()) or "one point"


def main() -> int:
    print(f"oncosweep demo: the sweep of {CONFIG} ({_grid()})")
    status = cli_main(["sweep", str(CONFIG), "-o", str(OUTPUT), "--overwrite"])
    if status != 0:
        return status
    from oncosweep.analysis.report import build_report  # noqa: PLC0415
    from oncosweep.analysis.summary import summarize_sweep  # noqa: PLC0415
    from oncosweep.distributed.sweep import open_results  # noqa: PLC0415

    print(summarize_sweep(open_results(OUTPUT)))
    print(f"open the results in Python:  oncosweep.open_results({str(OUTPUT)!r})")
    report = build_report(OUTPUT, output=REPORT)
    print(f"report (open in a browser):  {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
