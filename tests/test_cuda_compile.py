"""Every CUDA source of ``oncosweep/gpu_engine/cuda/`` compiles: with nvcc for sm_80 and sm_90,
with NVRTC (what ``cuda_build.load_module`` asks CuPy for), and, for the headers, with the
host C++ compiler, both as ordinary C++ and in a simulated NVRTC environment without any
standard header. No GPU is needed; each check skips with its reason when its compiler is
absent. The folder is globbed when the tests are collected, so files added later are covered.

Headers (``.cuh``) are compiled through a generated stub ``.cu`` that includes them; for the
sampler headers the stub also calls every function from a ``__global__`` kernel, so that the
``__host__ __device__`` inline code is really generated for the device (nvcc only checks an
unused inline function's body superficially). Conventions for files added later:

* a ``.cu`` whose name starts with ``host_`` is host-only C++ (ctypes test entry points): it
  is compiled by nvcc but not by NVRTC, which accepts no host functions;
* a ``.cuh`` containing the line ``// oncosweep: device-only`` is skipped by the host C++
  checks (the per-realization headers must build for the host: that is how they are tested);
* a templated kernel file names the instantiations NVRTC should compile here with lines
  ``// oncosweep: name-expression os_simulate<16, 3>`` (CuPy's ``name_expressions``);
  without them NVRTC only parses the templates.

Measured on the 2-core development machine (nvcc 13.0): about 1-2.5 s per (file, arch), the
whole module about 20 s.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from oncosweep.gpu_engine import cuda_build

SOURCES = [*cuda_build.all_sources(), *sorted((Path(__file__).parent / "cuda").glob("*.cu"))]
HEADERS = [p for p in SOURCES if p.suffix == ".cuh"]
KERNELS = [p for p in SOURCES if p.suffix == ".cu"]
ARCHS = ["sm_80", "sm_90"]
DEVICE_ONLY_MARK = "// oncosweep: device-only"
NAME_EXPRESSION_MARK = "// oncosweep: name-expression"

needs_nvcc = pytest.mark.skipif(cuda_build.nvcc_path() is None, reason="nvcc not found "
                                "(PATH, CUDA_HOME, CUDA_PATH, /usr/local/cuda, ONCOSWEEP_NVCC)")
needs_nvrtc = pytest.mark.skipif(cuda_build.nvrtc_library() is None, reason="libnvrtc not "
                                 "found (install nvidia-cuda-nvrtc-cu12 or set ONCOSWEEP_NVRTC)")
needs_cxx = pytest.mark.skipif(cuda_build.host_compiler() is None,
                               reason="no host C++ compiler (g++ / c++ / clang++, ONCOSWEEP_CXX)")

# Kernels that call every function of the sampler headers (instantiated on the device).
EXERCISE = {
    "compat.cuh": """
extern "C" __global__ void os_stub(double* d, int64_t* i) {
    d[0] = os_min(d[1], d[2]) + os_max(d[3], d[4]) + (OS_NAN != OS_NAN ? 1.0 : 0.0) + OS_INF;
    d[5] = log(d[6]) + log1p(d[6]) + exp(d[6]) + expm1(d[6]) + sqrt(d[6]) + floor(d[6])
           + cos(d[6]) + pow(d[6], d[7]) + fabs(d[6]);
    i[0] = os_min(i[1], i[2]) + os_max(i[3], i[4]);
    uint32_t a = 1; uint64_t b = 2; int32_t c = 3; uint8_t e = 4; int8_t f = 5;
    i[5] = (int64_t)(a + b + c + e + f);
}
""",
    "philox.cuh": """
extern "C" __global__ void os_stub(uint32_t* w, double* u, uint64_t r) {
    OsKey key = {w[0], w[1]};
    os_philox4x32_10(w[2], w[3], w[4], w[5], key, w + 6);
    u[0] = os_words_to_uniform(w[6], w[7]);
    os_uniform_pair(key, w[2], w[3], r, u + 1, u + 2);
    u[3] = os_uniform0(key, w[2], w[3], r);
    uint32_t hi, lo;
    os_mulhilo32(w[0], w[1], &hi, &lo);
    w[10] = hi ^ lo;
}
""",
    "binomial.cuh": """
extern "C" __global__ void os_stub(const int64_t* n, const double* p, int64_t* out, double* d,
                                   int* att) {
    OsKey key = {1u, 2u};
    out[0] = os_binomial(key, 256u, 3u, 4ull, n[0], p[0]);
    out[1] = os_binomial_inversion(key, 256u, 3u, 4ull, n[1], p[1]);
    out[2] = os_binomial_btrs(key, 256u, 3u, 4ull, n[2], p[2]);
    out[3] = os_binomial_ex(key, 256u, 3u, 4ull, n[3], p[3], OS_METHOD_AUTO, OS_MAX_ATTEMPTS,
                            att);
    d[0] = os_stirling_tail(d[1]) + os_fc_table((int)n[4]);
    d[2] = os_log_pmf_ratio(d[3], d[4], d[5], d[6], d[7]);
    d[8] = os_inversion_bound(d[5], d[6]);
    OsInversionConstants ic = os_inversion_constants(d[5], d[6]);
    int64_t x;
    d[9] = os_inversion_search(ic, d[10], &x, d + 11) ? (double)x : -1.0;
    OsBtrsConstants bc = os_btrs_constants(d[5], d[6]);
    double k;
    d[13] = os_btrs_accept(bc, d[5], d[6], d[14], d[15], &k, d + 16) ? k : -1.0;
    d[18] = bc.a + bc.a2 + bc.b + bc.c + bc.vr + bc.alpha + bc.m + bc.q
            + OS_BINV_MAX_MEAN + OS_BINV_TAIL_SDS + OS_BTRS_FAST_US + OS_US_MIN
            + (double)OS_MAX_EXACT_N + OS_ATTEMPT_BITS + OS_METHOD_INVERSION + OS_METHOD_BTRS;
}
""",
}
TRIVIAL_KERNEL = 'extern "C" __global__ void os_stub(int* x) { x[0] = 1; }\n'

# What NVRTC declares without any header (the part our headers may use), for the simulated
# NVRTC check with the host compiler: no standard header may be reached under __CUDACC_RTC__.
NVRTC_PRELUDE = """
#define __host__
#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__
#define __constant__
#define __restrict__
struct os_dim3 { unsigned int x, y, z; };
extern os_dim3 threadIdx, blockIdx, blockDim, gridDim;
double log(double); double log1p(double); double exp(double); double expm1(double);
double sqrt(double); double floor(double); double ceil(double); double fabs(double);
double cos(double); double sin(double); double cbrt(double); double pow(double, double);
double fmin(double, double); double fmax(double, double); double lgamma(double);
double trunc(double); double round(double);
double rint(double); double exp2(double); double log2(double); double log10(double);
double __longlong_as_double(long long); long long __double_as_longlong(double);
unsigned int __umulhi(unsigned int, unsigned int);
unsigned long long __umul64hi(unsigned long long, unsigned long long);
unsigned long long atomicAdd(unsigned long long*, unsigned long long);
int atomicAdd(int*, int); unsigned int atomicAdd(unsigned int*, unsigned int);
double atomicAdd(double*, double);
void __syncthreads();
"""


def _stub(header: Path) -> str:
    body = EXERCISE.get(header.name, TRIVIAL_KERNEL)
    return f'#include "{header.name}"\n{body}'


def _id(p: Path) -> str:
    return p.name


# --------------------------------------------------------------------------------------------
# nvcc
# --------------------------------------------------------------------------------------------


@needs_nvcc
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_nvcc_compiles(source, arch, tmp_path):
    # sm_80: an object file (device code and the host half of every __host__ __device__
    # function); sm_90: device code only (the host half does not depend on the arch).
    path = source
    if source.suffix == ".cuh":
        path = tmp_path / f"stub_{source.stem}.cu"
        path.write_text(_stub(source))
    mode = "-c" if arch == "sm_80" else "--cubin"
    out = cuda_build.compile_with_nvcc(path, arch=arch, output_dir=tmp_path, mode=mode)
    assert out.stat().st_size > 0


@needs_nvcc
def test_no_fma_contraction_in_device_code(tmp_path):
    # With --fmad=false (cuda_build.NVCC_FLAGS, and NVRTC_OPTIONS for CuPy) the samplers'
    # arithmetic keeps one rounding per operation, as numpy's: the transcendental-free pieces
    # compile to PTX without a single fma. (log/log1p/exp from libdevice use fma internally;
    # they are left out here.) Without the flag the same code does contract: the check bites.
    assert "--fmad=false" in cuda_build.NVRTC_OPTIONS and "--fmad=false" in cuda_build.NVCC_FLAGS
    path = tmp_path / "nofma.cu"
    path.write_text("""#include "binomial.cuh"
extern "C" __global__ void os_nofma(double* d, uint32_t* w) {
    OsKey key = {w[0], w[1]};
    os_uniform_pair(key, w[2], w[3], 5ull, d, d + 1);
    OsBtrsConstants c = os_btrs_constants(d[2], d[3]);
    d[4] = c.a + c.b + c.c + c.vr + c.alpha + c.m;
    d[5] = os_inversion_bound(d[2], d[3]) + os_stirling_tail(d[6]);
    OsInversionConstants ic;
    ic.s = d[7]; ic.a = d[8]; ic.r0 = d[9]; ic.bound = d[10];
    int64_t x;
    d[11] = os_inversion_search(ic, d[12], &x) ? (double)x : 0.0;
}
""")
    ptx = cuda_build.compile_with_nvcc(path, arch="sm_80", output_dir=tmp_path, mode="--ptx")
    text = ptx.read_text()
    assert "os_nofma" in text and "fma." not in text
    (tmp_path / "fmad").mkdir()
    contracted = cuda_build.compile_with_nvcc(path, arch="sm_80", output_dir=tmp_path / "fmad",
                                              mode="--ptx", extra=["--fmad=true"])
    assert "fma." in contracted.read_text()


# --------------------------------------------------------------------------------------------
# NVRTC
# --------------------------------------------------------------------------------------------


def _name_expressions(source: Path) -> list[str]:
    """Template instantiations a kernel file names for this test, one per line as
    ``// oncosweep: name-expression os_simulate<16, 3>`` (CuPy's name_expressions)."""
    mark = NAME_EXPRESSION_MARK
    return [line.split(mark, 1)[1].strip() for line in source.read_text().splitlines()
            if line.strip().startswith(mark)]  # fmt: skip


@needs_nvrtc
@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_nvrtc_compiles(source):
    if source.name.startswith("host_"):
        pytest.skip("host-only C++ (ctypes entry points): NVRTC accepts no host functions")
    if source.suffix == ".cuh":
        ptx = cuda_build.compile_with_nvrtc(f"stub_{source.stem}.cu", code=_stub(source))
        assert ".entry os_stub" in ptx
        return
    names = _name_expressions(source)
    ptx = cuda_build.compile_with_nvrtc(source.name, name_expressions=names)
    assert ".target sm_80" in ptx
    if names:
        assert ".entry" in ptx


# --------------------------------------------------------------------------------------------
# Host C++ compiler: plain C++ and simulated NVRTC
# --------------------------------------------------------------------------------------------


def _host_headers():
    return [h for h in HEADERS if DEVICE_ONLY_MARK not in h.read_text()]


def _syntax_only(code: str, tmp_path: Path, extra: list[str]) -> None:
    cxx = cuda_build.host_compiler()
    src = tmp_path / "check.cpp"
    src.write_text(code)
    cmd = [cxx, "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", *extra,
           "-I", str(cuda_build.CUDA_DIR), str(src)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"


@needs_cxx
@pytest.mark.parametrize("header", _host_headers(), ids=_id)
def test_header_is_plain_host_cpp(header, tmp_path):
    # each header is self-contained and warning-free as host C++ (OS_HD empty)
    _syntax_only(f'#include "{header.name}"\n#include "{header.name}"\n', tmp_path, [])


@needs_cxx
@pytest.mark.parametrize("header", _host_headers(), ids=_id)
def test_header_needs_no_standard_library_under_nvrtc(header, tmp_path):
    # NVRTC has no standard headers: with __CUDACC_RTC__ defined and the system include paths
    # removed, each header must still parse given only what NVRTC declares itself.
    prelude = tmp_path / "nvrtc_prelude.h"
    prelude.write_text(NVRTC_PRELUDE)
    body = EXERCISE.get(header.name, "")
    _syntax_only(f'#include "{header.name}"\n{body}', tmp_path,
                 ["-nostdinc", "-nostdinc++", "-D__CUDACC__", "-D__CUDACC_RTC__",
                  "-D__CUDA_ARCH__=800", "-Wno-unused-parameter", "-Wno-unknown-pragmas",
                  "-include", str(prelude)])


def test_sources_are_found():
    names = {p.name for p in SOURCES}
    assert {"compat.cuh", "philox.cuh", "binomial.cuh", "sampler_floor.cu", "declared.cuh",
            "pharmacology.cuh"} <= names  # fmt: skip
    text = cuda_build.source_text("sampler_floor.cu")
    assert text.startswith("// oncosweep sources ") and '#line 1 "sampler_floor.cu"' in text
