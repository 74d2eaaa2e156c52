"""``atlas train``: option parsing into a TrainConfig, a real run on the control sources, errors exit 2."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from atlas_core.cli import main
from atlas_core.cli.train import add_arguments, config_from_args, parse_count
from atlas_core.errors import AtlasError
from atlas_core.train import ROW_COLUMNS, runtime

pytestmark = pytest.mark.filterwarnings("ignore:training without")  # in-process `main` does not restart


@pytest.fixture(autouse=True)
def restore_threads():
    """``atlas train`` sets one thread in this process; give the other tests back their setting."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def parse(*argv: str):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return config_from_args(parser.parse_args(argv))


def test_counts_take_suffixes():
    assert parse_count("1.5M") == 1_500_000 and parse_count("200k") == 200_000 and parse_count("3e6") == 3_000_000
    with pytest.raises(AtlasError):
        parse_count("lots")
    with pytest.raises(AtlasError):
        parse_count("1.5")


def test_mixture_syntaxes_and_options():
    assert parse("--scale", "100k", "--mixture", "es", "--tokens", "3M").mixture == {"es": 1.0}
    cfg = parse("--scale", "1m", "--mixture", "es=0.5,null=0.5", "--tokens", "1.5M", "--unique-tokens", "es=200k",
                "--eval-langs", "es,pt", "--lr", "1e-3", "--batch-size", "32", "--max-epochs", "4")
    assert cfg.mixture == {"es": 0.5, "null": 0.5} and cfg.tokens == 1_500_000
    assert cfg.unique_tokens == {"es": 200_000} and cfg.eval_langs == ["es", "pt"]
    assert (cfg.lr, cfg.batch_size, cfg.max_epochs, cfg.scale) == (1e-3, 32, 4.0, "1m")
    assert parse("--scale", "10k", "--mixture", "es,pt,fr,de", "--tokens", "1M").mixture == dict.fromkeys(
        ["es", "pt", "fr", "de"], 0.25)


def test_equivalent_mixtures_are_one_run_and_ordinary_ids_keep_their_hash():
    same = [parse("--scale", "10k", "--mixture", m, "--tokens", "1M") for m in ("es", "es=0.5", "es=0.5,es=0.5",
                                                                                "es,es")]
    assert same[2].mixture == same[3].mixture == {"es": 1.0}
    assert len({c.config_hash() for c in same}) == 1
    pair = [parse("--scale", "10k", "--mixture", m, "--tokens", "1M") for m in ("es,pt", "pt=1,es=1", "es=2,pt=2")]
    assert len({c.config_hash() for c in pair}) == 1
    assert parse("--scale", "10k", "--mixture", "es=0.7,pt=0.3", "--tokens", "1M").config_hash() != pair[0].config_hash()
    for cfg in (same[0], pair[0], parse("--scale", "10k", "--mixture", "es,pt,fr", "--tokens", "1M")):
        payload = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "device"}  # the hash before canonical
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))  # mixtures: weights summing to 1 keep it
        assert cfg.config_hash() == hashlib.sha256(blob.encode()).hexdigest()[:12]


def test_unimax_mixture_from_the_training_streams():
    cfg = parse("--scale", "10k", "--mixture", "unimax:utf3,rand", "--tokens", "50M", "--unique-tokens",
                "utf3=1M", "--unimax-max-epochs", "10")
    assert cfg.mixture == pytest.approx({"utf3": 0.2, "rand": 0.8})


def test_config_file_with_overrides(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("scale: 25k\nmixture: {es: 0.5, pt: 0.5}\ntokens: 2M\nseed: 3\n")
    cfg = parse("--config", str(path), "--seed", "4")
    assert (cfg.scale, cfg.mixture, cfg.tokens, cfg.seed) == ("25k", {"es": 0.5, "pt": 0.5}, 2_000_000, 4)
    path.write_text("scale: 25k\nmixture: es\ntokens: 1M\nlearning_rate: 0.1\n")
    with pytest.raises(AtlasError, match="learning_rate"):
        parse("--config", str(path))


def test_atlas_train_runs_and_writes_rows(tmp_path, capsys):
    out, workdir = tmp_path / "rows.csv", tmp_path / "run"
    status = main(["train", "--scale", "10k", "--mixture", "utf3=0.5,null=0.5", "--tokens", "32k",
                   "--seq-len", "64", "--n-evals", "3", "--eval-tokens", "2k", "--final-eval-tokens", "4k",
                   "--workdir", str(workdir), "--out", str(out), "--run-id", "cli", "--no-progress"])
    assert status == 0 and torch.get_num_threads() == 1
    rows = pd.read_csv(out)
    assert list(rows.columns[:len(ROW_COLUMNS)]) == list(ROW_COLUMNS)
    assert set(rows["eval_lang"]) == {"utf3"} and rows["run_id"].eq("cli").all()
    assert rows["is_final"].iloc[-1] and rows["D_null"].iloc[-1] == rows["D_utf3"].iloc[-1]
    assert "cli: utf3 loss" in capsys.readouterr().err
    assert (workdir / "model.pt").is_file()


def test_atlas_train_restarts_in_the_training_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in runtime.MALLOC_SETTINGS and k != "LD_PRELOAD"}
    subprocess.run([sys.executable, "-m", "atlas_core.cli", "train", "--scale", "10k", "--mixture", "rand",
                    "--tokens", "8k", "--seq-len", "32", "--n-evals", "1", "--eval-tokens", "1k",
                    "--final-eval-tokens", "1k", "--workdir", str(tmp_path), "--out", str(tmp_path / "rows.csv"),
                    "--no-progress"], env=env, check=True, capture_output=True)
    meta = json.loads((tmp_path / "run.json").read_text())
    shim_expected = runtime.shim_library() is not None  # an AMD CPU with AVX-512 and a C compiler
    assert meta["runtime_missing"] == ([] if shim_expected or not runtime.shim_helps_here()
                                       else ["MKL's AVX-512 kernels (the MKL shim)"])
    assert meta["threads"] == 1


def test_estimate_prints_the_plan_at_this_machines_rates(capsys, tmp_path, monkeypatch):
    from atlas_core.train.calibrate import save_calibration, workers_complete

    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path))
    save_calibration({"100k": {"train": 30_000.0, "eval": 100_000.0}}, workers_complete())
    assert main(["train", "--scale", "100k", "--mixture", "es", "--tokens", "3M", "--estimate"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["steps"] == 3_000_000 // (16 * 128)
    # 1 s overhead + 1464 steps of 2048 tokens + 19 evaluations of 32768 held-out tokens and a final one of 131072
    expected = 1 + 1464 * 2048 / 30_000 + (19 * 32768 + 131_072) / 100_000
    assert plan["estimated_seconds"] == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("argv, message", [
    (["--mixture", "xx,es", "--tokens", "1M"], "unknown language code 'xx'"),
    (["--mixture", "utf3", "--tokens", "lots"], "not a count"),
    (["--mixture", "utf3"], "--tokens is required"),
    (["--mixture", "utf3", "--tokens", "100M", "--max-epochs", "1"], "max_epochs"),
])
def test_errors_exit_2_with_one_line(argv, message, capsys):
    assert main(["train", "--scale", "10k", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("setup, argv, message", [
    (lambda d: None, ["--batch-size", "0"], "batch_size must be at least 1, got 0"),
    (lambda d: None, ["--seed", "-1"], "seed must not be negative"),
    (lambda d: (d / "out").mkdir(), ["--out", "{d}/out"], "is a folder; give a file name"),
    (lambda d: (d / "wd").write_text("x"), ["--workdir", "{d}/wd"], "is a file, not a folder"),
    (lambda d: (d / "c.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\0\0"), ["--config", "{d}/c.yaml"],
     "not valid YAML or JSON (not text)"),
    (lambda d: (d / "c.yaml").write_text("scale: [10k\n"), ["--config", "{d}/c.yaml"], "not valid YAML or JSON"),
])
def test_bad_input_exits_2_before_any_training(tmp_path, setup, argv, message, capsys):
    setup(tmp_path)
    argv = [a.format(d=tmp_path) for a in argv]
    assert main(["train", "--scale", "10k", "--mixture", "utf3", "--tokens", "40K", "--no-restart", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
