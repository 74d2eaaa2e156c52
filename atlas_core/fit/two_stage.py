"""DCSL fitted as Muennighoff et al. (2023) fit it, in two stages: first the Chinchilla base (E, A, B, alpha,
beta) on the single-epoch rows (D <= U), then only R*_D and R*_N on every row with that base held fixed.

``fit_law(DataConstrained(), df)`` is the alternative one-stage fit of all seven parameters at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.fit.core import fit_law
from atlas_core.fit.result import FitResult
from atlas_core.laws import Chinchilla, DataConstrained
from atlas_core.laws.validate import numeric_column

BASE = ("E", "A", "B", "alpha", "beta")


def single_epoch(df: pd.DataFrame) -> pd.DataFrame:
    """The rows that have not repeated their data (D <= U): the first stage's table."""
    D, U = numeric_column(df, "D", what="two-stage DCSL"), numeric_column(df, "U", what="two-stage DCSL")
    return df[D <= U]


def fit_two_stage(law: DataConstrained, df: pd.DataFrame, **fit_kwargs) -> FitResult:
    """The two-stage DCSL fit of ``df`` (columns N, D, U, loss). ``fit_kwargs`` go to both stages' ``fit_law``;
    a ``fixed`` value of a base parameter holds it in the first stage too. The result lists the base among its
    ``fixed`` parameters and names the first stage in ``message``; too few single-epoch rows raise ``AtlasError``.
    """
    if not isinstance(law, DataConstrained):
        raise AtlasError(f"the two-stage fit is for the data-constrained law, got law '{law.name}'")
    first = single_epoch(df)
    fixed = dict(fit_kwargs.pop("fixed", None) or {})
    base_fixed = {k: v for k, v in fixed.items() if k in BASE} or None
    try:
        base = fit_law(Chinchilla(), first, fixed=base_fixed, **fit_kwargs)
    except AtlasError as err:
        raise AtlasError(f"two-stage DCSL, stage 1 on the {len(first)} single-epoch rows (D <= U): {err}") from err
    with np.errstate(over="ignore", invalid="ignore"):
        fit = fit_law(law, df, fixed=fixed | {k: base.params[k] for k in BASE}, **fit_kwargs)
    fit.message = (f"stage 1: Chinchilla base on {base.n_obs} single-epoch rows ({base.status}); "
                   f"stage 2: R_D, R_N ({fit.message})")
    return fit
