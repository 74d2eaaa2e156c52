"""Compute-optimal allocation: how to split a FLOP budget C = 6 N D between parameters and tokens.

``compute_optimal`` is the closed form for the Chinchilla form (any law's E, A, B, alpha, beta with its other
terms switched off); ``optimal_allocation`` searches numerically for any law, e.g. the data-constrained law at a
fixed number of unique tokens U, where repetition bends the optimum.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from atlas_core.errors import AtlasError
from atlas_core.laws.base import Law
from atlas_core.laws.chinchilla import Chinchilla


def compute_optimal(params: Mapping[str, float], C) -> tuple[np.ndarray, np.ndarray]:
    """(N_opt, D_opt) minimising E + A/N^alpha + B/D^beta subject to 6 N D = C (broadcast over C).

    N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = (C/6) / N_opt, with G = (alpha A / (beta B))^(1/(alpha+beta)).
    """
    A, B, alpha, beta = (float(params[k]) for k in ("A", "B", "alpha", "beta"))
    if not (A > 0 and B > 0 and alpha > 0 and beta > 0):
        raise AtlasError(f"compute_optimal needs A, B, alpha, beta > 0, got {A!r}, {B!r}, {alpha!r}, {beta!r}")
    C = np.asarray(C, dtype=np.float64)
    if not np.all(np.isfinite(C) & (C > 0)):
        raise AtlasError("compute_optimal: budgets C must be finite and > 0")
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        G = np.exp(np.log(alpha * A / (beta * B)) / (alpha + beta))
        N_opt = G * (C / 6.0) ** (beta / (alpha + beta))
    if not np.all(np.isfinite(N_opt) & (N_opt > 0)):
        raise AtlasError(f"compute_optimal: the allocation overflows for A={A!r}, B={B!r}, alpha={alpha!r}, "
                         f"beta={beta!r} (a degenerate fit: check its status and at_bound)")
    return N_opt, C / 6.0 / N_opt


def optimal_allocation(law: Law, params: Mapping[str, float], C: float, *, columns: Mapping[str, float] | None = None,
                       N_range: tuple[float, float] | None = None, n_grid: int = 2001) -> dict[str, float]:
    """Numerically optimal (N, D = C/(6N)) for ``law`` at budget ``C``, other inputs held at ``columns``.

    Scans ``n_grid`` log-spaced N in ``N_range`` (default sqrt(C/6) / 1e3 .. sqrt(C/6) * 1e3, i.e. 1e-6 to 1e6
    tokens per parameter) and refines the best cell by bounded scalar minimisation in log N. Returns N, D, loss.
    The optimum must lie inside ``N_range``; widen it if the returned N sits at an end.
    """
    if not (np.isfinite(C) and C > 0):
        raise AtlasError(f"optimal_allocation: budget C must be finite and > 0, got {C!r}")
    lo, hi = N_range or (np.sqrt(C / 6.0) / 1e3, np.sqrt(C / 6.0) * 1e3)
    extra = dict(columns or {})

    def loss(log_n: np.ndarray) -> np.ndarray:
        N = np.exp(log_n)
        frame = pd.DataFrame({"N": N, "D": C / 6.0 / N, **{k: np.full_like(N, v) for k, v in extra.items()}})
        return law.predict(params, frame)

    grid = np.linspace(np.log(lo), np.log(hi), n_grid)
    best = int(np.argmin(loss(grid)))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, n_grid - 1)]
    refined = minimize_scalar(lambda x: float(loss(np.array([x]))[0]), bounds=(a, b), method="bounded",
                              options={"xatol": 1e-10})
    N = float(np.exp(refined.x))
    return {"N": N, "D": C / 6.0 / N, "loss": float(refined.fun)}


def loss_on_frontier(laws: pd.DataFrame, budgets, *, keys: Sequence[str]) -> pd.DataFrame:
    """One row per (law, budget): the ``keys`` columns of the law, C, N_opt, D_opt, tokens per parameter and loss.

    ``laws`` has one row per law with columns E, A, B, alpha, beta and ``keys`` (e.g. regime and lang for the
    paper's Table C.1, or a fit's name).
    """
    law = Chinchilla()
    missing = [c for c in (*law.param_names, *keys) if c not in laws.columns]
    if missing:
        raise AtlasError(f"loss_on_frontier: missing column(s) {', '.join(missing)}")
    budgets = np.atleast_1d(np.asarray(budgets, dtype=np.float64))
    parts = []
    for _, row in laws.iterrows():
        params = {name: float(row[name]) for name in law.param_names}
        N, D = compute_optimal(params, budgets)
        part = pd.DataFrame({"C": budgets, "N": N, "D": D, "tokens_per_param": D / N})
        part["loss"] = law.predict(params, part)
        parts.append(part.assign(**{key: row[key] for key in keys}))
    return pd.concat(parts, ignore_index=True)[[*keys, "C", "N", "D", "tokens_per_param", "loss"]]
