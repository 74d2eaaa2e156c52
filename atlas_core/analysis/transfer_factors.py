"""Does sharing a script or a family raise transfer? Tests on a transfer matrix's ordered pairs (ATLAS Sec. 4,
Fig. 3 right).

Input: a ``matrix_pairs`` table (one row per ordered pair with ``score``, ``same_script`` and ``same_family``) or a
target x source matrix. Ordered pairs that share a language are not independent observations (a language's row and
column move together), so the naive Welch test is paired with tests that respect that: two-way cluster-robust
standard errors (by source and by target language) and a permutation of the languages' labels. Small studies get
NaN with a ``note`` saying why rather than an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from atlas_core.analysis.matrix import square_scores
from atlas_core.errors import AtlasError, require_columns

FACTORS = ("same_script", "same_family")
RELATIONS = ("same family and script", "same script only", "same family only", "different family and script")
MIN_CLUSTERS = 5  # fewer languages per side than this: no cluster-robust standard errors
EXACT_MAX_LANGUAGES = 8  # up to this many languages, label permutations are enumerated exactly


def relation(pairs: pd.DataFrame) -> pd.Series:
    """Each pair's relation: one of ``RELATIONS`` from its ``same_script`` and ``same_family`` columns."""
    require_columns(pairs, list(FACTORS), "relation")
    script, family = pairs["same_script"].astype(bool), pairs["same_family"].astype(bool)
    labels = np.select([script & family, script, family], RELATIONS[:3], default=RELATIONS[3])
    return pd.Series(labels, index=pairs.index, name="relation")


def relation_means(pairs: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and count of the score per relation (only relations that occur)."""
    require_columns(pairs, ["score"], "relation_means")
    grouped = pairs.groupby(relation(pairs))["score"]
    table = pd.DataFrame({"mean": grouped.mean(), "sd": grouped.std(), "n": grouped.size()})
    return table.reindex([r for r in RELATIONS if r in table.index])


def factor_tests(pairs: pd.DataFrame, factors: Sequence[str] = FACTORS) -> pd.DataFrame:
    """Welch's t-test of the score of pairs that share a factor against pairs that do not, one row per factor.

    Columns: n_same, n_different, mean_same, mean_different, difference, welch_t, welch_p (two-sided), note.
    The test treats pairs as independent (see the module docstring); NaN when a group has fewer than 2 pairs.
    """
    require_columns(pairs, ["score", *factors], "factor_tests")
    rows = []
    for factor in factors:
        shared = pairs[factor].astype(bool)
        same, different = pairs.loc[shared, "score"], pairs.loc[~shared, "score"]
        row = dict(factor=factor, n_same=len(same), n_different=len(different), mean_same=same.mean(),
                   mean_different=different.mean(), difference=same.mean() - different.mean(),
                   welch_t=np.nan, welch_p=np.nan, note="")
        if min(len(same), len(different)) < 2:
            row["note"] = "fewer than 2 pairs in a group: no test"
        else:
            test = stats.ttest_ind(same, different, equal_var=False)
            row["welch_t"], row["welch_p"] = float(test.statistic), float(test.pvalue)
        rows.append(row)
    return pd.DataFrame(rows).set_index("factor")


def confounded_factors(pairs: pd.DataFrame, factors: Sequence[str] = FACTORS) -> list[str]:
    """Sentences naming the factors whose effects these pairs cannot separate: a factor that never varies, or two
    factors that are equal (or opposite) on every pair. Empty when every factor is identifiable."""
    require_columns(pairs, list(factors), "confounded_factors")
    values = {f: pairs[f].astype(bool).to_numpy() for f in factors}
    out = [f"{f} is the same for every pair" for f, v in values.items() if v.all() or not v.any()]
    for a, b in itertools.combinations(factors, 2):
        if (values[a] == values[b]).all() or (values[a] != values[b]).all():
            out.append(f"{a} and {b} coincide on every pair")
    return out


def factor_regression(pairs: pd.DataFrame, factors: Sequence[str] = FACTORS) -> pd.DataFrame:
    """OLS of the score on the factors (0/1) and an intercept: each factor's effect holding the others fixed.

    One row per term (``const`` and each factor): coef, se_hc3, p_hc3 (heteroskedasticity-robust, pairs taken
    as independent), ci_low / ci_high (95%, HC3), se_cluster, p_cluster (two-way cluster-robust by source and by
    target language; NaN with fewer than ``MIN_CLUSTERS`` languages on a side). ``attrs`` holds n and r2.
    Raises ``AtlasError`` when the factors cannot be separated (see :func:`confounded_factors`) or there are
    too few pairs.
    """
    require_columns(pairs, ["score", "source", "target", *factors], "factor_regression")
    problems = confounded_factors(pairs, factors)
    if problems:
        raise AtlasError(f"factor_regression: cannot separate the factors: {'; '.join(problems)}")
    if len(pairs) < len(factors) + 3:
        raise AtlasError(f"factor_regression: {len(pairs)} pairs are too few for {len(factors)} factors")
    design = sm.add_constant(pairs[list(factors)].astype(float).reset_index(drop=True))
    model = sm.OLS(pairs["score"].to_numpy(dtype=float), design)
    robust = model.fit(cov_type="HC3")
    table = pd.DataFrame({"coef": robust.params, "se_hc3": robust.bse, "p_hc3": robust.pvalues,
                          "ci_low": robust.conf_int()[0], "ci_high": robust.conf_int()[1]})
    table["se_cluster"], table["p_cluster"] = np.nan, np.nan
    sources, targets = pd.factorize(pairs["source"])[0], pd.factorize(pairs["target"])[0]
    if min(sources.max(), targets.max()) + 1 >= MIN_CLUSTERS:
        clustered = model.fit(cov_type="cluster", cov_kwds={"groups": np.column_stack([sources, targets])})
        table["se_cluster"], table["p_cluster"] = clustered.bse, clustered.pvalues
    table.index.name = "term"
    table.attrs.update(n=len(pairs), r2=float(robust.rsquared))
    return table


def _shift(scores: np.ndarray, measured: np.ndarray, labels: np.ndarray) -> float:
    same = labels[:, None] == labels[None, :]
    if not (measured & same).any() or not (measured & ~same).any():
        return np.nan  # a labelling under which no measured pair shares (or differs in) the label
    return float(scores[measured & same].mean() - scores[measured & ~same].mean())


def label_permutation_test(matrix: pd.DataFrame, languages: Mapping, attribute: str = "script", *,
                           n_permutations: int = 10_000, seed: int = 0) -> pd.Series:
    """Does sharing ``attribute`` ("script" or "family") raise the mean score more than chance? A permutation test
    that shuffles the attribute among the languages, so a language's pairs move together.

    Statistic: mean score of off-diagonal pairs sharing the attribute minus that of pairs that do not. With up to
    ``EXACT_MAX_LANGUAGES`` languages every distinct labelling is enumerated (an exact test); otherwise
    ``n_permutations`` random ones. Returns observed, p (one-sided: the shift is at least as large), p_min (the
    smallest p this many languages can give), labellings and method; NaN with a note when no pair shares the
    attribute or none differs.
    """
    codes, scores = square_scores(matrix)
    unknown = [c for c in codes if c not in languages]
    if unknown:
        raise AtlasError(f"label_permutation_test: no language metadata for {', '.join(unknown)}")
    labels = np.array([getattr(languages[c], attribute) for c in codes])
    measured = np.isfinite(scores) & ~np.eye(len(codes), dtype=bool)
    same = labels[:, None] == labels[None, :]
    out = dict(observed=np.nan, p=np.nan, p_min=np.nan, labellings=0, method="", note="")
    if not (measured & same).any() or not (measured & ~same).any():
        out["note"] = f"no measured pair {'shares' if not (measured & same).any() else 'differs in'} its {attribute}"
        return pd.Series(out, dtype=object)
    observed = _shift(scores, measured, labels)
    if len(codes) <= EXACT_MAX_LANGUAGES:
        assignments = sorted(set(itertools.permutations(labels)))
        shifts = np.array([_shift(scores, measured, np.array(a)) for a in assignments])
        valid = shifts[np.isfinite(shifts)]
        p = float(np.mean(valid >= observed - 1e-12))
        p_min = float(np.mean(valid >= valid.max() - 1e-12))
        method = f"exact over {len(valid)} labellings"
    else:
        rng = np.random.default_rng(seed)
        shifts = np.array([_shift(scores, measured, rng.permutation(labels)) for _ in range(n_permutations)])
        valid = shifts[np.isfinite(shifts)]
        p = float((1 + np.sum(valid >= observed - 1e-12)) / (1 + len(valid)))
        p_min = 1.0 / (1 + len(valid))
        method = f"Monte Carlo, {len(valid)} labellings"
    out.update(observed=observed, p=p, p_min=p_min, labellings=len(valid), method=method)
    return pd.Series(out, dtype=object)
