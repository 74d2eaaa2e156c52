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


def test_table_c1_decodes_to_tied_exponents_and_sane_losses():
    table = published.TABLE_C1
    assert len(table) == 18 and (table["alpha"] == table["beta"]).all()
    np.testing.assert_allclose(table["A"], np.exp(table["a"]))
    frame = pd.DataFrame({"N": [1e9], "D": [1e11]})
    en = table.query("regime == 'mono-vocab, mono-train' and lang == 'en'").iloc[0]
    loss = Chinchilla().predict(en[["E", "A", "B", "alpha", "beta"]].to_dict(), frame)[0]
    assert loss == pytest.approx(0.89, abs=0.01)  # value recomputed in the reference notes


def test_curse_exponents_are_consistent():
    curse, implied = published.CURSE, published.CURSE_IMPLIED
    assert curse["phi"] / implied["alpha"] == pytest.approx(curse["N_exponent"])
    assert 1 + curse["psi"] / implied["beta"] == pytest.approx(curse["D_tot_exponent"])
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
