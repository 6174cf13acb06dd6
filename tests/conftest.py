"""Test-session set-up that must happen before numpy is imported.

numpy's AVX-512 loops (its own ``exp``/``log`` and Intel's SVML for ``expm1``, ``log1p``,
``pow``, ...) round the last bit differently from glibc's libm, which the host build of the
CUDA source (the ``cpu`` backend) calls. On a machine with AVX-512 the numpy reference engine
and the compiled engines would then differ by an ulp in values formed through those functions
(for example the pharmacokinetic nodes behind ``drug_exposure``), and the bit-for-bit ties
between them (docs/rng.md section 5) could not be checked. numpy reads
``NPY_DISABLE_CPU_FEATURES`` once, when it is first imported, so this conftest turns the
AVX-512 dispatch targets off for the test session by setting the variable before numpy is
imported; pytest-xdist's workers inherit it. A value the user set is kept. zarr's pytest plugin
would import numpy before any conftest, so ``addopts`` in pyproject.toml switches it off
(``-p no:zarr``; the suite uses none of its fixtures); should another plugin import numpy
first on an AVX-512 machine, the session stops with a message saying what to set.
"""

from __future__ import annotations

import os
import subprocess
import sys

_LIST_DISPATCH = (
    "try:\n"
    "    from numpy._core import _multiarray_umath as m\n"
    "except ImportError:\n"
    "    from numpy.core import _multiarray_umath as m\n"
    "print(' '.join(m.__cpu_dispatch__))\n"
)


def _avx512(names: list[str]) -> list[str]:
    """The AVX-512 targets among numpy's dispatch targets (their names differ between numpy
    versions: ``X86_V4``/``AVX512_*`` from 2.4, ``AVX512F``/``AVX512_SKX``/... before)."""
    return [n for n in names if "512" in n or n == "X86_V4"]


def _dispatch_targets() -> list[str]:
    """numpy's dispatch targets, read in a child process (this one must not import numpy)."""
    return subprocess.run([sys.executable, "-c", _LIST_DISPATCH], capture_output=True,
                          text=True, check=True, timeout=60).stdout.split()


def _active_avx512_in_this_process() -> bool:
    """numpy is imported here already (a pytest plugin imported it before any
    conftest): are any of its AVX-512 dispatch targets switched on?"""
    try:
        from numpy._core import _multiarray_umath as m  # noqa: PLC0415
    except ImportError:  # numpy < 2
        from numpy.core import _multiarray_umath as m  # noqa: PLC0415
    return any(m.__cpu_features__.get(n, False) for n in _avx512(list(m.__cpu_dispatch__)))


if "NPY_DISABLE_CPU_FEATURES" not in os.environ:
    if "numpy" not in sys.modules:
        os.environ["NPY_DISABLE_CPU_FEATURES"] = " ".join(_avx512(_dispatch_targets()))
    elif _active_avx512_in_this_process():
        import pytest  # noqa: PLC0415

        pytest.exit("numpy was imported (by a pytest plugin) before tests/conftest.py could "
                    "switch off its AVX-512 loops, which round exp/log differently from the "
                    "compiled engines; run with NPY_DISABLE_CPU_FEATURES set, e.g. "
                    "NPY_DISABLE_CPU_FEATURES='X86_V4 AVX512_ICL AVX512_SPR' with numpy 2.4",
                    returncode=4)
