"""The decision rule on intervals whose answer is known."""

import math

import pytest

from atlas_core.errors import AtlasError
from atlas_core.findings import Claim, Region, Verdict, claims_table, decide


def test_interval_inside_the_region_reproduces() -> None:
    assert decide(0.05, 0.20, Region.above(0.0)) is Verdict.REPRODUCED
    assert decide(0.08, 0.13, Region.around(0.11, 0.05)) is Verdict.REPRODUCED


def test_interval_outside_the_region_contradicts() -> None:
    assert decide(-0.30, -0.10, Region.above(0.0)) is Verdict.CONTRADICTED
    assert decide(0.30, 0.40, Region.around(0.11, 0.05)) is Verdict.CONTRADICTED


def test_interval_across_a_boundary_is_undecided() -> None:
    assert decide(-0.05, 0.20, Region.above(0.0)) is Verdict.UNDECIDED
    assert decide(0.0, 0.5, Region.around(0.11, 0.05)) is Verdict.UNDECIDED


def test_degenerate_interval_is_no_evidence() -> None:
    assert decide(-2.73, -2.73, Region.above(0.0)) is Verdict.UNDECIDED


@pytest.mark.parametrize("low, high", [(1.0, 0.0), (math.nan, 1.0), (0.0, math.inf)])
def test_bad_interval_is_refused(low: float, high: float) -> None:
    with pytest.raises(AtlasError, match="interval"):
        decide(low, high, Region.above(0.0))


def test_region_needs_an_extent() -> None:
    with pytest.raises(AtlasError, match="margin"):
        Region.around(1.0, 0.0)
    assert Region.above(0.87).describe() == "> 0.87"


def test_claims_table_keeps_order_and_verdict_text() -> None:
    rows = [Claim(2, "a", "0.1", 0.2, 0.1, 0.3, Verdict.REPRODUCED, "r"),
            Claim(2, "b", "x", None, None, None, Verdict.NOT_MEASURED, "full study")]
    table = claims_table(rows)
    assert list(table["claim"]) == ["a", "b"]
    assert list(table["verdict"]) == ["reproduced", "not measured"]
