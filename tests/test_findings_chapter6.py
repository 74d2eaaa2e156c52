"""Chapter 6's interval claims: a degenerate bootstrap interval is undecided, never a verdict."""

from __future__ import annotations

import pandas as pd

from atlas_core.findings import Verdict
from atlas_core.findings.chapter6 import curse_claims

PAPER = {"phi": 0.11, "psi": -0.04}
FIG5 = pd.DataFrame({"N": [1.40], "D_tot": [2.74]}, index=pd.Index([4], name="r"))


def estimates(rows: dict[tuple[str, str], tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([dict(lang=k[0], parameter=k[1], estimate=v[0], lower=v[1], upper=v[2])
                         for k, v in rows.items()]).set_index(["lang", "parameter"])


def multipliers(lang: str, n: tuple[float, float, float], d: tuple[float, float, float]) -> pd.DataFrame:
    return pd.DataFrame([dict(lang=lang, r=4, N=n[0], N_lower=n[1], N_upper=n[2], D_tot=d[0], D_tot_lower=d[1],
                              D_tot_upper=d[2])])


def test_signs_and_multipliers_are_decided_on_their_intervals():
    est = estimates({("es", "phi"): (0.1, 0.05, 0.2), ("es", "psi"): (-0.2, -0.5, 0.1),
                     ("ru", "phi"): (-2.73, -2.73, -2.73), ("ru", "psi"): (-0.1, -0.3, -0.05)})
    mult = pd.concat([multipliers("es", (1.3, 1.1, 1.6), (2.5, 2.0, 5.0)),
                      multipliers("ru", (0.9, 0.9, 0.9), (1.25, 1.25, 1.25))])
    claims = {c.claim: c for c in curse_claims(est, mult, PAPER, FIG5)}
    assert claims["phi > 0: a capacity curse (es)"].verdict is Verdict.REPRODUCED
    assert claims["psi < 0: positive transfer (es)"].verdict is Verdict.UNDECIDED
    assert claims["psi < 0: positive transfer (ru)"].verdict is Verdict.REPRODUCED
    degenerate = claims["phi > 0: a capacity curse (ru)"]
    assert degenerate.verdict is Verdict.UNDECIDED and "degenerate bootstrap" in degenerate.reason
    assert claims["model grows at 4x languages (N multiplier > 1) (es)"].verdict is Verdict.REPRODUCED
    assert claims["total data grows less than 4x at 4x languages (1 < D_tot multiplier < 4) (es)"].verdict \
        is Verdict.UNDECIDED
    assert claims["model grows at 4x languages (N multiplier > 1) (ru)"].verdict is Verdict.UNDECIDED


def test_an_interval_that_excludes_the_region_contradicts():
    est = estimates({("es", "phi"): (-0.3, -0.5, -0.1), ("es", "psi"): (0.3, 0.1, 0.5)})
    claims = curse_claims(est, multipliers("es", (0.5, 0.3, 0.8), (6.0, 5.0, 7.0)), PAPER, FIG5)
    assert [c.verdict for c in claims] == [Verdict.CONTRADICTED] * 4
