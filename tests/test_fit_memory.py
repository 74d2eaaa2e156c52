"""Large tables fit in bounded memory and time: starts are evaluated in blocks, and pruned on a row subsample."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from atlas_core.fit import core, fit_law, objectives
from atlas_core.fit.objectives import HuberLikelihood, HuberObjective
from atlas_core.fit.params import FreeParams
from atlas_core.fit.synthetic import EXAMPLE_PARAMS, synthetic_runs
from atlas_core.laws import Chinchilla

TRUTH = EXAMPLE_PARAMS["chinchilla"]


@pytest.mark.parametrize("kind", [HuberObjective, HuberLikelihood])
def test_blocked_evaluation_equals_one_block(monkeypatch, kind):
    law = Chinchilla()
    obs = law.prepare(synthetic_runs(law, TRUTH, 300, noise=0.05, seed=3), with_loss=True)
    weights = np.random.default_rng(0).poisson(1.0, (7, 300)).astype(float)  # bootstrap multiplicities
    objective = kind(FreeParams(law), obs, weights=weights)
    x = np.random.default_rng(1).normal(size=(7, objective.n_params)) * 0.1 + np.r_[0.5, 6, 7, 0.3, 0.3,
                                                                                    [0.0] * objective.n_extra]
    rows = np.array([6, 0, 3, 3, 1, 2, 5])
    whole = objective.value(x, rows), *objective.value_and_grad(x, rows), *objective.value_and_grad(x)
    monkeypatch.setattr(objectives, "BLOCK_CELLS", 2 * 300)  # two starts per block
    blocked = objective.value(x, rows), *objective.value_and_grad(x, rows), *objective.value_and_grad(x)
    for a, b in zip(whole, blocked):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_pruning_on_a_subsample_finds_the_full_table_optimum(monkeypatch):
    law = Chinchilla()
    runs = synthetic_runs(law, TRUTH, 1000, noise=0.03, seed=5)
    subsampled = fit_law(law, runs, starts=300)
    monkeypatch.setattr(core, "PRUNE_ROWS", len(runs))  # every stage on every row, as before the subsample
    full = fit_law(law, runs, starts=300)
    assert subsampled.status == full.status == "converged"
    assert subsampled.objective == pytest.approx(full.objective, rel=1e-9)
    for name, value in full.params.items():
        assert subsampled.params[name] == pytest.approx(value, rel=1e-5), name


def test_memory_does_not_grow_with_starts_times_rows():
    """4500 starts x 20,000 rows is 720 MB per (S, n) array; the whole fit stays far below that."""
    law = Chinchilla()
    runs = synthetic_runs(law, TRUTH, 20_000, noise=0.02, seed=0)
    tracemalloc.start()
    try:
        fit = fit_law(law, runs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fit.n_starts == 4500 and fit.status == "converged"
    assert peak < 250e6
    for name in ("E", "alpha", "beta"):
        assert fit.params[name] == pytest.approx(TRUTH[name], rel=0.02), name
