"""One training run: AdamW on a mixture, evaluations along the way, checkpoint/resume, finetuning.

``train(cfg, run_id, workdir=...)`` returns one row per (evaluation, language). With a ``workdir`` the run keeps
``checkpoint.pt`` (after every evaluation and every ``checkpoint_every_s`` seconds) and ``rows.csv`` (rewritten
after every evaluation), resumes from the checkpoint when called again, and ends with ``model.pt`` (the weights a
finetune starts from via ``cfg.init_from``) and ``run.json`` (metadata). A resumed run gives the same rows as an
uninterrupted one, bit for bit at a fixed thread count, except ``wall_s``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from atlas_core.atomic import atomic_path, write_text_atomic
from atlas_core.data.mixture import NULL, Batch, MixtureSampler, check_weights
from atlas_core.errors import AtlasError
from atlas_core.model import GPT, GPTConfig, get_scale
from atlas_core.train import calibrate, runtime
from atlas_core.train.calibrate import shape_of
from atlas_core.train.config import CHECKPOINT, MODEL, ROW_COLUMNS, ROWS, RUN_RECORD, RunRef, TrainConfig
from atlas_core.train.run_data import RunData, eval_languages, load_run_data
from atlas_core.train.evaluate import EvalSet, evaluate
from atlas_core.train.schedule import SCHEDULES, eval_steps, lr_factor, lr_phase, warmup_steps

CHECKPOINT_FORMAT = 1


def check_config(cfg: TrainConfig) -> None:
    """``AtlasError`` naming the first setting of ``cfg`` that cannot be trained."""
    get_scale(cfg.scale)
    if not cfg.mixture:
        raise AtlasError("the mixture is empty: give at least one source with a weight")
    check_weights(cfg.mixture)
    for name in ("batch_size", "seq_len", "tokens"):
        if getattr(cfg, name) < 1:
            raise AtlasError(f"{name} must be at least 1, got {getattr(cfg, name)}")
    if cfg.seed < 0:
        raise AtlasError(f"seed must not be negative, got {cfg.seed}")
    if cfg.tokens < cfg.batch_size * cfg.seq_len:
        raise AtlasError(f"token budget {cfg.tokens} is less than one batch ({cfg.batch_size} x {cfg.seq_len})")
    if cfg.schedule not in SCHEDULES:
        raise AtlasError(f"unknown schedule {cfg.schedule!r}; choose one of {', '.join(SCHEDULES)}")
    for name in ("warmup_frac", "decay_frac", "min_lr_frac"):
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            raise AtlasError(f"{name} must be in [0, 1], got {getattr(cfg, name)}")
    for name in ("lr", "eval_tokens", "final_eval_tokens", "n_evals"):
        if not getattr(cfg, name) > 0:
            raise AtlasError(f"{name} must be positive, got {getattr(cfg, name)}")
    if cfg.weight_decay < 0 or cfg.grad_clip < 0 or cfg.min_warmup_steps < 0:
        raise AtlasError("weight_decay, grad_clip and min_warmup_steps must not be negative")
    if cfg.max_epochs is not None and cfg.max_epochs <= 0:
        raise AtlasError(f"max_epochs must be positive, got {cfg.max_epochs}")
    if isinstance(cfg.init_from, RunRef):
        raise AtlasError(f"init_from names {cfg.init_from}: give the path of its model.pt (a study resolves it)")
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise AtlasError(f"unknown device {cfg.device!r}; choose auto, cpu or cuda")


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise AtlasError("device 'cuda' requested but no CUDA GPU is available")
    return torch.device("cuda" if name != "cpu" and torch.cuda.is_available() else "cpu")


def load_model_file(path: str | Path) -> dict:
    """The contents of a ``model.pt`` written by ``train``."""
    path = Path(path)
    if not path.is_file():
        raise AtlasError(f"init_from: no model file at {path}")
    blob = _load(path, "init_from")
    if not isinstance(blob, dict) or "state_dict" not in blob or "gpt_config" not in blob:
        raise AtlasError(f"init_from: {path} is not a model.pt written by atlas train")
    return blob


def _load(path: Path, what: str):
    """``torch.load`` of an atlas file; ``AtlasError`` naming the file when it is truncated or not one."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises RuntimeError, pickle/zip errors, EOFError... for a damaged file
        raise AtlasError(f"{what}: {path} is unreadable ({type(err).__name__}), truncated or not written by atlas "
                         "train") from None


def build_optimizer(model: GPT, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on 2-D weights only (matrices and the tied embedding)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95), eps=1e-8, fused=True)


def _atomic_save(obj: object, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _to_torch(state):
    """numpy arrays -> tensors, recursively (checkpoints load with ``weights_only=True``)."""
    if isinstance(state, dict):
        return {k: _to_torch(v) for k, v in state.items()}
    return torch.from_numpy(state) if isinstance(state, np.ndarray) else state


def _to_numpy(state):
    if isinstance(state, dict):
        return {k: _to_numpy(v) for k, v in state.items()}
    return state.numpy() if isinstance(state, torch.Tensor) else state


class Run:
    """The state of one training run between steps."""

    def __init__(self, cfg: TrainConfig, run_id: str, data: RunData, workdir: Path | None):
        check_config(cfg)
        self.cfg, self.run_id, self.workdir = cfg, run_id, workdir
        self.device = resolve_device(cfg.device)
        self.autocast = torch.bfloat16 if self.device.type == "cuda" else None
        self.n_steps = cfg.tokens // (cfg.batch_size * cfg.seq_len)
        self.warmup = warmup_steps(self.n_steps, cfg.warmup_frac, cfg.min_warmup_steps)
        self.eval_at = eval_steps(self.n_steps, cfg.n_evals, cfg.eval_spacing)

        self.sampler = MixtureSampler(data.train, cfg.mixture, batch_size=cfg.batch_size, seq_len=cfg.seq_len,
                                      seed=cfg.seed, unique_tokens=cfg.unique_tokens)
        self._check_repetition()
        self.eval_sets = {}
        for lang in eval_languages(cfg):
            if lang not in data.test:
                raise AtlasError(f"no held-out text for evaluation language {lang!r} "
                                 f"(have: {', '.join(sorted(data.test))})")
            self.eval_sets[lang] = [EvalSet.build(lang, data.test[lang], cfg.seq_len, n, data.token_bytes,
                                                  data.unigram_log_probs)
                                    for n in (cfg.eval_tokens, cfg.final_eval_tokens)]

        self.model_cfg = get_scale(cfg.scale).config(data.vocab_size, cfg.seq_len, cfg.dropout)
        torch.manual_seed(cfg.seed)
        self.model = GPT(self.model_cfg).to(self.device)
        if cfg.init_from:
            self._load_init(cfg.init_from)
        self.optimizer = build_optimizer(self.model, cfg)
        self.step, self.train_seconds, self.rows = 0, 0.0, []

    def _check_repetition(self) -> None:
        if self.cfg.max_epochs is None:
            return
        unique = self.sampler.unique_tokens
        for source, tokens in self.sampler.max_tokens(self.n_steps).items():
            if source != NULL and tokens > self.cfg.max_epochs * unique[source]:
                raise AtlasError(
                    f"budget of {self.cfg.tokens} tokens needs {tokens} tokens of {source!r}, "
                    f"{tokens / unique[source]:.2f} epochs of its {unique[source]} unique tokens, "
                    f"more than max_epochs={self.cfg.max_epochs}; lower the budget or the weight of {source!r}")

    def _load_init(self, path: str) -> None:
        blob = load_model_file(path)
        theirs = GPTConfig(**blob["gpt_config"])
        shape = ("vocab_size", "seq_len", "d_model", "n_layer", "n_head")
        if any(getattr(theirs, f) != getattr(self.model_cfg, f) for f in shape):
            raise AtlasError(f"init_from {path}: model shape {dataclasses.asdict(theirs)} differs from scale "
                             f"{self.cfg.scale!r} at this vocabulary and context "
                             f"({dataclasses.asdict(self.model_cfg)})")
        self.model.load_state_dict(blob["state_dict"])

    # ---- training -------------------------------------------------------------------------------------------

    def backward(self, batch: Batch) -> None:
        """Accumulate the gradient of the batch loss: sum over the real rows' tokens / the nominal batch's tokens.

        Null rows contribute zero loss, so a source's gradient is the same as in a batch where a real partner
        fills the null share: the mean over the real rows times the fraction of rows that are real.
        """
        windows = batch.windows
        if not len(windows):  # an all-null batch: the step still happens, with a zero gradient
            for p in self.model.parameters():
                p.grad = torch.zeros_like(p)
            return
        inputs = torch.from_numpy(windows[:, :-1].astype(np.int64)).to(self.device)  # contiguous: faster kernels
        targets = torch.from_numpy(windows[:, 1:].astype(np.int64)).to(self.device)
        with torch.autocast(self.device.type, dtype=self.autocast, enabled=self.autocast is not None):
            logits = self.model(inputs)
        loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
        if len(windows) != batch.batch_size:
            loss = loss * (len(windows) / batch.batch_size)
        loss.backward()

    def lr_at(self, step: int) -> float:
        cfg = self.cfg
        return cfg.lr * lr_factor(step, self.n_steps, schedule=cfg.schedule, warmup=self.warmup,
                                  decay_frac=cfg.decay_frac, min_lr_frac=cfg.min_lr_frac)

    def train_step(self) -> None:
        lr = self.lr_at(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.backward(self.sampler.next_batch())
        if self.cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1

    def evaluation_rows(self) -> list[dict]:
        cfg, last = self.cfg, self.step - 1
        is_final = self.step == self.n_steps
        common = {
            "run_id": self.run_id, "scale": cfg.scale, "N": self.model_cfg.n_params_non_embedding,
            "N_total": self.model_cfg.n_params, "step": self.step,
            "tokens": self.step * cfg.batch_size * cfg.seq_len,
        }
        extra = {
            "lr": self.lr_at(last),
            "phase": lr_phase(last, self.n_steps, schedule=cfg.schedule, warmup=self.warmup,
                              decay_frac=cfg.decay_frac),
        }
        per_source = {}
        seen, unique, epochs = self.sampler.tokens_seen, self.sampler.unique_tokens, self.sampler.epochs()
        for s in self.sampler.sources:
            per_source.update({f"D_{s}": seen[s], f"U_{s}": unique[s], f"epochs_{s}": epochs[s]})
        rows = []
        for lang, (during, final) in self.eval_sets.items():
            result = evaluate(self.model, final if is_final else during, self.device, self.autocast)
            row = {**common, "eval_lang": lang, "loss": result["loss"], "bpb": result["bpb"],
                   "eval_tokens": result["eval_tokens"], "is_final": is_final,
                   "wall_s": round(self.train_seconds, 3), **extra, "loss_vi": result["loss_vi"], **per_source}
            rows.append({k: row[k] for k in ROW_COLUMNS} | per_source)
        return rows

    # ---- persistence ----------------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        state = {
            "format": CHECKPOINT_FORMAT, "config_hash": self.cfg.config_hash(), "run_id": self.run_id,
            "step": self.step, "train_seconds": self.train_seconds, "rows": self.rows,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "sampler": _to_torch(self.sampler.state_dict()), "torch_rng": torch.get_rng_state(),
        }
        if self.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return state

    def load_state_dict(self, state: dict) -> None:
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise AtlasError(f"{self.workdir / CHECKPOINT} is not an atlas checkpoint of format {CHECKPOINT_FORMAT}")
        _check_same_run(self.workdir, state, self.cfg, self.run_id)
        self.step, self.train_seconds, self.rows = state["step"], state["train_seconds"], state["rows"]
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.sampler.load_state_dict(_to_numpy(state["sampler"]))
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)

    def metadata(self, status: str) -> dict:
        return {
            "run_id": self.run_id, "status": status, "config_hash": self.cfg.config_hash(),
            "config": self.cfg.to_dict(), "init_from": self.cfg.init_from, "n_steps": self.n_steps,
            "eval_steps": self.eval_at, "warmup_steps": self.warmup, "model": dataclasses.asdict(self.model_cfg),
            "N": self.model_cfg.n_params_non_embedding, "N_total": self.model_cfg.n_params,
            "flops_per_token": self.model_cfg.flops_per_token, "device": str(self.device),
            "threads": torch.get_num_threads(), "torch": torch.__version__, "cpu": calibrate.cpu_model(),
            "train_seconds": self.train_seconds, "runtime_missing": runtime.missing(),
        }

    def save_checkpoint(self) -> None:
        _atomic_save(self.state_dict(), self.workdir / CHECKPOINT)

    def save_rows(self) -> str:
        """Write ``rows.csv``; returns its SHA-256."""
        text = pd.DataFrame(self.rows).to_csv(index=False)
        write_text_atomic(self.workdir / ROWS, text)
        return hashlib.sha256(text.encode()).hexdigest()

    def save_final(self, rows_sha256: str) -> None:
        _atomic_save({"gpt_config": dataclasses.asdict(self.model_cfg), "state_dict": self.model.state_dict(),
                      "train_config": self.cfg.to_dict(), "run_id": self.run_id}, self.workdir / MODEL)
        record = self.metadata("done") | {"n_rows": len(self.rows), "rows_sha256": rows_sha256}
        write_text_atomic(self.workdir / RUN_RECORD, json.dumps(record, indent=1))
        (self.workdir / CHECKPOINT).unlink(missing_ok=True)


class CpuLedger:
    """CPU-seconds of one ``train`` call: its training steps, its evaluations and the rest (setup, saving)."""

    def __init__(self):
        self.started = time.process_time()
        self.seconds = {"train": 0.0, "eval": 0.0}

    @contextlib.contextmanager
    def count(self, part: str):
        started = time.process_time()
        yield
        self.seconds[part] += time.process_time() - started

    def report(self, run: Run) -> None:
        """Add this run to the machine's observed throughput (``calibrate.observe``), which plans read."""
        cfg = run.cfg
        eval_tokens = sum(sets[0].n_tokens * (len(run.eval_at) - 1) + sets[1].n_tokens
                          for sets in run.eval_sets.values())
        total = time.process_time() - self.started
        calibrate.observe(shape_of(cfg.scale, run.model_cfg.vocab_size, cfg.seq_len, cfg.batch_size),
                          train_tokens=sum(d for s, d in run.sampler.tokens_seen.items() if s != NULL),
                          train_cpu_s=self.seconds["train"],
                          eval_tokens=eval_tokens, eval_cpu_s=self.seconds["eval"],
                          overhead_cpu_s=total - self.seconds["train"] - self.seconds["eval"])


def _check_same_run(workdir: Path, stored: dict, cfg: TrainConfig, run_id: str) -> None:
    """``AtlasError`` unless what ``workdir`` holds (a checkpoint or run.json) is this run of this configuration."""
    if stored.get("config_hash") != cfg.config_hash():
        raise AtlasError(f"{workdir} holds a run of another configuration (hash {stored.get('config_hash')}, "
                         f"this run {cfg.config_hash()}); use a fresh workdir")
    if stored.get("run_id") != run_id:
        raise AtlasError(f"{workdir} holds run {stored.get('run_id')!r}, not {run_id!r}; use a fresh workdir")


def _finished_rows(cfg: TrainConfig, run_id: str, workdir: Path) -> pd.DataFrame | None:
    """The rows of this run if it already finished in ``workdir``, else None; ``AtlasError`` when the workdir's
    record or rows are damaged (they are never half-used)."""
    meta_path = workdir / RUN_RECORD
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise AtlasError(f"{meta_path} is not valid JSON (truncated?): delete {workdir} to train the run again") from None
    if not isinstance(meta, dict):
        raise AtlasError(f"{meta_path} is not a run record: delete {workdir} to train the run again")
    _check_same_run(workdir, meta, cfg, run_id)
    if meta.get("status") != "done":
        return None
    try:
        text = (workdir / ROWS).read_bytes()
    except FileNotFoundError:
        text = b""
    if hashlib.sha256(text).hexdigest() != meta.get("rows_sha256"):
        raise AtlasError(f"{workdir / ROWS} does not match {meta_path} (missing, truncated or edited; "
                         f"{meta.get('n_rows')} rows expected): delete {workdir} to train the run again")
    return pd.read_csv(workdir / ROWS)


def train(cfg: TrainConfig, run_id: str, *, workdir: Path | None = None, progress: bool = False,
          data: RunData | None = None, checkpoint_every_s: float = 120.0) -> pd.DataFrame:
    """Train ``cfg`` and return its evaluation rows (``ROW_COLUMNS`` plus ``D_s``, ``U_s``, ``epochs_s``).

    ``data`` defaults to the prepared data (``load_run_data``). With ``workdir``, resumes from a checkpoint there,
    returns the stored rows of a run already finished there, and leaves ``model.pt`` for finetuning. Thread
    settings are the caller's.
    """
    check_config(cfg)
    if resolve_device(cfg.device).type == "cpu" and (gaps := runtime.missing()):
        warnings.warn(f"training without {' and '.join(gaps)}: slower, same results up to rounding; start the "
                      "process in atlas_core.train.runtime.environment()", stacklevel=2)
    workdir = Path(workdir) if workdir is not None else None
    if workdir is not None:
        if workdir.exists() and not workdir.is_dir():
            raise AtlasError(f"workdir {workdir} is a file, not a folder")
        workdir.mkdir(parents=True, exist_ok=True)
        finished = _finished_rows(cfg, run_id, workdir)
        if finished is not None:
            return finished
    cpu = CpuLedger()
    run = Run(cfg, run_id, data if data is not None else load_run_data(cfg), workdir)
    if workdir is not None:
        if (workdir / CHECKPOINT).is_file():
            run.load_state_dict(_load(workdir / CHECKPOINT, "checkpoint"))
        write_text_atomic(workdir / RUN_RECORD, json.dumps(run.metadata("running"), indent=1))
    eval_at = set(run.eval_at)
    last_checkpoint = time.monotonic()
    fresh = run.step == 0  # a resumed run's CPU figures would be partial
    bar = tqdm(total=run.n_steps, initial=run.step, disable=not progress, unit="step", desc=run_id, leave=False)
    while run.step < run.n_steps:
        started = time.perf_counter()
        with cpu.count("train"):
            run.train_step()
        run.train_seconds += time.perf_counter() - started
        bar.update(1)
        if run.step in eval_at:
            with cpu.count("eval"):
                new_rows = run.evaluation_rows()
            run.rows.extend(new_rows)
            bar.set_postfix({r["eval_lang"]: f"{r['bpb']:.3f}" for r in new_rows})
        if workdir is not None and run.step < run.n_steps and (
                run.step in eval_at or time.monotonic() - last_checkpoint >= checkpoint_every_s):
            if run.step in eval_at:
                run.save_rows()
            run.save_checkpoint()
            last_checkpoint = time.monotonic()
    bar.close()
    if workdir is not None:
        run.save_final(run.save_rows())
    if fresh and run.device.type == "cpu":
        cpu.report(run)
    return pd.DataFrame(run.rows)
