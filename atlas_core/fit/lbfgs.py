"""Batched projected L-BFGS: many starts of one objective optimised together as (S, F) arrays.

Each start keeps its own curvature memory, step and convergence flag; a backtracking Armijo line search runs on
all starts at once, and starts that converge (or stall) drop out of the batch, so the cost per iteration falls
as the batch empties. Bounds are handled by projection (clipping) — good enough to bring starts into their
basins; the final answer is always polished by scipy's L-BFGS-B (``atlas_core.fit.polish``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class BatchObjective(Protocol):
    def value(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray: ...

    def value_and_grad(self, x: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class BatchResult:
    x: np.ndarray          # (S, F) final points
    f: np.ndarray          # (S,) objective values
    iterations: np.ndarray  # (S,) iterations taken
    done: np.ndarray       # (S,) True where the start stopped: converged or stalled (False: out of iterations)
    converged: np.ndarray  # (S,) True where the start met the tolerance (a subset of done)


def _direction(g: np.ndarray, s_hist: np.ndarray, y_hist: np.ndarray, rho: np.ndarray, gamma: np.ndarray,
               order: list[int]) -> np.ndarray:
    """Two-loop recursion for all starts at once; empty memory slots have rho = 0 and do nothing."""
    q = g.copy()
    alphas = []
    for k in order:  # newest to oldest
        a = rho[:, k] * np.einsum("sf,sf->s", s_hist[:, k], q)
        q -= a[:, None] * y_hist[:, k]
        alphas.append(a)
    r = gamma[:, None] * q
    for k, a in zip(reversed(order), reversed(alphas)):
        b = rho[:, k] * np.einsum("sf,sf->s", y_hist[:, k], r)
        r += s_hist[:, k] * (a - b)[:, None]
    return -r


def minimize_batched(objective: BatchObjective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                     max_iter: int = 200, memory: int = 10, ftol: float = 1e-10, atol: float = 0.0,
                     window: int = 10, max_backtracks: int = 30, rows: np.ndarray | None = None) -> BatchResult:
    """Minimise ``objective`` from every row of ``x0`` (S, F) within [lower, upper].

    A start is done when its last ``window`` iterations together lowered the objective by at most
    ``ftol * |f| + atol``, or when no step along its search direction decreases it.
    ``rows`` (S,) are the objective rows (e.g. bootstrap weight rows) the starts belong to.
    """
    with np.errstate(all="ignore"):  # wild trial points give inf/NaN objectives, which are simply rejected
        return _minimize(objective, np.clip(np.array(x0, dtype=np.float64), lower, upper), lower, upper,
                         max_iter=max_iter, memory=memory, ftol=ftol, atol=atol, window=window,
                         max_backtracks=max_backtracks, rows=rows)


def _minimize(objective: BatchObjective, x: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, max_iter: int,
              memory: int, ftol: float, atol: float, window: int, max_backtracks: int,
              rows: np.ndarray | None) -> BatchResult:
    S, F = x.shape
    rows = np.arange(S) if rows is None else np.asarray(rows)
    f, g = objective.value_and_grad(x, rows)
    s_hist, y_hist = np.zeros((S, memory, F)), np.zeros((S, memory, F))
    rho, gamma = np.zeros((S, memory)), np.zeros(S)
    history = np.repeat(f[:, None], window, axis=1)  # objective over the last `window` iterations (ring)
    iterations = np.zeros(S, dtype=int)
    done, converged = np.zeros(S, dtype=bool), np.zeros(S, dtype=bool)
    active = np.flatnonzero(np.isfinite(f))
    done[~np.isfinite(f)] = True
    for it in range(max_iter):
        if active.size == 0:
            break
        order = [(it - 1 - k) % memory for k in range(memory)]
        xa, fa, ga = x[active], f[active], g[active]
        fresh = gamma[active] == 0
        d = _direction(ga, s_hist[active], y_hist[active], rho[active], np.where(fresh, 1.0, gamma[active]), order)
        d[fresh] = -ga[fresh] / np.maximum(np.linalg.norm(ga[fresh], axis=1, keepdims=True), 1e-300)
        uphill = np.einsum("sf,sf->s", ga, d) >= 0
        if uphill.any():  # memory went bad: fall back to steepest descent, forget the pairs
            d[uphill] = -ga[uphill] / np.maximum(np.linalg.norm(ga[uphill], axis=1, keepdims=True), 1e-300)
            rho[active[uphill]] = 0.0
            gamma[active[uphill]] = 0.0
        step = np.ones(active.size)
        accepted = np.zeros(active.size, dtype=bool)
        x_new, f_new = xa.copy(), fa.copy()
        pending = np.arange(active.size)
        for _ in range(max_backtracks):
            trial = np.clip(xa[pending] + step[pending, None] * d[pending], lower, upper)
            f_trial = objective.value(trial, rows[active[pending]])
            decrease = np.einsum("sf,sf->s", ga[pending], trial - xa[pending])
            ok = np.isfinite(f_trial) & (f_trial <= fa[pending] + 1e-4 * decrease) & (decrease < 0)
            x_new[pending[ok]], f_new[pending[ok]] = trial[ok], f_trial[ok]
            accepted[pending[ok]] = True
            pending = pending[~ok]
            if pending.size == 0:
                break
            step[pending] *= 0.25
        iterations[active] += 1
        stalled = active[~accepted]
        done[stalled] = True
        moved = active[accepted]
        if moved.size:
            f_moved, g_moved = objective.value_and_grad(x_new[accepted], rows[moved])
            s_vec, y_vec = x_new[accepted] - x[moved], g_moved - g[moved]
            sy = np.einsum("sf,sf->s", s_vec, y_vec)
            good = sy > 1e-12 * np.linalg.norm(s_vec, axis=1) * np.linalg.norm(y_vec, axis=1)
            slot = it % memory
            s_hist[moved, slot], y_hist[moved, slot] = s_vec, y_vec
            rho[moved, slot] = np.where(good, 1.0 / np.where(good, sy, 1.0), 0.0)
            yy = np.einsum("sf,sf->s", y_vec, y_vec)
            gamma[moved] = np.where(good, sy / np.where(good, yy, 1.0), gamma[moved])  # good implies yy > 0
            x[moved], f[moved], g[moved] = x_new[accepted], f_moved, g_moved
            ring = iterations[moved] % window
            gain = history[moved, ring] - f_moved  # progress over the last `window` iterations
            history[moved, ring] = f_moved
            finished = moved[(iterations[moved] >= window) & (gain <= ftol * np.abs(f_moved) + atol)]
            done[finished] = converged[finished] = True
        active = active[~done[active]]
    return BatchResult(x=x, f=f, iterations=iterations, done=done, converged=converged)
