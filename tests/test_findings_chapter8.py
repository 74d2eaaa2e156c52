"""Chapter 8's by-construction rows are consistency checks, and recompute Fig. 5 from the implied exponents."""

from __future__ import annotations

import pytest

from atlas_core import published
from atlas_core.findings import Verdict
from atlas_core.findings.chapter8 import curse_consistency


def test_fig5_rows_are_consistency_checks_without_an_interval():
    claims = curse_consistency(published.CURSE, published.CURSE_IMPLIED)
    assert len(claims) == 4
    assert all(c.verdict is Verdict.CONSISTENCY and c.ours is None and c.low is None for c in claims)
    values = [float(c.reason.split()[1].rstrip(";")) for c in claims]
    assert values == pytest.approx([1.40, 2.74, 0.315, 0.971], abs=0.006)  # Fig. 5 and Sec. 5, printed


def test_other_exponents_give_other_multipliers():
    claims = curse_consistency({"phi": 0.2, "psi": 0.0}, {"alpha": 0.4, "beta": 0.3})
    assert float(claims[0].reason.split()[1].rstrip(";")) == pytest.approx(4 ** 0.5, rel=1e-3)
