"""The published numbers: internally consistent, and consistent with the statistics the paper reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas_core import published
from atlas_core.errors import AtlasError
from atlas_core.laws import Chinchilla


def test_every_published_item_names_its_source():
    names = {"TABLE1_R2", "TABLE_C1", "UNIQUE_TOKENS", "CURSE", "FIG5_MULTIPLIERS", "CROSSOVER_TOKENS",
             "CROSSOVER_LAW", "transfer_matrix", "EPOCH", "HOFFMANN_UNROUNDED", "DATABLATIONS"}
    assert names <= set(published.SOURCES)
    assert all(hasattr(published, name) for name in published.SOURCES)


def test_transfer_matrix_reproduces_the_papers_statistics():
    matrix = published.transfer_matrix()
    assert matrix.shape == (38, 38) and list(matrix.index) == list(matrix.columns)
    assert matrix.index[0] == "en" and np.isnan(np.diag(matrix.to_numpy())).all()
    values = matrix.to_numpy()
    off = ~np.eye(38, dtype=bool)
    assert np.isfinite(values[off]).all()
    assert matrix.loc["es", "pt"] == 0.5 and matrix.loc["pt", "es"] == 0.5  # largest entries
    upper = np.triu_indices(38, 1)
    symmetry = np.corrcoef(values[upper], values.T[upper])[0, 1]
    assert symmetry == pytest.approx(-0.11, abs=0.015)  # "A->B vs B->A: r = -0.11"
    assert (values[off] < 0).mean() == pytest.approx(0.86, abs=0.02)


# L at (N = 1e9, D = 1e11), recomputed by hand in the reference notes (atlas-paper.md §4.2), per regime and language
TABLE_C1_LOSS = {
    "mono-vocab, mono-train": {"en": 0.89, "fr": 0.85, "ru": 0.94, "zh": 1.62, "hi": 0.81, "sw": 0.63},
    "multi-vocab, mono-train": {"en": 0.93, "fr": 0.86, "ru": 0.96, "zh": 1.68, "hi": 0.89, "sw": 0.60},
    "multi-vocab, Unimax-train": {"en": 1.16, "fr": 1.15, "ru": 1.24, "zh": 2.81, "hi": 1.28, "sw": 1.25},
}


def test_table_c1_laws_give_the_losses_of_the_reference_notes():
    table = published.TABLE_C1
    assert len(table) == 18
    frame = pd.DataFrame({"N": [1e9], "D": [1e11]})
    for row in table.itertuples():
        params = {k: getattr(row, k) for k in ("E", "A", "B", "alpha", "beta")}
        loss = Chinchilla().predict(params, frame)[0]
        assert loss == pytest.approx(TABLE_C1_LOSS[row.regime][row.lang], abs=0.011), (row.regime, row.lang)


def test_curse_exponents_agree_with_each_other():
    """Three printed exponents: N x r^0.243 and D_tot x r^0.728 must make C x r^0.970 (to the rounding)."""
    curse = published.CURSE
    assert curse["N_exponent"] + curse["D_tot_exponent"] == pytest.approx(curse["C_exponent"], abs=2e-3)


def test_crossover_law_matches_the_2b_crossovers():
    law = published.CROSSOVER_LAW
    N = published.CROSSOVER_MODEL_SIZE
    tokens = law["c"] * N ** law["k"] / (6 * N)
    observed = published.CROSSOVER_TOKENS.values()
    assert min(observed) < tokens < max(observed)
    # the caption's mix of constants is ten times too large
    assert 1.0283128e7 * N**1.65 / (6 * N) > 5 * max(observed)


def test_epoch_runs_need_their_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Model Size,loss\n1,2\n")
    with pytest.raises(AtlasError, match="missing column.*Training FLOP"):
        published.epoch_chinchilla_runs(bad)
