"""Chinchilla-form laws along their compute-optimal frontier: for each budget C = 6 N D, the best (N, D) and loss."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.laws import Chinchilla, compute_optimal


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
