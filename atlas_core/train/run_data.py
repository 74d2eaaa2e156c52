"""What one run reads: training streams per source, held-out streams per evaluation language, vocabulary facts.

``train`` works on an in-memory ``RunData`` (tests build small ones); ``load_run_data`` is the one thin function
that fills it from the prepared data of ``atlas_core.data``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from atlas_core.data import get_tokenizer, load_split, unigram_log_probs
from atlas_core.data.mixture import NULL
from atlas_core.errors import AtlasError
from atlas_core.train.config import CONTROL_SOURCES, TrainConfig


@dataclass(frozen=True)
class RunData:
    """Train streams (source -> token ids), test streams (language -> token ids) and the vocabulary."""

    train: Mapping[str, np.ndarray]
    test: Mapping[str, np.ndarray]
    vocab_size: int
    token_bytes: np.ndarray | None = None        # UTF-8 bytes each token id stands for (None: 1 byte each)
    unigram_log_probs: np.ndarray | None = None  # log unigram probabilities, for the vocabulary-insensitive loss


def eval_languages(cfg: TrainConfig) -> list[str]:
    """The languages evaluated: ``cfg.eval_langs``, else the mixture's languages (its control sources only when
    it has no language)."""
    if cfg.eval_langs:
        if NULL in cfg.eval_langs:
            raise AtlasError("the null source has no held-out text to evaluate on")
        return list(cfg.eval_langs)
    real = [s for s in cfg.mixture if s != NULL]
    return [s for s in real if s not in CONTROL_SOURCES] or real


_unigram = functools.lru_cache(maxsize=4)(unigram_log_probs)


def load_run_data(cfg: TrainConfig) -> RunData:
    """The prepared splits a run needs (``AtlasError`` from ``atlas_core.data`` for unknown or unprepared ones).

    The unigram table (for ``loss_vi``) is loaded for SentencePiece vocabularies only: for bytes the
    vocabulary-insensitive loss is the loss minus a constant per evaluation language, adding nothing to ``bpb``,
    and the byte table depends on which corpora happen to be prepared, so it would drift between runs.
    """
    tok = get_tokenizer(cfg.tokenizer)
    train = {s: load_split(s, "train", cfg.tokenizer).ids for s in cfg.mixture if s != NULL}
    test = {s: load_split(s, "test", cfg.tokenizer).ids for s in eval_languages(cfg)}
    unigram = None if cfg.tokenizer == "byte" else _unigram(cfg.tokenizer)
    return RunData(train, test, tok.vocab_size, np.asarray(tok.token_bytes), unigram)
