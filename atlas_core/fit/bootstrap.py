"""Seeded bootstrap of a fit: refit on resampled rows, summarise with percentile CIs and standard errors.

A resample is a weight vector (how often each row was drawn), so all resamples of a table share one batched
L-BFGS run started at the full-data optimum; a resample the batch does not converge is finished by scipy. This is
Besiroglu et al.'s bootstrap (rows drawn with replacement, percentile CIs, SE = std of the resampled values),
not their exact random draws.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from tqdm import tqdm

from atlas_core.errors import AtlasError
from atlas_core.fit.core import OBJECTIVES, REFINE_ITERATIONS, fit_law
from atlas_core.fit.lbfgs import minimize_batched
from atlas_core.fit.objectives import HuberLikelihood, HuberObjective, negligible_change
from atlas_core.fit.params import FreeParams
from atlas_core.fit.polish import AT_BOUND, CONVERGED, bound_mask, polish
from atlas_core.fit.result import FitResult
from atlas_core.laws import Law


class BootstrapSamples(pd.DataFrame):
    """One row per resample: the refitted reported parameters, ``objective`` and ``status``.

    ``ci(level)`` gives percentile intervals and ``se()`` standard errors, over every resample (filter on
    ``status`` first to exclude some). ``attrs["estimate"]`` holds the full-data fit's parameters.
    """

    _metadata = ["param_names"]

    @property
    def _constructor(self):
        return BootstrapSamples

    def _values(self) -> pd.DataFrame:
        return pd.DataFrame(self[list(self.param_names)])

    def se(self) -> pd.Series:
        """Standard error of each parameter (sample standard deviation over resamples)."""
        return self._values().std(ddof=1).rename("se")

    def ci(self, level: float = 0.95) -> pd.DataFrame:
        """Percentile interval per parameter: columns ``estimate`` (full data), ``lower``, ``upper``, ``se``."""
        if not 0 < level < 1:
            raise AtlasError(f"confidence level must be in (0, 1), got {level!r}")
        values = self._values()
        tail = (1 - level) / 2 * 100
        return pd.DataFrame({
            "estimate": pd.Series(self.attrs.get("estimate", {})).reindex(values.columns),
            "lower": np.percentile(values, tail, axis=0),
            "upper": np.percentile(values, 100 - tail, axis=0),
            "se": values.std(ddof=1),
        }, index=values.columns)


def resample_weights(n_obs: int, n: int, seed: int) -> np.ndarray:
    """(n, n_obs) multiplicities of ``n`` resamples of ``n_obs`` rows drawn with replacement."""
    draws = np.random.default_rng(seed).integers(0, n_obs, size=(n, n_obs))
    return np.stack([np.bincount(row, minlength=n_obs) for row in draws]).astype(np.float64)


def bootstrap_fit(law: Law, df: pd.DataFrame, n: int = 200, seed: int = 0, *, objective: str = "huber",
                  delta: float = 1e-3, tie_exponents: bool = False, fixed: Mapping[str, float] | None = None,
                  fit: FitResult | None = None, progress: bool = False) -> BootstrapSamples:
    """Refit ``law`` on ``n`` seeded resamples of the rows of ``df``, each started at the full-data optimum.

    ``fit`` is the full-data fit to start from (computed with ``fit_law`` and the same settings if omitted).
    """
    if int(n) < 2:
        raise AtlasError(f"bootstrap needs n >= 2 resamples, got {n!r}")
    if objective not in OBJECTIVES:
        raise AtlasError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    obs = law.prepare(df, with_loss=True)
    fit = fit or fit_law(law, df, objective=objective, delta=delta, tie_exponents=tie_exponents, fixed=fixed,
                         seed=seed)
    free = FreeParams(law, fixed=fixed, tie_exponents=tie_exponents)
    n_obs = len(obs["loss"])
    weights = resample_weights(n_obs, int(n), seed)
    theta_hat = law.to_internal(fit.params)
    x_hat = np.array([theta_hat[law.index(name)] for name in free.names])
    if objective == "mle":
        target = HuberLikelihood(free, obs, delta, weights)
        x_hat = np.r_[x_hat, fit.sigma if fit.sigma is not None else 0.0]
    else:
        target = HuberObjective(free, obs, delta, weights)
    lower, upper = target.bounds
    batch = minimize_batched(target, np.repeat(x_hat[None, :], len(weights), axis=0), lower, upper,
                             max_iter=REFINE_ITERATIONS, atol=negligible_change(n_obs))
    rows = []
    for i in tqdm(range(len(weights)), desc="bootstrap", disable=not progress):
        if batch.converged[i]:  # converged in the batch: no scipy polish needed
            x, f = batch.x[i], float(batch.f[i])
            status = AT_BOUND if bound_mask(x, lower, upper).any() else CONVERGED
        else:
            done = polish(target, batch.x[i], lower, upper, method=target.method, row=i,
                          tight=objective == "huber", atol=negligible_change(n_obs))
            x, f, status = done.x, done.f, done.status
        rows.append(law.to_reported(free.expand(x[: free.n_free])[0]) | {"objective": f, "status": status})
    samples = BootstrapSamples(rows)
    samples.param_names = law.param_names
    samples.attrs["estimate"] = dict(fit.params)
    return samples
