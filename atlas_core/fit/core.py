"""``fit_law``: fit one law to one table, by multi-start summed Huber (default) or the Huber-likelihood MLE.

Huber: every start of the law's grid (Chinchilla: Hoffmann's 4500 points) runs a few batched L-BFGS iterations
together (``atlas_core.fit.lbfgs``); hopeless starts are pruned in stages (to the best 5 %, then the best
2 * n_polish) until a few run to convergence, and the best ``n_polish`` are polished with scipy L-BFGS-B and
exact gradients; the lowest objective wins. On a table of more than ``PRUNE_ROWS`` rows the batched stages see
a fixed random subsample of ``PRUNE_ROWS`` rows and only the scipy polish sees every row, so time and memory stay
bounded whatever the table's size (objectives also evaluate starts in blocks, ``atlas_core.fit.objectives``).
MLE (Besiroglu et al.): BFGS (L-BFGS-B if the law has bounds) with exact gradients on (params, sigma), sigma
starting at 0, from the given start(s) or else from the Huber fit.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.fit.lbfgs import minimize_batched
from atlas_core.fit.objectives import HuberLikelihood, HuberObjective, negligible_change
from atlas_core.fit.params import FreeParams
from atlas_core.fit.polish import AT_BOUND, CONVERGED, Polished, polish
from atlas_core.fit.result import FitResult, r_squared
from atlas_core.laws import Law

EXPLORE_ITERATIONS = 30     # batched iterations every start gets before the first pruning
KEEP_FRACTION = 0.05        # share of starts carried on from there (at least 4 * n_polish)
SECOND_ITERATIONS = 100     # further iterations before pruning to 2 * n_polish
REFINE_ITERATIONS = 5000    # cap for the last few starts; they stop earlier when converged
PRUNE_ROWS = 250            # larger tables prune their starts on a subsample of this many rows (Epoch: 240)
OBJECTIVES = ("huber", "mle")
E_ZERO = 1e-6               # a fitted E below this fraction of the median loss counts as on its bound E = 0

Starts = None | int | pd.DataFrame | Sequence[Mapping[str, float]]


def start_points(free: FreeParams, starts: Starts, seed: int) -> np.ndarray:
    """Free-parameter start points (S, F): the law's grid (all of it, or ``starts`` points, by default the law's
    ``default_starts``, drawn with ``seed`` when it is larger), or explicit points in reported units."""
    if starts is None or isinstance(starts, (int, np.integer)):
        grid = free.grid()
        count = free.law.default_starts if starts is None else int(starts)
        if count < 1:
            raise AtlasError(f"starts must be >= 1, got {count}")
        if count >= len(grid):
            return grid
        return grid[np.sort(np.random.default_rng(seed).choice(len(grid), size=count, replace=False))]
    return free.from_reported(starts)


def pruning_rows(n_obs: int, seed: int) -> np.ndarray | None:
    """The sorted rows the pruning stages see (a seeded draw of ``PRUNE_ROWS``), or None to use all of them."""
    if n_obs <= PRUNE_ROWS:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_obs, size=PRUNE_ROWS, replace=False))


def multistart(objective: HuberObjective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
               n_polish: int = 5, atol: float = 0.0, pruning: HuberObjective | None = None) -> tuple[Polished, int]:
    """Staged pruning of the starts: all get ``EXPLORE_ITERATIONS`` batched iterations, the best ``KEEP_FRACTION``
    ``SECOND_ITERATIONS`` more, the best ``2 * n_polish`` run to convergence (these stages on ``pruning``, by
    default ``objective`` itself), and the best ``n_polish`` are polished with scipy on ``objective``. Returns the
    best polished optimum and how many polished starts agree with it (objective within 1e-6 relative)."""
    x, pruning = x0, pruning or objective
    for iterations, keep in ((EXPLORE_ITERATIONS, max(4 * n_polish, int(np.ceil(KEEP_FRACTION * len(x0))))),
                             (SECOND_ITERATIONS, 2 * n_polish), (REFINE_ITERATIONS, n_polish)):
        batch = minimize_batched(pruning, x, lower, upper, max_iter=iterations, atol=atol)
        x = batch.x[np.argsort(batch.f)[:keep]]
    return best_of([polish(objective, start, lower, upper, atol=atol) for start in x], atol)


def best_of(polished: list[Polished], atol: float) -> tuple[Polished, int]:
    """The lowest polished objective, and how many reached it (within 1e-6 relative or ``atol``)."""
    winner = min(polished, key=lambda p: p.f)
    return winner, sum(p.f <= winner.f + 1e-6 * abs(winner.f) + atol for p in polished)


def fit_law(law: Law, df: pd.DataFrame, *, objective: str = "huber", delta: float = 1e-3,
            tie_exponents: bool = False, starts: Starts = None, seed: int = 0,
            fixed: Mapping[str, float] | None = None, n_polish: int = 5) -> FitResult:
    """Fit ``law`` to the observations in ``df`` (the law's columns plus ``loss``).

    objective: "huber" (summed Huber on log residuals, multi-start) or "mle" (Huber likelihood with free scale).
    delta: Huber threshold on log residuals. tie_exponents: fit beta = alpha. starts: None (the law's grid, or
    ``law.default_starts`` points of it drawn with ``seed``: all 4500 of Hoffmann's for Chinchilla, 1000 for the
    larger grids of the other laws), an int (that many grid points) or explicit start points (DataFrame or list of
    dicts in reported units). fixed: parameters held at given reported values (e.g. the frozen base of the
    data-constrained law). n_polish: how many of the best starts scipy polishes (``n_agree`` of the result counts
    those that reach the winning objective). The result's ``r2`` is the in-sample R^2 of the loss (not log loss).
    """
    if objective not in OBJECTIVES:
        raise AtlasError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if not (np.isfinite(delta) and delta > 0):
        raise AtlasError(f"Huber delta must be > 0, got {delta!r}")
    obs = law.prepare(df, with_loss=True)
    free = FreeParams(law, fixed=fixed, tie_exponents=tie_exponents)
    n_obs = len(obs["loss"])
    if n_obs < free.n_free:
        raise AtlasError(f"law '{law.name}': {n_obs} observations but {free.n_free} free parameters "
                         f"({', '.join(free.names)}); need at least as many observations")
    atol = negligible_change(n_obs)
    huber_objective = HuberObjective(free, obs, delta)
    if n_polish < 1:
        raise AtlasError(f"n_polish must be >= 1, got {n_polish!r}")
    x0 = start_points(free, starts, seed)
    from_grid = starts is None or isinstance(starts, (int, np.integer))
    sigma = None
    if objective == "huber" or from_grid:
        subsample = pruning_rows(n_obs, seed)
        pruning = None if subsample is None else HuberObjective(
            free, law.prepare(df.iloc[subsample], with_loss=True), delta)
        best, agree = multistart(huber_objective, x0, free.lower, free.upper, n_polish=n_polish, atol=atol,
                                 pruning=pruning)
        x = best.x
    if objective == "mle":  # from the given starts, or else from the Huber optimum
        likelihood = HuberLikelihood(free, obs, delta)
        begin = x[None, :] if from_grid else x0
        best, agree = best_of([polish(likelihood, np.r_[b, 0.0], *likelihood.bounds, method=likelihood.method,
                                      tight=False, atol=atol) for b in begin], atol)
        x, sigma = best.x[:-1], float(best.x[-1])
    theta = free.expand(x)[0]
    params = law.to_reported(theta)
    predicted = np.exp(law.log_predict(theta, obs)[0])
    at_bound = [n for n, hit in zip(free.names, best.on_bound) if hit]
    if "E" in free.names and params["E"] < E_ZERO * np.median(obs["loss"]):
        at_bound.append("E")  # E = e^e > 0 has no finite bound, but an E this small is the E >= 0 bound
    status = AT_BOUND if at_bound and best.status == CONVERGED else best.status
    return FitResult(
        law=law, params=params, status=status, objective=best.f, objective_name=objective, delta=delta,
        r2=r_squared(obs["loss"], predicted), n_obs=n_obs, n_starts=len(x0), n_agree=int(agree),
        free=free.names, fixed={k: params[k] for k in (fixed or {})}, tie_exponents=tie_exponents,
        at_bound=at_bound, sigma=sigma, message=best.message,
    )
