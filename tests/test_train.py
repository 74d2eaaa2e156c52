"""The trainer on a tiny in-memory corpus: loss falls, row schema, determinism, null normalisation, resume after a
kill, finetuning, schedules, bad input, time estimates. No prepared data needed."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from atlas_core.errors import AtlasError
from atlas_core.train import ROW_COLUMNS, RunData, TrainConfig, estimate_seconds, runtime, train
from atlas_core.train.calibrate import Rates
from atlas_core.train.schedule import eval_steps, lr_factor, lr_phase, warmup_steps
from atlas_core.train.trainer import Run

TESTS = Path(__file__).parent
pytestmark = pytest.mark.filterwarnings("ignore:training without")  # tests run outside runtime.environment()


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Finished runs log their throughput under the cache (calibrate.observe): keep the user's out of it."""
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def one_thread():
    """Bitwise comparisons hold at a fixed thread count; the subprocess below runs with one thread too."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def language(seed: int, n_bytes: int) -> np.ndarray:
    """Text-like bytes: words of a few letters from a seeded alphabet, drawn with Zipf-like frequencies."""
    rng = np.random.default_rng(seed)
    letters = rng.choice(np.arange(97, 123), 10, replace=False)
    words = [bytes(rng.choice(letters, rng.integers(2, 7))) for _ in range(60)]
    probs = 1.0 / np.arange(1, 61)
    picks = rng.choice(60, n_bytes // 3, p=probs / probs.sum())
    return np.frombuffer(b" ".join(words[i] for i in picks)[:n_bytes], dtype=np.uint8)


def tiny_data() -> RunData:
    return RunData(train={"aa": language(1, 60_000), "bb": language(2, 60_000)},
                  test={"aa": language(11, 12_000), "bb": language(12, 12_000)}, vocab_size=256)


def tiny_config(**overrides) -> TrainConfig:
    base = dict(scale="10k", mixture={"aa": 0.5, "bb": 0.5}, tokens=40_960, batch_size=8, seq_len=32, n_evals=6,
                eval_tokens=2048, final_eval_tokens=4096, lr=1e-2, min_warmup_steps=5, device="cpu")
    return TrainConfig(**(base | overrides))


def without_wall(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.drop(columns="wall_s").reset_index(drop=True)


def test_loss_falls_and_rows_follow_the_schema():
    cfg = tiny_config(mixture={"aa": 0.5, "bb": 0.25, "null": 0.25})
    rows = train(cfg, "r1", data=tiny_data())
    per_source = [f"{p}{s}" for s in ("aa", "bb", "null") for p in ("D_", "U_", "epochs_")]
    assert list(rows.columns) == list(ROW_COLUMNS) + per_source
    assert set(rows["eval_lang"]) == {"aa", "bb"}  # the mixture's languages
    steps = eval_steps(160, 6, "log")
    assert list(rows["step"]) == [s for s in steps for _ in (0, 1)]
    assert (rows["tokens"] == rows["step"] * 8 * 32).all()
    assert (rows["D_aa"] + rows["D_bb"] + rows["D_null"] == rows["tokens"]).all()
    assert (rows["D_aa"] == 2 * rows["D_bb"]).all() and (rows["U_null"] == 0).all()
    assert np.allclose(rows["epochs_aa"], rows["D_aa"] / rows["U_aa"]) and rows["epochs_null"].isna().all()
    assert rows["U_aa"].iloc[0] == (60_000 - 1) // 32 * 32
    assert list(rows["is_final"]) == [False] * (len(rows) - 2) + [True, True]
    assert (rows["eval_tokens"] == np.where(rows["is_final"], 4096, 2048)).all()
    assert np.allclose(rows["bpb"], rows["loss"] / math.log(2))  # bytes: one byte per token
    assert rows["loss_vi"].isna().all()  # bytes: bpb is the vocabulary-insensitive measure
    assert rows["wall_s"].is_monotonic_increasing and (rows["N"] == 12_768).all()
    assert list(rows["phase"].iloc[[0, -1]]) == ["warmup", "decay"]
    first, last = rows.groupby("eval_lang")["loss"].first(), rows.groupby("eval_lang")["loss"].last()
    assert (first > 4.5).all() and (last < 2.6).all()


def test_runs_are_deterministic_and_seeded():
    cfg = tiny_config(tokens=16_384)
    a, b = train(cfg, "r", data=tiny_data()), train(cfg, "r", data=tiny_data())
    pd.testing.assert_frame_equal(without_wall(a), without_wall(b))
    c = train(replace(cfg, seed=1), "r", data=tiny_data())
    assert not np.array_equal(a["loss"], c["loss"])


def _gradients(mixture: dict, batch_size: int) -> list[torch.Tensor]:
    run = Run(tiny_config(mixture=mixture, batch_size=batch_size), "g", tiny_data(), None)
    run.backward(run.sampler.next_batch())
    return [p.grad.clone() for p in run.model.parameters()]


def test_null_share_is_absent_and_normalised_by_the_nominal_batch():
    """Same init and paired windows: null-run gradient = half the mono gradient, and bilingual = null + partner."""
    mono_aa, mono_bb = _gradients({"aa": 1.0}, 4), _gradients({"bb": 1.0}, 4)
    null = _gradients({"aa": 0.5, "null": 0.5}, 8)
    bilingual = _gradients({"aa": 0.5, "bb": 0.5}, 8)
    for g_aa, g_bb, g_null, g_bi in zip(mono_aa, mono_bb, null, bilingual):
        torch.testing.assert_close(g_null, 0.5 * g_aa)
        torch.testing.assert_close(g_bi, g_null + 0.5 * g_bb)


RESUME_SCRIPT = """
import sys, torch
torch.set_num_threads(1)
sys.path.insert(0, {tests!r})
from test_train import resume_config, tiny_data
from atlas_core.train import train
train(resume_config(), "resume", workdir={workdir!r}, data=tiny_data(), checkpoint_every_s=0.0)
"""


def resume_config() -> TrainConfig:
    return tiny_config(tokens=128_000, n_evals=8, dropout=0.1)  # dropout: the torch RNG must resume too


def test_killed_run_resumes_to_the_same_rows(tmp_path):
    """SIGKILL a training process after its first evaluation, resume in-process: rows equal an uninterrupted run."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", RESUME_SCRIPT.format(tests=str(TESTS), workdir=str(tmp_path))],
                            env=env)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "rows.csv").is_file():
            assert proc.poll() is None and time.monotonic() < deadline, "training process ended before evaluating"
            time.sleep(0.02)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert (tmp_path / "checkpoint.pt").is_file() and not (tmp_path / "model.pt").exists(), "not killed mid-run"
    killed_at = len(pd.read_csv(tmp_path / "rows.csv"))
    resumed = train(resume_config(), "resume", workdir=tmp_path, data=tiny_data())
    straight = train(resume_config(), "resume", data=tiny_data())
    assert 0 < killed_at < len(straight)
    pd.testing.assert_frame_equal(without_wall(resumed), without_wall(straight))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "rows.csv"), resumed, check_dtype=False)


def test_interrupted_run_resumes_between_evaluations(tmp_path, monkeypatch):
    """An exception mid-run (between two evaluations) leaves a time-based checkpoint that resumes exactly."""
    cfg = tiny_config(mixture={"aa": 0.6, "null": 0.4}, n_evals=3, eval_spacing="linear", dropout=0.1)
    straight = train(cfg, "r", data=tiny_data())
    calls, step = {"n": 0}, Run.train_step

    def dying_step(self):
        calls["n"] += 1
        if calls["n"] == 77:  # evaluations at steps 53, 107, 160
            raise KeyboardInterrupt
        step(self)

    monkeypatch.setattr(Run, "train_step", dying_step)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, "r", workdir=tmp_path, data=tiny_data(), checkpoint_every_s=0.0)
    monkeypatch.setattr(Run, "train_step", step)
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["step"] == 76
    resumed = train(cfg, "r", workdir=tmp_path, data=tiny_data())
    pd.testing.assert_frame_equal(without_wall(resumed), without_wall(straight))


def test_finished_workdir_returns_its_rows_and_refuses_another_config(tmp_path):
    cfg = tiny_config(tokens=8192)
    first = train(cfg, "r", workdir=tmp_path, data=tiny_data())
    assert {p.name for p in tmp_path.iterdir()} == {"rows.csv", "model.pt", "run.json"}
    stamp = (tmp_path / "model.pt").stat().st_mtime_ns
    again = train(cfg, "r", workdir=tmp_path, data=tiny_data())
    pd.testing.assert_frame_equal(again, first, check_dtype=False)
    assert (tmp_path / "model.pt").stat().st_mtime_ns == stamp
    with pytest.raises(AtlasError, match="another configuration"):
        train(replace(cfg, lr=1e-3), "r", workdir=tmp_path, data=tiny_data())
    with pytest.raises(AtlasError, match="holds run 'r'"):
        train(cfg, "other", workdir=tmp_path, data=tiny_data())


def test_finetune_starts_from_the_model_with_a_fresh_schedule(tmp_path):
    base = tiny_config(mixture={"aa": 1.0}, tokens=40_960)
    train(base, "base", workdir=tmp_path / "base", data=tiny_data())
    model = str(tmp_path / "base" / "model.pt")
    tune = replace(base, mixture={"bb": 1.0}, tokens=8192, eval_langs=["aa", "bb"], init_from=model)
    tuned = train(tune, "tune", workdir=tmp_path / "tune", data=tiny_data())
    scratch = train(replace(tune, init_from=None), "scratch", data=tiny_data())
    first = tuned[tuned["step"] == tuned["step"].min()].set_index("eval_lang")
    assert first["tokens"].iloc[0] == first["step"].iloc[0] * 8 * 32 and first["phase"].iloc[0] == "warmup"
    scratch_first = scratch[scratch["step"] == scratch["step"].min()].set_index("eval_lang")
    assert first.loc["aa", "loss"] < scratch_first.loc["aa", "loss"] - 1.5  # it knows aa already
    assert json.loads((tmp_path / "tune" / "run.json").read_text())["init_from"] == model
    with pytest.raises(AtlasError, match="differs"):
        train(replace(tune, scale="25k"), "bad", data=tiny_data())
    with pytest.raises(AtlasError, match="no model file"):
        train(replace(tune, init_from=str(tmp_path / "missing.pt")), "bad", data=tiny_data())


@pytest.mark.parametrize("damage, message", [
    (lambda w: (w / "rows.csv").write_text("\n".join((w / "rows.csv").read_text().splitlines()[:5]) + "\n"),
     r"rows.csv does not match .*run.json \(missing, truncated or edited; \d+ rows expected\)"),
    (lambda w: (w / "rows.csv").unlink(), "rows.csv does not match"),
    (lambda w: (w / "run.json").write_text((w / "run.json").read_text()[:40]), "run.json is not valid JSON"),
    (lambda w: (w / "run.json").write_bytes(b"\xff\xfe\0garbage"), "run.json is not valid JSON"),
])
def test_a_damaged_finished_workdir_is_refused_never_half_used(tmp_path, damage, message):
    cfg = tiny_config(tokens=8192)
    train(cfg, "r", workdir=tmp_path, data=tiny_data())
    damage(tmp_path)
    with pytest.raises(AtlasError, match=message):
        train(cfg, "r", workdir=tmp_path, data=tiny_data())


def test_a_damaged_checkpoint_init_model_or_a_file_for_workdir_is_one_error(tmp_path):
    cfg = tiny_config(tokens=8192)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "checkpoint.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(AtlasError, match=r"checkpoint: .*checkpoint.pt is unreadable"):
        train(cfg, "r", workdir=tmp_path / "w", data=tiny_data())
    torch.save(torch.zeros(3), tmp_path / "w" / "checkpoint.pt")
    with pytest.raises(AtlasError, match="is not an atlas checkpoint"):
        train(cfg, "r", workdir=tmp_path / "w", data=tiny_data())
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(AtlasError, match=r"init_from: .*bad.pt is unreadable"):
        train(replace(cfg, init_from=str(tmp_path / "bad.pt")), "r", data=tiny_data())
    (tmp_path / "file").write_text("x")
    with pytest.raises(AtlasError, match="workdir .*file is a file, not a folder"):
        train(cfg, "r", workdir=tmp_path / "file", data=tiny_data())


@pytest.mark.parametrize("overrides, message", [
    ({"batch_size": 0}, "batch_size must be at least 1, got 0"),
    ({"seed": -1}, "seed must not be negative, got -1"),
    ({"mixture": {"aa": 0.5, "xx": 0.5}}, "'xx'"),
    ({"scale": "5k"}, "ladder"),
    ({"tokens": 100}, "less than one batch"),
    ({"max_epochs": 0.2}, r"'aa'.*0.34 epochs.*max_epochs=0.2"),
    ({"unique_tokens": {"aa": 4096}, "max_epochs": 4.0}, r"'aa'.*5.00 epochs"),
    ({"eval_langs": ["cc"]}, "held-out text.*'cc'"),
    ({"eval_langs": ["null"]}, "null"),
    ({"schedule": "linear"}, "schedule"),
    ({"mixture": {}}, "empty"),
    ({"mixture": {"aa": 0.0}}, "positive"),
])
def test_bad_settings_are_named(overrides, message):
    with pytest.raises(AtlasError, match=message):
        train(tiny_config(**overrides), "bad", data=tiny_data())


def test_a_process_outside_the_training_environment_is_warned(monkeypatch):
    monkeypatch.setattr(runtime, "missing", lambda: ["malloc settings"])
    with pytest.warns(UserWarning, match="training without malloc settings"):
        train(tiny_config(tokens=2048), "w", data=tiny_data())
    monkeypatch.setattr(runtime, "missing", lambda: [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(tiny_config(tokens=2048), "w", data=tiny_data())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without a GPU")
def test_cuda_without_gpu_is_an_error():
    with pytest.raises(AtlasError, match="CUDA"):
        train(tiny_config(device="cuda"), "bad", data=tiny_data())


def test_wsd_schedule_warms_up_holds_and_decays_linearly():
    n, warm = 100, warmup_steps(100, 0.03, 10)
    f = [lr_factor(s, n, schedule="wsd", warmup=warm, decay_frac=0.1, min_lr_frac=0.1) for s in range(n)]
    assert warm == 10 and f[0] == pytest.approx(0.1) and f[9] == 1.0
    assert f[10:90] == [1.0] * 80
    assert np.allclose(np.diff(f[89:]), -1 / 11) and f[-1] == pytest.approx(1 / 11)
    phases = [lr_phase(s, n, schedule="wsd", warmup=warm, decay_frac=0.1) for s in range(n)]
    assert phases.count("warmup") == 10 and phases.count("decay") == 10 and phases[89] == "stable"


def test_cosine_and_constant_schedules():
    n = 200
    cos = [lr_factor(s, n, schedule="cosine", warmup=20, decay_frac=0.1, min_lr_frac=0.1) for s in range(n)]
    assert cos[19] == 1.0 and all(a >= b for a, b in zip(cos[19:], cos[20:])) and cos[-1] == pytest.approx(0.1)
    const = [lr_factor(s, n, schedule="constant", warmup=20, decay_frac=0.1, min_lr_frac=0.1) for s in range(n)]
    assert const[20:] == [1.0] * 180


def test_evaluation_steps():
    log = eval_steps(1000, 20, "log")
    assert log[0] == 10 and log[-1] == 1000 and len(log) == 20 and log == sorted(set(log))
    assert eval_steps(1000, 4, "linear") == [250, 500, 750, 1000]
    assert eval_steps(5, 20, "log") == [1, 2, 3, 4, 5]


def test_estimate_scales_with_the_budget_and_skips_null_rows():
    cfg, ladder = TrainConfig(scale="100k", mixture={"es": 1.0}, tokens=3_000_000), Rates.ladder()
    one, two = estimate_seconds(cfg, ladder), estimate_seconds(replace(cfg, tokens=6_000_000), ladder)
    assert 0 < one < two < 2 * one
    with_null = estimate_seconds(replace(cfg, mixture={"es": 0.5, "null": 0.5}, tokens=6_000_000), ladder)
    assert with_null < two
    assert estimate_seconds(replace(cfg, scale="1m"), ladder) > 5 * one
    assert estimate_seconds(replace(cfg, eval_langs=["es", "pt", "fr"]), ladder) > one


def test_an_unresolved_run_reference_is_refused_by_the_trainer():
    from atlas_core.train.config import RunRef

    with pytest.raises(AtlasError, match="init_from names run:base: give the path of its model.pt"):
        train(tiny_config(tokens=8192, init_from=RunRef("base")), "ft", data=tiny_data())
