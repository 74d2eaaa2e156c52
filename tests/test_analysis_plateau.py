"""Where the initial plateau ends: on synthetic curves whose plateau is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis.curves import plateau_end
from atlas_core.analysis.plateau import plateau_sentence, plateau_table
from atlas_core.errors import AtlasError

TOKENS = np.geomspace(1e4, 1e7, 16)


def two_step(tokens: np.ndarray, leave: float) -> np.ndarray:
    """Uniform 5.5 falling to a 3.0 plateau by 3e4 tokens, then a second descent to 2.0 centred at ``leave``."""
    first = 2.5 / (1 + (tokens / 2e4) ** 6)
    second = 1.0 / (1 + (leave / tokens) ** 4)
    return 3.0 + first - second + 0.001 * np.log(1e7 / tokens)  # a slight slope along the plateau


def test_the_plateau_ends_where_the_second_descent_begins():
    for leave in (3e5, 1e6):
        end = plateau_end(TOKENS, two_step(TOKENS, leave))
        assert leave / 4 < end < leave  # before the middle of the second descent, within a factor of 4 of it


def test_a_later_second_descent_ends_the_plateau_later_and_noise_does_not_move_it_much():
    rng = np.random.default_rng(0)
    early, late = plateau_end(TOKENS, two_step(TOKENS, 3e5)), plateau_end(TOKENS, two_step(TOKENS, 2e6))
    assert early < late
    noisy = plateau_end(TOKENS, two_step(TOKENS, 3e5) + rng.normal(0, 0.005, TOKENS.size))
    assert noisy == pytest.approx(early, rel=0.5)


def test_a_curve_that_ends_on_the_plateau_or_in_its_first_descent_has_not_left_it():
    assert math.isnan(plateau_end(TOKENS, two_step(TOKENS, 1e9)))
    assert math.isnan(plateau_end(TOKENS[:6], 5.5 - np.arange(6) ** 2 * 0.1))  # still accelerating: no plateau yet


def test_bad_curves_fail_in_one_line():
    with pytest.raises(AtlasError, match="three or more"):
        plateau_end(TOKENS[:2], [5.0, 4.0])
    with pytest.raises(AtlasError, match="strictly increasing"):
        plateau_end(TOKENS[::-1], two_step(TOKENS, 3e5))
    with pytest.raises(AtlasError, match="margin"):
        plateau_end(TOKENS, two_step(TOKENS, 3e5), margin=1.5)


def rows(leave_by_scale: dict[tuple[str, int], list[float]]) -> pd.DataFrame:
    parts = []
    for (scale, n), leaves in leave_by_scale.items():
        for i, leave in enumerate(leaves):
            parts.append(pd.DataFrame({"run_id": f"{scale}-{i}", "scale": scale, "N": n, "tokens": TOKENS,
                                       "loss": two_step(TOKENS, leave), "phase": ["stable"] * 15 + ["decay"]}))
    return pd.concat(parts, ignore_index=True)


def test_the_table_gives_the_median_plateau_end_per_size_and_the_sentence_reads_it():
    table = plateau_table(rows({("big", 2000): [3e5, 3e5], ("small", 1000): [1e6, 1e9]}))
    assert list(table["scale"]) == ["small", "big"]  # ordered by N
    assert list(table["runs"]) == [2, 2] and list(table["left"]) == [1, 2]
    assert table.loc[0, "plateau_end"] > table.loc[1, "plateau_end"]
    assert 0 < table.loc[1, "share_of_budget"] < 0.1
    sentence = plateau_sentence(table)
    assert sentence.startswith("The initial plateau ends at N = 1,000 after") and "1 of 2 runs" in sentence


def test_the_sentence_says_when_no_run_leaves_the_plateau():
    sentence = plateau_sentence(plateau_table(rows({("small", 1000): [1e9]})))
    assert sentence.startswith("No run leaves the initial plateau within its budget (up to 10M tokens)")


def test_the_table_names_a_missing_column():
    with pytest.raises(AtlasError, match="missing column.*phase"):
        plateau_table(rows({("small", 1000): [1e6]}).drop(columns="phase"))
