"""Chapter 6's interval claims: a degenerate bootstrap interval is undecided, never a verdict."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from atlas_core.findings import Verdict
from atlas_core.findings.chapter6 import curse_claims, fig4_claims

PAPER = {"phi": 0.11, "psi": -0.04}
RUNS = {"es": 12, "ru": 12}  # runs behind each language's bootstrap
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
    claims = {c.claim: c for c in curse_claims(est, mult, PAPER, FIG5, RUNS, seconds_per_run=1800.0)}
    assert claims["phi > 0: a capacity curse (es)"].verdict is Verdict.REPRODUCED
    assert claims["psi < 0: positive transfer (es)"].verdict is Verdict.UNDECIDED
    assert claims["psi < 0: positive transfer (ru)"].verdict is Verdict.REPRODUCED
    degenerate = claims["phi > 0: a capacity curse (ru)"]
    assert degenerate.verdict is Verdict.UNDECIDED and "degenerate bootstrap" in degenerate.reason
    assert "costs about 0.5 core-hours" in degenerate.reason
    assert "would decide it (now 12)" in claims["psi < 0: positive transfer (es)"].reason
    assert claims["model grows at 4x languages (N multiplier > 1) (es)"].verdict is Verdict.REPRODUCED
    assert claims["total data grows less than 4x at 4x languages (1 < D_tot multiplier < 4) (es)"].verdict \
        is Verdict.UNDECIDED
    assert claims["model grows at 4x languages (N multiplier > 1) (ru)"].verdict is Verdict.UNDECIDED


def test_an_interval_that_excludes_the_region_contradicts():
    est = estimates({("es", "phi"): (-0.3, -0.5, -0.1), ("es", "psi"): (0.3, 0.1, 0.5)})
    claims = curse_claims(est, multipliers("es", (0.5, 0.3, 0.8), (6.0, 5.0, 7.0)), PAPER, FIG5, RUNS)
    assert [c.verdict for c in claims] == [Verdict.CONTRADICTED] * 4


def relative_losses(k_effect: float, n_effect: float, d_effect: float, sd: float) -> pd.DataFrame:
    """Relative losses rel = log K (k_effect + n_effect log(N/1e4) + d_effect log(D/1e5)) + noise at K > 1: an
    exact plane in log N and log D at each K, 0 at K = 1."""
    rng, rows = np.random.default_rng(0), []
    for lang in ("es", "ru"):
        for seed in range(3):
            for n in (1e4, 3e4, 1e5):
                for k in (1, 2, 4, 8):
                    for d in (1e5, 3e5, 1e6):
                        rel = np.log(k) * (k_effect + n_effect * np.log(n / 1e4) + d_effect * np.log(d / 1e5))
                        rows.append(dict(lang=lang, seed=seed, N=n, K=k, D_total=d, is_final=d == 1e6,
                                         rel_loss=rel + (rng.normal(0, sd) if k > 1 else 0.0)))
    return pd.DataFrame(rows)


def r2_fits(values):
    return {f"l{i}": SimpleNamespace(free=SimpleNamespace(r2=v)) for i, v in enumerate(values)}


@pytest.mark.parametrize("effects, r2, expected", [
    ((0.1, -0.02, -0.005, 0.001), (0.95, 0.97, 0.96), Verdict.REPRODUCED),
    ((-0.1, 0.02, -0.03, 0.001), (0.3, 0.35, 0.32), Verdict.CONTRADICTED),
    ((0.001, -0.0005, 0.0, 0.5), (0.5, 0.99), Verdict.UNDECIDED),
])
def test_fig4_claims_on_synthetic_relative_losses(effects, r2, expected):
    claims = fig4_claims(relative_losses(*effects), r2_fits(r2))
    assert [c.verdict for c in claims] == [expected] * 4


def test_fig4_claims_without_capacity_runs_are_not_measured():
    claims = fig4_claims(pd.DataFrame(), {})
    assert {c.verdict for c in claims} == {Verdict.NOT_MEASURED}
