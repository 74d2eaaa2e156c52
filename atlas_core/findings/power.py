"""What would decide an undecided claim: replicates needed, from the measured spread, and what they cost.

A 95% interval's half width shrinks as 1/sqrt(n). An interval of half width ``h`` over ``n`` replicates around an
estimate at distance ``g`` from the nearest boundary of the paper's region clears that boundary once
``n' = n (h / g)^2`` replicates give it a half width below ``g`` (the normal approximation: with few replicates
the t quantile also shrinks, so this errs on the side of more). An estimate on the boundary cannot be decided by
more replicates of the same kind.
"""

from __future__ import annotations

import math

from atlas_core.errors import AtlasError
from atlas_core.findings.verdict import Region


def boundary_distance(estimate: float, region: Region) -> float:
    """Distance from ``estimate`` to the nearest finite boundary of ``region``."""
    bounds = [b for b in (region.low, region.high) if math.isfinite(b)]
    return min(abs(estimate - b) for b in bounds)


def replicates_needed(estimate: float, half_width: float, n: int, region: Region) -> float:
    """Replicates for the interval to clear the nearest boundary: ``n (half_width / distance)^2``, rounded up
    (infinite when the estimate sits on the boundary)."""
    if n < 2 or not half_width > 0:
        raise AtlasError(f"replicates_needed needs a measured spread: n = {n}, half width = {half_width}")
    gap = boundary_distance(estimate, region)
    return math.inf if gap == 0 else float(max(n, math.ceil(n * (half_width / gap) ** 2)))


def replicate_cost(over: str, seconds_per_replicate: float | None) -> str:
    """What one more of ``over`` costs, as a clause ("" without a measured cost)."""
    if seconds_per_replicate is None or not math.isfinite(seconds_per_replicate):
        return ""
    return f"; one more replicate ({over}) costs about {seconds_per_replicate / 3600:.2g} core-hours"


def what_would_decide(estimate: float, half_width: float, n: int, over: str, region: Region,
                      seconds_per_replicate: float | None = None) -> str:
    """One plain sentence: how many ``over`` (seeds, runs, ...) would decide the claim, and at what cost."""
    needed = replicates_needed(estimate, half_width, n, region)
    if math.isinf(needed):
        return f"the estimate sits on the boundary: no number of {over} decides it"
    sentence = f"about {needed:.0f} {over} would decide it (now {n})"
    if seconds_per_replicate is not None and math.isfinite(seconds_per_replicate):
        sentence += f", about {(needed - n) * seconds_per_replicate / 3600:.2g} core-hours more"
    return sentence
