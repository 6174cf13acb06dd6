"""``BAD_CONFIGS`` cases that break the file as a whole: YAML syntax, a duplicate key, a top level
that is not a mapping, an empty file."""

from __future__ import annotations

from bad_configs_edits import Edit

_YAML_SYNTAX_ERROR = """\
name: broken
tumour:
  initial_cells: 10
  birth_rate: [0.25
  death_rate: 0.18
"""
_DUPLICATE_KEY = """\
tumour:
  initial_cells: 10
  detection_size: 1.0e9
  birth_rate: 0.25
  death_rate: 0.18
  birth_rate: 0.3
simulation:
  dt: 0.1
"""


YAML_CASES: list[tuple[str, Edit, str]] = [
    # the file as a whole
    ("yaml_syntax_error", _YAML_SYNTAX_ERROR, "<yaml>"),
    ("yaml_duplicate_key", _DUPLICATE_KEY, "<yaml>"),
    ("top_level_list", "- tumour\n- simulation\n", "<root>"),
    ("top_level_scalar", "just some text\n", "<root>"),
    ("empty_file", "", "<root>"),
]
