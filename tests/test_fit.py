"""The fitter: Epoch AI's Chinchilla numbers, exact recovery for every law, objectives' gradients, statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas_core import published
from atlas_core.errors import AtlasError
from atlas_core.fit import FitResult, fit_law, load_fit
from atlas_core.fit.objectives import HuberLikelihood, HuberObjective, huber
from atlas_core.fit.params import FreeParams
from atlas_core.fit.synthetic import EXAMPLE_ATLAS, EXAMPLE_PARAMS, synthetic_runs
from atlas_core.laws import Atlas, Chinchilla, DataConstrained

EPOCH_CSV = published.EPOCH_CHINCHILLA_CSV


@pytest.fixture(scope="module")
def epoch() -> pd.DataFrame:
    return published.epoch_chinchilla_runs(EPOCH_CSV)


@pytest.fixture(scope="module")
def epoch_grid_fit(epoch) -> FitResult:
    return fit_law(Chinchilla(), epoch)


def test_epoch_data_preparation(epoch):
    assert len(epoch) == published.EPOCH["n_runs"]
    assert epoch["loss"].max() < 3.9 and epoch["D"].min() > 0


def test_objectives_at_epochs_published_point(epoch):
    law = Chinchilla()
    obs = law.prepare(epoch, with_loss=True)
    log = published.EPOCH["mle_log"]
    x = np.array([[log["e"], log["a"], log["b"], log["alpha"], log["beta"], log["sigma"]]])
    free = FreeParams(law)
    assert HuberObjective(free, obs).value(x[:, :5])[0] == pytest.approx(published.EPOCH["huber_sum_at_mle"], rel=1e-7)
    assert HuberLikelihood(free, obs).value(x)[0] == pytest.approx(published.EPOCH["mle_neg_loglik"], abs=1e-4)


def test_epoch_grid_huber_fit(epoch_grid_fit):
    fit = epoch_grid_fit
    expected = published.EPOCH["grid"]
    assert fit.n_starts == 4500 and fit.status == "converged"
    for name, rel in (("A", 1e-2), ("B", 1e-2), ("E", 1e-3), ("alpha", 1e-3), ("beta", 1e-3)):
        assert fit.params[name] == pytest.approx(expected[name], rel=rel), name
    assert fit.objective == pytest.approx(published.EPOCH["grid_huber_sum"], rel=1e-6)
    assert fit.n_agree >= 3  # several independent starts polish to the same optimum
    assert fit.r2 > 0.99


@pytest.mark.parametrize("from_hoffmann", [True, False])
def test_epoch_huber_likelihood_mle(epoch, from_hoffmann):
    starts = [published.HOFFMANN_UNROUNDED] if from_hoffmann else 300
    fit = fit_law(Chinchilla(), epoch, objective="mle", starts=starts)
    for name, value in published.EPOCH["mle"].items():
        assert fit.params[name] == pytest.approx(value, rel=1e-3), name
    assert fit.sigma == pytest.approx(published.EPOCH["mle_log"]["sigma"], abs=1e-3)
    assert fit.objective == pytest.approx(published.EPOCH["mle_neg_loglik"], abs=1e-3)
    assert fit.status == "converged"


def test_tied_exponents_and_fixed_parameters():
    law = DataConstrained()
    truth = EXAMPLE_PARAMS["data-constrained"] | {"beta": EXAMPLE_PARAMS["data-constrained"]["alpha"]}
    runs = synthetic_runs(law, truth, 150, seed=4)
    tied = fit_law(law, runs, tie_exponents=True, starts=400)
    assert tied.free == ["E", "A", "B", "alpha", "R_D", "R_N"]
    assert tied.params["beta"] == tied.params["alpha"] == pytest.approx(truth["alpha"], rel=1e-5)
    base = {k: truth[k] for k in ("E", "A", "B", "alpha")}
    two_stage = fit_law(law, runs, tie_exponents=True, fixed=base)  # Muennighoff's second stage: R_D, R_N only
    assert two_stage.free == ["R_D", "R_N"] and two_stage.fixed == base
    assert two_stage.params["R_D"] == pytest.approx(truth["R_D"], rel=1e-5)
    assert two_stage.params["R_N"] == pytest.approx(truth["R_N"], rel=1e-5)


@pytest.mark.parametrize("objective", [HuberObjective, HuberLikelihood])
def test_objective_gradients_match_finite_differences(objective):
    law = EXAMPLE_ATLAS
    runs = synthetic_runs(law, EXAMPLE_PARAMS["atlas"], 60, noise=0.02, seed=2)
    free = FreeParams(law, tie_exponents=True, fixed={"E": 1.7})
    weights = np.random.default_rng(0).integers(0, 3, size=(2, len(runs)))
    target = objective(free, law.prepare(runs, with_loss=True), delta=0.05, weights=weights)
    internal = law.to_internal(EXAMPLE_PARAMS["atlas"])
    x = np.array([[internal[law.index(n)] for n in free.names] + [-3.0] * target.n_extra] * 2)
    x[1] += 0.01
    _, grad = target.value_and_grad(x)
    for j in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, j] = 1e-7
        fd = (target.value(x + step) - target.value(x - step)) / 2e-7
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-5, atol=1e-7)


def test_huber_is_quadratic_inside_and_linear_outside():
    rho, drho = huber(np.array([-0.3, 0.0005, 0.2]), 1e-3)
    np.testing.assert_allclose(rho, [1e-3 * (0.3 - 5e-4), 0.5 * 0.0005**2, 1e-3 * (0.2 - 5e-4)])
    np.testing.assert_allclose(drho, [-1e-3, 0.0005, 1e-3])


def test_lambda_on_its_floor_is_reported_at_bound():
    """Data without any repetition effect drive lambda to its lower bound; the fit says so instead of
    claiming an interior optimum."""
    runs = synthetic_runs(Atlas(), EXAMPLE_PARAMS["chinchilla"] | {"lambda": 1e-6}, 120, seed=3)
    fit = fit_law(Atlas(), runs, starts=300)
    assert fit.status == "at_bound" and fit.at_bound == ["lambda"]


def test_irreducible_loss_driven_to_zero_is_reported_at_bound():
    runs = synthetic_runs(Chinchilla(), EXAMPLE_PARAMS["chinchilla"] | {"E": 0.0}, 40, seed=5)
    fit = fit_law(Chinchilla(), runs, starts=300)
    assert fit.params["E"] < 1e-6 and fit.status == "at_bound" and fit.at_bound == ["E"]


def test_fit_result_json_round_trip():
    law = EXAMPLE_ATLAS
    runs = synthetic_runs(law, EXAMPLE_PARAMS["atlas"], 80, noise=0.01, seed=9)
    fit = fit_law(law, runs, starts=200)
    again = load_fit(fit.to_json())
    assert isinstance(again, FitResult) and again.law.config() == law.config()
    assert again.params == fit.params and again.status == fit.status
    np.testing.assert_array_equal(again.predict(runs), fit.predict(runs))


def test_bad_fit_requests():
    runs = synthetic_runs(Chinchilla(), EXAMPLE_PARAMS["chinchilla"], 4, seed=0)
    with pytest.raises(AtlasError, match="4 observations but 5 free parameters"):
        fit_law(Chinchilla(), runs)
    runs = synthetic_runs(Chinchilla(), EXAMPLE_PARAMS["chinchilla"], 20, seed=0)
    with pytest.raises(AtlasError, match="'loss' row 3: value -1.0 must be finite and > 0"):
        fit_law(Chinchilla(), runs.assign(loss=runs.loss.where(runs.index != 3, -1.0)))
    with pytest.raises(AtlasError, match="missing column"):
        fit_law(Chinchilla(), runs.drop(columns="loss"))
    with pytest.raises(AtlasError, match="objective must be one of"):
        fit_law(Chinchilla(), runs, objective="mse")
    with pytest.raises(AtlasError, match="cannot fix gamma"):
        fit_law(Chinchilla(), runs, fixed={"gamma": 1.0})
    with pytest.raises(AtlasError, match="lack free parameter"):
        fit_law(Chinchilla(), runs, starts=[{"E": 1.0}])
