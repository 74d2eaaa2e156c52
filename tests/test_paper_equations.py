"""Every law against its equation transcribed separately from the paper (tests/paper_equations.py): the library's
prediction must match it, and fits must recover parameters from data it generated (not from the library's own
``predict``, which would be recovered perfectly even if its formula were wrong)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq, minimize

import paper_equations as paper
from atlas_core.fit import fit_law, fit_two_stage
from atlas_core.fit.synthetic import EXAMPLE_ATLAS, EXAMPLE_PARAMS, synthetic_inputs
from atlas_core.laws import Atlas, Chinchilla, CurseLaw, DataConstrained, MultilingualSL, iso_loss_multipliers
from atlas_core.laws import tau_from_bts

TRANSFER = ("es", "pt", "fr")
EQUATIONS = {
    "chinchilla": (Chinchilla(), paper.csl),
    "data-constrained": (DataConstrained(), paper.dcsl),
    "msl": (MultilingualSL(), paper.msl),
    "curse": (CurseLaw(), paper.curse),
    "atlas": (EXAMPLE_ATLAS, lambda x, p: paper.atlas(x, p, TRANSFER, other=True)),
}


def runs_from_paper(name: str, n: int, seed: int, params=None) -> pd.DataFrame:
    law, equation = EQUATIONS[name]
    frame = synthetic_inputs(law, n, seed)
    return frame.assign(loss=equation(frame, params or EXAMPLE_PARAMS[name]))


@pytest.mark.parametrize("name", list(EQUATIONS))
def test_each_law_predicts_the_papers_equation(name):
    law, equation = EQUATIONS[name]
    rng = np.random.default_rng(1)
    for trial in range(5):  # the example parameters, then random ones around them
        params = {k: v * (1 if trial == 0 else rng.uniform(0.7, 1.3)) for k, v in EXAMPLE_PARAMS[name].items()}
        frame = synthetic_inputs(law, 200, seed=trial)
        np.testing.assert_allclose(law.predict(params, frame), equation(frame, params), rtol=1e-10)


@pytest.mark.parametrize("name", list(EQUATIONS))
def test_exact_recovery_from_data_of_the_papers_equation(name):
    law, _ = EQUATIONS[name]
    truth = EXAMPLE_PARAMS[name]
    fit = fit_law(law, runs_from_paper(name, 150, seed=11), starts=600)
    assert fit.status == "converged"
    for key, value in truth.items():
        assert fit.params[key] == pytest.approx(value, rel=1e-4), key


def test_two_stage_dcsl_recovers_base_and_repetition():
    """Stage 1 sees Chinchilla exactly where no parameter is in excess (N <= N_opt(D)): keep only such
    single-epoch rows, as a study designed for the two-stage fit would."""
    p = EXAMPLE_PARAMS["data-constrained"]
    runs = runs_from_paper("data-constrained", 600, seed=3)
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    excess = (runs["D"] <= runs["U"]) & (runs["N"] > (runs["D"] * G) ** (p["beta"] / p["alpha"]) * G)
    runs = runs[~excess]
    assert (runs["D"] <= runs["U"]).sum() >= 20
    fit = fit_two_stage(DataConstrained(), runs, starts=400)
    assert set(fit.fixed) == {"E", "A", "B", "alpha", "beta"} and fit.free == ["R_D", "R_N"]
    for key, value in EXAMPLE_PARAMS["data-constrained"].items():
        assert fit.params[key] == pytest.approx(value, rel=1e-4), key
    assert "single-epoch rows" in fit.message


def test_iso_loss_optimum_found_numerically():
    """The compute-minimal point of the iso-loss curve (App. B.7.2, Eq. 8), found with scipy on the constraint
    r^phi w_N s^-alpha + r^psi w_D t^-beta = 1 at a compute-optimal baseline, for random exponents."""
    rng = np.random.default_rng(0)
    for _ in range(8):
        phi, psi = rng.uniform(-0.2, 0.3), rng.uniform(-0.2, 0.2)
        alpha, beta, r = rng.uniform(0.15, 0.7), rng.uniform(0.15, 0.7), rng.choice([2.0, 4.0, 16.0])
        w_N = beta / (alpha + beta)

        def log_t(log_s):  # the token multiplier that keeps the loss, for a parameter multiplier s
            rest = 1 - r**phi * w_N * np.exp(-alpha * log_s)
            return np.log(r**psi * (1 - w_N) / rest) / beta if rest > 0 else np.inf

        low = np.log(r**phi * w_N) / alpha + 1e-9
        best = minimize(lambda v: v[0] + log_t(v[0]), x0=[low + 1.0], bounds=[(low, low + 20)], tol=1e-14)
        expected = iso_loss_multipliers(phi, psi, alpha, beta, r).iloc[0]
        assert np.exp(best.x[0]) == pytest.approx(expected["N"], rel=1e-4)
        assert np.exp(log_t(best.x[0])) * r == pytest.approx(expected["D_tot"], rel=1e-4)


@pytest.mark.parametrize("tau", [-0.3, 0.0, 0.25, 1.0, 3.0])
def test_tau_start_inverts_the_bts_of_a_bilingual_run_under_atlas(tau):
    """Simulate the paper's BTS (Sec. 4) under ATLAS: tokens for a 50/50 bilingual run to reach the monolingual
    loss at d_mono, BTS = -(d_bi - 2 d_mono) / d_mono; tau_from_bts must give tau back."""
    p = EXAMPLE_PARAMS["chinchilla"] | {"lambda": 0.1, "tau_s": tau}
    N, d_mono = 1e8, 4.2e10

    def loss(d_t, d_s):
        x = {"N": N, "D": d_t, "U": np.inf, "D_s": d_s, "U_s": np.inf}
        return paper.atlas(x, p, transfer=("s",))

    target = loss(d_mono, 0.0)
    d_bi = brentq(lambda d: loss(d / 2, d / 2) - target, d_mono * 1e-3, d_mono * 1e3, xtol=1.0, rtol=1e-14)
    bts = -(d_bi - 2 * d_mono) / d_mono
    assert float(tau_from_bts(bts)) == pytest.approx(tau, abs=1e-9)


def test_atlas_factory_starts_tau_from_bts():
    frame = synthetic_inputs(Atlas(["pt"]), 10, seed=0)
    matrix = pd.DataFrame({"pt": [0.5]}, index=["es"])
    law = Atlas.for_target(frame, "es", k=1, transfer_matrix=matrix)
    assert law.params[law.index("tau_pt")].grid == (pytest.approx(1 / 3),)  # 0.5 / (2 - 0.5)
