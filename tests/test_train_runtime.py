"""The training process environment: threads, malloc settings, the MKL shim (built into the cache, preloaded,
correct matmuls, off when asked)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from atlas_core.train import runtime

CHILD = """
import torch
from atlas_core.train import runtime
x, y = torch.randn(300, 200, dtype=torch.float64), torch.randn(200, 500, dtype=torch.float64)
error = ((x.float() @ y.float()).double() - x @ y).abs().max() / (x @ y).abs().max()
print(runtime.shim_active(), float(error))
"""


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path))
    runtime.shim_library.cache_clear()
    yield
    runtime.shim_library.cache_clear()


def run_child(env: dict) -> tuple[bool, float]:
    out = subprocess.run([sys.executable, "-c", CHILD], env=env | {"OMP_NUM_THREADS": "1"}, check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0] == "True", float(out[1])


def test_environment_sets_threads_and_malloc():
    env = runtime.environment({"PATH": "/bin", "OMP_NUM_THREADS": "8"}, threads=2)
    assert env["PATH"] == "/bin" and all(env[v] == "2" for v in runtime.THREAD_VARIABLES)
    assert all(env[k] == v for k, v in runtime.MALLOC_SETTINGS.items())
    assert runtime.environment(env, threads=2) == env


@pytest.mark.skipif(not runtime.shim_helps_here(), reason="the MKL shim is only used on AMD CPUs with AVX-512")
def test_preloaded_shim_is_active_and_matmuls_stay_correct(tmp_path):
    env = runtime.environment({k: v for k, v in os.environ.items() if k != "LD_PRELOAD"} | {"LD_PRELOAD": "x.so"})
    assert env["LD_PRELOAD"] == f"{tmp_path / 'mkl-shim' / runtime.LIBRARY} x.so"
    env["LD_PRELOAD"] = str(tmp_path / "mkl-shim" / runtime.LIBRARY)
    active, error = run_child(env)
    assert active and error < 1e-5


def test_switched_off_leaves_the_environment_alone(monkeypatch):
    monkeypatch.setenv("ATLAS_MKL_SHIM", "0")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    assert not runtime.shim_helps_here() and "LD_PRELOAD" not in runtime.environment(env)
    active, error = run_child(env)
    assert not active and error < 1e-5
