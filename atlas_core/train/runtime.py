"""The process environment of fast CPU training: threads, glibc malloc settings, MKL's AVX-512 kernels on AMD.

All three must be in place when the process starts, so they are given as environment variables to the processes
that train: ``environment()`` returns them for a child process (the Dask nanny preload gives them to the study's
workers, ``atlas_core.experiments.dask_preload``), and ``atlas train`` restarts itself with them; ``missing()``
says what a running process lacks. Nothing here, nor the trainer, changes the environment of the process it runs
in.

* Threads: one per process (``OMP/MKL/OPENBLAS_NUM_THREADS``); run one process per core (cpu-training.md).
* malloc: torch frees and re-allocates its large per-step tensors (logits, gradients), and glibc's default
  thresholds give each one back to the kernel, so every step pays page faults again. A fixed mmap threshold and a
  high trim threshold keep that memory in the process: training +25% at 10k, +14% at 100k, +6% at 1m; held-out
  evaluation +40-90% (``benchmarks/bench_train.py``, 2026-11-29).
* MKL: torch's CPU wheel does its fp32 matmuls with Intel MKL, which picks its AVX-512 code only on CPUs it
  recognises as Intel. On the project's AMD EPYC (Zen 5, full AVX-512) machines that halves the matmul rate:
  100 GFLOP/s per core generic, 235 with the AVX-512 kernels; training runs 1.4-1.9x faster. The usual remedy is
  to preload a library whose ``mkl_serv_intel_cpu_true`` returns 1; the kernels then chosen still check the CPU's
  actual features (AVX-512F/BW/DQ/VL, VNNI), which these CPUs have. It is built once with the C compiler into
  ``$ATLAS_CACHE/mkl-shim``; ``ATLAS_MKL_SHIM=0`` turns it off.

Results are deterministic at a fixed environment, but the MKL kernels differ in the last bits from the generic
ones: resume a run in the environment it started in.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

from atlas_core.data.cache import cache_root

SOURCE = "int mkl_serv_intel_cpu_true(void) { return 1; }\n"
LIBRARY = "libatlas_mkl_intel_cpu.so"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
                   "MALLOC_TOP_PAD_": str(128 << 20)}


def shim_helps_here() -> bool:
    """True on a Linux AMD CPU with AVX-512, unless ``ATLAS_MKL_SHIM=0``."""
    if os.environ.get("ATLAS_MKL_SHIM", "1") == "0":
        return False
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return "AuthenticAMD" in cpuinfo and "avx512f" in flags


@functools.lru_cache(maxsize=1)
def shim_library() -> Path | None:
    """The MKL shim's path, built on first use; None when it would not help or no C compiler is found."""
    if not shim_helps_here():
        return None
    path = cache_root() / "mkl-shim" / LIBRARY
    if path.is_file():
        return path
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        warnings.warn("no C compiler found to build the MKL shim: matmuls stay on MKL's generic kernels "
                      "(about half speed on this AMD CPU)", stacklevel=2)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        out = Path(tmp) / LIBRARY
        built = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-x", "c", "-", "-o", str(out)],
                               input=SOURCE, text=True, capture_output=True)
        if built.returncode != 0:
            warnings.warn(f"building the MKL shim failed ({built.stderr.strip()[:200]}): matmuls stay on MKL's "
                          "generic kernels (about half speed on this AMD CPU)", stacklevel=2)
            return None
        os.replace(out, path)
    return path


def shim_active() -> bool:
    """Whether the MKL shim is loaded in this process."""
    try:
        return LIBRARY in Path("/proc/self/maps").read_text()
    except OSError:
        return False


def missing(threads: int | None = None) -> list[str]:
    """The parts of the training environment this process started without (``threads``: also require that many
    threads in the thread variables)."""
    gaps = [] if threads is None or all(os.environ.get(k) == str(threads) for k in THREAD_VARIABLES) else [
        f"{threads} thread(s) per process"]
    if not all(os.environ.get(k) == v for k, v in MALLOC_SETTINGS.items()):
        gaps.append("malloc settings")
    if shim_helps_here() and not shim_active():
        gaps.append("MKL's AVX-512 kernels (the MKL shim)")
    return gaps


def environment(env: Mapping[str, str], threads: int = 1) -> dict[str, str]:
    """A copy of ``env`` for a training process: ``threads`` threads, the malloc settings, the MKL shim preloaded
    where it helps (other ``LD_PRELOAD`` entries are kept)."""
    out = dict(env) | dict.fromkeys(THREAD_VARIABLES, str(threads)) | MALLOC_SETTINGS
    lib = shim_library()
    if lib is not None and str(lib) not in out.get("LD_PRELOAD", "").split():
        out["LD_PRELOAD"] = " ".join(filter(None, [str(lib), out.get("LD_PRELOAD", "")]))
    return out
