"""Is transfer reciprocal? The scores of a -> b against b -> a (ATLAS Sec. 4, Fig. 3 left: r = -0.11), overall and
within each relation of the pairs. The statistic itself is :func:`~atlas_core.analysis.matrix.double_entry_r`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from atlas_core.analysis.matrix import double_entry_r, square_scores
from atlas_core.analysis.transfer_factors import FACTORS, RELATIONS, relation


def reciprocal_pairs(matrix: pd.DataFrame, languages: Mapping) -> pd.DataFrame:
    """One row per unordered pair {a, b} measured in both directions (a < b): a, b, a_to_b (score of source a on
    target b), b_to_a, and the pair's relation (see :func:`relation`)."""
    codes, scores = square_scores(matrix)
    rows = []
    for i, j in itertools.combinations(range(len(codes)), 2):
        a, b = sorted((codes[i], codes[j]))
        ia, ib = codes.index(a), codes.index(b)
        if np.isfinite(scores[ib, ia]) and np.isfinite(scores[ia, ib]):
            rows.append(dict(a=a, b=b, a_to_b=scores[ib, ia], b_to_a=scores[ia, ib],
                             same_script=languages[a].script == languages[b].script,
                             same_family=languages[a].family == languages[b].family))
    table = pd.DataFrame(rows, columns=["a", "b", "a_to_b", "b_to_a", "same_script", "same_family"])
    return table.assign(relation=relation(table)).drop(columns=list(FACTORS))


def _reciprocity(table: pd.DataFrame) -> dict:
    n = len(table)
    out = dict(r=np.nan, n_pairs=n, p=np.nan, ci_low=np.nan, ci_high=np.nan, note="")
    if n < 3:
        out["note"] = f"{n} pair(s) measured both ways: need at least 3"
        return out
    r = double_entry_r(table["a_to_b"].to_numpy(), table["b_to_a"].to_numpy())
    out["r"] = r
    if abs(r) < 1:
        t = r * np.sqrt((n - 2) / (1 - r * r))
        out["p"] = float(2 * stats.t.sf(abs(t), n - 2))
    if n > 3 and abs(r) < 1:
        half = 1.959964 / np.sqrt(n - 3)
        out["ci_low"], out["ci_high"] = float(np.tanh(np.arctanh(r) - half)), float(np.tanh(np.arctanh(r) + half))
    return out


def symmetry_test(matrix: pd.DataFrame, languages: Mapping) -> pd.Series:
    """Reciprocity of transfer: Pearson r between s->t and t->s (both orientations of each pair, as
    :func:`~atlas_core.analysis.matrix.symmetry`), its two-sided p-value and 95% Fisher-z interval taking the
    n_pairs unordered pairs as the sample (approximate: pairs sharing a language are not independent).
    NaN with a note below 3 pairs."""
    return pd.Series(_reciprocity(reciprocal_pairs(matrix, languages)), dtype=object)


def symmetry_by_relation(matrix: pd.DataFrame, languages: Mapping, *, overall: bool = False) -> pd.DataFrame:
    """:func:`symmetry_test` within each relation of the pairs (index: relation), and over ``"all pairs"`` as a
    last row when ``overall``."""
    pairs = reciprocal_pairs(matrix, languages)
    rows = {rel: _reciprocity(pairs[pairs["relation"] == rel]) for rel in RELATIONS if (pairs["relation"] == rel).any()}
    if overall:
        rows["all pairs"] = _reciprocity(pairs)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("relation")
