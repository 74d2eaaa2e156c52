"""Monotone fits and log-token interpolation of learning curves, on curves with known answers."""

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis.curves import (NotReachedError, as_curve, isotonic_decreasing, loss_at, monotone,
                                        tokens_to_reach)
from atlas_core.errors import AtlasError


def test_isotonic_pools_violators_into_their_mean():
    assert isotonic_decreasing([5, 3, 4, 2, 2.5, 1]).tolist() == [5, 3.5, 3.5, 2.25, 2.25, 1]
    assert isotonic_decreasing([1, 2, 3]).tolist() == [2, 2, 2]
    y = np.array([4.0, 3.0, 2.0])
    assert isotonic_decreasing(y).tolist() == y.tolist()


def test_isotonic_is_the_least_squares_non_increasing_fit():
    rng = np.random.default_rng(0)
    y = np.linspace(3, 1, 30) + rng.normal(0, 0.3, 30)
    fit = isotonic_decreasing(y)
    assert np.all(np.diff(fit) <= 1e-12)
    assert np.isclose(fit.sum(), y.sum())  # PAV preserves the total
    worse = np.minimum.accumulate(y)  # another non-increasing candidate
    assert ((fit - y) ** 2).sum() <= ((worse - y) ** 2).sum()


def test_tokens_to_reach_is_exact_on_a_log_linear_curve():
    tokens = np.geomspace(1e3, 1e6, 13)
    loss = 10 - 0.5 * np.log(tokens)
    target = 10 - 0.5 * np.log(12345.0)
    assert tokens_to_reach(tokens, loss, target) == pytest.approx(12345.0, rel=1e-12)
    assert loss_at(tokens, loss, 12345.0) == pytest.approx(target, rel=1e-12)


def test_isotonic_crossing_is_unbiased_where_a_running_minimum_is_early():
    tokens = np.geomspace(1e3, 1e6, 20)
    loss = 10 - 0.5 * np.log(tokens)
    target, truth = 10 - 0.5 * np.log(3e4), 3e4
    rng = np.random.default_rng(0)
    errors = {"isotonic": [], "cummin": []}
    for _ in range(300):
        noisy = loss + rng.normal(0, 0.15, tokens.size)
        for method, found in errors.items():
            found.append(np.log(tokens_to_reach(tokens, noisy, target, method=method) / truth))
    assert abs(np.mean(errors["isotonic"])) < 0.025
    assert np.mean(errors["cummin"]) < -0.03  # the running minimum follows lucky draws: too early
    assert np.std(errors["isotonic"]) < np.std(errors["cummin"])


def test_never_reached_and_reached_before_the_first_evaluation_are_errors():
    tokens, loss = np.array([1e3, 1e4, 1e5]), np.array([3.0, 2.5, 2.2])
    with pytest.raises(NotReachedError, match="never reaches loss 2.0000"):
        tokens_to_reach(tokens, loss, 2.0)
    with pytest.raises(NotReachedError, match="first evaluation"):
        tokens_to_reach(tokens, loss, 3.5)
    with pytest.raises(AtlasError, match="outside the curve's evaluated range"):
        loss_at(tokens, loss, 2e5)
    with pytest.raises(AtlasError, match="unknown monotone method"):
        monotone(loss, "spline")


def test_as_curve_names_the_first_bad_row_and_averages_repeats():
    df = pd.DataFrame({"tokens": [10, 20, 20], "loss": [3.0, 2.0, 2.2]})
    tokens, loss = as_curve(df)
    assert tokens.tolist() == [10, 20] and loss.tolist() == [3.0, 2.1]
    with pytest.raises(AtlasError, match="row 1 has 0"):
        as_curve(pd.DataFrame({"tokens": [10, 0], "loss": [3.0, 2.0]}))
    with pytest.raises(AtlasError, match="column 'loss'.*row 0 has nan"):
        as_curve(pd.DataFrame({"tokens": [10], "loss": [np.nan]}))
    with pytest.raises(AtlasError, match="missing column 'loss'"):
        as_curve(pd.DataFrame({"tokens": [10]}))
