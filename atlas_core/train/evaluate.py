"""Held-out evaluation on fixed, evenly spaced windows: identical for every run, so comparisons are paired."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from atlas_core.errors import AtlasError

EVAL_BATCH_ROWS = 64


@dataclass(frozen=True)
class EvalSet:
    """Windows of ``seq_len + 1`` tokens from one language's test stream, and what their targets weigh."""

    lang: str
    windows: np.ndarray          # (n, seq_len + 1)
    n_bytes: int                 # UTF-8 bytes of all targets, for bits per byte
    unigram_nats: float          # sum over targets of -log p_unigram (NaN when no unigram table)

    @classmethod
    def build(cls, lang: str, stream: np.ndarray, seq_len: int, n_tokens: int,
              token_bytes: np.ndarray | None, unigram_log_probs: np.ndarray | None) -> "EvalSet":
        """``n_tokens // seq_len`` windows spread evenly over ``stream`` (as many as fit without overlap)."""
        n_fit = (len(stream) - 1) // seq_len
        if n_fit < 1:
            raise AtlasError(f"held-out text of {lang!r} has {len(stream)} tokens, fewer than one window "
                             f"of {seq_len + 1}")
        n = max(1, min(n_tokens // seq_len, n_fit))
        starts = np.linspace(0, len(stream) - seq_len - 1, n).round().astype(np.int64)
        windows = np.asarray(stream)[starts[:, None] + np.arange(seq_len + 1)]
        targets = windows[:, 1:]
        n_bytes = int(token_bytes[targets].sum()) if token_bytes is not None else targets.size
        uni = float(-unigram_log_probs[targets].sum()) if unigram_log_probs is not None else math.nan
        return cls(lang, windows, n_bytes, uni)

    @property
    def n_tokens(self) -> int:
        return self.windows.shape[0] * (self.windows.shape[1] - 1)


@torch.inference_mode()
def evaluate(model: torch.nn.Module, es: EvalSet, device: torch.device, autocast_dtype: torch.dtype | None) -> dict:
    """Held-out loss (nats/token), bits per byte and vocabulary-insensitive loss of ``model`` on ``es``."""
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    for i in range(0, len(es.windows), EVAL_BATCH_ROWS):
        chunk = torch.from_numpy(es.windows[i:i + EVAL_BATCH_ROWS].astype(np.int64)).to(device)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(chunk[:, :-1])
        total += F.cross_entropy(logits.float().flatten(0, 1), chunk[:, 1:].flatten(), reduction="sum").double()
    model.train(was_training)
    nats = float(total)
    return {"loss": nats / es.n_tokens, "bpb": nats / math.log(2) / es.n_bytes,
            "loss_vi": (nats - es.unigram_nats) / es.n_tokens, "eval_tokens": es.n_tokens}
