"""One decision rule for every claim: where does our 95% interval lie relative to the region the paper claims?

A claim is a region of the measured quantity: a direction (``Region.above(0)``: "the effect is positive"), a
threshold (``Region.above(0.87)``: "R² of at least 0.87"), or a value with a margin of practical equivalence
(``Region.around(0.11, 0.05)``). Our estimate comes with a 95% interval ``[low, high]`` over seeds, runs or
bootstrap resamples. The rule is an interval test, the two one-sided tests of equivalence testing:

- **reproduced**: the whole interval lies inside the region;
- **contradicted**: the whole interval lies outside it (a resolved disagreement);
- **undecided**: the interval straddles a boundary of the region (the data cannot tell), or the interval is
  degenerate (zero width from fewer than two distinct values: no evidence of its width at all).

Two further verdicts carry no interval: **consistency** (a row that holds by construction, e.g. a published
number recomputed from other published numbers) and **not measured** (the profile has no runs for it; the reason
says which profile would).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import Enum

import pandas as pd

from atlas_core.errors import AtlasError


class Verdict(str, Enum):
    REPRODUCED = "reproduced"
    CONTRADICTED = "contradicted"
    UNDECIDED = "undecided"
    CONSISTENCY = "consistency"
    NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Region:
    """The set of values of the measured quantity that agree with the paper's claim: ``low < x < high``."""

    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise AtlasError(f"claim region must have low < high, got [{self.low}, {self.high}]")

    @classmethod
    def above(cls, threshold: float) -> Region:
        return cls(low=threshold)

    @classmethod
    def below(cls, threshold: float) -> Region:
        return cls(high=threshold)

    @classmethod
    def around(cls, value: float, margin: float) -> Region:
        if margin <= 0:
            raise AtlasError(f"margin of equivalence must be positive, got {margin}")
        return cls(low=value - margin, high=value + margin)

    def describe(self) -> str:
        if math.isinf(self.low):
            return f"< {self.high:g}"
        if math.isinf(self.high):
            return f"> {self.low:g}"
        return f"in [{self.low:g}, {self.high:g}]"


def decide(low: float, high: float, region: Region) -> Verdict:
    """The verdict of a 95% interval ``[low, high]`` against the paper's ``region`` (see the module docstring)."""
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise AtlasError(f"a 95% interval needs finite low <= high, got [{low}, {high}]")
    if low == high:
        return Verdict.UNDECIDED
    if region.low <= low and high <= region.high:
        return Verdict.REPRODUCED
    if high <= region.low or low >= region.high:
        return Verdict.CONTRADICTED
    return Verdict.UNDECIDED


@dataclass(frozen=True)
class Claim:
    """One row of a chapter's "paper vs ours" table."""

    chapter: int
    claim: str            # the paper's claim, in one line
    paper: str            # the paper's value or statement, as published
    ours: float | None    # our point estimate (None where not measured or a consistency row)
    low: float | None     # our 95% interval
    high: float | None
    verdict: Verdict
    reason: str           # why: the interval against the region, the control, or what would decide it


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """The claims as a table, one row each, in the given order."""
    rows = [{**asdict(c), "verdict": c.verdict.value} for c in claims]
    return pd.DataFrame(rows, columns=["chapter", "claim", "paper", "ours", "low", "high", "verdict", "reason"])


def claims_beside(ours: list[Claim], full: list[Claim] | None, full_status: str) -> pd.DataFrame:
    """This profile's claims with the full study's verdict on the same claim beside each (matched by chapter and
    claim text). A claim this profile does not measure reads "full study"; claims only the full study measures are
    appended; without full claims (a release still being run), the full columns carry ``full_status``."""
    table = claims_table(ours)
    table.loc[table["verdict"] == Verdict.NOT_MEASURED.value, "verdict"] = "full study"
    if full is None:
        return table.assign(full_verdict=full_status, full_ours=None)
    theirs = {(c.chapter, c.claim): c for c in full}
    table["full_verdict"] = [theirs[k].verdict.value if k in theirs else "not in the full study"
                             for k in zip(table["chapter"], table["claim"])]
    table["full_ours"] = [_interval(theirs.get(k)) for k in zip(table["chapter"], table["claim"])]
    extra = [c for k, c in theirs.items() if k not in set(zip(table["chapter"], table["claim"]))]
    if extra:  # claims only the full study can measure
        more = claims_table(extra).assign(verdict="full study only", ours=None, low=None, high=None, reason="")
        more["full_verdict"] = [c.verdict.value for c in extra]
        more["full_ours"] = [_interval(c) for c in extra]
        table = pd.concat([table, more], ignore_index=True)
    return table


def conflicts(beside: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`claims_beside` table where the two profiles resolve a claim in opposite directions:
    one reproduces it, the other contradicts it (an undecided or unmeasured side is no conflict)."""
    resolved = {Verdict.REPRODUCED.value, Verdict.CONTRADICTED.value}
    if "full_verdict" not in beside.columns:
        return beside.iloc[0:0]
    mask = (beside["verdict"].isin(resolved) & beside["full_verdict"].isin(resolved)
            & (beside["verdict"] != beside["full_verdict"]))
    return beside[mask]


def _interval(claim: Claim | None) -> str:
    if claim is None or claim.ours is None:
        return ""
    if claim.low is None or claim.high is None:
        return f"{claim.ours:.3g}"
    return f"{claim.ours:.3g} [{claim.low:.3g}, {claim.high:.3g}]"
