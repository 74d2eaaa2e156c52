"""The ``atlas`` dispatcher: one line and exit 2 for every error a user can cause, 130 on Ctrl-C, plain help."""

from __future__ import annotations

import pandas as pd
import pytest

import atlas_core.cli.fit
from atlas_core import __version__
from atlas_core.cli import COMMANDS, main

GARBAGE = bytes(range(128, 256)) * 8  # not UTF-8


def one_line_error(capsys, *needles: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err
    return err


@pytest.fixture()
def runs_csv(tmp_path):
    path = tmp_path / "runs.csv"
    pd.DataFrame({"N": [1e6, 2e6, 4e6], "D": [1e7, 2e7, 4e7], "loss": [4.0, 3.5, 3.1]}).to_csv(path, index=False)
    return path


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"atlas {__version__}"


@pytest.mark.parametrize("name", [
    name for name in COMMANDS
])
def test_every_command_has_a_plain_text_description(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert exit_.value.code == 0 and len(description) > 20
    for markup in ("``", ":func:", ":mod:", ":class:", "_MISSING_TYPE"):
        assert markup not in out, f"{markup} in `atlas {name} --help`"


def test_a_folder_as_runs_csv(tmp_path, capsys):
    assert main(["fit", "--law", "chinchilla", str(tmp_path)]) == 2
    one_line_error(capsys, f"{tmp_path}: is a folder, not a CSV file")


def test_binary_garbage_as_runs_csv(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    path.write_bytes(GARBAGE)
    assert main(["fit", "--law", "chinchilla", str(path)]) == 2
    one_line_error(capsys, f"{path}: not a text file")


def test_a_repeated_csv_column_is_refused_by_name(runs_csv, capsys):
    frame = pd.read_csv(runs_csv)
    runs_csv.write_text("N,D,loss,loss\n" + "".join(f"{r.N},{r.D},{r.loss},9.9\n" for r in frame.itertuples()))
    assert main(["fit", "--law", "chinchilla", str(runs_csv)]) == 2
    one_line_error(capsys, str(runs_csv), "column 'loss' appears 2 times")


def test_a_binary_transfer_matrix(runs_csv, tmp_path, capsys):
    matrix = tmp_path / "matrix.csv"
    matrix.write_bytes(GARBAGE)
    assert main(["fit", "--law", "atlas", str(runs_csv), "--transfer-matrix", str(matrix)]) == 2
    one_line_error(capsys, f"{matrix}: cannot read transfer matrix")


@pytest.mark.parametrize("content, message", [
    (GARBAGE, "not a text file"),
    (b"name: broken\nexperiments: [unclosed\n", "not valid YAML"),
    (b"- just\n- a list\n", "expected a mapping at the top level"),
])
def test_a_bad_profile_for_the_book(tmp_path, capsys, content, message):
    profile = tmp_path / "mine.yaml"
    profile.write_bytes(content)
    assert main(["book", "--profile", str(profile)]) == 2
    one_line_error(capsys, "atlas book: error:", str(profile), message)


def test_an_unknown_profile_for_the_book_lists_the_bundled_ones(capsys):
    from atlas_core.experiments.profile import bundled_profiles

    assert main(["book", "--profile", "huge"]) == 2
    one_line_error(capsys, f"profile='huge' is not one of: {', '.join(bundled_profiles())}")


@pytest.mark.parametrize("variable, argv", [("ATLAS_CACHE", ["data", "list"]),
                                            ("ATLAS_RESULTS", ["results", "--profile", "smoke"])])
def test_an_atlas_folder_variable_naming_a_file(tmp_path, monkeypatch, capsys, variable, argv):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    monkeypatch.setenv(variable, str(a_file))
    assert main(argv) == 2
    one_line_error(capsys, f"{a_file} is a file, not a folder")


def test_mixture_weights_that_do_not_sum_to_one_are_refused(capsys):
    assert main(["train", "--scale", "10k", "--mixture", "es=0.6,pt=0.6", "--tokens", "100k", "--no-restart"]) == 2
    one_line_error(capsys, "mixture es=0.6,pt=0.6: weights sum to 1.2, not 1")


def test_ctrl_c_is_one_line_and_status_130(runs_csv, monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(atlas_core.cli.fit, "run", interrupted)
    assert main(["fit", "--law", "chinchilla", str(runs_csv)]) == 130
    assert capsys.readouterr().err.strip() == "atlas fit: interrupted: rerun to continue"


def test_an_unreadable_file_a_command_opens_is_one_line(runs_csv, monkeypatch, capsys):
    def unreadable(args):
        open(runs_csv.parent / "missing" / "file.txt")

    monkeypatch.setattr(atlas_core.cli.fit, "run", unreadable)
    assert main(["fit", "--law", "chinchilla", str(runs_csv)]) == 2
    one_line_error(capsys, "file.txt: No such file or directory")


@pytest.mark.parametrize("content, message", [
    (b"scale: [10k\n", "config.yaml: not valid YAML or JSON (while parsing a flow sequence)"),
    (GARBAGE, "config.yaml: not valid YAML or JSON (not text)"),
])
def test_a_bad_train_config_file_is_one_line(tmp_path, capsys, content, message):
    config = tmp_path / "config.yaml"
    config.write_bytes(content)
    assert main(["train", "--config", str(config), "--no-restart"]) == 2
    one_line_error(capsys, "atlas train: error:", message)
