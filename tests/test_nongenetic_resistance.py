"""Non-genetic routes to survival: drug-tolerant persisters and a sanctuary compartment.

Fixed seeds; the comparisons are between proportions of cured tumours with a two-proportion
z statistic above 5 (or all/none cured where the biology makes that certain).
"""

from __future__ import annotations

import copy
import math

from oncosweep import Scenario, simulate

KILL_DRUG = {"name": "killer", "mode": "kill", "emax": 1.0, "ic50": 0.1, "hill": 1.0,
             "half_life": 0.5, "dosing": {"infusion": 10.0}}
BASE = {
    "tumour": {"detection_size": 2000, "birth_rate": 0.3, "death_rate": 0.1},
    "simulation": {"dt": 0.1, "horizon": 60.0},
    "drugs": [KILL_DRUG],
    "regimens": [{"name": "mono", "drugs": ["killer"]}],
    "treatment": {"regimen": "mono"},
}


def cure_fraction(config: dict, n: int = 200) -> float:
    return float(simulate(Scenario.from_dict(config), realizations=n, seed=42).cured.mean())


def test_persister_rich_tumour_survives_a_drug_that_clears_a_persister_free_one() -> None:
    with_persisters = copy.deepcopy(BASE)
    with_persisters["tumour"]["phenotypes"] = [
        {"name": "proliferating"},
        {"name": "persister", "birth_factor": 0.01, "death_factor": 0.1,
         "drug_effect_factor": 0.0},
    ]
    with_persisters["tumour"]["switching"] = [
        {"from": "proliferating", "to": "persister", "rate": 0.01, "rate_on_drug": 0.05},
        {"from": "persister", "to": "proliferating", "rate": 0.005},
    ]
    assert cure_fraction(BASE) == 1.0
    assert cure_fraction(with_persisters) == 0.0


def test_sanctuary_lowers_the_cure_probability() -> None:
    drug = dict(KILL_DRUG, emax=0.6, ic50=1.0)
    plain = copy.deepcopy(BASE)
    plain["drugs"] = [drug]
    plain["simulation"]["horizon"] = 100.0
    sanctuary = copy.deepcopy(plain)
    sanctuary["tumour"]["compartments"] = [{"name": "bulk"},
                                           {"name": "sanctuary", "drug_penetration": 0.05}]
    sanctuary["tumour"]["migration"] = [{"from": "bulk", "to": "sanctuary", "rate": 0.01},
                                        {"from": "sanctuary", "to": "bulk", "rate": 0.01}]
    n = 200
    p_plain, p_sanctuary = cure_fraction(plain, n), cure_fraction(sanctuary, n)
    pooled = (p_plain + p_sanctuary) / 2
    z = (p_plain - p_sanctuary) / math.sqrt(2 * pooled * (1 - pooled) / n)
    assert z > 5, (p_plain, p_sanctuary, z)
