"""``make demo``: run the quickstart scenario, print a summary and where the results are."""

from __future__ import annotations

import sys
from pathlib import Path

from oncosweep.cli import main as cli_main

CONFIG = Path("configs/quickstart.yaml")
OUTPUT = Path("results/quickstart.zarr")
REALIZATIONS = 1000
SEED = 20261121


def main() -> int:
    print(f"oncosweep demo: {REALIZATIONS} realizations of {CONFIG} (seed {SEED})")
    status = cli_main(["run", str(CONFIG), "-o", str(OUTPUT), "-n", str(REALIZATIONS),
                       "--seed", str(SEED), "--overwrite"])
    if status == 0:
        print(f"open the results in Python:  xarray.open_zarr({str(OUTPUT)!r})")
    return status


if __name__ == "__main__":
    sys.exit(main())
