"""The glibc allocator tuning is opt-out and never changes results."""

from __future__ import annotations

import subprocess
import sys

CHECK = "from oncosweep.gpu_engine.allocator import tune_allocator; print(tune_allocator())"


def test_opt_out_leaves_the_allocator_alone() -> None:
    env = {"ONCOSWEEP_MALLOPT": "0", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_tuning_is_applied_once_and_reports_a_bool() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK + "; print(tune_allocator())"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.split()
    assert first == second and first in {"True", "False"}
    if sys.platform.startswith("linux"):
        import ctypes.util

        if ctypes.util.find_library("c") == "libc.so.6":
            assert first == "True"
