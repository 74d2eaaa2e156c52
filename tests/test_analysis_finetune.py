"""FAS, the B.5-B.6 features and the pretrain-vs-finetune crossover on curves with known answers."""

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis import (crossover_compute, crossover_table, fas, finetune_crossover, finetune_features,
                                 finetune_scores)
from atlas_core.errors import AtlasError


def linear(tokens, start, slope):
    tokens = np.asarray(tokens, dtype=float)
    return pd.DataFrame({"tokens": tokens, "loss": start + slope * tokens})


def test_fas_integrates_the_gap_to_the_base_from_zero():
    # L(d) = 3 - d / 1e6 on [0, 1e6] with the base at 3: gap d / 1e6, mean 0.5
    curve = linear(np.linspace(1e5, 1e6, 10), 3.0, -1e-6)
    assert fas(curve, 3.0) == pytest.approx(0.5)
    assert fas(curve, 3.0, d_max=5e5) == pytest.approx(0.25)
    assert fas(linear([1e5, 1e6], 3.5, 0.0), 3.0) == pytest.approx(-0.5 * 0.95)  # hurts: negative
    with pytest.raises(AtlasError, match="outside the finetune curve's range"):
        fas(curve, 3.0, d_max=2e6)


def finetune_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Finetunes on es and ru evaluated on both; losses fall linearly from the base by known amounts."""
    tokens = np.linspace(1e5, 1e6, 10)
    drops = {("es", "es"): 1.0, ("es", "ru"): 0.2, ("ru", "ru"): 0.6, ("ru", "es"): -0.1}
    parts = [linear(tokens, base, -drop / 1e6).assign(target=src, eval_lang=tgt, seed=0, scale="25k")
             for (src, tgt), drop in drops.items() for base in [{"es": 3.0, "ru": 2.0}[tgt]]]
    base = pd.DataFrame({"eval_lang": ["es", "ru"], "loss": [3.0, 2.0], "seed": 0, "scale": "25k"})
    return pd.concat(parts, ignore_index=True), base


def test_scores_and_features_follow_the_paper_definitions():
    curves, base = finetune_rows()
    scores = finetune_scores(curves, base).set_index(["source", "target"])
    assert scores.loc[("es", "es"), "fas"] == pytest.approx(0.5)   # mean gap of a linear drop to 1.0
    assert scores.loc[("ru", "es"), "delta"] == pytest.approx(0.1)  # ru finetuning hurts es
    assert scores.loc[("es", "ru"), "delta"] == pytest.approx(-0.2)
    features = finetune_features(scores.reset_index()).set_index(["source", "target"])
    g = pd.Series({"es": 0.5, "ru": 0.3})  # self gains
    g_norm = (g - g.mean()) / g.std()
    assert features.loc[("es", "ru"), "g_source"] == pytest.approx(g_norm["es"])
    assert features.loc[("es", "ru"), "g_target"] == pytest.approx(g_norm["ru"])
    assert features.loc[("es", "ru"), "g_diff"] == pytest.approx(g_norm["es"] - g_norm["ru"])
    deltas_es = pd.Series([-1.0, 0.1])  # target es: sources es, ru
    expected = ((deltas_es - deltas_es.mean()) / deltas_es.std())[1]
    assert features.loc[("ru", "es"), "delta_norm"] == pytest.approx(expected)


def test_a_target_without_a_base_loss_is_an_error():
    curves, base = finetune_rows()
    with pytest.raises(AtlasError, match="no base loss for target 'ru'"):
        finetune_scores(curves, base[base["eval_lang"] == "es"])


def crossing_rows(scale: str, n: float, cross: float | None) -> pd.DataFrame:
    """Finetune L = 3 - 0.1 log d; scratch L = 3 - 0.1 log(cross) + 0.3 log(cross / d) (equal at d = cross)."""
    tokens = np.geomspace(1e4, 1e7, 16)
    ft = 3 - 0.1 * np.log(tokens)
    sc = ft + 10.0 if cross is None else 3 - 0.1 * np.log(cross) + 0.3 * np.log(cross / tokens)
    return pd.concat([pd.DataFrame({"tokens": tokens, "loss": ft, "role": "finetune"}),
                      pd.DataFrame({"tokens": tokens, "loss": sc, "role": "scratch"})]).assign(
        target="es", eval_lang="es", seed=0, scale=scale, N=n)


def test_crossover_tokens_and_compute_per_scale():
    rows = crossing_rows("25k", 25_000, 2e5)
    ft, sc = rows[rows["role"] == "finetune"], rows[rows["role"] == "scratch"]
    assert finetune_crossover(ft, sc) == pytest.approx(2e5, rel=1e-9)
    assert np.isnan(finetune_crossover(sc, ft))  # the "scratch" is better from the start: not measured
    table = crossover_table(pd.concat([rows, crossing_rows("100k", 100_000, 1e6), crossing_rows("10k", 10_000, None)]))
    by = table.set_index("scale")
    assert by.loc["100k", "C_cross"] == pytest.approx(6 * 100_000 * 1e6, rel=1e-9)
    assert np.isnan(by.loc["10k", "d_cross"])
    summary = crossover_compute(table)
    assert summary["scale"].tolist() == ["10k", "25k", "100k"]  # ordered by N
    assert summary.set_index("scale").loc["10k", ["n_crossed", "n_runs"]].tolist() == [0, 1]


def test_crossover_needs_both_curves():
    rows = crossing_rows("25k", 25_000, 2e5)
    with pytest.raises(AtlasError, match="needs both a finetune and a scratch run"):
        crossover_table(rows[rows["role"] == "finetune"])
