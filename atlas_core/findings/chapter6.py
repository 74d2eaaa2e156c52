"""Chapter 6's claims: the signs of phi and psi per target language and the Fig. 5 multipliers at 4x languages,
decided on their bootstrap intervals (a one-point interval from a degenerate bootstrap is undecided, never
evidence); Fig. 4's statements and the fit's quality, decided on t intervals over replicates.

Regions: phi > 0 (a capacity curse), psi < 0 (positive transfer); at r = 4 the model must grow (N multiplier
> 1) and the total data must grow by less than r (1 < D_tot multiplier < 4: less data per language, the paper's
"32% less"). The paper's values (0.11, -0.04, 1.40, 2.74) are shown beside ours, not used as the region: the
miniature's exponents need not carry over, their direction should.

:func:`claims` fits the law per target language at the run ends with ``atlas_core.analysis.curse`` (the functions
chapter 6's notebook calls), with :data:`N_BOOTSTRAP` resamples of the runs.

Fig. 4 (:func:`fig4_claims`, on the relative loss of evaluations past :data:`MIN_FRACTION` of each run):

- the relative loss grows with K: the slope of the final relative loss in log K, > 0, a t interval over (target,
  size, seed) groups (``growth_with_k``);
- a larger model suffers less: the slope of the relative loss in log N at fixed K and total tokens, < 0, a t
  interval over (target, K) groups (``mitigation_slopes`` per target);
- model size is the stronger lever: -d/dlog N - |d/dlog D| > 0 (a negative slope in log N, larger in magnitude
  than the slope in log D), over the same groups;
- the law fits each target well: the free fit's in-sample R^2, > 0.8 (the paper's lowest), a t interval over
  target languages.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from atlas_core import published
from atlas_core.analysis.curse import (CurseFit, curse_ends, curse_observations, fig5_multipliers, fit_curse,
                                       growth_with_k, mitigation_slopes, parameter_intervals, relative_loss)
from atlas_core.errors import require_columns
from atlas_core.findings.evidence import Estimate, judge, mean_interval
from atlas_core.findings.tables import StudyTables, run_seconds
from atlas_core.findings.verdict import Claim, Region, Verdict

CHAPTER = 6
SIGNS = (("phi", "phi > 0: a capacity curse", Region.above(0.0)), ("psi", "psi < 0: positive transfer",
                                                                   Region.below(0.0)))
R = 4
MULTIPLIERS = (("N", "model grows at 4x languages (N multiplier > 1)", Region.above(1.0)),
               ("D_tot", "total data grows less than 4x at 4x languages (1 < D_tot multiplier < 4)",
                Region(1.0, float(R))))
RATIOS = (2, 4, 8, 16)  # the language multipliers r of the paper's Fig. 5
N_BOOTSTRAP = 200  # resamples of a language's runs: 5 beyond each 2.5% tail of an interval
PAPER = {"phi": published.CURSE["phi"], "psi": published.CURSE["psi"], **published.CURSE_IMPLIED}
NEEDS = "the capacity runs (uniform mixtures of K languages with their K = 1 runs)"
MIN_FRACTION = 0.1  # Fig. 4: evaluations before 10% of a run are its initial plateau, left out
R2_MIN = 0.8  # the paper's lowest per-language R^2
FIG4 = ("relative loss grows with K (Fig. 4)", "a larger model suffers less (Fig. 4)",
        "model size mitigates more than data: |d/dlog N| > |d/dlog D| (Fig. 4)",
        f"the law fits each target language (mean R^2 > {R2_MIN:g})")


DEGENERATE = "runs that move the fit when resampled (a degenerate bootstrap: the fit sits on a bound; more sizes or K)"


def _decided(claim: str, paper: str, estimate: float, low: float, high: float, region: Region, what: str,
             runs: int, seconds_per_run: float | None) -> Claim:
    """A bootstrap interval of ``what`` over a language's ``runs``, judged against ``region``."""
    known = pd.notna(low) and pd.notna(high)
    interval = Estimate(float(estimate), float(low), float(high), runs, f"runs (bootstrap of {what})") if known \
        else None
    return judge(CHAPTER, claim, paper, interval, region, needs=f"an interval for {what}", replicates=DEGENERATE,
                 seconds_per_replicate=seconds_per_run)


def curse_claims(estimates: pd.DataFrame, multipliers: pd.DataFrame, published: dict[str, float],
                 fig5: pd.DataFrame, runs: Mapping[str, int], seconds_per_run: float | None = None) -> list[Claim]:
    """The interval claims from ``estimates`` (index (lang, parameter), columns estimate, lower, upper), the
    ``multiplier_intervals`` rows (with a ``lang`` column), the paper's ``published`` phi and psi and Fig. 5's
    points (index r, columns N and D_tot); ``runs``: each language's runs behind its bootstrap."""
    require_columns(estimates, ("estimate", "lower", "upper"), "curse_claims (estimates)")
    require_columns(multipliers, ("lang", "r", "N", "N_lower", "N_upper", "D_tot", "D_tot_lower", "D_tot_upper"),
                    "curse_claims (multipliers)")
    claims = []
    for lang in estimates.index.get_level_values(0).unique():
        for name, claim, region in SIGNS:
            row = estimates.loc[(lang, name)]
            claims.append(_decided(f"{claim} ({lang})", f"{published[name]:g}", row["estimate"], row["lower"],
                                   row["upper"], region, name, runs[lang], seconds_per_run))
    for m in multipliers[multipliers["r"] == R].itertuples():
        for quantity, claim, region in MULTIPLIERS:
            claims.append(_decided(f"{claim} ({m.lang})", f"{fig5.loc[R, quantity]:g}", getattr(m, quantity),
                                   getattr(m, f"{quantity}_lower"), getattr(m, f"{quantity}_upper"), region,
                                   f"the {quantity} multiplier", runs[m.lang], seconds_per_run))
    return claims


def claims(tables: StudyTables, n_bootstrap: int = N_BOOTSTRAP, seed: int = 0) -> list[Claim]:
    """Chapter 6's claims on the study's capacity and monolingual runs."""
    fig5 = published.FIG5_MULTIPLIERS.set_index("r")
    capacity = tables.kind("capacity")
    if capacity.empty:
        rows = [(claim, f"{published.CURSE[name]:g}") for name, claim, _ in SIGNS]
        rows += [(claim, f"{fig5.loc[R, quantity]:g}") for quantity, claim, _ in MULTIPLIERS]
        return ([Claim(CHAPTER, claim, paper, None, None, None, Verdict.NOT_MEASURED, f"not measured here: {NEEDS}")
                 for claim, paper in rows] + fig4_claims(pd.DataFrame(), {}))
    fits = fit_curse(curse_ends(capacity, tables.kind("mono")), n_bootstrap=n_bootstrap, seed=seed)
    rel = relative_loss(curse_observations(capacity, min_fraction=MIN_FRACTION))
    return decided(parameter_intervals(fits, PAPER), fig5_multipliers(fits, RATIOS), rel, fits,
                   run_seconds(capacity))


def decided(estimates: pd.DataFrame, multipliers: pd.DataFrame, rel: pd.DataFrame, fits: Mapping[str, CurseFit],
            seconds: pd.Series | None = None) -> list[Claim]:
    """Every claim of the chapter from its analysis tables: :func:`curse_claims` against the paper's phi, psi and
    Fig. 5, then :func:`fig4_claims`. ``seconds``: the capacity runs' training seconds (``run_seconds``), for what
    an undecided claim would cost to decide. A fit at the run ends has one observation per run."""
    runs = {lang: fit.free.n_obs for lang, fit in fits.items()}
    per_run = float(seconds.mean()) if seconds is not None and len(seconds) else None
    total = float(seconds.sum()) if seconds is not None and len(seconds) else None
    return (curse_claims(estimates, multipliers, published.CURSE, published.FIG5_MULTIPLIERS.set_index("r"), runs,
                         per_run)
            + fig4_claims(rel, fits, total))


def fig4_claims(rel: pd.DataFrame, fits: Mapping[str, CurseFit], seconds: float | None = None) -> list[Claim]:
    """Fig. 4's statements on a ``relative_loss`` table, and the fit's quality on the per-language ``fits``
    (the decision rules are in the module docstring); an empty table gives "not measured". ``seconds``: the
    training cost of the capacity runs, shared evenly by each claim's replicates."""
    growth = growth_with_k(rel)["slope"] if len(rel) else pd.Series(dtype=float)
    slopes = mitigation_slopes(rel, by=("lang",)) if len(rel) and (rel["K"] > 1).any() else None
    size = slopes["dlogN"] if slopes is not None else pd.Series(dtype=float)
    lever = -slopes["dlogN"] - slopes["dlogD"].abs() if slopes is not None else pd.Series(dtype=float)
    r2 = pd.Series([fit.free.r2 for fit in fits.values()], dtype=float)
    estimates = ((growth, "(target, size, seed) groups", Region.above(0.0), "yes, at every size"),
                 (size, "(target, K) groups", Region.below(0.0), "yes"),
                 (lever, "(target, K) groups", Region.above(0.0), "yes"),
                 (r2, "target languages", Region.above(R2_MIN), f"> {R2_MIN:g} (8 languages)"))
    return [judge(CHAPTER, claim, paper, mean_interval(values, over) if len(values) else None, region,
                  needs=f"{NEEDS}, at two or more sizes" if over.startswith("(target, K)") else NEEDS,
                  seconds_per_replicate=seconds / len(values) if seconds is not None and len(values) else None)
            for claim, (values, over, region, paper) in zip(FIG4, estimates)]
