"""What would decide an undecided claim, against the formula written out by hand."""

import math

import pytest

from atlas_core.errors import AtlasError
from atlas_core.findings import Region, Verdict
from atlas_core.findings.evidence import Estimate, judge
from atlas_core.findings.power import boundary_distance, replicates_needed, what_would_decide


def test_replicates_needed_follows_the_square_law() -> None:
    # estimate 0.1, half width 0.3 over 4 seeds, boundary at 0: 4 * (0.3 / 0.1)^2 = 36 seeds
    assert replicates_needed(0.1, 0.3, 4, Region.above(0.0)) == 36


def test_the_nearest_boundary_decides() -> None:
    region = Region.around(0.11, 0.05)  # [0.06, 0.16]
    assert boundary_distance(0.15, region) == pytest.approx(0.01)
    assert replicates_needed(0.15, 0.02, 3, region) == math.ceil(3 * (0.02 / 0.01) ** 2 - 1e-9)


def test_an_estimate_on_the_boundary_cannot_be_decided() -> None:
    assert math.isinf(replicates_needed(0.0, 0.1, 5, Region.above(0.0)))
    assert "no number of seeds" in what_would_decide(0.0, 0.1, 5, "seeds", Region.above(0.0))


def test_the_sentence_counts_the_core_hours_of_the_extra_replicates() -> None:
    sentence = what_would_decide(0.1, 0.3, 4, "seeds", Region.above(0.0), seconds_per_replicate=3600.0)
    assert sentence == "about 36 seeds would decide it (now 4), about 32 core-hours more"


def test_without_a_measured_spread_there_is_no_estimate() -> None:
    with pytest.raises(AtlasError, match="measured spread"):
        replicates_needed(0.1, 0.0, 1, Region.above(0.0))


def test_a_claim_without_a_measured_spread_still_says_what_one_more_replicate_costs() -> None:
    one = judge(2, "c", "p", Estimate(0.3, 0.3, 0.3, 1, "seeds"), Region.above(0.0), needs="runs",
                seconds_per_replicate=5400.0)
    assert one.verdict is Verdict.UNDECIDED
    assert one.reason.endswith("needs two or more seeds; one more replicate (seeds) costs about 1.5 core-hours")
    flat = judge(2, "c", "p", Estimate(0.3, 0.3, 0.3, 4, "runs"), Region.above(0.0), needs="runs")
    assert "no spread among 4 runs" in flat.reason and "core-hours" not in flat.reason
