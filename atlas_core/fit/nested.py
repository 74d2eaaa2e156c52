"""Nested laws: a law that contains another as a special case (ATLAS + D_other contains ATLAS on D_t alone at
tau_other = 0; the curse law with phi free contains it at phi = 0) can never fit the same rows worse than it at
its optimum. ``fit_beyond`` enforces that: it also starts the richer fit from the nested optimum, and if the
richer fit still ends worse, reports it as not converged rather than as a result.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd

from atlas_core.fit.core import fit_law
from atlas_core.fit.polish import NOT_CONVERGED
from atlas_core.fit.result import FitResult
from atlas_core.laws import Law
from atlas_core.laws.base import LOG

RELATIVE_SLACK = 1e-9  # objectives this close count as equal


def nested_start(law: Law, nested: FitResult) -> dict[str, float] | None:
    """A start for ``law`` from the fit of a law it extends: shared parameters keep their fitted values, new
    transfer weights tau_s start at the nested fit's tau_other (0 without one), so that the start predicts exactly
    what the nested fit does when the nested law lumps those sources into D_other (or ignores them). None when
    ``law`` has another parameter the nested fit lacks. Positive (log-scale) parameters are floored at 1e-300."""
    start = {}
    for spec in law.params:
        if spec.name in nested.params:
            value = nested.params[spec.name]
        elif spec.name.startswith("tau_"):
            value = nested.params.get("tau_other", 0.0)
        else:
            return None
        start[spec.name] = max(value, 1e-300) if spec.transform == LOG else value
    return start


def worse_than_nested(fit: FitResult, nested: FitResult) -> bool:
    """Whether ``fit`` ends above the objective of the law it extends (same rows and objective)."""
    comparable = (fit.objective_name, fit.delta, fit.n_obs) == (nested.objective_name, nested.delta, nested.n_obs)
    return comparable and fit.objective > nested.objective + RELATIVE_SLACK * abs(nested.objective)


def fit_beyond(law: Law, rows: pd.DataFrame, fit: FitResult, nested: FitResult, **fit_kwargs) -> FitResult:
    """``fit`` of ``law`` on ``rows``, or a better one started from the nested optimum; status ``not_converged``
    (with a message) when even that stays worse than ``nested``. ``fit_kwargs`` go to ``fit_law``."""
    start = nested_start(law, nested)
    if start is not None:
        options: Mapping = {k: v for k, v in fit_kwargs.items() if k != "starts"}
        with np.errstate(over="ignore", invalid="ignore"):
            warm = fit_law(law, rows, starts=[start], **options)
        fit = warm if warm.objective < fit.objective else fit
    if not worse_than_nested(fit, nested):
        return fit
    return dataclasses.replace(fit, status=NOT_CONVERGED, message=(
        f"fits worse than the law it extends (objective {fit.objective:.6g} > {nested.objective:.6g}): "
        "not at its optimum"))
