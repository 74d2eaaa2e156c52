"""Chapter 3's claims: orderings of held-out R² decided by a t-interval over languages and seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.analysis.law_comparison import ATLAS_DT, ATLAS_FULL, ATLAS_OTHER, CSL, CSL_DT, DCSL, MSL
from atlas_core.findings import Verdict
from atlas_core.findings.chapter3 import ordering_claim, table1_claims


def r2_rows(scores: dict[str, list[float]], split: str, langs=("es", "ru", "pt")) -> pd.DataFrame:
    """One row per (law, language) for a split, seed 0; ``scores`` maps a law to one R² per language."""
    return pd.DataFrame([dict(law=law, lang=lang, split=split, seed=0, r2=r2)
                         for law, values in scores.items() for lang, r2 in zip(langs, values)])


def test_an_ordering_is_reproduced_contradicted_or_undecided():
    table = r2_rows({ATLAS_DT: [0.9, 0.85, 0.92], CSL: [0.6, 0.62, 0.55], DCSL: [0.95, 0.9, 0.97]}, "N")
    assert ordering_claim(table, "c", "p", ATLAS_DT, CSL, "N").verdict is Verdict.REPRODUCED
    assert ordering_claim(table, "c", "p", ATLAS_DT, DCSL, "N").verdict is Verdict.CONTRADICTED
    mixed = r2_rows({ATLAS_DT: [0.9, 0.5, 0.7], CSL: [0.6, 0.8, 0.7]}, "N")
    assert ordering_claim(mixed, "c", "p", ATLAS_DT, CSL, "N").verdict is Verdict.UNDECIDED
    one = r2_rows({ATLAS_DT: [0.9], CSL: [0.6]}, "N", langs=("es",))
    claim = ordering_claim(one, "c", "p", ATLAS_DT, CSL, "N")
    assert claim.verdict is Verdict.UNDECIDED and claim.low == claim.high  # one value: a degenerate interval
    nan = r2_rows({ATLAS_DT: [np.nan], CSL: [0.6]}, "N", langs=("es",))
    assert ordering_claim(nan, "c", "p", ATLAS_DT, CSL, "N").verdict is Verdict.NOT_MEASURED


def test_table1_claims_cover_both_settings():
    mono = pd.concat([r2_rows({CSL: [0.90, 0.92, 0.91], DCSL: [0.91, 0.93, 0.90], ATLAS_DT: [0.92, 0.91, 0.93]},
                              split) for split in ("random", "N", "D")])
    multi = pd.concat([r2_rows({CSL_DT: [0.6] * 3, MSL: [0.65] * 3, ATLAS_DT: [0.7] * 3, ATLAS_OTHER: [0.95] * 3,
                                ATLAS_FULL: [0.97, 0.965, 0.975]}, split) for split in ("random", "N", "M")])
    claims = {c.claim: c for c in table1_claims(mono, multi)}
    assert len(claims) == 9
    assert claims["mono: all laws fit alike (spread of R^2)"].verdict is Verdict.REPRODUCED
    assert claims["mono: the laws extrapolate to the largest D (best R^2(D))"].verdict is Verdict.REPRODUCED
    assert claims["multi: transfer terms lift R^2(M)"].verdict is Verdict.REPRODUCED
    assert claims["multi: D_other lifts R^2"].verdict is Verdict.UNDECIDED  # constant difference: zero width


def test_an_undecided_ordering_says_what_more_languages_would_cost():
    mixed = r2_rows({ATLAS_DT: [0.9, 0.5, 0.8], CSL: [0.6, 0.8, 0.7]}, "N")
    claim = ordering_claim(mixed, "c", "p", ATLAS_DT, CSL, "N", seconds=3 * 3600.0)
    assert claim.verdict is Verdict.UNDECIDED
    assert "would decide it (now 3)" in claim.reason and "core-hours more" in claim.reason
    one = ordering_claim(r2_rows({ATLAS_DT: [0.9], CSL: [0.6]}, "N", langs=("es",)), "c", "p", ATLAS_DT, CSL, "N",
                         seconds=7200.0)
    assert "more languages on the scaling grid" in one.reason and "costs about 2 core-hours" in one.reason
