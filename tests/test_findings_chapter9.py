"""Chapter 9's rows on synthetic bootstraps: one that recovers Epoch AI's refit, one that contradicts it, one too
noisy to decide."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas_core import published
from atlas_core.errors import AtlasError
from atlas_core.findings import Verdict
from atlas_core.findings.chapter9 import replication_claims, share_intervals
from atlas_core.fit import BootstrapSamples

EPOCH = published.EPOCH["mle"]
C, K, R, U = Verdict.CONTRADICTED, Verdict.CONSISTENCY, Verdict.REPRODUCED, Verdict.UNDECIDED


def samples(shift: float, beta: tuple[float, float], sd_alpha: float) -> BootstrapSamples:
    """1000 resamples around Epoch AI's estimates times (1 + shift) (sd 1%), alpha with sd ``sd_alpha`` and beta
    drawn from N(mean, sd) = ``beta``."""
    rng = np.random.default_rng(0)
    draws = {p: v * (1 + shift) * (1 + 0.01 * rng.standard_normal(1000)) for p, v in EPOCH.items()}
    draws["alpha"] = EPOCH["alpha"] * (1 + shift) + sd_alpha * rng.standard_normal(1000)
    draws["beta"] = beta[0] + beta[1] * rng.standard_normal(1000)
    out = BootstrapSamples(pd.DataFrame(draws))
    out.param_names = list(EPOCH)
    out.attrs["estimate"] = {**{p: v * (1 + shift) for p, v in EPOCH.items()}, "beta": beta[0]}
    return out


@pytest.mark.parametrize("shift, beta, sd_alpha, expected", [
    (0.0, (EPOCH["beta"], 0.02), 0.0154, [K] * 5 + [K, K, K] + [R, R, K]),
    (0.2, (0.25, 0.005), 0.03, [C] * 5 + [C, C, C] + [C, C, C]),
    (0.0, (0.30, 0.10), 0.0154, [K] * 5 + [K, K, K] + [U, U, K]),
])
def test_chapter9_rows(shift, beta, sd_alpha, expected):
    mle = {p: v * (1 + shift) for p, v in EPOCH.items()}
    claims = replication_claims(mle, samples(shift, beta, sd_alpha))
    assert [c.verdict for c in claims] == expected
    assert all(c.chapter == 9 for c in claims)


def test_the_share_a_gets_its_own_interval():
    a = share_intervals(samples(0.0, (EPOCH["beta"], 0.02), 0.0154)).loc["a"]
    assert a["lower"] < EPOCH["beta"] / (EPOCH["alpha"] + EPOCH["beta"]) < a["upper"]


def test_chapter9_names_a_missing_column():
    with pytest.raises(AtlasError, match="missing column.*beta"):
        replication_claims(EPOCH, samples(0.0, (0.3, 0.02), 0.0154).drop(columns="beta"))
