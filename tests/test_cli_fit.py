"""``atlas fit`` and ``atlas predict`` end to end, through the real dispatcher."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from atlas_core.cli import main
from atlas_core.fit.synthetic import EXAMPLE_PARAMS, synthetic_runs
from atlas_core.laws import Atlas, Chinchilla, MultilingualSL


@pytest.fixture()
def chinchilla_csv(tmp_path):
    path = tmp_path / "runs.csv"
    synthetic_runs(Chinchilla(), EXAMPLE_PARAMS["chinchilla"], 40, noise=0.01, seed=1).to_csv(path, index=False)
    return path


def test_fit_prints_parameters_and_r2(chinchilla_csv, capsys):
    assert main(["fit", "--law", "chinchilla", str(chinchilla_csv), "--starts", "200", "--bootstrap", "20"]) == 0
    out = capsys.readouterr().out
    for key in ("E", "A", "B", "alpha", "beta", "R2 (in-sample, loss)", "95% CI"):
        assert key in out


def test_fit_json_feeds_predict(chinchilla_csv, tmp_path, capsys):
    assert main(["fit", "--law", "chinchilla", str(chinchilla_csv), "--starts", "200", "--json",
                 "--tie-exponents"]) == 0
    fit = json.loads(capsys.readouterr().out)
    assert fit["params"]["alpha"] == fit["params"]["beta"] and fit["tie_exponents"]
    assert set(fit["params"]) == {"E", "A", "B", "alpha", "beta"} and 0.9 < fit["r2"] <= 1
    saved = tmp_path / "fit.json"
    saved.write_text(json.dumps(fit))
    assert main(["predict", "--law", "chinchilla", "--params", str(saved), str(chinchilla_csv)]) == 0
    predicted = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))["predicted_loss"]
    runs = pd.read_csv(chinchilla_csv)
    np.testing.assert_allclose(predicted, Chinchilla().predict(fit["params"], runs), rtol=1e-9)
    assert len(predicted) == len(runs)


def test_msl_fits_one_law_per_family(tmp_path, capsys):
    path = tmp_path / "msl.csv"
    frames = [synthetic_runs(MultilingualSL(), EXAMPLE_PARAMS["msl"], 30, seed=i).assign(family=family)
              for i, family in enumerate(["germanic", "slavic"])]
    pd.concat(frames).to_csv(path, index=False)
    assert main(["fit", "--law", "msl", str(path), "--starts", "100", "--json"]) == 0
    fit = json.loads(capsys.readouterr().out)
    assert fit["by"] == "family" and set(fit["groups"]) == {"germanic", "slavic"}
    assert fit["groups"]["slavic"]["params"]["gamma"] == pytest.approx(EXAMPLE_PARAMS["msl"]["gamma"], rel=1e-4)


def test_atlas_picks_transfer_languages_from_the_columns(tmp_path, capsys):
    law = Atlas(["pt", "fr"], other=True)
    params = {k: v for k, v in EXAMPLE_PARAMS["atlas"].items() if k in law.param_names}
    path = tmp_path / "atlas.csv"
    synthetic_runs(law, params, 80, seed=2).to_csv(path, index=False)
    assert main(["fit", "--law", "atlas", str(path), "--k", "2", "--starts", "100", "--json", "--target", "es",
                 "--transfer-matrix", "published"]) == 0
    fit = json.loads(capsys.readouterr().out)
    assert sorted(fit["config"]["transfer"]) == ["fr", "pt"] and fit["config"]["other"]
    assert {"lambda", "tau_pt", "tau_fr", "tau_other"} <= set(fit["params"])
    assert main(["fit", "--law", "atlas", str(path), "--transfer", "fr", "--starts", "50", "--json",
                 "--target", "fr", "--transfer-matrix", "published"]) == 0  # fr->fr is an empty cell: default start
    assert json.loads(capsys.readouterr().out)["config"]["transfer"] == ["fr"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda f: f.drop(columns="D"), "missing column(s) 'D'"),
        (lambda f: f.assign(loss=f.loss.where(f.index != 7, 0.0)), "column 'loss' row 7: value 0.0"),
        (lambda f: f.assign(N=f.N.astype(object).where(f.index != 2, "n/a")), "column 'N' row 2: missing or NaN"),
        (lambda f: f.assign(N=f.N.astype(object).where(f.index != 2, "12x")), "column 'N' row 2: non-numeric"),
        (lambda f: f.head(3), "3 observations but 5 free parameters"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(chinchilla_csv, tmp_path, capsys, edit, message):
    bad = tmp_path / "bad.csv"
    edit(pd.read_csv(chinchilla_csv)).to_csv(bad, index=False)
    assert main(["fit", "--law", "chinchilla", str(bad), "--starts", "50"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and str(bad) in err


def test_predict_rejects_a_fit_of_another_law(chinchilla_csv, tmp_path, capsys):
    assert main(["fit", "--law", "chinchilla", str(chinchilla_csv), "--starts", "50", "--json"]) == 0
    saved = tmp_path / "fit.json"
    saved.write_text(capsys.readouterr().out)
    assert main(["predict", "--law", "curse", "--params", str(saved), str(chinchilla_csv)]) == 2
    assert "holds a 'chinchilla' fit, not 'curse'" in capsys.readouterr().err
    assert main(["predict", "--law", "chinchilla", "--params", str(tmp_path / "nope.json"), str(chinchilla_csv)]) == 2
    assert main(["fit", "--law", "chinchilla", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
