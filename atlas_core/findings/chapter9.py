"""Chapter 9's rows: Epoch AI's replication of Chinchilla's Approach 3 (Besiroglu et al. 2024), refitted.

Not a claim of the ATLAS paper and not a study profile's result (the runs are Epoch AI's digitised Chinchilla runs),
so chapter 9 is not in :data:`~atlas_core.findings.CHAPTERS` and has no full-study column. Decision rules, fixed
before the results:

- the Huber-likelihood fit from the same data, objective and start recomputes Epoch AI's printed estimates: a
  consistency row per parameter, ``CONSISTENCY`` within a relative :data:`REL_TOL` of 1e-4 (their digits),
  ``CONTRADICTED`` otherwise;
- Epoch AI's E, alpha and beta lie inside our 95% bootstrap interval of the summed-Huber grid fit: consistency
  rows, ``CONTRADICTED`` when outside;
- Hoffmann et al.'s beta (0.285) is too low, the replication's main finding: our bootstrap interval of beta
  against ``beta > 0.285``, decided by :func:`~atlas_core.findings.verdict.decide`;
- the compute-optimal share a = beta / (alpha + beta) is larger than Hoffmann et al.'s Approach 3 gives (0.456;
  Epoch AI: 0.513, in line with Approaches 1 and 2): our bootstrap interval of a against ``a > 0.456``;
- the bootstrap standard error of alpha matches Epoch AI's (0.0154) within :data:`SE_TOL` (25%: resamples differ
  from their 4000 draws): a consistency row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from atlas_core import published
from atlas_core.errors import require_columns
from atlas_core.findings.verdict import Claim, Region, Verdict, decide

CHAPTER = 9
REL_TOL = 1e-4  # Epoch AI print their likelihood estimates to five or more significant digits
SE_TOL = 0.25
EPOCH_A = 0.513  # Epoch AI's a = beta / (alpha + beta), bootstrap SE 0.020 (their text)
HOFFMANN = published.HOFFMANN_UNROUNDED
HOFFMANN_A = HOFFMANN["beta"] / (HOFFMANN["alpha"] + HOFFMANN["beta"])
INSIDE = ("E", "alpha", "beta")


def _consistency(claim: str, paper: str, value: str, holds: bool, note: str) -> Claim:
    said = "agrees" if holds else "does not match"
    return Claim(CHAPTER, claim, paper, None, None, None, Verdict.CONSISTENCY if holds else Verdict.CONTRADICTED,
                 f"{value}: {said}; {note}")


def _interval_claim(claim: str, paper: str, row: pd.Series, region: Region, n_bootstrap: int) -> Claim:
    low, high = float(row["lower"]), float(row["upper"])
    verdict = decide(low, high, region)
    return Claim(CHAPTER, claim, paper, float(row["estimate"]), low, high, verdict,
                 f"95% bootstrap interval over {n_bootstrap} resamples of the runs; claim region {region.describe()}")


def share_intervals(samples: pd.DataFrame) -> pd.DataFrame:
    """``samples.ci(0.95)`` of a ``BootstrapSamples`` of Chinchilla's law (estimate, lower, upper, se per parameter)
    with a row for a = beta / (alpha + beta), from the resamples and the full-data estimate."""
    require_columns(samples, ("alpha", "beta"), "chapter 9 (bootstrap samples)")
    intervals = samples.ci(0.95)
    a, estimate = samples["beta"] / (samples["alpha"] + samples["beta"]), samples.attrs["estimate"]
    intervals.loc["a"] = [estimate["beta"] / (estimate["alpha"] + estimate["beta"]), *np.percentile(a, [2.5, 97.5]),
                          a.std(ddof=1)]
    return intervals


def replication_claims(mle: Mapping[str, float], samples: pd.DataFrame) -> list[Claim]:
    """Chapter 9's rows from the likelihood fit's parameters ``mle`` and the bootstrap ``samples`` of the
    summed-Huber fit (``atlas_core.fit.bootstrap_fit``)."""
    intervals, n_bootstrap, epoch = share_intervals(samples), len(samples), published.EPOCH
    rows = [_consistency(f"{p} (Huber likelihood, Epoch AI's start)", f"{epoch['mle'][p]:.6g}", f"{mle[p]:.6g}",
                         math.isclose(mle[p], epoch["mle"][p], rel_tol=REL_TOL), "same data, objective and start")
            for p in epoch["mle"]]
    rows += [_consistency(f"Epoch AI's {p} inside our 95% bootstrap interval", f"{epoch['mle'][p]:.4g}",
                          f"[{intervals.loc[p, 'lower']:.4g}, {intervals.loc[p, 'upper']:.4g}]",
                          intervals.loc[p, "lower"] <= epoch["mle"][p] <= intervals.loc[p, "upper"],
                          f"{n_bootstrap} resamples (Epoch AI: 4000)") for p in INSIDE]
    rows.append(_interval_claim("Hoffmann et al.'s beta is too low (beta > 0.285)",
                                f"{epoch['mle']['beta']:.3f} (Hoffmann et al.: {HOFFMANN['beta']:.3f})",
                                intervals.loc["beta"], Region.above(HOFFMANN["beta"]), n_bootstrap))
    rows.append(_interval_claim(f"a = beta / (alpha + beta) above Approach 3's {HOFFMANN_A:.3f}",
                                f"{EPOCH_A} (in line with Approaches 1 and 2)", intervals.loc["a"],
                                Region.above(HOFFMANN_A), n_bootstrap))
    se = epoch["bootstrap_se"]["alpha"]
    rows.append(_consistency("bootstrap SE of alpha", f"{se:.4f}", f"{intervals.loc['alpha', 'se']:.4f}",
                             math.isclose(intervals.loc["alpha", "se"], se, rel_tol=SE_TOL),
                             f"within {SE_TOL:.0%}: our resamples are not Epoch AI's draws"))
    return rows
