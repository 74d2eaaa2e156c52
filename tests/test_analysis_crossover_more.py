"""The crossover's gap curves and the crossover law C_cross = c N^k, on curves with known crossings."""

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis.crossover import crossover_gaps, crossover_law, crossover_table, law_line
from atlas_core.errors import AtlasError

TOKENS = np.geomspace(1e4, 1e7, 16)


def curves(scale: str, n: float, cross: float | None, target: str = "es") -> pd.DataFrame:
    """Finetune L = 3 - 0.1 log d; scratch falls three times as fast and meets it at ``cross`` (None: never)."""
    ft = 3 - 0.1 * np.log(TOKENS)
    sc = ft + 10.0 if cross is None else 3 - 0.1 * np.log(cross) + 0.3 * np.log(cross / TOKENS)
    rows = pd.concat([pd.DataFrame({"tokens": TOKENS, "loss": ft, "role": "finetune"}),
                      pd.DataFrame({"tokens": TOKENS, "loss": sc, "role": "scratch"})])
    return rows.assign(target=target, eval_lang=target, seed=0, scale=scale, N=n)


def test_gap_is_scratch_minus_finetune_and_changes_sign_at_the_crossover():
    gaps = crossover_gaps(curves("25k", 25_000, 2e5))
    assert len(gaps) == len(TOKENS) and gaps["is_last"].sum() == 1
    expected = 0.2 * np.log(2e5 / TOKENS)  # (3 - 0.1 log c + 0.3 log(c/d)) - (3 - 0.1 log d)
    assert gaps["gap"].to_numpy() == pytest.approx(expected)
    assert gaps["rel_gap"].to_numpy() == pytest.approx(expected / (3 - 0.1 * np.log(TOKENS)))
    assert (gaps.loc[gaps["tokens"] < 2e5, "gap"] > 0).all() and (gaps.loc[gaps["tokens"] > 2e5, "gap"] < 0).all()


def test_gap_reads_the_finetune_curve_at_the_scratch_evaluations():
    rows = curves("25k", 25_000, 2e5)
    finetune = rows[rows["role"] == "finetune"].iloc[::3]  # a coarser grid, same log-linear curve
    gaps = crossover_gaps(pd.concat([finetune, rows[rows["role"] == "scratch"]]))
    inside = TOKENS[(TOKENS >= finetune["tokens"].min()) & (TOKENS <= finetune["tokens"].max())]
    assert gaps["tokens"].to_numpy() == pytest.approx(inside)
    assert gaps["gap"].to_numpy() == pytest.approx(0.2 * np.log(2e5 / inside))


def test_crossover_law_recovers_a_power_law_and_its_slope_error():
    sizes = {"10k": 1e4, "25k": 2.5e4, "50k": 5e4, "100k": 1e5}
    d_cross = {s: 1e3 * n**0.6 for s, n in sizes.items()}  # C = 6 N d = 6e3 N^1.6
    table = crossover_table(pd.concat([curves(s, n, d_cross[s], target) for s, n in sizes.items()
                                       for target in ("es", "ru")] + [curves("10k", 1e4, None, "zh")]))
    law = crossover_law(table)
    assert law["k"] == pytest.approx(1.6, rel=1e-6) and law["c"] == pytest.approx(6e3, rel=1e-5)
    assert law["n_points"] == 8 and law["n_sizes"] == 4  # zh never crossed: left out
    assert law["k_se"] == pytest.approx(0.0, abs=1e-6)
    noisy = table.assign(C_cross=table["C_cross"] * np.exp([0.1, -0.1] * 4 + [0.0]))
    assert crossover_law(noisy)["k_se"] > 0.01
    line, points = law_line(law, table)
    np.testing.assert_allclose(line["C"], 6e3 * line["N"] ** 1.6, rtol=1e-5)  # the law, drawn
    assert line["N"].min() == pytest.approx(1e4 / 1.5) and line["N"].max() == pytest.approx(1e5 * 1.5)
    assert len(points) == 8 and set(points["series"]) == {"es crossovers", "ru crossovers"}


def test_crossover_law_needs_two_sizes_that_crossed():
    table = crossover_table(pd.concat([curves("25k", 2.5e4, 2e5), curves("100k", 1e5, None)]))
    with pytest.raises(AtlasError, match="two or more model sizes, found 1 .*'25k'"):
        crossover_law(table)
    two = crossover_table(pd.concat([curves("25k", 2.5e4, 2e5), curves("100k", 1e5, 1e6)]))
    assert np.isnan(crossover_law(two)["k_se"])  # a line through two points has no error estimate
