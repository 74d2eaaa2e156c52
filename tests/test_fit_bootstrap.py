"""Bootstrap: Epoch's standard errors, reproducibility, and CI coverage of the true parameters."""

from __future__ import annotations

import numpy as np
import pytest

from atlas_core import published
from atlas_core.errors import AtlasError
from atlas_core.fit import BootstrapSamples, bootstrap_fit, fit_law
from atlas_core.fit.synthetic import EXAMPLE_ATLAS, EXAMPLE_PARAMS, synthetic_runs
from atlas_core.laws import Chinchilla, CurseLaw, DataConstrained, MultilingualSL

EPOCH_CSV = published.EPOCH_CHINCHILLA_CSV


@pytest.fixture(scope="module")
def epoch_bootstrap() -> BootstrapSamples:
    runs = published.epoch_chinchilla_runs(EPOCH_CSV)
    fit = fit_law(Chinchilla(), runs, starts=[published.EPOCH["grid"]])
    return bootstrap_fit(Chinchilla(), runs, n=200, seed=0, fit=fit)


def test_epoch_standard_errors_match_published(epoch_bootstrap):
    """Epoch drew 4000 resamples with another RNG; 200 of ours give SEs within sampling error (~10 %)."""
    se = epoch_bootstrap.se()
    for name, value in published.EPOCH["bootstrap_se"].items():
        assert se[name] == pytest.approx(value, rel=0.2), name
    ci = epoch_bootstrap.ci(0.95)
    for name, value in published.EPOCH["mle"].items():  # the headline estimates lie inside our intervals
        assert ci.loc[name, "lower"] < value < ci.loc[name, "upper"], name
    assert (epoch_bootstrap["status"] == "converged").all()
    assert ci.loc["A", "estimate"] == pytest.approx(published.EPOCH["grid"]["A"], rel=1e-2)


def test_bootstrap_is_seeded_and_keeps_its_type(epoch_bootstrap):
    runs = published.epoch_chinchilla_runs(EPOCH_CSV)
    fit = fit_law(Chinchilla(), runs, starts=[published.EPOCH["grid"]])
    again = bootstrap_fit(Chinchilla(), runs, n=200, seed=0, fit=fit)
    np.testing.assert_array_equal(again[["A", "beta"]].to_numpy(), epoch_bootstrap[["A", "beta"]].to_numpy())
    other = bootstrap_fit(Chinchilla(), runs, n=20, seed=1, fit=fit)
    assert not np.allclose(other["A"].to_numpy(), epoch_bootstrap["A"].to_numpy()[:20])
    kept = epoch_bootstrap[epoch_bootstrap["status"] == "converged"]
    assert isinstance(kept, BootstrapSamples) and list(kept.ci().index) == Chinchilla().param_names
    with pytest.raises(AtlasError, match="level"):
        kept.ci(95)


def test_bootstrap_intervals_cover_the_truth():
    """Noisy synthetic data (2 % log-normal noise) for every law: the 95 % intervals cover the true parameters
    about 95 % of the time (35 law-parameter pairs; the weakly identified R_D of the data-constrained law is
    the usual miss)."""
    hits = {}
    for law in (Chinchilla(), DataConstrained(), MultilingualSL(), CurseLaw(), EXAMPLE_ATLAS):
        truth = EXAMPLE_PARAMS[law.name]
        runs = synthetic_runs(law, truth, 150, noise=0.02, seed=0)
        ci = bootstrap_fit(law, runs, n=60, seed=0, fit=fit_law(law, runs, starts=300)).ci(0.95)
        assert (ci["upper"] - ci["lower"] > 0).all()
        hits |= {f"{law.name}:{k}": ci.loc[k, "lower"] <= v <= ci.loc[k, "upper"] for k, v in truth.items()}
    misses = [k for k, hit in hits.items() if not hit]
    assert len(hits) == 35 and len(misses) <= 3, misses


@pytest.mark.slow
def test_ninety_percent_intervals_cover_about_ninety_percent():
    """Frequentist coverage over 40 independent noisy data sets (Chinchilla, 5 parameters each)."""
    law, truth = Chinchilla(), EXAMPLE_PARAMS["chinchilla"]
    hits = []
    for seed in range(40):
        runs = synthetic_runs(law, truth, 80, noise=0.03, seed=100 + seed)
        ci = bootstrap_fit(law, runs, n=100, seed=seed, fit=fit_law(law, runs, starts=200)).ci(0.90)
        hits += [ci.loc[k, "lower"] <= v <= ci.loc[k, "upper"] for k, v in truth.items()]
    assert 0.8 <= np.mean(hits) <= 0.98


def test_mle_bootstrap_runs_with_the_likelihood():
    law = Chinchilla()
    runs = synthetic_runs(law, EXAMPLE_PARAMS["chinchilla"], 60, noise=0.02, seed=3)
    fit = fit_law(law, runs, objective="mle", starts=200)
    samples = bootstrap_fit(law, runs, n=10, seed=0, objective="mle", fit=fit)
    assert len(samples) == 10 and samples["objective"].lt(0).all()  # negative log-likelihoods
