"""Monolingual scaling analyses: law points, parameter tables, exponent spread, repetition, trajectories, taxes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis.scaling import (
    anytime_excess,
    curve_gap,
    exponent_spread,
    fit_per_language,
    frontier_gap,
    law_points,
    parameter_table,
    pool_trajectories,
    regime_laws,
    repetition_gap,
    repetition_table,
    repetition_vs_law,
    saturation_curves,
    saturation_rates,
    trajectories,
    unimax_tax,
)
from atlas_core.errors import AtlasError
from atlas_core.fit import fit_law
from atlas_core.fit.synthetic import CHINCHILLA_LIKE, synthetic_runs
from atlas_core.laws import Atlas, Chinchilla, compute_optimal

FAILED = SimpleNamespace(ok=False, status="failed", message="too few runs")


def test_law_points_are_run_ends_or_curves_past_warmup_and_the_start():
    rows = pd.DataFrame({
        "run_id": ["a"] * 4 + ["b"] * 3,
        "tokens": [10, 50, 100, 1000, 20, 200, 400],
        "phase": ["warmup", "stable", "stable", "decay", "warmup", "stable", "decay"],
        "is_final": [False, False, False, True, False, False, True],
    })
    assert law_points(rows)["tokens"].tolist() == [1000, 400]
    kept = law_points(rows, "curve", min_share=0.1)
    assert kept["tokens"].tolist() == [100, 1000, 200, 400]  # a: >= 100 tokens; b: >= 40 and past warmup
    assert law_points(rows, "curve", min_share=0.0).shape[0] == 5
    with pytest.raises(AtlasError, match="missing column.*phase"):
        law_points(rows.drop(columns="phase"))
    with pytest.raises(AtlasError, match="min_share"):
        law_points(rows, "curve", min_share=2)
    with pytest.raises(AtlasError, match="points must be one of"):
        law_points(rows, "all")


def test_fit_per_language_keeps_failures_as_reasons():
    tables = {"es": synthetic_runs(Chinchilla(), CHINCHILLA_LIKE, 40, seed=0), "xx": synthetic_runs(
        Chinchilla(), CHINCHILLA_LIKE, 3, seed=1)}
    fits = fit_per_language({"CSL": (Chinchilla(), {}), "CSL tied": (Chinchilla(), {"tie_exponents": True})},
                            tables, starts=50)
    assert fits[("CSL", "es")].params["alpha"] == pytest.approx(0.35, rel=1e-4)
    assert fits[("CSL tied", "es")].params["alpha"] == fits[("CSL tied", "es")].params["beta"]
    assert fits[("CSL", "xx")].status == "failed" and "free parameters" in fits[("CSL", "xx")].message
    table = parameter_table(fits).set_index(["law", "lang"])
    assert table.loc[("CSL", "xx"), "status"] == "failed" and "free parameters" in table.loc[("CSL", "xx"), "note"]
    assert table.loc[("CSL", "es"), "note"] == ""


def test_parameter_table_and_exponent_spread():
    fits = {("CSL", lang): fit_law(Chinchilla(), synthetic_runs(Chinchilla(), CHINCHILLA_LIKE | {"alpha": a}, 60,
                                                                seed=i), starts=200)
            for i, (lang, a) in enumerate([("es", 0.3), ("ru", 0.4)])}
    table = parameter_table(fits)
    assert list(table["lang"]) == ["es", "ru"]
    np.testing.assert_allclose(table["alpha"], [0.3, 0.4], rtol=1e-4)
    np.testing.assert_allclose(table["a_N"], table["beta"] / (table["alpha"] + table["beta"]))
    spread = exponent_spread(table).set_index("exponent")
    assert spread.loc["alpha", "languages"] == 2
    assert spread.loc["alpha", "mean"] == pytest.approx(0.35, rel=1e-4)
    assert spread.loc["alpha", "sd"] == pytest.approx(np.std([0.3, 0.4], ddof=1), rel=1e-3)
    assert spread.loc["beta", "cv"] == pytest.approx(0.0, abs=1e-4)  # both languages share beta = 0.37
    with pytest.raises(AtlasError, match="no fits"):
        parameter_table({})
    with pytest.raises(AtlasError, match="missing column"):
        exponent_spread(table.drop(columns="a_N"))


def test_repetition_table_reads_lambda_as_muennighoffs_r_star():
    table = repetition_table({"DCSL (C4)": 1 / 15.387756, "ours": 0.5})
    assert table.loc["DCSL (C4)", "R_star"] == pytest.approx(15.387756)
    assert table.loc["ours", "half_worth_epochs"] == pytest.approx(1 + np.log(2) / 0.5)
    assert table.loc["ours", "max_effective_epochs"] == pytest.approx(3.0)
    with pytest.raises(AtlasError, match="must be > 0"):
        repetition_table({"bad": 0.0})


def test_saturation_curves_worth_is_the_slope_of_the_effective_epochs():
    epochs = np.linspace(0.5, 40, 2000)
    curves = saturation_curves({"a": 0.065, "b": 0.5}, epochs)
    for _, curve in curves.groupby("fit"):
        slope = np.gradient(curve["effective_epochs"].to_numpy(), epochs)
        np.testing.assert_allclose(slope[5:-5], curve["worth"].to_numpy()[5:-5], atol=2e-3)
        below = curve["epochs"] <= 1
        np.testing.assert_allclose(curve.loc[below, "effective_epochs"], curve.loc[below, "epochs"])
    far = saturation_curves({"b": 0.5}, [1e4])
    assert far["effective_epochs"].iloc[0] == pytest.approx(3.0)  # U (1 + 1/lambda)
    with pytest.raises(AtlasError, match="positive"):
        saturation_curves({"a": 0.1}, [0.0, 1.0])


def test_trajectories_match_the_closed_form_and_bend_under_repetition():
    budgets = [1e15, 1e17]
    plain = trajectories(Chinchilla(), {"es": CHINCHILLA_LIKE}, budgets)
    N, D = compute_optimal(CHINCHILLA_LIKE, np.array(budgets))
    np.testing.assert_allclose(plain["N"], N, rtol=1e-5)
    np.testing.assert_allclose(plain["tokens_per_param"], D / N, rtol=1e-5)
    params = CHINCHILLA_LIKE | {"lambda": 0.3}
    capped = trajectories(Atlas(), {"sw": params}, budgets, columns={"sw": {"U": 1e6}})  # D_opt >> U
    free = trajectories(Atlas(), {"sw": params}, budgets, columns={"sw": {"U": np.inf}})
    assert (capped["tokens_per_param"] < free["tokens_per_param"]).all()  # scarce data: spend on parameters
    assert (capped["loss"] > free["loss"]).all()


def test_frontier_gap_is_zero_for_equal_laws_and_positive_for_a_worse_one():
    laws = pd.DataFrame([dict(regime="mono", lang="es", **CHINCHILLA_LIKE),
                         dict(regime="same", lang="es", **CHINCHILLA_LIKE),
                         dict(regime="multi", lang="es", **(CHINCHILLA_LIKE | {"E": 1.8 * 1.1, "B": 2100 * 1.1}))])
    gap = frontier_gap(laws, "mono", [1e18, 1e20]).set_index(["regime", "C"])
    np.testing.assert_allclose(gap.loc["same", "tax"], 0.0, atol=1e-12)
    assert (gap.loc["multi", "tax"] > 0.0).all() and (gap.loc["multi", "tax"] <= 0.1 + 1e-12).all()
    with pytest.raises(AtlasError, match="no regime 'nope'"):
        frontier_gap(laws, "nope", [1e18])


def test_curve_gap_interpolates_the_other_curve_at_the_reference_tokens():
    tokens = np.array([1e3, 1e4, 1e5])
    ref = pd.DataFrame({"scale": "s", "lang": "es", "tokens": tokens, "loss": 2.0 - 0.1 * np.log10(tokens)})
    other = pd.DataFrame({"scale": "s", "lang": "es", "tokens": [1e3, 1e5], "loss": 1.1 * (2.0 - 0.1 * np.log10(
        [1e3, 1e5]))})
    lonely = ref.assign(lang="ru")
    gap = curve_gap(pd.concat([ref, lonely]), other, ["scale", "lang"])
    assert list(gap["lang"].unique()) == ["es"]  # ru has no other curve
    np.testing.assert_allclose(gap["gap"], 0.1, rtol=1e-9)  # linear in log tokens on both sides
    narrow = curve_gap(ref, other.assign(tokens=[1e4, 1e6]), ["scale", "lang"])
    assert narrow["tokens"].tolist() == [1e4, 1e5]  # no extrapolation below the other curve's first point
    with pytest.raises(AtlasError, match="no group has curves on both sides"):
        curve_gap(lonely, other, ["scale", "lang"])
    with pytest.raises(AtlasError, match="other curves miss column"):
        curve_gap(ref, other.drop(columns="loss"), ["scale", "lang"])


def test_anytime_excess_compares_decayed_ends_with_the_longest_curve():
    def run(run_id, budget, bonus):  # loss falls linearly in log tokens; the decay takes `bonus` off the end
        tokens = np.array([1e3, 1e4, 1e5, 1e6])
        tokens = tokens[tokens <= budget]
        loss = 3.0 - 0.2 * np.log10(tokens)
        loss[-1] -= bonus
        return pd.DataFrame({"run_id": run_id, "lang": "es", "N": 10, "tokens": tokens, "loss": loss,
                             "is_final": tokens == budget})

    curves = pd.concat([run("short", 1e4, 0.3), run("mid", 1e5, 0.3), run("long", 1e6, 0.3),
                        run("other-model", 1e6, 0.3).assign(N=20)])
    excess = anytime_excess(curves)
    assert excess["tokens"].tolist() == [1e4, 1e5]  # the shorter runs' ends, on the long run's anytime curve
    np.testing.assert_allclose(excess["anytime"] - excess["decayed"], 0.3)
    with pytest.raises(AtlasError, match="no group has curves on both sides"):
        anytime_excess(run("alone", 1e6, 0.3))
    with pytest.raises(AtlasError, match="missing column"):
        anytime_excess(curves.drop(columns="is_final"))


def test_repetition_gap_pairs_the_longest_runs_of_the_two_pools():
    def run(run_id, N, U, budget, factor):
        tokens = np.geomspace(1e4, budget, 5)
        return pd.DataFrame({"run_id": run_id, "N": N, "U": U, "tokens": tokens,
                             "loss": factor * (3.0 - 0.1 * np.log10(tokens))})

    curves = pd.concat([run("u-short", 10, 1e6, 1e5, 1.0), run("u-long", 10, 1e6, 1e6, 1.0),
                        run("c-short", 10, 1e4, 1e5, 1.5), run("c-long", 10, 1e4, 1e6, 1.1)])
    gap = repetition_gap(curves)
    np.testing.assert_allclose(gap["gap"], 0.1)  # the long capped run, not the short one (loss x 1.5)
    np.testing.assert_allclose(gap["epochs"], gap["tokens"] / 1e4)
    assert gap["epochs"].max() == pytest.approx(100.0)
    with pytest.raises(AtlasError, match="exactly two unique-token pools"):
        repetition_gap(curves[curves["U"] == 1e6])


def _two_pools() -> pd.DataFrame:
    def run(run_id, U, factor):
        tokens = np.geomspace(1e4, 1e6, 5)
        return pd.DataFrame({"run_id": run_id, "N": 10, "U": U, "tokens": tokens,
                             "loss": factor * (3.0 - 0.1 * np.log10(tokens))})
    return pd.concat([run("unique", 1e6, 1.0), run("capped", 1e4, 1.1)])


def test_repetition_vs_law_adds_the_laws_prediction_at_the_measured_points():
    seen = []

    def predict(frame):
        seen.append(frame["U"].iloc[0])
        return np.where(np.isinf(frame["U"]), 2.0, 2.5)  # the capped pool costs 25% in this law

    both = repetition_vs_law(_two_pools(), SimpleNamespace(ok=True, predict=predict)).set_index("curve")
    np.testing.assert_allclose(both.loc["measured, N=10", "gap"], 0.1)
    np.testing.assert_allclose(both.loc["ATLAS fit, N=10", "gap"], 0.25)
    assert seen == [1e4, np.inf]  # the small pool, then unique data
    assert set(repetition_vs_law(_two_pools(), FAILED)["curve"]) == {"measured, N=10"}


def test_saturation_rates_read_dcsl_as_one_over_r_d_and_skip_failed_fits():
    atlas = {"es": SimpleNamespace(ok=True, params={"lambda": 0.2}), "sw": FAILED}
    dcsl = {"es": SimpleNamespace(ok=True, params={"R_D": 4.0}), "sw": SimpleNamespace(ok=True, params={"R_D": 0.0})}
    rates = saturation_rates(atlas, dcsl)
    assert rates["ours, ATLAS (es)"] == 0.2 and rates["ours, DCSL (es)"] == 0.25
    assert rates["Muennighoff et al. (C4): 1/R*_D"] == pytest.approx(1 / 15.388, rel=1e-3)
    assert not [k for k in rates if "sw" in k]


def test_pool_trajectories_bend_only_for_capped_languages():
    fit = SimpleNamespace(ok=True, params=CHINCHILLA_LIKE | {"lambda": 0.3})
    paths = pool_trajectories({"es": fit, "sw": fit, "ru": FAILED}, {"sw": 1e6}, [1e15, 1e17])
    assert set(paths["lang"]) == {"es, unique data", "sw, unique data", "sw, 1000K unique"}
    last = paths[paths["C"] == 1e17].set_index("lang")["tokens_per_param"]
    assert last["sw, 1000K unique"] < last["sw, unique data"] == pytest.approx(last["es, unique data"])
    assert pool_trajectories({"ru": FAILED}, {}, [1e15]).empty


def test_regime_laws_and_unimax_tax_without_unimax_runs_are_empty():
    assert regime_laws(pd.DataFrame(), {}).empty
    assert unimax_tax(pd.DataFrame(), pd.DataFrame(), ["es"]).empty
