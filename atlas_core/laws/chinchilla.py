"""CSL, the Chinchilla law (Hoffmann et al. 2022): L(N, D) = E + A / N^alpha + B / D^beta.

Columns: ``N`` (parameters), ``D`` (training tokens). Fitted in log space as
log L-hat = LSE(e, a - alpha log N, b - beta log D) with A = e^a, B = e^b, E = e^e.
The default start grid is Hoffmann's 4500 points: alpha, beta in {0, .5, ..., 2}, e in {-1, -.5, ..., 1},
a, b in {0, 5, ..., 25}.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.laws.base import IDENTITY, LOG, Law, Observations, ParamSpec
from atlas_core.laws.engine import Linear, LogSumExp, Term
from atlas_core.laws.validate import Column

COEF_GRID = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)
EXPONENT_GRID = (0.0, 0.5, 1.0, 1.5, 2.0)
E_GRID = (-1.0, -0.5, 0.0, 0.5, 1.0)


def chinchilla_params(exponent_grid=EXPONENT_GRID, exponent_lower: float = -np.inf) -> tuple[ParamSpec, ...]:
    """The five Chinchilla parameters E, A, B, alpha, beta, shared by every law here."""
    return (
        ParamSpec("E", LOG, E_GRID),
        ParamSpec("A", LOG, COEF_GRID),
        ParamSpec("B", LOG, COEF_GRID),
        ParamSpec("alpha", IDENTITY, exponent_grid, lower=exponent_lower),
        ParamSpec("beta", IDENTITY, exponent_grid, lower=exponent_lower),
    )


class Chinchilla(Law):
    """L = E + A / N^alpha + B / D^beta."""

    name = "chinchilla"
    default_starts = 4500  # all of Hoffmann's grid

    def __init__(self):
        self.params = chinchilla_params()

    def input_columns(self):
        return (Column("N"), Column("D"))

    def features(self, columns, frame: pd.DataFrame) -> Observations:
        return {"logN": np.log(columns["N"]), "logD": np.log(columns["D"])}

    def log_loss(self, theta: np.ndarray, obs: Observations) -> Term:
        return LogSumExp(
            Linear(theta, [(0, 1.0)]),
            Linear(theta, [(1, 1.0), (3, -obs["logN"])]),
            Linear(theta, [(2, 1.0), (4, -obs["logD"])]),
        )
