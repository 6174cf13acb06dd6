"""A valid scenario and a catalogue of broken variants, shared by the schema and CLI tests.

``BAD_CONFIGS`` holds ``(case id, edit, expected path)``. An edit is one of

* a callable that modifies a deep copy of ``VALID_CONFIG`` in place;
* a dict ``{"dotted.path.0.key": value}`` of assignments to a deep copy of ``VALID_CONFIG``
  (list indices as numbers; the value ``DELETE`` removes the key);
* a str: the raw text of the YAML file (syntax errors, empty files, ...).

Use :func:`config_for` / :func:`yaml_text_for` to turn an edit into a dict or YAML text. The
expected path is the path of the first reported problem, e.g. ``tumour.loci[1].mutation_rate``.

The cases are kept by section: bad_configs_core.py (``VALID_CONFIG`` fields),
bad_configs_therapy.py, bad_configs_strategies.py, bad_configs_sweep.py and bad_configs_yaml.py
(the file as a whole), in that order; the valid scenarios are in bad_configs_valid.py and the
edits in bad_configs_edits.py. Tests import them all from here.
"""

from __future__ import annotations

from bad_configs_core import CORE_CASES
from bad_configs_edits import DELETE, Edit, config_for, yaml_text_for
from bad_configs_strategies import STRATEGY_CASES
from bad_configs_sweep import SWEEP_CASES
from bad_configs_therapy import THERAPY_CASES
from bad_configs_valid import STRATEGY_CONFIG, THERAPY_CONFIG, VALID_CONFIG
from bad_configs_yaml import YAML_CASES

__all__ = [
    "BAD_CONFIGS",
    "DELETE",
    "STRATEGY_CONFIG",
    "THERAPY_CONFIG",
    "VALID_CONFIG",
    "Edit",
    "config_for",
    "yaml_text_for",
]

BAD_CONFIGS: list[tuple[str, Edit, str]] = [
    *CORE_CASES,
    *THERAPY_CASES,
    *STRATEGY_CASES,
    *SWEEP_CASES,
    *YAML_CASES,
]
