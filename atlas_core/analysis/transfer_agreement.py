"""Do our transfer scores agree with the paper's matrix? Pairs measured in both, their correlation, and each
target's sources ranked.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from atlas_core.analysis.transfer import transfer_matrix
from atlas_core.analysis.transfer_controls import CONTROL_NAMES
from atlas_core.errors import require_columns

PAPER_BLOCK = "paper, same languages (Fig. C.2)"


def matched_pairs(ours: pd.DataFrame, theirs: pd.DataFrame, names: tuple[str, str] = ("ours", "paper")) -> pd.DataFrame:
    """Ordered off-diagonal pairs measured in both matrices: source, target and the two scores (columns ``names``)."""
    def stack(matrix: pd.DataFrame, name: str) -> pd.DataFrame:
        long = matrix.rename_axis(index="target", columns="source").stack().rename(name).reset_index()
        return long[long["source"] != long["target"]]

    table = stack(ours, names[0]).merge(stack(theirs, names[1]), on=["source", "target"]).dropna()
    return table[["source", "target", *names]].sort_values(["target", "source"]).reset_index(drop=True)


def agreement(matched: pd.DataFrame, x: str = "ours", y: str = "paper") -> pd.Series:
    """How two sets of scores on the same pairs agree: n, Pearson r and Spearman rho with two-sided p-values, and
    top_source_matches of targets (targets with two or more sources where x's best source is among y's best,
    ties included). NaN correlations with a note below 3 pairs or when a side is constant."""
    require_columns(matched, ["source", "target", x, y], "agreement")
    n = len(matched)
    out = dict(n=n, pearson_r=np.nan, pearson_p=np.nan, spearman_rho=np.nan, spearman_p=np.nan,
               top_source_matches=0, targets=0, note="")
    if n < 3 or matched[x].nunique() < 2 or matched[y].nunique() < 2:
        out["note"] = "fewer than 3 pairs, or a constant side: no correlation"
    else:
        pearson, spearman = stats.pearsonr(matched[x], matched[y]), stats.spearmanr(matched[x], matched[y])
        out.update(pearson_r=float(pearson.statistic), pearson_p=float(pearson.pvalue),
                   spearman_rho=float(spearman.statistic), spearman_p=float(spearman.pvalue))
    for _, group in matched.groupby("target"):
        if len(group) >= 2:
            out["targets"] += 1
            best = group.loc[group[x].idxmax(), "source"]
            out["top_source_matches"] += int(best in set(group.loc[group[y] == group[y].max(), "source"]))
    return pd.Series(out, dtype=object)


def ranked_sources(matrix: pd.DataFrame) -> pd.DataFrame:
    """Each target's measured sources from best to worst: target, rank (1 = best), source, score."""
    long = matrix.rename_axis(index="target", columns="source").stack().rename("score").reset_index()
    long = long[long["source"] != long["target"]].dropna(subset=["score"])
    long = long.sort_values(["target", "score"], ascending=[True, False], kind="stable")
    long["rank"] = long.groupby("target").cumcount() + 1
    return long[["target", "rank", "source", "score"]].reset_index(drop=True)


def same_block(matrix: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``matrix`` restricted to the targets and sources of ``like`` that it has (the paper's scores on our
    languages), in ``like``'s order."""
    return matrix.loc[[t for t in like.index if t in matrix.index], [s for s in like.columns if s in matrix.columns]]


def source_orders(matrices: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each target's sources from best to worst ("pt > it > ru"), one column per named matrix."""
    return pd.DataFrame({name: ranked_sources(m).groupby("target")["source"].agg(" > ".join)
                         for name, m in matrices.items()})


def score_matrices(summary: pd.DataFrame, paper: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Our language partners' matrices from a :func:`~atlas_core.analysis.summarize_transfer` table (raw BTS,
    normalized BTS, and the final-loss gain over the null control in bits per byte) and the ``paper``'s scores on
    the same languages (:data:`PAPER_BLOCK`), by name. Rows are targets, columns sources."""
    languages_only = summary[~summary["partner"].isin(list(CONTROL_NAMES))]
    raw = transfer_matrix(languages_only)
    return {"ours, raw BTS": raw, "ours, normalized": transfer_matrix(languages_only, value="bts_norm_mean"),
            "ours, final-loss gain over null": -transfer_matrix(languages_only, value="delta_vs_null_mean"),
            PAPER_BLOCK: same_block(paper, raw)}
