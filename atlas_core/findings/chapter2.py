"""Chapter 2, monolingual scaling and repetition: the paper's claims decided on our monolingual grid.

Decision rules, fixed before the results:

- nearly parallel compute-optimal trajectories: the exponent a_N = beta / (alpha + beta) of CSL fitted per
  language within +-0.1 of 0.5 (the decoded Table C.1 has alpha = beta for every language), a t interval over
  languages;
- repeated tokens saturate as in the data-constrained law that ATLAS's S_lambda is (the paper publishes no lambda
  of its own; Muennighoff et al.'s C4 fit has lambda = 1/R*_D = 0.065, a repeated token worth half a unique one
  after 11.7 epochs): monolingual ATLAS's saturation rate lambda within a factor of 2 of 0.065, the 95%
  bootstrap interval over the language's runs;
- multilingual training taxes every language: the Unimax run's loss relative to the monolingual run of the same
  size and budget at their last common evaluation, > 0, a t interval over (language, size) pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from atlas_core.analysis import observations
from atlas_core.analysis.scaling import fit_per_language, law_points, parameter_table, unimax_tax
from atlas_core.findings.evidence import Estimate, bootstrap_interval, judge, mean_interval
from atlas_core.findings.tables import StudyTables, run_seconds
from atlas_core.findings.verdict import Claim, Region
from atlas_core.fit import FitResult, bootstrap_fit
from atlas_core.laws import Atlas, Chinchilla

CHAPTER = 2
STARTS = 300  # multi-start grid points per fit
N_BOOTSTRAP = 100  # resamples of a language's runs for lambda's interval
C4_LAMBDA = 0.065  # 1 / R*_D of Muennighoff et al.'s C4 fit (datablations README)
SATURATION = Region(low=C4_LAMBDA / 2, high=C4_LAMBDA * 2)  # a repeated token worth half after 6 to 22 epochs


def parallel_claim(a_n: pd.Series, seconds_per_language: float | None = None) -> Claim:
    """Nearly parallel trajectories, on the per-language compute-optimal exponents ``a_n``."""
    return judge(CHAPTER, "compute-optimal trajectories are nearly parallel (a_N)", "0.5 for every language",
                 mean_interval(a_n, "languages") if len(a_n) else None, Region.around(0.5, 0.1),
                 needs="CSL fitted to two or more languages", seconds_per_replicate=seconds_per_language)


def saturation_claim(lang: str, estimate: Estimate | None, seconds_per_run: float | None = None) -> Claim:
    """The saturation rate lambda of one language trained with a unique-token cap, with its bootstrap interval."""
    return judge(CHAPTER, f"repeated tokens saturate as in the data-constrained law ({lang}: lambda)",
                 "lambda = 1/R*_D = 0.065 (Muennighoff et al., C4; ATLAS fits but does not publish lambda)",
                 estimate, SATURATION,
                 needs="a language trained with two unique-token pools", seconds_per_replicate=seconds_per_run)


def tax_claim(tax: pd.DataFrame, seconds_per_pair: float | None = None) -> Claim:
    """The compute-efficiency tax of Unimax training, on a :func:`~atlas_core.analysis.scaling.unimax_tax`."""
    ends = tax.sort_values("tokens").groupby(["lang", "N"])["gap"].last() if len(tax) else pd.Series(dtype=float)
    return judge(CHAPTER, "multilingual (Unimax) training costs every language loss", "positive, largest for English",
                 mean_interval(ends, "(language, size) pairs") if len(ends) else None, Region.above(0.0),
                 needs="Unimax runs evaluated on the grid's languages", seconds_per_replicate=seconds_per_pair)


def lambda_estimate(table: pd.DataFrame, fit: FitResult, n_bootstrap: int = N_BOOTSTRAP) -> Estimate:
    """Monolingual ATLAS's lambda with the 95% bootstrap interval over the runs of ``table``."""
    samples = bootstrap_fit(Atlas(), table, n=n_bootstrap, seed=0, fit=fit)
    return bootstrap_interval(fit.params["lambda"], samples["lambda"], n=table["run_id"].nunique())


def lambda_estimates(ends: Mapping[str, pd.DataFrame], atlas_fits: Mapping[str, FitResult],
                     n_bootstrap: int = N_BOOTSTRAP) -> dict[str, Estimate]:
    """:func:`lambda_estimate` of every language of ``ends`` trained on two unique-token pools whose monolingual
    ATLAS fit (``atlas_fits``) succeeded."""
    return {lang: lambda_estimate(table, atlas_fits[lang], n_bootstrap) for lang, table in ends.items()
            if table["U"].nunique() == 2 and atlas_fits[lang].ok}


def saturation_sentences(estimates: Mapping[str, Estimate], n_bootstrap: int) -> str:
    """One line per language: lambda, its bootstrap interval and the epochs after which a repeated token is worth
    half a unique one or less (1 + ln 2 / lambda at the interval's upper end)."""
    return "\n".join(f"{lang}: lambda {e.value:.3f}, 95% bootstrap interval [{e.low:.3g}, {e.high:.3g}] over "
                     f"{n_bootstrap} resamples of its {e.n} runs: a repeated token is worth half a unique one after "
                     f"{1 + np.log(2) / e.high:.1f} epochs or more." for lang, e in estimates.items())


def claims(tables: StudyTables) -> list[Claim]:
    """Chapter 2's claims on the study's monolingual scaling grid and Unimax runs."""
    grid = tables.experiment("mono", "scaling")
    if grid.empty:
        return [parallel_claim(pd.Series(dtype=float)), saturation_claim("no language", None),
                tax_claim(pd.DataFrame())]
    languages = sorted(grid["target"].dropna().unique())
    ends = {lang: observations(law_points(grid), lang) for lang in languages}
    csl = parameter_table(fit_per_language({"CSL": (Chinchilla(), {})}, ends, starts=STARTS))
    seconds = run_seconds(grid)
    out = [parallel_claim(csl["a_N"].dropna(), float(seconds.sum() / len(languages)))]
    repeated = {lang: table for lang, table in ends.items() if table["U"].nunique() == 2}
    fits = fit_per_language({"ATLAS": (Atlas(), {})}, repeated, starts=STARTS)
    estimates = lambda_estimates(repeated, {lang: fits[("ATLAS", lang)] for lang in repeated})
    out += [saturation_claim(lang, estimates.get(lang), float(seconds[table["run_id"].unique()].mean()))
            for lang, table in repeated.items()]
    tax = unimax_tax(grid, tables.kind("unimax"), languages)
    unimax_seconds = run_seconds(tables.kind("unimax"))
    pairs = max(tax.groupby(["lang", "N"]).ngroups, 1) if len(tax) else 1
    out.append(tax_claim(tax, float(unimax_seconds.sum() / pairs)))
    return out
