"""Pretrain-from-scratch vs finetune crossover (ATLAS Sec. 6): where two loss curves cross, and C_cross(N).

The paper finds that finetuning a multilingual checkpoint wins early and pretraining from scratch overtakes it
after some number of tokens; over model sizes the crossover compute follows C_cross(N) = c N^k
(published: c = 1.11e6, k = 1.65, see ``atlas_core.published.CROSSOVER_LAW``).
"""

from __future__ import annotations

import numpy as np

from atlas_core.errors import AtlasError


def _curve(tokens, loss, name: str) -> tuple[np.ndarray, np.ndarray]:
    tokens, loss = np.asarray(tokens, dtype=np.float64), np.asarray(loss, dtype=np.float64)
    if tokens.ndim != 1 or tokens.shape != loss.shape or len(tokens) < 2:
        raise AtlasError(f"crossover: curve {name} needs two 1-D arrays of equal length >= 2 (tokens, loss)")
    bad = ~(np.isfinite(tokens) & (tokens > 0) & np.isfinite(loss))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AtlasError(f"crossover: curve {name} point {i}: tokens {tokens[i]!r}, loss {loss[i]!r} "
                         "(tokens must be > 0 and both finite)")
    order = np.argsort(tokens)
    return np.log(tokens[order]), loss[order]


def crossover_tokens(tokens_a, loss_a, tokens_b, loss_b, *, which: str = "first") -> float:
    """Tokens at which curve a and curve b cross (loss_a - loss_b changes sign), interpolating both curves
    linearly in log tokens over their common range. ``which`` = "first" or "last" crossing; NaN if none."""
    if which not in ("first", "last"):
        raise AtlasError(f"crossover: which must be 'first' or 'last', got {which!r}")
    x_a, y_a = _curve(tokens_a, loss_a, "a")
    x_b, y_b = _curve(tokens_b, loss_b, "b")
    lo, hi = max(x_a[0], x_b[0]), min(x_a[-1], x_b[-1])
    if lo >= hi:
        raise AtlasError("crossover: the two curves share no token range")
    grid = np.unique(np.concatenate([x_a, x_b, [lo, hi]]))
    grid = grid[(grid >= lo) & (grid <= hi)]
    diff = np.interp(grid, x_a, y_a) - np.interp(grid, x_b, y_b)
    sign = np.sign(diff)
    nonzero = np.flatnonzero(sign != 0)
    flips = [i for i, j in zip(nonzero[:-1], nonzero[1:]) if sign[i] != sign[j]]
    if not flips:
        return float("nan")
    i = flips[0] if which == "first" else flips[-1]
    j = nonzero[np.searchsorted(nonzero, i) + 1]
    if j > i + 1:  # the curves meet exactly at grid point i + 1 (and stay equal until j)
        return float(np.exp(grid[i + 1]))
    x = grid[i] + (grid[j] - grid[i]) * diff[i] / (diff[i] - diff[j])
    return float(np.exp(x))


def fit_crossover_law(N, C) -> dict[str, float]:
    """Least-squares fit of C_cross = c N^k in log-log space: returns {"c", "k", "k_se"}, ``k_se`` the slope's
    standard error (NaN with fewer than three points)."""
    N, C = np.asarray(N, dtype=np.float64), np.asarray(C, dtype=np.float64)
    if N.shape != C.shape or N.ndim != 1:
        raise AtlasError("fit_crossover_law: N and C must be 1-D arrays of equal length")
    bad = ~(np.isfinite(N) & (N > 0) & np.isfinite(C) & (C > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AtlasError(f"fit_crossover_law: point {i}: N {N[i]!r}, C {C[i]!r} (both must be finite and > 0)")
    if np.unique(N).size < 2:
        raise AtlasError("fit_crossover_law: needs at least two distinct model sizes N")
    x, y = np.log(N), np.log(C)
    k, log_c = np.polyfit(x, y, 1)
    residuals, dof = y - (log_c + k * x), x.size - 2
    k_se = float(np.sqrt(residuals @ residuals / dof / np.sum((x - x.mean()) ** 2))) if dof > 0 else float("nan")
    return {"c": float(np.exp(log_c)), "k": float(k), "k_se": k_se}
