"""Tests of transfer scores on synthetic matrices and curves whose answers are known by construction."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis import bts_table, matrix_pairs, summarize_transfer, symmetry
from atlas_core.analysis.transfer_agreement import (PAPER_BLOCK, agreement, matched_pairs, ranked_sources, same_block,
                                                    score_matrices, source_orders)
from atlas_core.analysis.transfer_controls import (CONTROL_NAMES, above_control, by_tokenizer, control_summary,
                                                   heatmap_order, heatmap_pairs, subword_panels,
                                                   tokenizer_panels)
from atlas_core.analysis.transfer_factors import (RELATIONS, confounded_factors, factor_regression, factor_tests,
                                                  label_permutation_test, relation_means)
from atlas_core.analysis.transfer_scale import bts_over_horizon, linear_trends, rank_stability, settling_horizon
from atlas_core.analysis.transfer_symmetry import reciprocal_pairs, symmetry_by_relation, symmetry_test
from atlas_core.errors import AtlasError


def lang(name, script, family):
    return SimpleNamespace(name=name, script=script, family=family)


# Four languages where script and family coincide (like es, pt, ru, uk) ...
FOUR = {"a": lang("A", "Latin", "Romance"), "b": lang("B", "Latin", "Romance"),
        "c": lang("C", "Cyrillic", "Slavic"), "d": lang("D", "Cyrillic", "Slavic")}
# ... and twelve where they cross: 3 scripts x 2 families per script, two languages per (script, family).
TWELVE = {f"{s}{f}{i}": lang(f"{s}{f}{i}", s, f"{s}{f}" if f == "x" else "shared")
          for s in "PQR" for f in "xy" for i in range(2)}


def additive_matrix(languages, *, const=-0.4, script=0.2, family=0.1, noise=0.0, seed=0):
    """score = const + script * same_script + family * same_family (+ noise), NaN diagonal."""
    codes = list(languages)
    rng = np.random.default_rng(seed)
    values = np.full((len(codes), len(codes)), np.nan)
    for i, t in enumerate(codes):
        for j, s in enumerate(codes):
            if i != j:
                values[i, j] = (const + script * (languages[t].script == languages[s].script)
                                + family * (languages[t].family == languages[s].family) + noise * rng.normal())
    return pd.DataFrame(values, index=pd.Index(codes, name="target"), columns=pd.Index(codes, name="source"))


def test_relation_means_group_pairs_by_shared_script_and_family():
    pairs = matrix_pairs(additive_matrix(TWELVE), TWELVE)
    means = relation_means(pairs)
    assert list(means.index) == [r for r in RELATIONS if r in means.index]
    assert means.loc["same family and script", "mean"] == pytest.approx(-0.1)
    assert means.loc["same script only", "mean"] == pytest.approx(-0.2)
    assert means.loc["different family and script", "mean"] == pytest.approx(-0.4)
    assert means.loc["same family only", "mean"] == pytest.approx(-0.3)  # the shared "y" family spans scripts
    assert means["n"].sum() == len(pairs) == 12 * 11


def test_welch_tests_report_group_means_and_test_only_with_two_pairs_per_group():
    pairs = matrix_pairs(additive_matrix(TWELVE, noise=0.05), TWELVE)
    tests = factor_tests(pairs)
    script = tests.loc["same_script"]
    shared = pairs["same_script"]
    assert script["n_same"] == shared.sum() and script["n_different"] == (~shared).sum()
    assert script["difference"] == pytest.approx(pairs[shared]["score"].mean() - pairs[~shared]["score"].mean())
    assert script["welch_p"] < 1e-6 and script["welch_t"] > 0
    two = pairs.head(3).assign(same_script=[True, False, False])
    lonely = factor_tests(two, factors=["same_script"]).loc["same_script"]
    assert np.isnan(lonely["welch_p"]) and "fewer than 2" in lonely["note"]


def test_regression_recovers_additive_effects_and_clusters_by_language():
    pairs = matrix_pairs(additive_matrix(TWELVE, noise=0.01, seed=1), TWELVE)
    table = factor_regression(pairs)
    assert table.loc["const", "coef"] == pytest.approx(-0.4, abs=0.01)
    assert table.loc["same_script", "coef"] == pytest.approx(0.2, abs=0.01)
    assert table.loc["same_family", "coef"] == pytest.approx(0.1, abs=0.01)
    assert (table["ci_low"] < table["coef"]).all() and (table["coef"] < table["ci_high"]).all()
    assert table["se_cluster"].notna().all() and table.attrs["n"] == len(pairs)
    assert table.loc["same_script", "p_hc3"] < 1e-6


def test_confounded_factors_are_named_and_the_regression_refuses_them():
    pairs = matrix_pairs(additive_matrix(FOUR), FOUR)
    assert confounded_factors(pairs) == ["same_script and same_family coincide on every pair"]
    with pytest.raises(AtlasError, match="cannot separate the factors: same_script and same_family coincide"):
        factor_regression(pairs)
    assert confounded_factors(pairs.assign(same_family=False)) == ["same_family is the same for every pair"]
    small = matrix_pairs(additive_matrix(TWELVE), TWELVE).head(4).assign(
        same_script=[True, False, True, False], same_family=[True, True, False, False])
    with pytest.raises(AtlasError, match="4 pairs are too few"):
        factor_regression(small)
    no_cluster = factor_regression(matrix_pairs(additive_matrix(FOUR, noise=0.01), FOUR), factors=["same_script"])
    assert no_cluster["se_cluster"].isna().all()  # 4 languages: too few clusters


def test_exact_permutation_test_on_four_languages_cannot_go_below_one_third():
    result = label_permutation_test(additive_matrix(FOUR, script=0.5, family=0.0), FOUR, "script")
    assert result["method"] == "exact over 6 labellings" and result["labellings"] == 6
    assert result["observed"] == pytest.approx(0.5)
    assert result["p"] == pytest.approx(1 / 3) and result["p_min"] == pytest.approx(1 / 3)


def test_monte_carlo_permutation_test_finds_a_strong_effect_and_no_effect_when_there_is_none():
    strong = label_permutation_test(additive_matrix(TWELVE, noise=0.01), TWELVE, "script", n_permutations=500)
    assert strong["method"] == "Monte Carlo, 500 labellings"
    assert strong["p"] < 0.01 and strong["p_min"] == pytest.approx(1 / 501)
    null = label_permutation_test(additive_matrix(TWELVE, script=0, family=0, noise=0.1), TWELVE, "script",
                                  n_permutations=500, seed=3)
    assert null["p"] > 0.05
    one_script = {k: lang(v.name, "Latin", v.family) for k, v in FOUR.items()}
    assert "no measured pair differs" in label_permutation_test(additive_matrix(one_script), one_script)["note"]


def test_symmetry_test_matches_the_matrix_reciprocity_and_adds_a_p_value_and_interval():
    rng = np.random.default_rng(0)
    codes = list(TWELVE)
    forward = rng.normal(size=(12, 12))
    values = -0.5 * forward.T + 0.5 * forward + 0.3 * rng.normal(size=(12, 12))
    np.fill_diagonal(values, np.nan)
    matrix = pd.DataFrame(values, index=codes, columns=codes)
    test = symmetry_test(matrix, TWELVE)
    assert test["n_pairs"] == 66
    assert test["r"] == pytest.approx(symmetry(matrix))
    assert test["ci_low"] < test["r"] < test["ci_high"] and 0 <= test["p"] <= 1
    pairs = reciprocal_pairs(matrix, TWELVE)
    assert len(pairs) == 66 and (pairs["a"] < pairs["b"]).all()
    first = pairs.iloc[0]
    assert first["a_to_b"] == matrix.loc[first["b"], first["a"]]  # source a, target b
    partial = matrix.copy()
    partial.iloc[:, 1:] = np.nan
    assert "need at least 3" in symmetry_test(partial, TWELVE)["note"]


def test_symmetry_by_relation_separates_symmetric_and_asymmetric_groups():
    matrix = additive_matrix(TWELVE)
    codes = list(TWELVE)
    rng = np.random.default_rng(1)
    for i, t in enumerate(codes):
        for j, s in enumerate(codes):
            if i < j:
                related = TWELVE[t].script == TWELVE[s].script
                value = rng.normal()
                matrix.loc[t, s], matrix.loc[s, t] = value, value if related else -value
    by = symmetry_by_relation(matrix, TWELVE)
    assert by.loc["same family and script", "r"] == pytest.approx(1.0)
    assert by.loc["different family and script", "r"] == pytest.approx(-1.0)


def test_agreement_with_another_matrix_on_the_shared_pairs():
    theirs = additive_matrix(TWELVE, noise=0.1)
    ours = 2 * theirs.iloc[:4, :4] + 1  # a linear transform of theirs on four of its languages
    matched = matched_pairs(ours, theirs)
    assert len(matched) == 12 and set(matched["target"]) == set(list(TWELVE)[:4])
    result = agreement(matched)
    assert result["pearson_r"] == pytest.approx(1.0) and result["spearman_rho"] == pytest.approx(1.0)
    assert result["top_source_matches"] == result["targets"] == 4
    flipped = agreement(matched.assign(ours=-matched["ours"]))
    assert flipped["pearson_r"] == pytest.approx(-1.0) and flipped["top_source_matches"] == 0
    assert "fewer than 3" in agreement(matched.head(2))["note"]


def test_ranked_sources_orders_each_targets_sources():
    ranked = ranked_sources(additive_matrix(FOUR))
    a = ranked[ranked["target"] == "a"]
    assert list(a["rank"]) == [1, 2, 3] and a.iloc[0]["source"] == "b"
    assert a["score"].is_monotonic_decreasing


def test_source_orders_and_the_papers_block_on_our_languages():
    matrix = additive_matrix(FOUR)
    ours = matrix.loc[["b", "a"], ["c", "a", "b"]]
    block = same_block(matrix, ours)
    assert list(block.index) == ["b", "a"] and list(block.columns) == ["c", "a", "b"]
    orders = source_orders({"ours": ours, "again": block})
    assert orders.loc["a", "ours"] == orders.loc["a", "again"] == "b > c"


D_MONO = 1e6


def curve(efficiency: float, last: float, n: int = 30, first: float = 1e4) -> pd.DataFrame:
    tokens = np.geomspace(first, last, n)
    return pd.DataFrame({"tokens": tokens, "loss": 10 - 0.5 * np.log(efficiency * tokens),
                         "is_final": np.arange(n) == n - 1})


def transfer_rows(efficiencies: dict[str, float], scale: str = "100k", target: str = "a") -> pd.DataFrame:
    parts = [curve(1.0, D_MONO).assign(role="mono", partner=None)]
    for partner, c in efficiencies.items():
        parts.append(curve(c, 2 * D_MONO).assign(role="control" if partner in ("null", "self") else "bilingual",
                                                 partner=partner))
    return pd.concat(parts).assign(target=target, eval_lang=target, seed=0, scale=scale)


def test_heatmap_pairs_name_languages_and_controls():
    summary = summarize_transfer(bts_table(transfer_rows({"null": 0.6, "self": 1.0, "b": 0.8, "c": 0.55})))
    pairs = heatmap_pairs(summary, FOUR)
    by = pairs.set_index("source")
    assert by.loc["b", "score"] == pytest.approx(0.75) and bool(by.loc["b", "same_script"]) is True
    assert bool(by.loc["c", "same_family"]) is False
    assert by.loc["null", "source_name"] == "null control (zero point)" and by.loc["self", "same_script"] == "control"
    assert set(pairs["target_name"]) == {"A"} and set(pairs["target_script"]) == {"Latin"}
    assert not pairs.isna().any().any()


def test_tokenizer_panels_stack_one_heatmap_per_tokenizer_under_renamed_targets():
    summary = summarize_transfer(bts_table(transfer_rows({"null": 0.6, "self": 1.0, "b": 0.8, "c": 0.55})))
    panels = tokenizer_panels({"bytes": summary, "spm": summary}, FOUR)
    assert set(panels["target"]) == {"a (bytes)", "a (spm)"}
    assert len(panels) == 2 * len(heatmap_pairs(summary, FOUR, "bts_norm_mean"))


def test_subword_panels_put_the_first_target_under_both_tokenizers_first():
    bytes_summary = summarize_transfer(bts_table(transfer_rows({"null": 0.6, "self": 1.0, "b": 0.8, "c": 0.55})))
    subwords = summarize_transfer(bts_table(transfer_rows({"null": 0.6, "self": 1.0, "b": 0.9})))
    panels, order, first = subword_panels(bytes_summary, subwords, "spm", FOUR)
    assert first == "a (bytes)" and order[:2] == ["a (bytes)", "a (spm)"]
    assert set(panels["target"]) == {"a (bytes)", "a (spm)"}
    assert set(panels.loc[panels["target"] == "a (bytes)", "source"]) <= set(subwords["partner"])


def test_control_summary_puts_each_targets_controls_beside_its_best_language():
    rows = pd.concat([transfer_rows({"null": 0.6, "self": 1.0, "b": 0.8, "c": 0.55}),
                      transfer_rows({"null": 0.6, "d": 0.7}, target="c")])
    table = control_summary(summarize_transfer(bts_table(rows)))
    a = table.loc["a"]
    assert a["null_bts"] == pytest.approx(2 - 1 / 0.6) and a["self_bts"] == pytest.approx(1.0)
    assert a["best_language"] == "b" and a["best_bts"] == pytest.approx(0.75)
    assert a["best_norm"] == pytest.approx((0.75 - (2 - 1 / 0.6)) / (1 - (2 - 1 / 0.6)))
    assert np.isnan(a["utf3_bts"]) and np.isnan(table.loc["c", "self_bts"]) and np.isnan(table.loc["c", "best_norm"])


def test_scores_above_the_null_control_subtract_its_score_on_the_same_keys():
    rows = pd.concat([transfer_rows({"null": 0.6, "b": 0.8}), transfer_rows({"null": 0.5, "b": 0.8}, scale="25k"),
                      transfer_rows({"b": 0.8}, target="c")])
    table = above_control(bts_table(rows)).set_index(["scale", "target", "partner"])
    assert table.loc[("100k", "a", "b"), "bts_above_null"] == pytest.approx((2 - 1 / 0.8) - (2 - 1 / 0.6))
    assert table.loc[("25k", "a", "b"), "bts_above_null"] == pytest.approx((2 - 1 / 0.8) - (2 - 1 / 0.5))
    assert table.loc[("100k", "a", "null"), "bts_above_null"] == pytest.approx(0.0)
    assert np.isnan(table.loc[("100k", "c", "b"), "bts_above_null"])  # no null control for target c
    summary = above_control(summarize_transfer(bts_table(rows)), value="bts_mean")
    assert "bts_mean_above_null" in summary.columns and len(summary) == len(table)


def test_bts_is_the_same_at_every_horizon_when_curves_are_straight_in_log_tokens():
    rows = transfer_rows({"null": 0.6, "self": 1.0, "b": 0.8, "c": 0.55})
    table = bts_over_horizon(rows, [0.25, 0.5, 1.0])
    assert sorted(table["horizon"].unique()) == [0.25, 0.5, 1.0]
    for partner, c in {"b": 0.8, "c": 0.55, "null": 0.6}.items():
        assert table.loc[table["partner"] == partner, "bts"].to_numpy() == pytest.approx(2 - 1 / c, abs=1e-9)
    assert table.loc[table["horizon"] == 0.5, "d_mono"].iloc[0] == pytest.approx(0.5 * D_MONO)
    stability = rank_stability(table)
    assert stability["rho"].to_numpy() == pytest.approx(1.0) and (stability["n"] == 4).all()
    with pytest.raises(AtlasError, match="before the first evaluation"):
        bts_over_horizon(rows, [0.001, 1.0])
    with pytest.raises(AtlasError, match=r"must lie in \(0, 1\]"):
        bts_over_horizon(rows, [0.5, 1.5])


def test_rank_stability_reports_exact_rank_correlations():
    table = pd.DataFrame({"scale": "100k", "target": "a", "seed": 0, "partner": list("vwxyz") * 2,
                          "horizon": [0.5] * 5 + [1.0] * 5, "bts": [1, 2, 3, 4, 5, 2, 1, 3, 5, 4]})
    stability = rank_stability(table).set_index("horizon")
    assert stability.loc[0.5, "rho"] == 0.8 and stability.loc[1.0, "rho"] == 1.0  # not 0.7999999999999999
    assert settling_horizon(stability.reset_index())["settled_at"].iloc[0] == 0.5


def test_settling_horizon_is_where_the_ranking_stops_changing():
    stability = pd.DataFrame({"scale": "100k", "target": "a", "seed": 0, "horizon": [0.1, 0.2, 0.4, 0.7, 1.0],
                              "rho": [0.9, 0.2, 0.85, 0.9, 1.0]})
    both = pd.concat([stability, stability.assign(target="b", rho=[1.0, 1.0, 1.0, np.nan, 1.0])])
    settled = settling_horizon(both).set_index("target")["settled_at"]
    assert settled["a"] == pytest.approx(0.4)  # the dip at 0.2 resets it
    assert settled["b"] == pytest.approx(1.0)  # a missing rho breaks the run
    assert settling_horizon(stability, threshold=0.95)["settled_at"].iloc[0] == pytest.approx(1.0)


def test_linear_trends_fit_lines_per_group_and_leave_uncertainty_out_below_three_points():
    x = np.array([1.0, 2.0, 4.0])
    table = pd.concat([pd.DataFrame({"pair": "p", "N": x, "bts": 0.1 + 0.05 * x}),
                       pd.DataFrame({"pair": "q", "N": x[:2], "bts": [0.3, 0.2]})])
    trends = linear_trends(table, "N", "bts", ["pair"]).set_index("pair")
    assert trends.loc["p", "slope"] == pytest.approx(0.05) and trends.loc["p", "intercept"] == pytest.approx(0.1)
    assert trends.loc["p", "n"] == 3 and trends.loc["p", "slope_se"] == pytest.approx(0.0, abs=1e-6)
    assert trends.loc["q", "slope"] == pytest.approx(-0.1) and np.isnan(trends.loc["q", "p"])
    with pytest.raises(AtlasError, match="missing column"):
        linear_trends(table, "D", "bts", ["pair"])


def summary_of(pairs: dict[tuple[str, str], float]) -> pd.DataFrame:
    """A summarize_transfer-shaped table: one row per (target, partner) with its three mean scores."""
    return pd.DataFrame([dict(scale="s", target=t, partner=p, bts_mean=v, bts_norm_mean=v / 2, delta_vs_null_mean=-v / 10)
                         for (t, p), v in pairs.items()])


def test_score_matrices_name_ours_without_controls_and_the_papers_block():
    summary = summary_of({("a", "b"): 0.6, ("a", "c"): 0.2, ("a", "null"): 0.4, ("c", "a"): 0.1})
    paper = additive_matrix(FOUR)
    matrices = score_matrices(summary, paper)
    assert list(matrices) == ["ours, raw BTS", "ours, normalized", "ours, final-loss gain over null", PAPER_BLOCK]
    raw, normalized, gain, block = matrices.values()
    assert "null" not in raw.columns and raw.loc["a", "b"] == 0.6 and normalized.loc["a", "b"] == 0.3
    assert gain.loc["a", "b"] == pytest.approx(0.06)  # bits per byte below the null control
    assert block.loc["a", "b"] == paper.loc["a", "b"] and list(block.index) == list(raw.index)


def test_heatmap_order_groups_related_languages_then_lists_the_controls():
    summary = summary_of({("c", "a"): 0.1, ("c", "d"): 0.2, ("c", "b"): 0.3, ("c", "utf3"): 0.5})
    assert heatmap_order(summary, FOUR) == ["a", "b", "c", "d", *CONTROL_NAMES]


def test_by_tokenizer_keeps_the_pairs_that_the_last_tokenizer_scores():
    stacked = by_tokenizer({"bytes": summary_of({("a", "b"): 0.6, ("a", "c"): 0.2, ("c", "a"): 0.1}),
                            "spm": summary_of({("a", "b"): 0.3, ("a", "utf3"): 0.5})})
    assert sorted(zip(stacked["tokenizer"], stacked["partner"])) == [("bytes", "b"), ("spm", "b"), ("spm", "utf3")]


def test_symmetry_by_relation_can_end_with_all_pairs():
    matrix = additive_matrix(TWELVE, noise=0.3, seed=3)
    table = symmetry_by_relation(matrix, TWELVE, overall=True)
    assert table.index[-1] == "all pairs" and table.loc["all pairs", "r"] == symmetry_test(matrix, TWELVE)["r"]
    assert "all pairs" not in symmetry_by_relation(matrix, TWELVE).index
