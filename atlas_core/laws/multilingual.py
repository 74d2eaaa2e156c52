"""MSL, the multilingual law of He et al. (2024): L_i = (E_i + A_i / N^alpha_i + B_i / D^beta_i) * p_i^(-gamma_i).

Columns: ``N`` (parameters), ``D`` (training tokens, all languages), ``p`` (sampling ratio of the target's
language family in the mixture, 0 < p <= 1), and optionally ``family``. One law is fitted per family i: fit a
table with one family with ``fit_law``, or several with ``fit_groups(MultilingualSL(), df, by="family")``
(the CLI does the latter when a ``family`` column is present). log L-hat = LSE(e, a - alpha log N,
b - beta log D) - gamma log p.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.laws.base import IDENTITY, Law, Observations, ParamSpec
from atlas_core.laws.chinchilla import chinchilla_params
from atlas_core.laws.engine import Linear, LogSumExp, Sum, Term
from atlas_core.laws.validate import RATIO, Column

FAMILY_COLUMN = "family"


class MultilingualSL(Law):
    """L = (E + A / N^alpha + B / D^beta) * p^(-gamma), for one language family."""

    name = "msl"

    def __init__(self):
        self.params = chinchilla_params() + (ParamSpec("gamma", IDENTITY, (0.0, 0.2, 0.5)),)

    def input_columns(self):
        return (Column("N"), Column("D"), Column("p", RATIO))

    def features(self, columns, frame: pd.DataFrame) -> Observations:
        if FAMILY_COLUMN in frame.columns and frame[FAMILY_COLUMN].nunique(dropna=False) > 1:
            families = ", ".join(map(str, frame[FAMILY_COLUMN].unique()[:5]))
            raise AtlasError(
                f"law 'msl': column '{FAMILY_COLUMN}' holds several families ({families}); MSL is one law per "
                f"family: use fit_groups(law, df, by='{FAMILY_COLUMN}')"
            )
        return {"logN": np.log(columns["N"]), "logD": np.log(columns["D"]), "logp": np.log(columns["p"])}

    def log_loss(self, theta: np.ndarray, obs: Observations) -> Term:
        return Sum(
            LogSumExp(
                Linear(theta, [(0, 1.0)]),
                Linear(theta, [(1, 1.0), (3, -obs["logN"])]),
                Linear(theta, [(2, 1.0), (4, -obs["logD"])]),
            ),
            Linear(theta, [(self.index("gamma"), -obs["logp"])]),
        )
