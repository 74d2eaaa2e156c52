"""User corpora: a folder of ``<lang>.txt`` files (UTF-8), split and registered like the built-in sources.

Each non-empty line (whitespace collapsed, as for the Bible) is one unit; the last ``USER_TEST_FRACTION`` (5%)
of the lines, at least one, is the test split and the rest the train stream. A file named after a known code
(or alias) is that language; other codes need a row in ``<folder>/languages.csv`` with the columns
``code,name,script,family``. Keys: a bare code when no built-in source has the language (``cy``, ``xx``),
else ``<lang>@user`` (``es@user``), so user text never silently replaces the Bible text of a language.
Re-running skips files whose content is unchanged (sha256 in the manifest) and whose splits are intact.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

from tqdm import tqdm

from atlas_core.data.corpora import USER, read_manifest, resolve_corpus, update_manifest, write_corpus
from atlas_core.data.languages import ALIASES, LANGUAGES
from atlas_core.errors import AtlasError

USER_TEST_FRACTION = 0.05
METADATA_FILE = "languages.csv"
METADATA_COLUMNS = ("code", "name", "script", "family")
_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


def read_metadata(folder: Path) -> dict[str, dict]:
    """Metadata rows of ``languages.csv`` by code ({} when the file is absent)."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in METADATA_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise AtlasError(f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(METADATA_COLUMNS)}")
        rows = {}
        for line, row in enumerate(reader, start=2):
            empty = [c for c in METADATA_COLUMNS if not (row[c] or "").strip()]
            if empty:
                raise AtlasError(f"{path} line {line}: empty {', '.join(empty)}")
            rows[row["code"].strip().lower()] = {c: row[c].strip() for c in METADATA_COLUMNS[1:]}
    return rows


def read_lines(path: Path) -> list[str]:
    """Non-empty, whitespace-collapsed lines of a UTF-8 file; ``AtlasError`` if not UTF-8 or empty."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise AtlasError(f"{path}: not UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}, line {line})") from err
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 2:
        raise AtlasError(f"{path}: needs at least 2 non-empty lines (one for train, one for test), has {len(lines)}")
    return lines


def language_entry(code: str, path: Path, metadata: dict[str, dict]) -> tuple[str, dict]:
    """Canonical code and name/script/family of the language a user file is for."""
    code = ALIASES.get(code, code)
    if code in LANGUAGES:
        lang = LANGUAGES[code]
        return code, {"name": lang.name, "script": lang.script, "family": lang.family}
    if not _CODE.fullmatch(code):
        raise AtlasError(f"{path}: {code!r} is not a language code (expected e.g. 'xx' or 'xxx-yyyy')")
    if code not in metadata:
        raise AtlasError(f"{path}: unknown language code {code!r}; add a row for it to "
                         f"{path.parent / METADATA_FILE} ({','.join(METADATA_COLUMNS)})")
    return code, metadata[code]


def prepare_user_corpus(folder: Path, progress: bool = True) -> list[str]:
    """Split and register every ``<lang>.txt`` of ``folder`` that changed; return the codes written."""
    folder = Path(folder)
    files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not files:
        raise AtlasError(f"user corpus {folder}: no <lang>.txt files found")
    metadata = read_metadata(folder)
    known = read_manifest(USER, rebuilding=True).get("languages", {})
    entries, seen = {}, set()
    for path in tqdm(files, desc="user corpora", unit="file", disable=not progress):
        code, meta = language_entry(path.stem.lower(), path, metadata)
        if code in seen:
            raise AtlasError(f"{path}: a second file for language {code!r}")
        seen.add(code)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if known.get(code, {}).get("sha256") == digest and resolve_corpus(f"{code}@{USER}").prepared:
            continue
        lines = read_lines(path)
        n_test = max(1, round(USER_TEST_FRACTION * len(lines)))
        entries[code] = {**meta, **write_corpus(USER, code, lines[:-n_test], lines[-n_test:]),
                         "file": str(path.resolve()), "sha256": digest}
    if entries:
        update_manifest(USER, {"source": USER, "held_out": f"last {USER_TEST_FRACTION:.0%} of lines"}, entries)
    return list(entries)
