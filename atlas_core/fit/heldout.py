"""Held-out R^2 of a law, split as the ATLAS paper does (App. B.3), per language and averaged: the one engine that
``heldout_r2`` and the Table 1 comparison (``atlas_core.analysis.law_comparison``) both use.

Splits (the held-out rows; the law is fitted on the rest):

* ``random``: a seeded random ``frac`` (20 %) of the rows;
* ``N``: "a couple of scales of model sizes, including the largest": the largest size and the upper median size
  (``sizes[n // 2]`` of the n distinct sizes in increasing order). On the paper's ladders (S_full, 20 sizes, and
  S_part, 11) that is exactly its 660M and 8B. On a 6-size ladder it holds out the 4th and the 6th size and fits
  on the other four; on a 4-size ladder it holds out the two largest and fits on the two smallest. Where fewer than
  two sizes would be left to fit on (three sizes or fewer), only the largest is held out;
* ``D``: rows whose D is in the top ``frac`` of D (every row tied with the threshold included);
* ``C``: the same on training compute C = 6 N D_total, all tokens the run trained on (``training_compute``; a
  table without ``D_total`` is monolingual and uses D);
* ``M``: every mixture other than mono, bilingual and Unimax: rows whose ``mixture_kind`` column is not in
  ``keep_mixtures``.

R^2 is on the loss (not the log loss), over the held-out rows. With a ``lang`` column (or ``by``) each
language gets its own fit and its own R^2, and the result's ``r2`` is their mean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from atlas_core.errors import AtlasError
from atlas_core.fit.core import fit_law
from atlas_core.fit.groups import LawSpec, law_for, split_groups
from atlas_core.fit.nested import fit_beyond
from atlas_core.fit.result import FitResult, r_squared
from atlas_core.laws import Law
from atlas_core.laws.validate import numeric_column

SPLITS = ("random", "N", "D", "C", "M")
MIXTURE_COLUMN = "mixture_kind"
SIMPLE_MIXTURES = ("mono", "bilingual", "unimax")

Fitter = Callable[..., FitResult]  # (law, rows, **fit_kwargs) -> FitResult, e.g. fit_law or a two-stage fit
Inputs = Callable[[pd.DataFrame, str], pd.DataFrame]  # (rows, group key) -> the law's own input columns


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


@dataclass
class HeldoutScore:
    """One law fitted on the kept rows and scored on the held-out ones. ``fit.status`` is ``failed`` (and
    ``predicted`` None, ``r2`` NaN) when the fit could not be made or its prediction is not finite."""

    fit: FitResult
    predicted: np.ndarray | None
    r2: float
    n_train: int
    n_test: int


def heldout_sizes(N: np.ndarray) -> np.ndarray:
    """The model sizes the ``N`` split holds out: the largest and the upper median (see the module docstring)."""
    sizes = np.unique(N)
    if len(sizes) < 2:
        raise AtlasError("split 'N' needs at least two distinct model sizes N")
    held = {sizes[-1], sizes[len(sizes) // 2]}
    return np.array(sorted(held if len(sizes) - len(held) >= 2 else {sizes[-1]}))


def training_compute(frame: pd.DataFrame, what: str = "split 'C'") -> np.ndarray:
    """C = 6 N D_total (every training token), or 6 N D for a table without ``D_total``."""
    N = numeric_column(frame, "N", what=what)
    return 6.0 * N * numeric_column(frame, "D_total" if "D_total" in frame.columns else "D", what=what)


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
    if split == "N":
        N = numeric_column(frame, "N", what="split 'N'")
        return np.isin(N, heldout_sizes(N))
    if split == "C":
        return _top(training_compute(frame), frac)
    return _top(numeric_column(frame, "D", what="split 'D'"), frac)


def score_heldout(law: LawSpec, rows: pd.DataFrame, mask: np.ndarray, *, key: str | None = None,
                  inputs: Inputs | None = None, fitter: Fitter = fit_law, nested: FitResult | None = None,
                  **fit_kwargs) -> HeldoutScore:
    """Fit ``law`` (or the factory's law for group ``key``) with ``fitter`` on ``rows[~mask]`` and score it on
    ``rows[mask]``. ``inputs`` derives the law's own columns from the rows (e.g. MSL's D and p); ``nested``: the
    fit, on the same rows, of a law this one extends, used as one more start (``atlas_core.fit.nested``). A fit
    that fails is returned with status ``failed`` and the reason as its message, never raised."""
    if mask.all() or not mask.any():
        raise AtlasError(f"the split leaves {'no training' if mask.all() else 'no held-out'} rows")
    n_train, n_test = int((~mask).sum()), int(mask.sum())
    derive = (lambda frame: frame) if inputs is None else (lambda frame: inputs(frame, key))
    built: Law | None = None
    try:
        train, test = derive(rows[~mask]), derive(rows[mask])
        built = law_for(law, key, train)
        with np.errstate(over="ignore", invalid="ignore"):
            fit = fitter(built, train, **fit_kwargs)
            if nested is not None:
                fit = fit_beyond(built, train, fit, nested, **fit_kwargs)
            predicted = fit.predict(test)
        loss = numeric_column(test, "loss", what="held-out rows")
    except AtlasError as err:
        return HeldoutScore(FitResult.failed(built, str(err)), None, float("nan"), n_train, n_test)
    if not np.all(np.isfinite(predicted)):  # e.g. A = e^a overflowing when a term runs off to alpha -> infinity
        failed = FitResult.failed(built, f"degenerate fit ({fit.status}): its prediction is not finite")
        return HeldoutScore(failed, None, float("nan"), n_train, n_test)
    return HeldoutScore(fit, predicted, r_squared(loss, predicted), n_train, n_test)


def heldout_r2(law: LawSpec, df: pd.DataFrame, split: str = "random", *, by: str | None = None, frac: float = 0.2,
               seed: int = 0, mixture_column: str = MIXTURE_COLUMN,
               keep_mixtures: Sequence[str] = SIMPLE_MIXTURES, progress: bool = False, **fit_kwargs) -> HeldoutR2:
    """Fit ``law`` on the rows a split keeps and return the R^2 of the loss on the rows it holds out.

    ``by`` defaults to ``"lang"`` when that column exists (one fit and one R^2 per language, then the mean);
    ``law`` may be a factory ``(key, rows) -> Law`` for per-group laws. ``fit_kwargs`` go to ``fit_law``.
    A split or fit that fails raises ``AtlasError`` naming the group.
    """
    by = by if by is not None else ("lang" if isinstance(df, pd.DataFrame) and "lang" in df.columns else None)
    groups = split_groups(df, by) if by else {"all": df}
    scores, n_train, n_test = {}, {}, {}
    for key, rows in tqdm(groups.items(), desc=f"held-out R2 ({split})", disable=not progress):
        where = f"{by} = {key}: " if by else ""
        try:
            mask = heldout_mask(rows, split, frac=frac, seed=seed, mixture_column=mixture_column,
                                keep_mixtures=keep_mixtures)
            score = score_heldout(law, rows, mask, key=key, seed=seed, **fit_kwargs)
        except AtlasError as err:
            raise AtlasError(f"{where}split '{split}': {err}") from err
        if score.predicted is None:
            raise AtlasError(f"{where}split '{split}': {score.fit.message}")
        scores[key], n_train[key], n_test[key] = score.r2, score.n_train, score.n_test
    by_group = pd.Series(scores, name="r2")
    return HeldoutR2(split=split, r2=float(np.nanmean(by_group.to_numpy())), by_group=by_group,
                     n_train=pd.Series(n_train, name="n_train"), n_test=pd.Series(n_test, name="n_test"))
