"""Held-out R^2 of a law, split exactly as the ATLAS paper does (App. B.3), per language and averaged.

Splits (the held-out rows; the law is fitted on the rest):

* ``random``: a seeded random ``frac`` (20 %) of the rows;
* ``N``: the largest model sizes: the top ``frac`` of the distinct N values (at least one);
* ``D``: rows whose D is in the top ``frac`` of D (every row tied with the threshold included);
* ``C``: the same on compute C = 6 N D;
* ``M``: every mixture other than mono, bilingual and Unimax: rows whose ``mixture_kind`` column is not in
  ``keep_mixtures``.

R^2 is on the loss (not the log loss), over the held-out rows. With a ``lang`` column (or ``by``) each
language gets its own fit and its own R^2, and the result's ``r2`` is their mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from atlas_core.errors import AtlasError
from atlas_core.fit.core import fit_law
from atlas_core.fit.groups import LawSpec, law_for, split_groups
from atlas_core.fit.result import r_squared
from atlas_core.laws.validate import numeric_column

SPLITS = ("random", "N", "D", "C", "M")
MIXTURE_COLUMN = "mixture_kind"
SIMPLE_MIXTURES = ("mono", "bilingual", "unimax")


@dataclass
class HeldoutR2:
    """Held-out R^2 of the loss: ``r2`` (mean over groups), ``by_group`` (one per group), sizes of the splits."""

    split: str
    r2: float
    by_group: pd.Series
    n_train: pd.Series
    n_test: pd.Series

    def __float__(self) -> float:
        return self.r2


def _top(values: np.ndarray, frac: float) -> np.ndarray:
    """Rows whose value is at least the value ranked ceil(frac * n) from the top (ties all included)."""
    k = max(1, int(np.ceil(frac * len(values))))
    return values >= np.sort(values)[-k]


def heldout_mask(frame: pd.DataFrame, split: str, *, frac: float = 0.2, seed: int = 0,
                 mixture_column: str = MIXTURE_COLUMN,
                 keep_mixtures: Sequence[str] = SIMPLE_MIXTURES) -> np.ndarray:
    """Boolean mask of the held-out rows of ``frame`` for ``split`` (see the module docstring)."""
    if split not in SPLITS:
        raise AtlasError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if not 0 < frac < 1:
        raise AtlasError(f"held-out fraction must be in (0, 1), got {frac!r}")
    n = len(frame)
    if split == "random":
        mask = np.zeros(n, dtype=bool)
        mask[np.random.default_rng(seed).permutation(n)[: max(1, int(np.ceil(frac * n)))]] = True
        return mask
    if split == "M":
        if mixture_column not in frame.columns:
            raise AtlasError(f"split 'M' needs a column '{mixture_column}' (mono, bilingual, unimax or other)")
        return ~frame[mixture_column].isin(list(keep_mixtures)).to_numpy()
    N = numeric_column(frame, "N", what=f"split '{split}'")
    if split == "N":
        sizes = np.unique(N)
        if len(sizes) < 2:
            raise AtlasError("split 'N' needs at least two distinct model sizes N")
        return N >= sizes[-max(1, int(np.ceil(frac * len(sizes))))]
    D = numeric_column(frame, "D", what=f"split '{split}'")
    return _top(D if split == "D" else 6.0 * N * D, frac)


def heldout_r2(law: LawSpec, df: pd.DataFrame, split: str = "random", *, by: str | None = None, frac: float = 0.2,
               seed: int = 0, mixture_column: str = MIXTURE_COLUMN,
               keep_mixtures: Sequence[str] = SIMPLE_MIXTURES, progress: bool = False, **fit_kwargs) -> HeldoutR2:
    """Fit ``law`` on the rows a split keeps and return the R^2 of the loss on the rows it holds out.

    ``by`` defaults to ``"lang"`` when that column exists (one fit and one R^2 per language, then the mean);
    ``law`` may be a factory ``(key, rows) -> Law`` for per-group laws. ``fit_kwargs`` go to ``fit_law``.
    """
    by = by if by is not None else ("lang" if isinstance(df, pd.DataFrame) and "lang" in df.columns else None)
    groups = split_groups(df, by) if by else {"all": df}
    scores, n_train, n_test = {}, {}, {}
    for key, rows in tqdm(groups.items(), desc=f"held-out R2 ({split})", disable=not progress):
        mask = heldout_mask(rows, split, frac=frac, seed=seed, mixture_column=mixture_column,
                            keep_mixtures=keep_mixtures)
        where = f"{by} = {key}: " if by else ""
        if mask.all() or not mask.any():
            raise AtlasError(f"{where}split '{split}' leaves {'no training' if mask.all() else 'no held-out'} rows")
        train, test = rows[~mask], rows[mask]
        try:
            fit = fit_law(law_for(law, key, train), train, seed=seed, **fit_kwargs)
            loss = numeric_column(test, "loss", what="held-out rows")
            scores[key] = r_squared(loss, fit.predict(test))
        except AtlasError as err:
            raise AtlasError(f"{where}{err}") from err
        n_train[key], n_test[key] = len(train), len(test)
    by_group = pd.Series(scores, name="r2")
    return HeldoutR2(split=split, r2=float(np.nanmean(by_group.to_numpy())), by_group=by_group,
                     n_train=pd.Series(n_train, name="n_train"), n_test=pd.Series(n_test, name="n_test"))
