"""Token streams of prepared splits and the number of text bytes they encode (for bits per byte).

``load_split(source, split, tokenizer)`` memory-maps the cached stream: the split's text file itself for
``"byte"`` (a UTF-8 file is its own byte-token stream), a cached encoding for SentencePiece (encoded on first
use, re-encoded when the text or the model changes, or when the stream is damaged: its stamp records the text's
and the model's sha256 and the stream's own size and sha256). A damaged split file is refused in one line
(``Corpus.require``). Bits per byte of a loss over these tokens is
``loss_nats * n_tokens / (n_bytes * ln 2)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlas_core.atomic import atomic_path
from atlas_core.data.cache import cache_root, read_json, write_json_atomic
from atlas_core.data.corpora import SPLITS, Corpus, resolve_corpus
from atlas_core.data.integrity import problem, record_of_file
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
    text = corpus.require(split)
    if isinstance(tok, SentencePieceTokenizer):
        return _encoded(corpus, split, tok)
    return np.memmap(text, dtype=np.uint8, mode="r")


def stream_path(corpus: Corpus, split: str, tokenizer: str) -> Path:
    """Where the SentencePiece encoding of a split is cached (its stamp: the same path with ``.json``)."""
    return cache_root() / "tokenized" / tokenizer / corpus.source / f"{corpus.language.code}.{split}.bin"


def stream_problem(out: Path, stamp: dict, *, full: bool, rehash: bool = False) -> str | None:
    """What is wrong with a cached encoding (None when it is current and intact): a stamp other than ``stamp``
    (text or model changed), or a stream that does not match its recorded size and sha256."""
    meta = out.with_suffix(".json")
    try:
        recorded = read_json(meta)
    except AtlasError as err:
        return str(err)
    if {k: recorded.get(k) for k in stamp} != stamp:
        return f"{out}: encodes another version of its text or model"
    return problem(out, recorded.get("stream"), full=full, rehash=rehash)


def encoding_stamp(text_sha256: str, model_sha256: str) -> dict:
    """What a cached encoding is of: the text's and the model's sha256."""
    return {"text_sha256": text_sha256, "model_sha256": model_sha256}


def _encoded(corpus: Corpus, split: str, tok: SentencePieceTokenizer) -> np.ndarray:
    """The cached SentencePiece encoding of a split, (re-)encoded when missing, stale or damaged."""
    out = stream_path(corpus, split, tok.name)
    stamp = encoding_stamp(corpus.record(split)["sha256"], tok.model_sha256)
    if stream_problem(out, stamp, full=True):
        with file_lock(out.with_suffix(".lock")):
            if stream_problem(out, stamp, full=True):
                ids = tok.encode(corpus.path(split).read_text(encoding="utf-8"))
                with atomic_path(out) as tmp:
                    ids.tofile(tmp)
                write_json_atomic(out.with_suffix(".json"), stamp | {"stream": record_of_file(out)})
    return np.memmap(out, dtype=tok.dtype, mode="r")
