"""The chapters' building blocks: chart builders (their browser-side formulas included), transfer-matrix
statistics and the compute-optimal frontier."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from atlas_core.book import charts
from atlas_core.laws import loss_on_frontier
from atlas_core.analysis.matrix import group_means, grouped_order, matrix_pairs, symmetry, top_source_counts
from atlas_core.errors import AtlasError
from atlas_core.laws import Chinchilla, iso_loss_multipliers

LAWS = pd.DataFrame({
    "regime": ["a", "a", "b"], "lang": ["en", "fr", "en"],
    "E": [1.7, 0.5, 0.0], "A": [400.0, 60.0, 20.0], "B": [410.0, 250.0, 23.0],
    "alpha": [0.34, 0.26, 0.16], "beta": [0.28, 0.26, 0.16],
})


def _browser_eval(expression: str, row: dict, **signals) -> float:
    """Evaluate a Vega expression that is also valid Python (pow, datum.x, arithmetic)."""
    return eval(expression, {"pow": pow, "datum": SimpleNamespace(**row), **signals})


def _params(spec: dict) -> dict:
    found = dict((p["name"], p) for p in spec.get("params", []))
    for layer in spec.get("layer", []):
        found |= _params(layer)
    return found


def test_law_explorer_computes_the_law_in_the_browser():
    spec = charts.law_explorer(LAWS, color="lang", selector="regime", selected="b").to_dict()
    params = _params(spec)
    assert params["log10_N"]["bind"]["input"] == "range"
    assert params["pick"]["value"] == "b" and params["pick"]["bind"]["options"] == ["a", "b"]
    [calculate] = [t["calculate"] for t in spec["transform"] if "calculate" in t]
    law = LAWS.iloc[0].to_dict()
    for log10_N, D in [(8.0, 1e9), (9.5, 3e11)]:
        expected = Chinchilla().predict({k: law[k] for k in ("E", "A", "B", "alpha", "beta")},
                                        pd.DataFrame({"N": [10**log10_N], "D": [D]}))[0]
        assert _browser_eval(calculate, {**law, "D": D}, log10_N=log10_N) == pytest.approx(expected, rel=1e-12)


def test_law_explorer_rejects_an_unknown_selection_and_missing_columns():
    with pytest.raises(AtlasError, match="regime='c' is not one of: a, b"):
        charts.law_explorer(LAWS, color="lang", selector="regime", selected="c")
    with pytest.raises(AtlasError, match="missing column\\(s\\) beta"):
        charts.law_explorer(LAWS.drop(columns="beta"), color="lang", selector="regime")


def test_power_multipliers_match_the_iso_loss_rule():
    alpha, beta, phi, psi = 0.45, 0.15, 0.11, -0.04
    spec = charts.power_multipliers(alpha=alpha, beta=beta, phi=phi, psi=psi).to_dict()
    formulas = {t["as"]: t["calculate"] for t in spec["transform"] if "calculate" in t}
    expected = iso_loss_multipliers(phi, psi, alpha, beta, r=[4.0]).iloc[0]
    for quantity in ("N", "D_tot", "C"):
        assert _browser_eval(formulas[quantity], {"r": 4.0}, phi=phi, psi=psi) == pytest.approx(expected[quantity])
    assert _params(spec)["phi"]["value"] == phi


def test_lines_scatter_and_decade_labels():
    table = pd.DataFrame({"C": [1e18, 1e20, 1e22] * 2, "loss": [3.0, 2.5, 2.2, 3.1, 2.4, 2.0],
                          "fit": ["x"] * 3 + ["y"] * 3})
    spec = charts.lines(table, x="C", y="loss", color="fit", points=table.head(1)).to_dict()
    line, points = spec["layer"]
    assert line["encoding"]["x"]["scale"]["type"] == "log"
    assert line["encoding"]["x"]["axis"]["labelExpr"] == charts.DECADE_LABELS  # 4 decades: powers of ten only
    assert "labelExpr" not in line["encoding"]["y"]["axis"]  # linear axis keeps vega's labels
    assert points["mark"]["type"] == "point"
    narrow = charts.lines(table.assign(C=[1.0, 10.0, 100.0] * 2), x="C", y="loss", color="fit").to_dict()
    assert "labelExpr" not in narrow["encoding"]["x"]["axis"]  # under 3 decades: every tick labelled
    spec = charts.scatter(table, x="C", y="loss", color="C").to_dict()
    assert spec["mark"]["type"] == "circle" and any(p.get("bind") == "scales" for p in spec["params"])


def test_distributions_bin_each_parameter_on_its_own_range():
    rng = np.random.default_rng(0)
    samples = pd.DataFrame({"parameter": ["E"] * 50 + ["B"] * 50,
                            "value": np.r_[rng.normal(1.8, 0.02, 50), rng.normal(2000, 300, 50)]})
    references = pd.DataFrame({"parameter": ["E", "B"], "value": [1.8, 2085.0], "source": ["paper"] * 2})
    spec = charts.distributions(samples, references=references, bins=10).to_dict()
    bars = pd.DataFrame(spec["datasets"][spec["layer"][0]["data"]["name"]])
    assert bars.groupby("parameter")["count"].sum().to_dict() == {"B": 50, "E": 50}
    assert bars[bars["parameter"] == "E"]["end"].max() < 2  # E's bins do not stretch to B's values


# ---- transfer matrix statistics --------------------------------------------------------------------------------

LANGS = {
    "es": SimpleNamespace(name="Spanish", script="Latin", family="Romance"),
    "pt": SimpleNamespace(name="Portuguese", script="Latin", family="Romance"),
    "ru": SimpleNamespace(name="Russian", script="Cyrillic", family="Slavic"),
    "pl": SimpleNamespace(name="Polish", script="Latin", family="Slavic"),
}
MATRIX = pd.DataFrame(  # rows target, columns source
    [[np.nan, 0.5, -0.2, 0.1], [0.4, np.nan, -0.3, 0.0], [-0.5, -0.4, np.nan, 0.2], [0.1, 0.1, 0.3, np.nan]],
    index=["es", "pt", "ru", "pl"], columns=["es", "pt", "ru", "pl"],
)


def test_matrix_pairs_annotate_each_off_diagonal_pair():
    pairs = matrix_pairs(MATRIX, LANGS)
    assert len(pairs) == 12
    row = pairs[(pairs["source"] == "pt") & (pairs["target"] == "es")].iloc[0]
    assert row["score"] == 0.5 and row["same_script"] and row["same_family"] and row["target_name"] == "Spanish"
    row = pairs[(pairs["source"] == "ru") & (pairs["target"] == "pl")].iloc[0]
    assert row["score"] == 0.3 and not row["same_script"] and row["same_family"]
    with pytest.raises(AtlasError, match="no language metadata for ru"):
        matrix_pairs(MATRIX, {k: v for k, v in LANGS.items() if k != "ru"})


def test_group_means_and_order():
    means = group_means(matrix_pairs(MATRIX, LANGS))
    same_script = [0.5, 0.4, 0.1, 0.0, 0.1, 0.1]  # es<->pt, es<->pl, pt<->pl
    assert means.loc["same script", "mean"] == pytest.approx(np.mean(same_script))
    assert means.loc["same script", "n"] == 6 and means.loc["different script", "n"] == 6
    assert means.loc["same family", "n"] == 4  # es<->pt, ru<->pl
    assert grouped_order(["ru", "es", "pl", "pt"], LANGS) == ["es", "pt", "ru", "pl"]  # Romance, then Slavic


def test_symmetry_is_the_correlation_of_a_matrix_with_its_transpose():
    forward = MATRIX.to_numpy()[~np.eye(4, dtype=bool)]
    backward = MATRIX.to_numpy().T[~np.eye(4, dtype=bool)]
    assert symmetry(MATRIX) == pytest.approx(np.corrcoef(forward, backward)[0, 1])
    assert symmetry(MATRIX.T) == pytest.approx(symmetry(MATRIX))
    symmetric = MATRIX.fillna(0) + MATRIX.fillna(0).T
    assert symmetry(symmetric) == pytest.approx(1.0)


def test_top_source_counts_count_ties():
    counts = top_source_counts(MATRIX, k=1)
    # best sources: es <- pt, pt <- es, ru <- pl, pl <- ru
    assert counts.to_dict() == {"es": 1, "pt": 1, "ru": 1, "pl": 1}
    # top 2: es <- pt, pl; pt <- es, pl; ru <- pl, pt; pl <- ru, then es and pt tied at 0.1 (both count)
    assert top_source_counts(MATRIX, k=2).to_dict() == {"pt": 3, "pl": 3, "es": 2, "ru": 1}


# ---- frontier and comparison table -----------------------------------------------------------------------------


def test_loss_on_frontier_is_the_best_split_of_each_budget():
    frontier = loss_on_frontier(LAWS, [1e20, 1e22], keys=["regime", "lang"])
    assert list(frontier.columns) == ["regime", "lang", "C", "N", "D", "tokens_per_param", "loss"]
    assert len(frontier) == 6
    assert np.allclose(6 * frontier["N"] * frontier["D"], frontier["C"])
    law = Chinchilla()
    for _, row in frontier.iterrows():
        params = LAWS[(LAWS["regime"] == row["regime"]) & (LAWS["lang"] == row["lang"])].iloc[0][law.param_names]
        for factor in (0.8, 1.25):  # moving off the optimum at the same budget costs loss
            N = row["N"] * factor
            off = law.predict(params.to_dict(), pd.DataFrame({"N": [N], "D": [row["C"] / (6 * N)]}))[0]
            assert off > row["loss"]
    with pytest.raises(AtlasError, match="missing column\\(s\\) fit"):
        loss_on_frontier(LAWS, [1e20], keys=["fit"])


def test_tables_show_long_text_in_full():
    why = "the reason is long enough that a plain DataFrame would cut it off after fifty characters"
    assert why in pd.DataFrame({"reason": [why]})._repr_html_()


def test_or_note_shows_the_note_for_an_empty_table():
    from IPython.display import Markdown

    note = charts.or_note(charts.lines, pd.DataFrame(), "no runs", x="C", y="loss", color="fit")
    assert isinstance(note, Markdown) and note.data == "no runs"
    table = pd.DataFrame({"C": [1.0, 10.0], "loss": [2.0, 1.0], "fit": "x"})
    assert charts.or_note(charts.lines, table, "no runs", x="C", y="loss", color="fit").to_dict()["mark"]["type"] == "line"
