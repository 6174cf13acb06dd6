"""The clinical endpoints of the analysis layer on constructed data, by hand: each one's event,
time and censoring rule (analysis/_data.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
import yaml

from oncosweep.analysis import _data

HORIZON = 1000.0
NAN = math.nan
# realization: what happened (days from treatment start)
#  0: switched at 100, progressed at 300, died at 400
#  1: progressed at 120 (no switch: a one-line strategy's failure), died at 150
#  2: died at 500, nothing else
#  3: switched at 250 (a ctDNA call), nothing else until the horizon
#  4: nothing (alive and progression-free at the horizon)
#  5: never detected (not analysed)
ROWS = {
    "detected": [True, True, True, True, True, False],
    "progressed": [True, True, False, False, False, False],
    "time_to_progression": [300.0, 120.0, NAN, NAN, NAN, NAN],
    "died": [True, True, True, False, False, False],
    "time_to_death": [400.0, 150.0, 500.0, NAN, NAN, NAN],
    "time_to_switch": [100.0, NAN, NAN, 250.0, NAN, NAN],
}
WANT = {  # endpoint -> (time, event) of realizations 0..4 (5 is not analysed)
    "pfs": ([300, 120, 500, HORIZON, HORIZON], [1, 1, 1, 0, 0]),
    "ttp": ([300, 120, 500, HORIZON, HORIZON], [1, 1, 0, 0, 0]),  # censored at death (2)
    "progression": ([300, 120, 500, HORIZON, HORIZON], [1, 1, 0, 0, 0]),
    "os": ([400, 150, 500, HORIZON, HORIZON], [1, 1, 1, 0, 0]),
    "death": ([400, 150, 500, HORIZON, HORIZON], [1, 1, 1, 0, 0]),
    "ttf": ([100, 120, 500, 250, HORIZON], [1, 1, 1, 1, 0]),
}


def _dataset() -> xr.Dataset:
    data = {name: ("realization", np.asarray(values)) for name, values in ROWS.items()}
    return xr.Dataset(data, coords={"realization": np.arange(6)},
                      attrs={"scenario": yaml.safe_dump({"simulation": {"horizon": HORIZON}})})


@pytest.mark.parametrize("endpoint", sorted(WANT))
def test_endpoint_by_hand(endpoint: str) -> None:
    data = _data.endpoint_data(_dataset(), endpoint)
    time, event = WANT[endpoint]
    assert data.detected.tolist() == ROWS["detected"]
    np.testing.assert_array_equal(data.time[:5], time)
    assert data.event[:5].astype(int).tolist() == event


def test_second_line_pfs_starts_at_the_switch_and_takes_only_switched_tumours() -> None:
    data = _data.endpoint_data(_dataset(), "pfs2")
    # 0: switched at 100, progressed at 300: 200 days, event; 3: switched at 250, censored at
    # the horizon: 750 days; the others never switched and are not analysed
    assert data.detected.tolist() == [True, False, False, True, False, False]
    assert (data.time[0], data.time[3]) == (200.0, 750.0)
    assert (bool(data.event[0]), bool(data.event[3])) == (True, False)


def test_an_endpoint_that_needs_the_switch_time_names_it() -> None:
    ds = _dataset().drop_vars("time_to_switch")
    with pytest.raises(ValueError, match="time_to_switch"):
        _data.endpoint_data(ds, "ttf")
    assert _data.endpoint_data(ds, "pfs").event.sum() == 3


def test_loci_at_progression_by_hand() -> None:
    from oncosweep.analysis import loci_at_progression

    types = ["wt/proliferating", "T790M/proliferating", "METamp/proliferating",
             "T790M+METamp/proliferating"]
    cells = np.array([
        [0, 900, 100, 0],    # T790M 90 %, METamp 10 %: both count at share 0.1
        [950, 50, 0, 0],     # T790M 5 %: below 0.1
        [0, 0, 0, 0],        # never progressed: not counted
        [0, 0, 400, 600],    # METamp 100 %, T790M 60 %
    ])
    ds = xr.Dataset({"cells_at_progression": (("realization", "cell_type"), cells),
                     "detected": ("realization", np.ones(4, bool))},
                    coords={"cell_type": types})
    out = loci_at_progression(ds, share=0.1)
    assert out["locus"].values.tolist() == ["T790M", "METamp"]
    assert int(out["n"]) == 3
    assert out["positive"].values.tolist() == [2, 2]
    np.testing.assert_allclose(out["fraction"].values, [2 / 3, 2 / 3])
    with pytest.raises(ValueError, match="share"):
        loci_at_progression(ds, share=0.0)
