"""Tests on transfer scores: script and family effects, reciprocity, agreement with the published matrix, and BTS
as a function of the model size and of the reference horizon (ATLAS Sec. 4, Fig. 3, App. C.2, Fig. C.1).

Pure math on tables. Inputs are the shapes of :mod:`atlas_core.analysis.transfer` and
:mod:`atlas_core.analysis.matrix`: a target x source matrix (rows target, columns source), its ``matrix_pairs``
table (one row per ordered pair with ``same_script`` and ``same_family``), or a :func:`bts_table` /
:func:`summarize_transfer` table. Ordered pairs that share a language are not independent observations (a
language's rows and columns move together), so the naive tests here are paired with tests that respect that:
two-way cluster-robust standard errors (by source and by target language) and a permutation of the languages'
labels.

Functions that small studies can starve (a few pairs, one seed) return NaN with a ``note`` saying why rather than
raising, so that a chapter shows what its data can and cannot test.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from atlas_core.analysis.matrix import double_entry_r, matrix_pairs
from atlas_core.analysis.transfer import TRANSFER_KEYS, bts_table, transfer_matrix
from atlas_core.errors import AtlasError, require_columns

FACTORS = ("same_script", "same_family")
# The partners a bilingual experiment may add per target that are not languages (atlas_core.experiments.kinds).
CONTROL_NAMES = {"self": "self control (ceiling)", "null": "null control (zero point)",
                 "utf3": "utf3 control (random 3-byte characters)", "rand": "rand control (random bytes)"}
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


def _square(matrix: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The languages of a matrix (rows and columns) and its scores on them (NaN where unmeasured)."""
    codes = list(dict.fromkeys([*matrix.index, *matrix.columns]))
    return codes, matrix.reindex(index=codes, columns=codes).to_numpy(dtype=np.float64)


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
    codes, scores = _square(matrix)
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


def reciprocal_pairs(matrix: pd.DataFrame, languages: Mapping) -> pd.DataFrame:
    """One row per unordered pair {a, b} measured in both directions (a < b): a, b, a_to_b (score of source a on
    target b), b_to_a, and the pair's relation (see :func:`relation`)."""
    codes, scores = _square(matrix)
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


def symmetry_by_relation(matrix: pd.DataFrame, languages: Mapping) -> pd.DataFrame:
    """:func:`symmetry_test` within each relation of the pairs (index: relation)."""
    pairs = reciprocal_pairs(matrix, languages)
    rows = {rel: _reciprocity(pairs[pairs["relation"] == rel]) for rel in RELATIONS if (pairs["relation"] == rel).any()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("relation")


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


def heatmap_pairs(summary: pd.DataFrame, languages: Mapping, value: str = "bts_mean") -> pd.DataFrame:
    """A :func:`summarize_transfer` table (one scale) in the shape of ``matrix_pairs``, controls included.

    Language partners get their names, scripts and families; control partners (``CONTROL_NAMES``) get a
    descriptive name and ``"control"`` as script, family, same_script and same_family. The score column is
    ``score``; rows with a NaN score are dropped, and no other cell is NaN (charts serialize them to JSON).
    """
    require_columns(summary, ["target", "partner", value], "heatmap_pairs")
    is_control = summary["partner"].isin(list(CONTROL_NAMES))
    parts = []
    if (~is_control).any():
        parts.append(matrix_pairs(transfer_matrix(summary[~is_control], value=value), languages))
    if is_control.any():
        controls = summary.loc[is_control, ["target", "partner", value]].rename(
            columns={"partner": "source", value: "score"}).dropna(subset=["score"])
        parts.append(controls.assign(
            source_name=controls["source"].map(CONTROL_NAMES), source_script="control", source_family="control",
            **{f"target_{field}": [getattr(languages[t], field) for t in controls["target"]]
               for field in ("name", "script", "family")},
            same_script="control", same_family="control"))
    if not parts:
        raise AtlasError("heatmap_pairs: the summary has no rows")
    return pd.concat(parts, ignore_index=True)


def control_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """Each target's controls beside its best language partner, from a :func:`summarize_transfer` table.

    One row per target: null_bts (the zero point: extra steps, no gradient), self_bts (the ceiling), utf3_bts and
    utf3_norm (the language-free partner), best_language, best_bts and best_norm (the language partner with the
    highest raw BTS). Missing controls or partners are NaN.
    """
    require_columns(summary, ["target", "partner", "bts_mean", "bts_norm_mean"], "control_summary")
    rows = []
    for target, group in summary.groupby("target", sort=True):
        by = group.set_index("partner")
        row = dict(target=target, null_bts=np.nan, self_bts=np.nan, utf3_bts=np.nan, utf3_norm=np.nan,
                   best_language=None, best_bts=np.nan, best_norm=np.nan)
        for control in ("null", "self", "utf3"):
            if control in by.index:
                row[f"{control}_bts"] = by.loc[control, "bts_mean"]
        if "utf3" in by.index:
            row["utf3_norm"] = by.loc["utf3", "bts_norm_mean"]
        languages = by.drop(index=list(CONTROL_NAMES), errors="ignore")["bts_mean"].dropna()
        if len(languages):
            best = languages.idxmax()
            row.update(best_language=best, best_bts=by.loc[best, "bts_mean"], best_norm=by.loc[best, "bts_norm_mean"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("target")


def above_control(table: pd.DataFrame, value: str = "bts", control: str = "null") -> pd.DataFrame:
    """``table`` with a column ``<value>_above_<control>``: each row's score minus its control partner's score on
    the same keys (scale, target, and seed and horizon where present), NaN where the control is missing.

    Against ``null`` this is transfer beyond the extra optimizer steps without dividing by the self-null span
    (which the normalized score does, and which is small and noisy for tiny models). Works on
    :func:`~atlas_core.analysis.transfer.bts_table`, :func:`summarize_transfer` and :func:`bts_over_horizon`
    tables.
    """
    keys = [k for k in ("scale", "target", "seed", "horizon") if k in table.columns]
    require_columns(table, ["target", "partner", value], "above_control")
    reference = table.loc[table["partner"] == control, [*keys, value]].rename(columns={value: "_reference"})
    out = table.merge(reference, on=keys, how="left", validate="many_to_one")
    out[f"{value}_above_{control}"] = out[value] - out.pop("_reference")
    return out


def bts_over_horizon(curves: pd.DataFrame, fractions: Sequence[float], **options) -> pd.DataFrame:
    """:func:`~atlas_core.analysis.transfer.bts_table` at several reference horizons, each a fraction of the
    monolingual run's length (its last evaluation): ``horizon`` (the fraction) is added to every row.

    Both curves must be anytime curves (constant learning rate), as for BTS itself. A fraction must be in (0, 1]
    and not below any monolingual run's first evaluation (``AtlasError`` naming it). ``options`` go to
    ``bts_table`` (loss, method; unreached is always "nan").
    """
    fractions = sorted({float(f) for f in fractions})
    if not fractions or fractions[0] <= 0 or fractions[-1] > 1:
        raise AtlasError(f"bts_over_horizon: fractions must lie in (0, 1], got {fractions}")
    require_columns(curves, ["target", "role", "seed", "tokens"], "bts_over_horizon")
    df = curves if "scale" in curves.columns else curves.assign(scale="")
    out = []
    for key, group in df.groupby(list(TRANSFER_KEYS), sort=True):
        if (group["role"] == "mono").all():
            continue  # a reference run that no partner of this key uses
        where = dict(zip(TRANSFER_KEYS, key))
        mono = group.loc[group["role"] == "mono", "tokens"]
        if mono.empty:
            raise AtlasError(f"bts_over_horizon: no monolingual reference run for {where}")
        first, last = float(mono.min()), float(mono.max())
        if fractions[0] * last < first:
            raise AtlasError(f"bts_over_horizon: horizon {fractions[0]:g} is {fractions[0] * last:g} tokens, before "
                             f"the first evaluation ({first:g}) of the monolingual run at {where}")
        out += [bts_table(group, d_mono=f * last, unreached="nan", **options).assign(horizon=f) for f in fractions]
    if not out:
        raise AtlasError("bts_over_horizon: no (scale, target, seed) has both a monolingual and a partner run")
    return pd.concat(out, ignore_index=True)


def rank_stability(table: pd.DataFrame, value: str = "bts") -> pd.DataFrame:
    """Are the partners ranked at each horizon as at the last one? Spearman rho between a target's partner
    scores at each horizon and at its largest horizon, per (scale, target, seed) of a :func:`bts_over_horizon`
    table. Columns: scale, target, seed, horizon, rho, n (partners with a score at both); NaN below 3."""
    require_columns(table, [*TRANSFER_KEYS, "partner", "horizon", value], "rank_stability")
    rows = []
    for key, group in table.groupby(list(TRANSFER_KEYS), sort=True):
        wide = group.pivot_table(index="partner", columns="horizon", values=value)
        final = wide.columns.max()
        for horizon in wide.columns:
            both = pd.concat([wide[horizon], wide[final]], axis=1, keys=["at", "final"]).dropna()
            rho = stats.spearmanr(both["at"], both["final"]).statistic if len(both) >= 3 else np.nan
            rho = round(float(rho), 12)  # rank correlations are ratios of small integers: 0.8, not 0.7999...
            rows.append(dict(zip(TRANSFER_KEYS, key), horizon=horizon, rho=rho, n=len(both)))
    return pd.DataFrame(rows)


def settling_horizon(stability: pd.DataFrame, threshold: float = 0.8) -> pd.DataFrame:
    """The earliest horizon from which a target's partner ranking stays put: per (scale, target, seed) of a
    :func:`rank_stability` table, the smallest horizon h such that rho >= ``threshold`` at h and at every later
    horizon (a NaN rho breaks the run). Columns: scale, target, seed, settled_at (a fraction of d_mono)."""
    require_columns(stability, [*TRANSFER_KEYS, "horizon", "rho"], "settling_horizon")
    rows = []
    for key, group in stability.groupby(list(TRANSFER_KEYS), sort=True):
        settled = np.nan
        for horizon, rho in group.sort_values("horizon", ascending=False)[["horizon", "rho"]].itertuples(index=False):
            if not rho >= threshold:
                break
            settled = horizon
        rows.append(dict(zip(TRANSFER_KEYS, key), settled_at=settled))
    return pd.DataFrame(rows, columns=[*TRANSFER_KEYS, "settled_at"])


def linear_trends(table: pd.DataFrame, x: str, y: str, by: Sequence[str]) -> pd.DataFrame:
    """Least-squares line y = intercept + slope x within each group of ``by`` (the form of the paper's Fig. C.1
    fits). Columns: the ``by`` keys, n, intercept, slope, slope_se, p (two-sided, slope = 0); NaN slope with
    fewer than 2 distinct x, NaN slope_se and p with fewer than 3 points."""
    require_columns(table, [x, y, *by], "linear_trends")
    rows = []
    for key, group in table.dropna(subset=[x, y]).groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key), n=len(group), intercept=np.nan, slope=np.nan, slope_se=np.nan, p=np.nan)
        if group[x].nunique() >= 2:
            fit = stats.linregress(group[x].to_numpy(dtype=float), group[y].to_numpy(dtype=float))
            row.update(intercept=float(fit.intercept), slope=float(fit.slope))
            if len(group) >= 3:
                row.update(slope_se=float(fit.stderr), p=float(fit.pvalue))
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "n", "intercept", "slope", "slope_se", "p"])
