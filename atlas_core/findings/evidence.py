"""Our side of a claim: a point estimate with its 95% interval over independent replicates, judged by the rule.

Two ways to obtain the interval, fixed per claim before the results are seen:

- :func:`mean_interval`: Student's t interval of the mean over replicates (seeds, runs, languages or pairs);
- :func:`bootstrap_interval`: the 2.5% and 97.5% quantiles of a statistic refitted on resamples of the runs
  (``atlas_core.fit.bootstrap_fit``), for a fitted law's parameter.

:func:`judge` turns an estimate and the paper's region into a :class:`Claim`; its reason says where the interval
lies and, when the claim is undecided, what would decide it (:mod:`~atlas_core.findings.power`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from atlas_core.findings.power import replicate_cost, what_would_decide
from atlas_core.findings.verdict import Claim, Region, Verdict, decide


@dataclass(frozen=True)
class Estimate:
    """A point estimate, its 95% interval and the ``n`` independent replicates (``over``) behind it."""

    value: float
    low: float
    high: float
    n: int
    over: str  # the replicates, plural: "seeds", "runs", "languages", "language pairs"

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def mean_interval(values: Iterable[float], over: str) -> Estimate:
    """The mean of the finite ``values`` and its 95% t interval; one value gives a zero-width interval."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, over)
    mean = float(x.mean())
    if x.size < 2:
        return Estimate(mean, mean, mean, 1, over)
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Estimate(mean, mean - half, mean + half, int(x.size), over)


def bootstrap_interval(point: float, samples: Iterable[float], n: int, over: str = "runs") -> Estimate:
    """A fitted value with the 2.5-97.5% quantiles of its bootstrap ``samples`` (refits on ``n`` resampled runs)."""
    x = np.asarray([v for v in samples if math.isfinite(v)], dtype=float)
    if x.size < 2 or not math.isfinite(point):
        return Estimate(point, point, point, min(n, 1), over)
    low, high = np.quantile(x, [0.025, 0.975])
    return Estimate(float(point), float(low), float(high), n, over)


def judge(chapter: int, claim: str, paper: str, estimate: Estimate | None, region: Region, *, needs: str,
          replicates: str = "", seconds_per_replicate: float | None = None) -> Claim:
    """The claim decided on ``estimate`` against the paper's ``region``.

    ``needs`` names the runs that measure the claim at all (for a profile without them); ``replicates`` what gives
    it an interval where the profile has one replicate ("5 seeds per pair, as the full profile trains");
    ``seconds_per_replicate``: the measured training cost of one more replicate, for the estimate of what would
    decide an undecided claim (where the spread is not measured, the reason still gives the cost of one more).
    """
    if estimate is None or estimate.n == 0 or not math.isfinite(estimate.value):
        return Claim(chapter, claim, paper, None, None, None, Verdict.NOT_MEASURED, f"not measured here: {needs}")
    if estimate.n < 2:
        return Claim(chapter, claim, paper, estimate.value, estimate.low, estimate.high, Verdict.UNDECIDED,
                     f"no interval from one of the {estimate.over} only: needs "
                     f"{replicates or 'two or more ' + estimate.over}"
                     + replicate_cost(estimate.over, seconds_per_replicate))
    if estimate.low == estimate.high:
        return Claim(chapter, claim, paper, estimate.value, estimate.low, estimate.high, Verdict.UNDECIDED,
                     f"no spread among {estimate.n} {estimate.over} (every replicate or resample gives "
                     f"{estimate.value:.3g}): needs {replicates or 'more ' + estimate.over}"
                     + replicate_cost(estimate.over, seconds_per_replicate))
    verdict = decide(estimate.low, estimate.high, region)
    where = {Verdict.REPRODUCED: "inside", Verdict.CONTRADICTED: "outside",
             Verdict.UNDECIDED: "across a boundary of"}[verdict]
    reason = (f"95% interval over {estimate.n} {estimate.over} [{estimate.low:.3g}, {estimate.high:.3g}] lies "
              f"{where} the paper's region {region.describe()}")
    if verdict is Verdict.UNDECIDED:
        reason += "; " + what_would_decide(estimate.value, estimate.half_width, estimate.n, estimate.over, region,
                                           seconds_per_replicate)
    return Claim(chapter, claim, paper, estimate.value, estimate.low, estimate.high, verdict, reason)
