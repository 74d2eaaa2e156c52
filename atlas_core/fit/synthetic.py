"""Synthetic observation tables drawn from a law with known parameters: for recovery tests, CI coverage checks,
benchmarks and teaching notebooks.

``synthetic_runs(law, params, n, noise=0.05, seed=0)`` draws ``n`` random inputs that exercise every term of
``law`` (repetition well past one epoch, model sizes past the compute-optimal size for U, K from 1 to 50, ...)
and sets ``loss = L(params) * exp(noise * standard normal)``. The loss comes from the library's own ``predict``, so
a fit recovers it even if a law's formula were wrong: tests of the formulas generate their data from the paper's
equations transcribed separately (``tests/paper_equations.py``) on ``synthetic_inputs``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from atlas_core.laws import Atlas, Law

CHINCHILLA_LIKE = {"E": 1.8, "A": 480.0, "B": 2100.0, "alpha": 0.35, "beta": 0.37}

# Parameters used by the tests and benchmarks, one set per law name (Atlas: transfer es, pt, fr + other).
EXAMPLE_PARAMS: dict[str, dict[str, float]] = {
    "chinchilla": CHINCHILLA_LIKE,
    "data-constrained": CHINCHILLA_LIKE | {"R_D": 15.0, "R_N": 5.0},
    "msl": CHINCHILLA_LIKE | {"gamma": 0.2},
    "curse": CHINCHILLA_LIKE | {"phi": 0.11, "psi": -0.04},
    "atlas": CHINCHILLA_LIKE | {"lambda": 0.1, "tau_es": 0.4, "tau_pt": 0.6, "tau_fr": 0.2, "tau_other": 0.05},
}
EXAMPLE_ATLAS = Atlas(["es", "pt", "fr"], other=True)


def _log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


def synthetic_inputs(law: Law, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` rows of the input columns ``law`` needs, spread to identify all of its parameters."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"N": _log_uniform(rng, 1e7, 1e10, n)})
    if law.name in ("data-constrained", "atlas"):
        frame["U"] = _log_uniform(rng, 1e8, 1e11, n)
        frame["D"] = frame["U"] * _log_uniform(rng, 0.2, 60.0, n)
    else:
        frame["D"] = _log_uniform(rng, 1e8, 1e12, n)
    if law.name == "msl":
        frame["p"] = rng.uniform(0.05, 1.0, n)
    if law.name == "curse":
        frame["K"] = rng.choice([1, 2, 4, 8, 16, 32, 50], n).astype(float)
    if isinstance(law, Atlas):
        for source in law.transfer:
            frame[f"D_{source}"] = frame["D"] * _log_uniform(rng, 0.05, 20.0, n) * (rng.uniform(size=n) > 0.2)
            frame[f"U_{source}"] = _log_uniform(rng, 1e8, 1e11, n)
        if law.other:
            frame["D_total"] = frame[[c for c in frame.columns if c.startswith("D")]].sum(axis=1) \
                + frame["D"] * _log_uniform(rng, 0.1, 30.0, n)
            frame["U_other"] = _log_uniform(rng, 1e9, 1e12, n)
    return frame


def synthetic_runs(law: Law, params: Mapping[str, float], n: int, *, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """``synthetic_inputs`` plus ``loss`` = the law at ``params`` times log-normal noise of scale ``noise``."""
    frame = synthetic_inputs(law, n, seed)
    rng = np.random.default_rng(seed + 1)
    frame["loss"] = law.predict(params, frame) * np.exp(noise * rng.standard_normal(n))
    return frame
