"""Chapter 6's claims that rest on a bootstrap interval: the signs of phi and psi per target language, and the
Fig. 5 multipliers at 4x languages, each decided by ``decide`` (so a one-point interval from a degenerate
bootstrap is undecided, never evidence).

Regions: phi > 0 (a capacity curse), psi < 0 (positive transfer); at r = 4 the model must grow (N multiplier
> 1) and the total data must grow by less than r (1 < D_tot multiplier < 4: less data per language, the paper's
"32% less"). The paper's values (0.11, -0.04, 1.40, 2.74) are shown beside ours, not used as the region: the
miniature's exponents need not carry over, their direction should.

:func:`claims` fits the law per target language at the run ends with ``atlas_core.analysis.curse`` (the functions
chapter 6's notebook calls), with :data:`N_BOOTSTRAP` resamples of the runs.
"""

from __future__ import annotations

import pandas as pd

from atlas_core import published
from atlas_core.analysis.curse import curse_ends, fig5_multipliers, fit_curse, parameter_intervals
from atlas_core.errors import require_columns
from atlas_core.findings.tables import StudyTables
from atlas_core.findings.verdict import Claim, Region, Verdict, decide

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
NEEDS = "not measured here: needs the capacity runs (uniform mixtures of K languages with their K = 1 runs)"


def _decided(claim: str, paper: str, estimate: float, low: float, high: float, region: Region, what: str) -> Claim:
    if not (pd.notna(low) and pd.notna(high)):
        return Claim(CHAPTER, claim, paper, None, None, None, Verdict.NOT_MEASURED,
                     f"not measured here: no interval for {what}")
    reason = f"bootstrap 95% interval of {what}; claim region {region.describe()}"
    if low == high:
        reason += "; one point: a degenerate bootstrap (every resample gave the same value)"
    return Claim(CHAPTER, claim, paper, float(estimate), float(low), float(high), decide(low, high, region), reason)


def curse_claims(estimates: pd.DataFrame, multipliers: pd.DataFrame, published: dict[str, float],
                 fig5: pd.DataFrame) -> list[Claim]:
    """The interval claims from ``estimates`` (index (lang, parameter), columns estimate, lower, upper), the
    ``multiplier_intervals`` rows (with a ``lang`` column), the paper's ``published`` phi and psi and Fig. 5's
    points (index r, columns N and D_tot)."""
    require_columns(estimates, ("estimate", "lower", "upper"), "curse_claims (estimates)")
    require_columns(multipliers, ("lang", "r", "N", "N_lower", "N_upper", "D_tot", "D_tot_lower", "D_tot_upper"),
                    "curse_claims (multipliers)")
    claims = []
    for lang in estimates.index.get_level_values(0).unique():
        for name, claim, region in SIGNS:
            row = estimates.loc[(lang, name)]
            claims.append(_decided(f"{claim} ({lang})", f"{published[name]:g}", row["estimate"], row["lower"],
                                   row["upper"], region, name))
    for m in multipliers[multipliers["r"] == R].itertuples():
        for quantity, claim, region in MULTIPLIERS:
            claims.append(_decided(f"{claim} ({m.lang})", f"{fig5.loc[R, quantity]:g}", getattr(m, quantity),
                                   getattr(m, f"{quantity}_lower"), getattr(m, f"{quantity}_upper"), region,
                                   f"the {quantity} multiplier"))
    return claims


def claims(tables: StudyTables, n_bootstrap: int = N_BOOTSTRAP, seed: int = 0) -> list[Claim]:
    """Chapter 6's interval claims on the study's capacity and monolingual runs."""
    fig5 = published.FIG5_MULTIPLIERS.set_index("r")
    capacity = tables.kind("capacity")
    if capacity.empty:
        rows = [(claim, f"{published.CURSE[name]:g}") for name, claim, _ in SIGNS]
        rows += [(claim, f"{fig5.loc[R, quantity]:g}") for quantity, claim, _ in MULTIPLIERS]
        return [Claim(CHAPTER, claim, paper, None, None, None, Verdict.NOT_MEASURED, NEEDS) for claim, paper in rows]
    fits = fit_curse(curse_ends(capacity, tables.kind("mono")), n_bootstrap=n_bootstrap, seed=seed)
    return curse_claims(parameter_intervals(fits, PAPER), fig5_multipliers(fits, RATIOS), published.CURSE, fig5)
