"""Chapter 4, the transfer matrix: the paper's claims decided on our per-seed transfer scores.

Decision rules, fixed before the results (each interval is Student's t over seeds, a seed's value averaged over
the profile's targets first, so that one seed is one replicate):

- related languages transfer more: the gain over the null control (bits per byte) of same-family partners minus
  that of other-family partners, > 0;
- a partner that adds no gradient scores 0 (the paper's zero point): the null control's raw BTS within +-0.1 of 0
  (the pilot's BTS seed sd is 0.03-0.09);
- a language-free partner transfers nothing: the utf3 control's normalized BTS within +-0.25 of 0 (a quarter of
  the null-to-self span), at byte level and again with a shared subword vocabulary.

The paper's own statistics, recomputed on its published 38 x 38 matrix (:func:`paper_matrix_rows`), are
``Verdict.CONSISTENCY`` rows: a check of the paper's reading of its numbers, not a measurement of ours.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from atlas_core import published
from atlas_core.analysis import bts_table, matrix_pairs
from atlas_core.analysis.transfer_controls import CONTROL_NAMES
from atlas_core.analysis.transfer_factors import factor_regression, factor_tests
from atlas_core.analysis.transfer_symmetry import symmetry_test
from atlas_core.findings.evidence import Estimate, judge, mean_interval
from atlas_core.findings.tables import LanguageInfo, StudyTables, run_seconds
from atlas_core.findings.verdict import Claim, Region, Verdict

CHAPTER = 4
EXPERIMENTS = ("transfer", "transfer_controls")  # the byte-level matrix of chapter 4
SUBWORDS = "transfer_spm"  # the same design with a shared SentencePiece vocabulary
CONTROLS = tuple(CONTROL_NAMES)  # partners that are not languages
SEEDS = "5 seeds per pair, as the full profile trains"


def per_seed(scores: pd.DataFrame, value: str) -> Estimate:
    """Mean over seeds of ``value`` averaged over the rows of each seed (a t interval over seeds)."""
    return mean_interval(scores.groupby("seed")[value].mean().dropna(), "seeds")


def related_gap(scores: pd.DataFrame, languages: Mapping[str, LanguageInfo]) -> pd.DataFrame:
    """Per (target, seed): gain over null of same-family language partners minus that of the others."""
    partners = scores[~scores["partner"].isin(CONTROLS)]
    partners = partners.assign(gain=-partners["delta_vs_null"], related=[
        languages[p].family == languages[t].family for p, t in zip(partners["partner"], partners["target"])])
    means = partners.pivot_table(index=["target", "seed"], columns="related", values="gain")
    if not {True, False} <= set(means.columns):
        return pd.DataFrame(columns=["target", "seed", "gap"])
    return (means[True] - means[False]).rename("gap").dropna().reset_index()


def transfer_claims(scores: pd.DataFrame, languages: Mapping[str, LanguageInfo],
                    seconds_per_seed: float | None = None) -> list[Claim]:
    """The chapter's claims on a per-seed :func:`~atlas_core.analysis.bts_table` (bits per byte)."""
    gap = related_gap(scores, languages)
    null = scores[scores["partner"] == "null"]
    utf3 = scores[scores["partner"] == "utf3"]
    seeds = dict(replicates=SEEDS, seconds_per_replicate=seconds_per_seed)
    return [
        judge(CHAPTER, "related languages transfer more than unrelated ones",
              "es<->pt 0.5, ru<->uk 0.3; most pairs < 0",
              per_seed(gap, "gap") if len(gap) else None, Region.above(0.0),
              needs="partners of the target's family and of another family", **seeds),
        judge(CHAPTER, "a partner that adds no gradient scores BTS 0", "0 (the scale's zero point)",
              per_seed(null, "bts") if len(null) else None, Region.around(0.0, 0.1), needs="the null control", **seeds),
        judge(CHAPTER, "a language-free partner (utf3) transfers nothing", "0 (only languages transfer)",
              per_seed(utf3, "bts_norm") if len(utf3) else None, Region.around(0.0, 0.25),
              needs="the utf3, null and self controls", **seeds),
    ]


def subword_claim(scores: pd.DataFrame, seconds_per_seed: float | None = None) -> Claim:
    """The utf3 control with a shared subword vocabulary, on a per-seed :func:`bts_table` of that design."""
    utf3 = scores[scores["partner"] == "utf3"] if len(scores) else scores
    return judge(CHAPTER, "a language-free partner (utf3) transfers nothing, subword vocabulary",
                 "0 (the paper uses a shared SentencePiece vocabulary)",
                 per_seed(utf3, "bts_norm") if len(utf3) else None, Region.around(0.0, 0.25),
                 needs="the utf3, null and self controls with a shared vocabulary", replicates=SEEDS,
                 seconds_per_replicate=seconds_per_seed)


def paper_matrix_rows(paper: pd.DataFrame, languages: Mapping[str, LanguageInfo]) -> list[Claim]:
    """The paper's script, family and reciprocity statistics recomputed on its ``paper`` matrix (rows = target,
    columns = source): Welch's p (pairs as independent), the p clustered by source and target language, and the
    reciprocity r; each a consistency row whose reason gives the recomputed value."""
    pairs = matrix_pairs(paper, languages)
    welch, ols, r = factor_tests(pairs), factor_regression(pairs), symmetry_test(paper, languages)
    rows = [(f"pairs that share a {factor[5:]} transfer more (paper's matrix)", "p < .001",
             f"difference {welch.loc[factor, 'difference']:+.3f}; Welch p = {welch.loc[factor, 'welch_p']:.2g} "
             f"(pairs as independent), p = {ols.loc[factor, 'p_cluster']:.2g} clustered by language (OLS on both "
             f"factors)") for factor in ("same_script", "same_family")]
    rows.append(("transfer is not reciprocal (paper's matrix)", "r = -0.11, not significant",
                 f"r = {r['r']:.3f} over {r['n_pairs']} pairs, p = {r['p']:.2g} with pairs as independent"))
    return [Claim(CHAPTER, claim, paper_value, None, None, None, Verdict.CONSISTENCY, f"recomputed: {reason}")
            for claim, paper_value, reason in rows]


def _scored(rows: pd.DataFrame) -> tuple[pd.DataFrame, float | None]:
    """Per-seed scores of a design's runs (bits per byte) and the training seconds of one seed of it."""
    if rows.empty:
        return pd.DataFrame(columns=["seed", "target", "partner", "bts", "bts_norm", "delta_vs_null"]), None
    return bts_table(rows, loss="bpb"), float(run_seconds(rows).sum() / rows["seed"].nunique())


def claims(tables: StudyTables) -> list[Claim]:
    """Chapter 4's claims on the study's byte-level transfer matrix and its subword twin."""
    scores, seconds = _scored(tables.experiment("bilingual", *EXPERIMENTS))
    subword_scores, subword_seconds = _scored(tables.experiment("bilingual", SUBWORDS))
    return [*transfer_claims(scores, tables.languages, seconds), subword_claim(subword_scores, subword_seconds),
            *paper_matrix_rows(published.transfer_matrix(), tables.languages)]
