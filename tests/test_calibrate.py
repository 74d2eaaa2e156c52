"""This machine's training rates: calibration cache, interpolation between probes, refinement by finished runs."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from atlas_core.model import get_scale
from atlas_core.train import TrainConfig, estimate_seconds
from atlas_core.train import calibrate
from atlas_core.train.calibrate import (Rates, machine_rates, observe, save_calibration, shape_of,
                                        workers_complete)

pytestmark = pytest.mark.filterwarnings("ignore:training without")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path))
    monkeypatch.setattr(calibrate, "calibrate", lambda *a: pytest.fail("a cached calibration must not re-run"))
    machine_rates.cache_clear()
    yield
    machine_rates.cache_clear()


def ladder_rate(scale: str) -> float:
    return get_scale(scale).tokens_per_s


def test_probe_ratios_interpolate_in_log_n_and_hold_outside():
    # 10k runs at half its ladder rate, 1m at twice it: in between the ratio is geometric in N
    rates = Rates(probes={"10k": {"train": ladder_rate("10k") / 2, "eval": 1e6},
                          "1m": {"train": ladder_rate("1m") * 2, "eval": 1e5}})
    n = {s: get_scale(s).n_params_non_embedding for s in ("10k", "100k", "1m")}
    weight = math.log(n["100k"] / n["10k"]) / math.log(n["1m"] / n["10k"])
    expected = ladder_rate("100k") * 0.5 ** (1 - weight) * 2 ** weight
    assert rates.byte_rate("100k", "train") == pytest.approx(expected)
    assert rates.byte_rate("10m", "train") == pytest.approx(ladder_rate("10m") * 2)  # beyond the last probe
    assert rates.byte_rate("1m", "eval") == pytest.approx(1e5)


def test_ladder_rates_are_the_constants_of_before():
    cfg = TrainConfig(scale="100k", mixture={"es": 1.0}, tokens=2048 * 1000, n_evals=1, eval_tokens=1000,
                      final_eval_tokens=10_000)  # n_evals=1: one evaluation at 1% of the run and the final one
    expected = 1.0 + 2048 * 1000 / ladder_rate("100k") + 11_000 * 0.35 / ladder_rate("100k")
    assert estimate_seconds(cfg, Rates.ladder()) == pytest.approx(expected)
    # a larger vocabulary: FLOP-rescaled, plus 8e-9 s per extra logit entry per token (the planner's formula)
    spm = dataclasses.replace(cfg, tokenizer="spm-shared-4096")
    flops = get_scale("100k").config(4096).flops_per_token / get_scale("100k").config().flops_per_token
    per_token = flops / ladder_rate("100k") + (4096 - 256) * 8e-9
    assert estimate_seconds(spm, Rates.ladder()) == pytest.approx(1.0 + 2048 * 1000 * per_token
                                                                   + 11_000 * 0.35 * per_token)


def test_the_cached_calibration_plans_and_finished_runs_refine_it(tmp_path, monkeypatch):
    save_calibration({"100k": {"train": 50_000.0, "eval": 150_000.0}}, workers_complete())
    cfg = TrainConfig(scale="100k", mixture={"es": 1.0}, tokens=2048 * 1000, n_evals=1, eval_tokens=1000,
                      final_eval_tokens=30_000)
    assert estimate_seconds(cfg) == pytest.approx(1.0 + 2048 * 1000 / 50_000 + 31_000 / 150_000)

    complete = workers_complete()  # observe as a study worker would
    monkeypatch.setattr(calibrate.runtime, "missing", lambda: [] if complete else ["the MKL shim"])
    shape = shape_of("100k", 256, 128, 16)
    observe(shape, train_tokens=1_000_000, train_cpu_s=40.0, eval_tokens=100_000, eval_cpu_s=1.0, overhead_cpu_s=3)
    observe(shape, train_tokens=3_000_000, train_cpu_s=60.0, eval_tokens=300_000, eval_cpu_s=3.0, overhead_cpu_s=5)
    observe(shape_of("10k", 256, 128, 16), train_tokens=0, train_cpu_s=0, eval_tokens=0, eval_cpu_s=0,
            overhead_cpu_s=7)  # a run that stopped at once: an overhead, no rate
    log = next((tmp_path / "calibration").glob("*.runs.jsonl"))
    log.write_text(log.read_text() + '{"shape": "cut sh')  # a line cut short by a crash is skipped
    assert estimate_seconds(cfg) == pytest.approx(1.0 + 2048 * 1000 / 50_000 + 31_000 / 150_000)  # cached
    machine_rates.cache_clear()
    # 4M tokens in 100 s, 400K eval tokens in 4 s; overhead: median of 3, 5, 7
    assert estimate_seconds(cfg) == pytest.approx(5.0 + 2048 * 1000 / 40_000 + 31_000 / 100_000)
    # another shape: the calibrated rates, slowed by the drift the observed shape showed (1.25x train, 1.5x eval)
    other = dataclasses.replace(cfg, batch_size=8)
    assert estimate_seconds(other) == pytest.approx(5.0 + 2048 * 1000 * 1.25 / 50_000 + 31_000 * 1.5 / 150_000)


def test_a_finished_run_logs_what_it_measured(tmp_path):
    import torch
    from test_train import tiny_config, tiny_data

    from atlas_core.train import train

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two OpenMP threads on a busy machine crawl
    try:
        train(tiny_config(), "observed", data=tiny_data())
    finally:
        torch.set_num_threads(threads)
    lines = [json.loads(line) for line in next((tmp_path / "calibration").glob("*.runs.jsonl")).read_text()
             .splitlines()]
    assert len(lines) == 1 and lines[0]["shape"] == shape_of("10k", 256, 32, 8)
    assert lines[0]["train_tokens"] == 40_960 and lines[0]["eval_tokens"] == 2 * (5 * 2048 + 4096)
    assert lines[0]["train_cpu_s"] > 0 and lines[0]["eval_cpu_s"] > 0 and lines[0]["overhead_cpu_s"] >= 0


def test_calibration_measures_the_probes_in_the_training_environment_and_is_cached(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real calibrate, into this test's own cache
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path))
    machine_rates.cache_clear()
    stored = calibrate.calibrate(seconds=0.02)
    assert set(stored["probes"]) == set(calibrate.PROBES)
    assert all(r["train"] > 100 and r["eval"] > r["train"] for r in stored["probes"].values())  # forward only
    assert stored["key"] == calibrate.machine_key(workers_complete())
    monkeypatch.setattr(calibrate, "calibrate", lambda *a: pytest.fail("a cached calibration must not re-run"))
    assert machine_rates().probes == stored["probes"]
