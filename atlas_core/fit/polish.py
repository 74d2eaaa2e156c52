"""Final optimisation of one start with scipy (exact gradients) and an explicit verdict on convergence.

scipy's ``success`` is not trusted: with delta = 1e-3 the Huber objective is nearly L1, so L-BFGS-B and BFGS
often stop with a line-search or precision-loss message at the right point. Instead a polish restarts the
optimiser from its own end point (fresh curvature memory) until a restart no longer lowers the objective, and
the verdict is one of ``STATUSES``:

* ``converged``: a restart cannot improve the objective (by more than 1e-8 relative, or ``atol``);
* ``at_bound``: converged, but some free parameter sits on a finite bound (e.g. lambda at its floor);
* ``max_iter``: the iteration limit was hit;
* ``not_converged``: restarts kept improving the objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from atlas_core.fit.lbfgs import BatchObjective

CONVERGED, AT_BOUND, MAX_ITER, NOT_CONVERGED = "converged", "at_bound", "max_iter", "not_converged"
STATUSES = (CONVERGED, AT_BOUND, MAX_ITER, NOT_CONVERGED)
RESTARTS = 4


@dataclass
class Polished:
    x: np.ndarray
    f: float
    status: str
    message: str
    iterations: int
    on_bound: np.ndarray  # (F,) True where a free parameter sits on a finite bound


def bound_mask(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """True where a coordinate of x sits on (within 1e-6 relative of) a finite bound."""
    near = 1e-6 * (1.0 + np.abs(x))
    return (np.isfinite(lower) & (x <= lower + near)) | (np.isfinite(upper) & (x >= upper - near))


def polish(objective: BatchObjective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
           method: str = "L-BFGS-B", max_iter: int = 15000, row: int | None = None,
           tight: bool = True, atol: float = 0.0) -> Polished:
    """Minimise from ``x0`` (F,) with scipy ``method`` ("L-BFGS-B" with bounds, or "BFGS") and exact gradients.

    ``tight`` uses tolerances far below scipy's defaults (needed for exact recovery); ``tight=False`` keeps
    scipy's defaults (Besiroglu et al.'s MLE recipe). ``row`` selects a weight row of the objective. ``atol`` is
    the objective change that counts as none (the fitter passes ``negligible_change(n)``).
    """
    rows = None if row is None else np.array([row])

    def value_and_grad(v: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = objective.value_and_grad(v[None, :], rows)
        return float(f[0]), g[0]

    if method == "L-BFGS-B":
        bounds = list(zip(np.where(np.isfinite(lower), lower, None), np.where(np.isfinite(upper), upper, None)))
        options = {"maxiter": max_iter, "maxfun": 2 * max_iter} | ({"ftol": 1e-15, "gtol": 1e-12} if tight else {})
    else:
        bounds, options = None, {"maxiter": max_iter} | ({"gtol": 1e-12} if tight else {})

    def run(v: np.ndarray):
        """One scipy run from v; when tight, on the objective divided by |f(v)| so that scipy's absolute
        tolerances act relative to where the run starts (objectives near 0 otherwise stop far too early)."""
        scale = max(abs(value_and_grad(v)[0]), 1e-300) if tight else 1.0

        def scaled(w: np.ndarray) -> tuple[float, np.ndarray]:
            f, g = value_and_grad(w)
            return f / scale, g / scale

        with np.errstate(all="ignore"):
            result = minimize(scaled, v, jac=True, method=method, bounds=bounds, options=options)
        result.fun = result.fun * scale
        return result

    result = run(np.clip(np.asarray(x0, dtype=np.float64), lower, upper))
    iterations, stable = int(result.nit), False
    for _ in range(RESTARTS):
        if result.nit >= max_iter:
            break
        again = run(result.x)
        iterations += int(again.nit)
        gain = result.fun - again.fun
        if again.fun <= result.fun:
            result = again
        if gain <= 1e-8 * abs(again.fun) + atol:
            stable = True
            break
    on_bound = bound_mask(result.x, lower, upper)
    if result.nit >= max_iter:
        status = MAX_ITER
    elif not stable:
        status = NOT_CONVERGED
    else:
        status = AT_BOUND if on_bound.any() else CONVERGED
    return Polished(x=np.asarray(result.x), f=float(result.fun), status=status, message=str(result.message),
                    iterations=iterations, on_bound=on_bound)
