"""Chapter 8's rows that hold by construction: the curse law's Fig. 5 multipliers and compute exponent.

The paper prints phi = 0.11, psi = -0.04 and Fig. 5's exponents (N x r^0.243, D_tot x r^0.728) but not alpha and
beta; the book takes alpha = phi / 0.243 and beta = -psi / 0.272 (``atlas_core.published.CURSE_IMPLIED``). Every
multiplier recomputed from those exponents must then give Fig. 5 back: a consistency check of the transcription,
not a reproduction, so these rows carry ``Verdict.CONSISTENCY`` and no interval. Whether ``iso_loss_multipliers``
is the right optimum is tested separately, against a numerical search (tests/test_paper_equations.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from atlas_core import published
from atlas_core.findings.tables import StudyTables
from atlas_core.findings.verdict import Claim, Verdict
from atlas_core.laws import iso_loss_multipliers

WHY = "alpha = phi/0.243 and beta = -psi/0.272 were derived from Fig. 5's own exponents, so this holds by construction"


def curse_consistency(curse: Mapping[str, float], implied: Mapping[str, float], r: float = 4.0) -> list[Claim]:
    """The Fig. 5 rows at ``r`` times the languages, recomputed from ``curse`` (phi, psi) and ``implied`` (alpha,
    beta) and stated as consistency checks (the recomputed value is in the reason)."""
    at_r = iso_loss_multipliers(curse["phi"], curse["psi"], implied["alpha"], implied["beta"], r).iloc[0]
    exponent = 1 + curse["phi"] / implied["alpha"] + curse["psi"] / implied["beta"]
    rows = [
        (f"model size multiplier at {r:g}x languages, r^(phi/alpha)", "1.40", at_r["N"]),
        (f"total data multiplier at {r:g}x languages, r^(1 + psi/beta)", "2.74", at_r["D_tot"]),
        (f"less data per language at {r:g}x languages, 1 - r^(psi/beta)", "32%", 1 - at_r["D_t"]),
        ("compute exponent 1 + phi/alpha + psi/beta", "0.970", exponent),
    ]
    return [Claim(chapter=8, claim=claim, paper=paper, ours=None, low=None, high=None,
                  verdict=Verdict.CONSISTENCY, reason=f"recomputed {value:.3f}; {WHY}")
            for claim, paper, value in rows]


def claims(tables: StudyTables) -> list[Claim]:
    """Chapter 8's rows: published numbers only, so the study's ``tables`` are not read."""
    del tables
    return curse_consistency(published.CURSE, published.CURSE_IMPLIED)
