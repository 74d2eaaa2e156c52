"""``atlas predict --params``: a fit saved by ``atlas fit --json``, or a plain mapping written from a paper's table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from atlas_core.cli import main

# Hoffmann et al. (2022), approach 3, as a user copies it from the paper.
CHINCHILLA_PAPER = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


@pytest.fixture()
def runs_csv(tmp_path):
    path = tmp_path / "runs.csv"
    pd.DataFrame({"N": [1e6, 7e7, 1e9], "D": [2e7, 1.4e9, 2e10]}).to_csv(path, index=False)
    return path


def chinchilla_by_hand(n: float, d: float) -> float:
    p = CHINCHILLA_PAPER
    return p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]


@pytest.mark.parametrize("text", [
    json.dumps(CHINCHILLA_PAPER),
    "E: 1.69\nA: 406.4\nB: 410.7\nalpha: 0.34\nbeta: 0.28\n",
])
def test_a_plain_mapping_in_json_or_yaml_predicts_the_formula(runs_csv, tmp_path, capsys, text):
    params = tmp_path / "paper.txt"
    params.write_text(text)
    assert main(["predict", "--law", "chinchilla", "--params", str(params), str(runs_csv)]) == 0
    out = capsys.readouterr().out.splitlines()
    expected = [chinchilla_by_hand(n, d) for n, d in [(1e6, 2e7), (7e7, 1.4e9), (1e9, 2e10)]]
    assert out[0] == "predicted_loss"
    np.testing.assert_allclose([float(v) for v in out[1:]], expected, rtol=1e-9)


@pytest.mark.parametrize("text, message", [
    ('{"E": NaN, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}', "parameter E = nan is not a finite number"),
    ('{"E": 1.69, "A": Infinity, "B": 410.7, "alpha": 0.34, "beta": 0.28}', "parameter A = inf is not a finite"),
    ("E: .nan\nA: 1\nB: 1\nalpha: 1\nbeta: 1\n", "parameter E = nan is not a finite number"),
    ('{"E": "1.69", "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}', "parameter E = '1.69' is not a finite"),
    ('{"E": 1.69, "A": 406.4}', "missing B, alpha, beta"),
    ('{"law": "chinchilla", "params": {"E": NaN, "A": 1, "B": 1, "alpha": 1, "beta": 1}}', "parameter E = nan"),
    ("[1, 2, 3]", "expected a mapping of parameter names to values, got list"),
    ("E: [unclosed\n", "neither JSON nor YAML"),
])
def test_bad_parameters_are_refused_in_one_line(runs_csv, tmp_path, capsys, text, message):
    params = tmp_path / "params.json"
    params.write_text(text)
    assert main(["predict", "--law", "chinchilla", "--params", str(params), str(runs_csv)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(params) in err and err.count("\n") == 1


def test_binary_garbage_as_params_is_one_line(runs_csv, tmp_path, capsys):
    params = tmp_path / "params.json"
    params.write_bytes(bytes(range(128, 256)) * 4)
    assert main(["predict", "--law", "chinchilla", "--params", str(params), str(runs_csv)]) == 2
    err = capsys.readouterr().err
    assert f"{params}: not a text file" in err and err.count("\n") == 1
