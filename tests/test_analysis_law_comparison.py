"""Table 1 machinery: the settings' rows, MSL's family share, held-out R^2 of every law on shared splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas_core import published
from atlas_core.analysis.law_comparison import (
    DCSL,
    DCSL_ONE_STAGE,
    Candidate,
    beside_paper,
    byte_level,
    family_share,
    fit_budget,
    heldout_predictions,
    law_rows,
    mono_candidates,
    multi_candidates,
    r2_summary,
    r2_table,
    random_split_spread,
    random_splits,
    setting_rows,
)
from atlas_core.analysis.observations import evaluations
from atlas_core.errors import AtlasError
from atlas_core.fit import FitResult, fit_law, fit_two_stage, heldout_r2, nested_start
from atlas_core.laws import Atlas, Chinchilla

FAMILIES = {"es": "Romance", "pt": "Romance", "ru": "Slavic", "uk": "Slavic"}
TRUTH = {"E": 0.8, "A": 40.0, "B": 60.0, "alpha": 0.35, "beta": 0.3, "lambda": 0.05, "tau_pt": 0.6, "tau_ru": 0.1,
         "tau_other": 0.05}


def mixtures(target: str = "es", seed: int = 0) -> pd.DataFrame:
    """Runs of target es along curves: mono, bilingual with pt or ru, and uniform 4-language mixtures (with uk),
    at four sizes; the loss follows ATLAS with transfer from pt and ru and a little from the rest."""
    rng = np.random.default_rng(seed)
    rows = []
    shares = {"mono": {"es": 1.0}, "bilingual": {"es": 0.5, "pt": 0.5}, "bilingual-ru": {"es": 0.5, "ru": 0.5},
              "uniform-4": {"es": 0.25, "pt": 0.25, "ru": 0.25, "uk": 0.25}}
    for N in (1e4, 3e4, 1e5, 3e5):
        for kind, mix in shares.items():
            for tokens in np.geomspace(2e5, 4e6, 8):
                row = dict(N=N, tokens=tokens, lang=target, mixture_kind=kind.split("-ru")[0], U=np.inf,
                           **{f"D_{s}": mix.get(s, 0.0) * tokens for s in ("pt", "ru", "uk")},
                           **{f"U_{s}": np.inf for s in ("pt", "ru", "uk")})
                row["D"], row["D_total"] = mix["es"] * tokens, tokens
                rows.append(row)
    frame = pd.DataFrame(rows)
    law = Atlas(["pt", "ru"], other=True)
    frame["loss"] = law.predict(TRUTH, frame) * np.exp(0.002 * rng.standard_normal(len(frame)))
    return frame


def test_setting_rows_keep_mono_or_drop_controls():
    obs = pd.DataFrame({"mixture_kind": ["mono", "bilingual", "control-null", "unimax", "uniform-4"], "x": range(5)})
    assert setting_rows(obs, "mono")["x"].tolist() == [0]
    assert setting_rows(obs, "multi")["x"].tolist() == [0, 1, 3, 4]
    with pytest.raises(AtlasError, match="setting must be one of"):
        setting_rows(obs, "both")


def test_family_share_counts_same_family_sources():
    obs = pd.DataFrame({"D": [10.0, 5.0], "D_pt": [0.0, 5.0], "D_ru": [0.0, 10.0], "D_total": [10.0, 20.0]})
    np.testing.assert_allclose(family_share(obs, "es", FAMILIES), [1.0, 0.5])
    np.testing.assert_allclose(family_share(obs, "ru", {**FAMILIES}), [1.0, 0.25])  # D is ru's own column here
    with pytest.raises(AtlasError, match="no family for target 'xx'"):
        family_share(obs, "xx", FAMILIES)


def test_full_atlas_generalises_to_held_out_mixtures_where_chinchilla_cannot():
    tables = {"es": setting_rows(mixtures(), "multi")}
    candidates = multi_candidates(FAMILIES, transfer_matrix=pd.DataFrame({"pt": [0.5]}, index=["es"]),
                                  languages=["pt", "ru", "uk"], k=2)
    table = r2_table(tables, candidates, ["random", "M", "N"], seeds=(0, 1), starts=60)
    assert set(table["split"]) == {"random", "M", "N"}
    assert (table[table["split"] == "random"].groupby("law")["seed"].nunique() == 2).all()
    summary = r2_summary(table)
    assert list(summary.index) == [c.name for c in candidates]
    assert list(summary.columns) == ["R2", "R2_N", "R2_M"]  # Table 1's order
    full = "ATLAS (D_t + D_other + transfer K_t)"
    assert summary.loc[full, "R2_M"] > 0.99
    assert summary.loc["Chinchilla (CSL, on D_t)", "R2_M"] < summary.loc[full, "R2_M"] - 0.05
    held = table[(table["split"] == "M")]
    assert (held["n_test"] == 4 * 8).all()  # every uniform-4 row, the same rows for every law
    spread = random_split_spread(table)
    assert set(spread.columns) >= {"law", "lang", "mean", "sd", "seeds"} and (spread["seeds"] == 2).all()


def test_impossible_splits_and_fits_give_nan_with_a_reason():
    mono = setting_rows(mixtures(), "mono")
    table = r2_table({"es": mono}, mono_candidates(), ["M", "N"], starts=20)
    assert table.loc[table["split"] == "M", "r2"].isna().all()
    assert table.loc[table["split"] == "M", "note"].str.contains("no held-out rows").all()
    tiny = mono[mono["N"] == 1e4].head(3)
    note = r2_table({"es": tiny}, [Candidate("CSL", Chinchilla())], ["random"], starts=20)["note"].iloc[0]
    assert "free parameters" in note
    with pytest.raises(AtlasError, match="unknown split"):
        r2_table({"es": mono}, mono_candidates(), ["Q"])


class Overflowing(Chinchilla):
    """Fits as Chinchilla does but predicts inf, as a fit whose A = e^a overflowed would."""

    def predict(self, params, frame):
        return np.full(len(frame), np.inf)


def test_a_prediction_that_overflows_is_a_nan_with_a_reason():
    mono = setting_rows(mixtures(), "mono")
    table = r2_table({"es": mono}, [Candidate("inf", Overflowing()), Candidate("CSL", Chinchilla())], ["D"],
                     starts=20).set_index("law")
    assert np.isnan(table.loc["inf", "r2"]) and "not finite" in table.loc["inf", "note"]
    assert np.isfinite(table.loc["CSL", "r2"]) and table.loc["CSL", "note"] == ""


def test_msl_reads_total_tokens_and_its_family_share():
    table = setting_rows(mixtures(), "multi")
    msl = next(c for c in multi_candidates(FAMILIES) if c.name.startswith("Multilingual"))
    frame = msl.inputs(table, "es")
    np.testing.assert_allclose(frame["D"], table["D_total"])
    shares = frame.groupby(table["mixture_kind"])["p"].agg(["min", "max"])
    assert tuple(shares.loc["mono"]) == (1.0, 1.0)
    assert tuple(shares.loc["bilingual"]) == (0.5, 1.0)  # es + ru: half Romance; es + pt: all Romance
    assert tuple(shares.loc["uniform-4"]) == (0.5, 0.5)


def test_beside_paper_puts_ours_next_to_table_1():
    summary = pd.DataFrame({"R2": [0.9, 0.8], "R2_N": [0.5, 0.7]},
                           index=pd.Index(["Chinchilla (CSL)", "ATLAS (D_t only)"], name="law"))
    both = beside_paper(summary, published.TABLE1_R2, "mono")
    assert list(both.columns) == ["R2 ours", "R2 paper", "R2_N ours", "R2_N paper"]
    assert both.loc["ATLAS (D_t only)", "R2_N paper"] == 0.88
    ours_only = beside_paper(summary.rename(index={"ATLAS (D_t only)": DCSL_ONE_STAGE}), published.TABLE1_R2, "mono")
    assert ours_only.loc[DCSL_ONE_STAGE, ["R2 paper", "R2_N paper"]].isna().all()  # never a number of ours
    assert ours_only.loc[DCSL_ONE_STAGE, "R2_N ours"] == 0.7


def test_heldout_predictions_are_the_rows_r2_scores():
    tables = {"es": setting_rows(mixtures(), "multi")}
    candidates = [Candidate("CSL", Chinchilla()), Candidate("ATLAS", Atlas(["pt", "ru"], other=True))]
    predictions = heldout_predictions(tables, candidates, "M", starts=40)
    assert set(predictions["law"]) == {"CSL", "ATLAS"} and (predictions["mixture_kind"] == "uniform-4").all()
    atlas = predictions[predictions["law"] == "ATLAS"]
    np.testing.assert_allclose(atlas["predicted"], atlas["observed"], rtol=0.02)
    r2 = r2_table(tables, candidates, ["M"], starts=40).set_index("law")["r2"]
    for law, rows in predictions.groupby("law"):
        ss_res = ((rows["observed"] - rows["predicted"]) ** 2).sum()
        ss_tot = ((rows["observed"] - rows["observed"].mean()) ** 2).sum()
        assert r2[law] == pytest.approx(1 - ss_res / ss_tot)
    with pytest.raises(AtlasError, match="no law could be fitted"):
        heldout_predictions({"es": setting_rows(mixtures(), "mono")}, candidates, "M")


def test_compute_split_counts_every_training_token():
    table = setting_rows(mixtures(), "multi")
    held = heldout_predictions({"es": table}, [Candidate("CSL", Chinchilla())], "C", starts=20)
    compute = 6 * table["N"] * table["D_total"]
    threshold = np.sort(compute)[-int(np.ceil(0.2 * len(table)))]
    assert len(held) == (compute >= threshold).sum()
    assert set(held["mixture_kind"]) == {"mono", "bilingual", "uniform-4"}  # by D_t alone, mixtures would be spared


def test_nested_start_reproduces_the_nested_fit():
    table = setting_rows(mixtures(), "multi")
    other = fit_law(Atlas(other=True), table, starts=50)
    full = Atlas(["pt", "ru"], other=True)
    start = nested_start(full, other)
    assert start["tau_pt"] == start["tau_ru"] == other.params["tau_other"]
    np.testing.assert_allclose(full.predict(start, table), other.predict(table), rtol=1e-12)
    assert nested_start(Atlas(other=True), fit_law(Chinchilla(), table, starts=20)) is None  # lambda is new
    at_zero = FitResult(law=Atlas(), params={**other.params, "E": 0.0}, status="at_bound", objective=0.0)
    assert nested_start(Atlas(other=True), at_zero)["E"] == 1e-300  # log-scale parameters stay finite


def test_a_law_that_extends_another_fits_at_least_as_well():
    """With a single grid start the full law may miss; the nested fit as a start puts it back on track."""
    tables = {"es": setting_rows(mixtures(), "multi")}
    nested = Candidate("other", Atlas(other=True))
    lone = Candidate("full alone", Atlas(["pt", "ru"], other=True))
    warm = Candidate("full", Atlas(["pt", "ru"], other=True), extends="other")
    table = r2_table(tables, [nested, lone, warm], ["random"], starts=1).set_index("law")["r2"]
    assert table["full"] >= table["other"] - 1e-3
    assert table["full"] >= table["full alone"] - 1e-3


def test_table_1_and_heldout_r2_are_one_engine():
    table = setting_rows(mixtures(), "multi")
    scores = r2_table({"es": table}, [Candidate("CSL", Chinchilla())], ["N", "C", "M"], starts=20)
    for split, r2 in zip(scores["split"], scores["r2"]):
        assert heldout_r2(Chinchilla(), table.assign(lang="es"), split, starts=20).r2 == pytest.approx(r2, rel=1e-12)


def test_dcsl_is_fitted_in_two_stages_and_the_one_stage_row_is_labelled():
    names = [c.name for c in mono_candidates(one_stage_dcsl=True)]
    assert names == ["Chinchilla (CSL)", DCSL, DCSL_ONE_STAGE, "ATLAS (D_t only)"] and "one-stage" in DCSL_ONE_STAGE
    two_stage = next(c for c in mono_candidates() if c.name == DCSL)
    assert two_stage.fitter is fit_two_stage and len(mono_candidates()) == 3


def evaluation_rows() -> pd.DataFrame:
    """Final evaluations of four runs shaped as ``Study.rows()``: a grid run, a constant-rate bilingual run, a
    subword run (its per-token loss is not its per-byte loss) and a monolingual run outside the scaling grid."""
    base = dict(step=10, eval_lang="es", is_final=True, bpb=1.0)
    return pd.DataFrame([
        dict(base, run_id="grid", loss=np.log(2), phase="decay", mixture_kind="mono", experiments="scaling,capacity"),
        dict(base, run_id="constant", loss=np.log(2), phase="stable", mixture_kind="bilingual", experiments="transfer"),
        dict(base, run_id="subword", loss=3 * np.log(2), phase="decay", mixture_kind="bilingual", experiments="x"),
        dict(base, run_id="repeat", loss=np.log(2), phase="decay", mixture_kind="mono", experiments="repetition"),
    ])


def test_law_rows_keep_decayed_byte_level_runs_and_the_grid_alone_of_the_monolingual_ones():
    rows = evaluation_rows()
    assert byte_level(rows).to_dict() == {"constant": True, "grid": True, "repeat": True, "subword": False}
    assert law_rows(rows)["run_id"].tolist() == ["grid"]
    with pytest.raises(AtlasError, match="law_rows: missing column"):
        law_rows(rows.drop(columns="phase"))


def test_evaluations_drop_the_repeats_of_a_run_used_twice():
    rows = evaluation_rows()
    uses = pd.concat([rows.assign(kind="mono", target="es"), rows.assign(kind="capacity", target="es")])
    assert evaluations(uses, rows.iloc[:0]).equals(rows)


@pytest.mark.parametrize("runs, splits, polished", [(4, 1, 1), (12, 3, 2), (20, 5, 2), (60, 5, 2)])
def test_random_splits_and_polish_follow_the_smallest_table(runs, splits, polished):
    seeds = random_splits({"es": pd.DataFrame({"N": range(runs)}), "ru": pd.DataFrame({"N": range(runs + 8)})})
    assert seeds == range(splits) and fit_budget(seeds)["n_polish"] == polished
