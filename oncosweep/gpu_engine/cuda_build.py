"""Building the CUDA C++ sources of ``oncosweep/gpu_engine/cuda/`` three ways.

* **NVRTC through CuPy** (the GPU path): :func:`load_module` compiles one ``.cu`` file with
  :data:`NVRTC_OPTIONS` into a ``cupy.RawModule``.
* **A host C++ compiler** (the ``cpu`` backend and the CPU tests): every per-realization
  function is ``OS_HD inline`` (``compat.cuh``), so the same source builds for the CPU with
  ``g++ -x c++``; :func:`build_host_library` makes a shared library that ``ctypes`` loads (cached
  on disk, built under a file lock): ``cpu_engine`` runs the whole simulation from it on
  threads, and ``tests/test_cuda_samplers_host.py`` compares the samplers draw for draw with
  numpy.
* **nvcc** (the compile test): :func:`compile_with_nvcc`.

All three build without fused multiply-add contraction (``--fmad=false`` on the device,
``-ffp-contract=off`` on the host): the numpy engine rounds after every operation, and the
kernels reproduce its draws bit for bit only with the same rounding (docs/rng.md section 5).

Imports with numpy alone; cupy is imported by the caller and passed in (``load_module``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

CUDA_DIR = Path(__file__).resolve().parent / "cuda"
"""The folder of the CUDA sources (``*.cu`` kernels and ``*.cuh`` headers)."""

SOURCE_SUFFIXES = (".cu", ".cuh")

NVRTC_OPTIONS: tuple[str, ...] = ("--fmad=false", "-std=c++17", f"-I{CUDA_DIR}")
"""NVRTC options of every kernel: no FMA contraction (bit-for-bit agreement with numpy), C++17,
and the source folder on the include path. CuPy adds the ``-arch`` of the current device."""

HOST_CXX_FLAGS: tuple[str, ...] = (
    "-O2",
    "-std=c++17",
    "-ffp-contract=off",  # no a * b + c -> fma: numpy rounds after every operation
    "-fno-fast-math",
    "-fPIC",
    "-shared",
    "-pthread",  # the cpu backend runs realizations on std::threads (host_engine.cu)
    "-x",
    "c++",  # .cu files are plain C++ for the host (OS_HD is empty there)
)
"""Host compiler flags of :func:`build_host_library` (before ``-I`` and ``-D`` options)."""

NVCC_FLAGS: tuple[str, ...] = ("--fmad=false", "-std=c++17")
"""nvcc flags of :func:`compile_with_nvcc` (before ``-I`` and the architecture options)."""

HOST_COMPILERS = ("g++", "c++", "clang++")
"""Host compilers looked for on PATH, in order, unless ``ONCOSWEEP_CXX`` names one."""


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def all_sources() -> list[Path]:
    """Every ``.cu`` and ``.cuh`` file of :data:`CUDA_DIR`, sorted by name."""
    return sorted(p for p in CUDA_DIR.iterdir() if p.is_file() and p.suffix in SOURCE_SUFFIXES)


def sources_digest() -> str:
    """SHA-256 (hex) of the names and texts of every file in :func:`all_sources`."""
    h = hashlib.sha256()
    for path in all_sources():
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def source_text(name: str) -> str:
    """The text of ``CUDA_DIR / name``, for NVRTC.

    A first comment line carries :func:`sources_digest`: CuPy's on-disk kernel cache is keyed by
    the code and the options, not by the headers the code includes, so without it an edited
    header would keep serving a stale binary. A ``#line 1`` directive keeps NVRTC's diagnostics
    on the file's own line numbers.
    """
    path = CUDA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no CUDA source {name!r} in {CUDA_DIR}")
    text = path.read_text(encoding="utf-8")
    return f'// oncosweep sources {sources_digest()}\n#line 1 "{name}"\n{text}'


# --------------------------------------------------------------------------------------------
# NVRTC (CuPy)
# --------------------------------------------------------------------------------------------


def load_module(cupy_module: Any, source_name: str, name_expressions: Iterable[str] = ()) -> Any:
    """``cupy.RawModule`` of ``CUDA_DIR / source_name`` compiled by NVRTC with
    :data:`NVRTC_OPTIONS`.

    ``cupy_module`` is the imported ``cupy`` (this module never imports it). ``name_expressions``
    names template instantiations to compile and look up (``RawModule.get_function`` takes the
    same strings); plain ``extern "C"`` kernels need none. Modules are cached per process,
    keyed by the arguments; CuPy itself caches compiled binaries on disk under
    ``CUPY_CACHE_DIR`` (default ``~/.cupy/kernel_cache``), keyed by the code and options, which
    include :func:`sources_digest` (see :func:`source_text`), so a later process skips NVRTC.
    """
    return _load_module(cupy_module, source_name, tuple(name_expressions))


@functools.cache
def _load_module(cupy_module: Any, source_name: str, name_expressions: tuple[str, ...]) -> Any:
    return cupy_module.RawModule(
        code=source_text(source_name),
        options=NVRTC_OPTIONS,
        name_expressions=list(name_expressions) or None,
    )


def nvrtc_library() -> ctypes.CDLL | None:
    """libnvrtc loaded with ctypes, or None: ``$ONCOSWEEP_NVRTC`` (a path), the
    ``nvidia-cuda-nvrtc`` wheel's library, the CUDA toolkit's (``$CUDA_HOME``, ``$CUDA_PATH``,
    ``/usr/local/cuda``) or the system's. Needs no GPU (NVRTC only compiles)."""
    candidates: list[str] = []
    override = os.environ.get("ONCOSWEEP_NVRTC")
    if override:
        candidates.append(override)
    try:
        import nvidia.cuda_nvrtc  # noqa: PLC0415 - optional wheel

        for root in nvidia.cuda_nvrtc.__path__:
            candidates += sorted(str(p) for p in Path(root, "lib").glob("libnvrtc.so*"))
    except ImportError:
        pass
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if root:
            candidates += sorted(str(p) for p in Path(root, "lib64").glob("libnvrtc.so*"))
    found = ctypes.util.find_library("nvrtc")
    if found:
        candidates.append(found)
    for path in candidates:
        if "alt" in Path(path).name:  # libnvrtc.alt.so: the variant without a static libstdc++
            continue
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def compile_with_nvrtc(
    source_name: str,
    *,
    arch: str = "compute_80",
    name_expressions: Iterable[str] = (),
    code: str | None = None,
) -> str:
    """PTX of ``CUDA_DIR / source_name`` compiled by NVRTC through ctypes, with
    :data:`NVRTC_OPTIONS` and ``-arch=ARCH``: the compilation ``load_module`` asks CuPy for,
    without CuPy or a GPU (tests/test_cuda_compile.py). ``code``, if given, is compiled under
    the name ``source_name`` instead of the file (e.g. a stub that includes a header). Raises
    RuntimeError with NVRTC's log when it fails or libnvrtc is not found."""
    lib = nvrtc_library()
    if lib is None:
        raise RuntimeError("libnvrtc not found (set ONCOSWEEP_NVRTC to its path)")
    lib.nvrtcGetErrorString.restype = ctypes.c_char_p
    prog = ctypes.c_void_p()

    def check(status: int, what: str) -> None:
        if status != 0:
            log = ""
            size = ctypes.c_size_t()
            if prog and lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size)) == 0:
                buf = ctypes.create_string_buffer(size.value)
                lib.nvrtcGetProgramLog(prog, buf)
                log = buf.value.decode(errors="replace")
            err = lib.nvrtcGetErrorString(status).decode()
            raise RuntimeError(f"NVRTC {what} failed on {source_name} ({err}):\n{log.strip()}")

    src = (source_text(source_name) if code is None else code).encode()
    check(lib.nvrtcCreateProgram(ctypes.byref(prog), src, source_name.encode(), 0, None, None),
          "create")  # fmt: skip
    try:
        for expr in name_expressions:
            check(lib.nvrtcAddNameExpression(prog, expr.encode()), "add name expression")
        opts = [o.encode() for o in (*NVRTC_OPTIONS, f"-arch={arch}")]
        argv = (ctypes.c_char_p * len(opts))(*opts)
        check(lib.nvrtcCompileProgram(prog, len(opts), argv), "compile")
        size = ctypes.c_size_t()
        check(lib.nvrtcGetPTXSize(prog, ctypes.byref(size)), "PTX size")
        buf = ctypes.create_string_buffer(size.value)
        check(lib.nvrtcGetPTX(prog, buf), "PTX")
        return buf.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


# --------------------------------------------------------------------------------------------
# Host build (ctypes)
# --------------------------------------------------------------------------------------------


def host_compiler() -> str | None:
    """Path of the host C++ compiler: ``$ONCOSWEEP_CXX`` if set (a name on PATH or a path; None
    if it is not found), else the first of :data:`HOST_COMPILERS` on PATH, else None."""
    override = os.environ.get("ONCOSWEEP_CXX")
    if override:
        return shutil.which(override)
    for name in HOST_COMPILERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def build_dir() -> Path:
    """Cache folder of host builds: ``$ONCOSWEEP_BUILD_DIR``, else
    ``~/.cache/oncosweep/host-build`` where it can be created and written, else
    ``<tmp>/oncosweep-<uid>/host-build`` (a read-only or missing home)."""
    override = os.environ.get("ONCOSWEEP_BUILD_DIR")
    if override:
        return Path(override)
    home = Path.home() / ".cache" / "oncosweep" / "host-build"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if os.access(home, os.W_OK | os.X_OK):
            return home
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"oncosweep-{os.getuid()}" / "host-build"


@contextlib.contextmanager
def _build_lock(path: Path):  # noqa: ANN202 - a context manager
    """An exclusive ``flock`` on ``path`` (created if needed): one process builds a library
    while the others (e.g. Dask workers starting together) wait, then find it built."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        except OSError:  # no flock on this file system: the atomic rename still protects
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@functools.cache
def compiler_identity(cxx: str) -> str:
    """``cxx --version`` (first line), so that a compiler upgrade gives a new cache key."""
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise RuntimeError(f"host C++ compiler {cxx!r} cannot be run: {exc}") from exc
    return out.stdout.splitlines()[0] if out.stdout else ""


def build_host_library(source_name: str, *, defines: Iterable[str] = ()) -> ctypes.CDLL:
    """Compile ``CUDA_DIR / source_name`` (or the absolute path ``source_name``: the tests'
    harnesses, which include the package's headers) as host C++ into a shared library and
    load it.

    Command: ``<cxx> -O2 -std=c++17 -ffp-contract=off -fno-fast-math -fPIC -shared -x c++
    -I CUDA_DIR [-D...] -o LIB SOURCE`` with the compiler of :func:`host_compiler`.
    ``defines`` are ``NAME`` or ``NAME=VALUE`` strings. The library goes to :func:`build_dir`
    under a name keyed by a hash of the compiler (path and version), the flags and the text of
    every file in :data:`CUDA_DIR`, so an edit anywhere rebuilds and an unchanged tree reuses
    it. Concurrent processes (Dask workers starting at once, parallel tests) take a file lock
    (``flock`` on ``LIB.lock``): one builds, the others wait and load its result. The library
    is built into a temporary file and renamed into place, so none ever loads a half-written
    one, even without the lock (a file system where ``flock`` fails). Loaded libraries are
    cached per process.

    Raises RuntimeError when no compiler is found or the build fails (with its stderr).
    """
    return _build_host_library(source_name, tuple(defines))


@functools.cache
def _build_host_library(source_name: str, defines: tuple[str, ...]) -> ctypes.CDLL:
    cxx = host_compiler()
    if cxx is None:
        wanted = os.environ.get("ONCOSWEEP_CXX") or " / ".join(HOST_COMPILERS)
        raise RuntimeError(
            f"no host C++ compiler found (looked for {wanted} on PATH; set ONCOSWEEP_CXX to "
            "a C++17 compiler to build the CUDA sources for the CPU)"
        )
    source = CUDA_DIR / source_name
    if not source.is_file():
        raise FileNotFoundError(f"no CUDA source {source_name!r} in {CUDA_DIR}")
    flags = (*HOST_CXX_FLAGS, "-I", str(CUDA_DIR), *(f"-D{d}" for d in defines))
    outside = "" if source.parent == CUDA_DIR else source.read_text(encoding="utf-8")
    h = hashlib.sha256()
    for part in (cxx, compiler_identity(cxx), *flags, source_name, sources_digest(), outside):
        h.update(part.encode())
        h.update(b"\0")
    out_dir = build_dir()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RuntimeError(f"cannot create the host build cache {out_dir} ({exc.strerror}; "
                           "set ONCOSWEEP_BUILD_DIR to a writable folder)") from None
    tag = "".join(f"-{d.replace('=', '')}" for d in defines if "=" in d)
    lib = out_dir / f"{source.stem}{tag}-{h.hexdigest()[:20]}.so"
    if not lib.exists():
        with _build_lock(lib.with_suffix(".lock")):
            if not lib.exists():  # another process may have built it while we waited
                _compile(cmd_head=[cxx, *flags], source=source, lib=lib)
    return ctypes.CDLL(str(lib))


def _compile(*, cmd_head: list[str], source: Path, lib: Path) -> None:
    """Compile into a temporary file of ``lib``'s folder and rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=lib.parent, prefix=f".{lib.stem}-", suffix=".so.tmp")
    os.close(fd)
    cmd = [*cmd_head, "-o", tmp, str(source)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(
                f"host build of {source.name} failed (exit {proc.returncode}):\n"
                f"  {' '.join(cmd)}\n{proc.stderr.strip()}"
            )
        os.replace(tmp, lib)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# --------------------------------------------------------------------------------------------
# nvcc
# --------------------------------------------------------------------------------------------


def nvcc_path() -> str | None:
    """Path of nvcc: ``$ONCOSWEEP_NVCC``, nvcc on PATH, or ``$CUDA_HOME``/``$CUDA_PATH``/
    ``/usr/local/cuda`` ``/bin/nvcc``; None if none exists."""
    override = os.environ.get("ONCOSWEEP_NVCC")
    if override:
        return shutil.which(override)
    found = shutil.which("nvcc")
    if found:
        return found
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if root and (Path(root) / "bin" / "nvcc").is_file():
            return str(Path(root) / "bin" / "nvcc")
    return None


def _arch_options(arch: str | Sequence[str]) -> list[str]:
    """``-arch=sm_XX`` for one architecture; ``-gencode`` pairs (SASS for each, one nvcc
    run) for several."""
    if isinstance(arch, str):
        return [f"-arch={arch}"]
    opts = []
    for a in arch:
        num = a.removeprefix("sm_")
        opts += ["-gencode", f"arch=compute_{num},code=sm_{num}"]
    return opts


def compile_with_nvcc(
    path: str | os.PathLike[str],
    *,
    arch: str | Sequence[str] = "sm_80",
    output_dir: str | os.PathLike[str],
    mode: str = "-c",
    extra: Sequence[str] = (),
) -> Path:
    """Compile one ``.cu`` file with nvcc (:data:`NVCC_FLAGS`, ``-I CUDA_DIR``) for ``arch``
    (``"sm_80"``, or several as a list: one nvcc run with ``-gencode`` pairs).

    ``mode`` is nvcc's output option: ``-c`` (object file: device code and the host half of
    every ``__host__ __device__`` function), ``--cubin`` or ``--ptx`` (device code only).
    Returns the output path; raises RuntimeError with nvcc's stderr on failure.
    """
    nvcc = nvcc_path()
    if nvcc is None:
        raise RuntimeError("nvcc not found (set ONCOSWEEP_NVCC or put nvcc on PATH)")
    path = Path(path)
    suffix = {"-c": ".o", "--cubin": ".cubin", "-cubin": ".cubin", "--ptx": ".ptx", "-ptx": ".ptx"}
    if mode not in suffix:
        raise ValueError(f"mode: one of {sorted(suffix)}, got {mode!r}")
    tag = arch if isinstance(arch, str) else "-".join(arch)
    out = Path(output_dir) / f"{path.stem}.{tag}{suffix[mode]}"
    cmd = [nvcc, *NVCC_FLAGS, "-I", str(CUDA_DIR), *_arch_options(arch), *extra, mode,
           str(path), "-o", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"nvcc failed on {path.name} (exit {proc.returncode}):\n  {' '.join(cmd)}\n"
            f"{proc.stderr.strip()}"
        )
    return out
