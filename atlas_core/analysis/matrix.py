"""Statistics of a target x source transfer matrix, grouped by the languages' script and family (ATLAS Sec. 4).

Works on any matrix with rows = target and columns = source (the paper's Fig. C.2 from
``atlas_core.published.transfer_matrix()``, or ours from ``atlas_core.analysis.transfer.transfer_matrix``), with
language metadata from ``atlas_core.data.LANGUAGES`` (kept out of ``published``, which must not import ``data``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError


def matrix_pairs(matrix: pd.DataFrame, languages: Mapping) -> pd.DataFrame:
    """One row per measured (source, target) pair off the diagonal, with names, scripts and families.

    Columns: source, target, score, source_name, target_name, source_script, target_script, source_family,
    target_family, same_script, same_family. ``languages`` maps a code to an object with ``name``, ``script``
    and ``family`` (``atlas_core.data.LANGUAGES``).
    """
    unknown = sorted((set(matrix.index) | set(matrix.columns)) - set(languages))
    if unknown:
        raise AtlasError(f"transfer matrix: no language metadata for {', '.join(map(str, unknown))}")
    pairs = matrix.rename_axis(index="target", columns="source").stack().rename("score").reset_index()
    pairs = pairs[pairs["source"] != pairs["target"]].dropna(subset=["score"])
    for role in ("source", "target"):
        for field in ("name", "script", "family"):
            pairs[f"{role}_{field}"] = [getattr(languages[code], field) for code in pairs[role]]
    pairs["same_script"] = pairs["source_script"] == pairs["target_script"]
    pairs["same_family"] = pairs["source_family"] == pairs["target_family"]
    return pairs.reset_index(drop=True)


def grouped_order(codes, languages: Mapping) -> list[str]:
    """Language codes sorted by family, then script, then code: related languages sit in adjacent rows."""
    return sorted(codes, key=lambda code: (languages[code].family, languages[code].script, code))


def square_scores(matrix: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The languages of a matrix (rows and columns) and its scores on them (NaN where unmeasured)."""
    codes = list(dict.fromkeys([*matrix.index, *matrix.columns]))
    return codes, matrix.reindex(index=codes, columns=codes).to_numpy(dtype=np.float64)


def double_entry_r(forward: np.ndarray, backward: np.ndarray) -> float:
    """The reciprocity statistic: Pearson r between the scores a->b and b->a with each unordered pair entered in
    both orientations, so that the value does not depend on which language is called a."""
    return float(np.corrcoef(np.r_[forward, backward], np.r_[backward, forward])[0, 1])


def symmetry(matrix: pd.DataFrame) -> float:
    """:func:`double_entry_r` over every off-diagonal pair measured in both directions. The paper reports
    r = -0.11 (no reciprocity)."""
    common = [code for code in matrix.index if code in matrix.columns]
    square = matrix.loc[common, common].to_numpy(dtype=np.float64)
    upper = np.triu(np.ones_like(square, dtype=bool), k=1) & np.isfinite(square) & np.isfinite(square.T)
    if 2 * upper.sum() < 3:
        raise AtlasError("symmetry: fewer than 3 pairs measured in both directions")
    return double_entry_r(square[upper], square.T[upper])


def group_means(pairs: pd.DataFrame) -> pd.DataFrame:
    """Mean score and count of pairs sharing or not sharing a script, and a family (index: group)."""
    rows = []
    for column, label in (("same_script", "script"), ("same_family", "family")):
        for shared in (True, False):
            scores = pairs.loc[pairs[column] == shared, "score"]
            rows.append((f"{'same' if shared else 'different'} {label}", scores.mean(), len(scores)))
    return pd.DataFrame(rows, columns=["group", "mean", "n"]).set_index("group")


def top_source_counts(matrix: pd.DataFrame, k: int = 5) -> pd.Series:
    """For each source, how many targets rank it among their top ``k`` sources (ties at the k-th score count).

    Sorted by count, largest first. The paper: English is a top-5 source for 19 of 30 targets, French 16,
    Spanish 13, Hebrew 11 (Fig. 2).
    """
    counts = pd.Series(0, index=matrix.columns, dtype=int)
    for target, row in matrix.iterrows():
        scores = row.drop(labels=[target], errors="ignore").dropna()
        if len(scores) < k:
            continue
        counts[scores.index[scores >= scores.nlargest(k).iloc[-1]]] += 1
    return counts.sort_values(ascending=False, kind="stable")
