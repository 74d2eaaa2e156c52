"""Integrity of cached files: the size and sha256 recorded when a file is written, checked when it is read.

A *record* is ``{"bytes": n, "sha256": hex}``, kept by whoever owns the file (a corpus manifest for its split
files, a stamp next to a tokenized stream, the sidecar of a SentencePiece model). ``problem`` compares a file
with its record: the size always, the checksum when ``full``. A file's checksum is computed once per file
state: ``$ATLAS_CACHE/.checksums.json`` remembers it with the file's size, mtime, ctime and inode, and any write
changes the ctime, so a check of an unchanged file costs one ``stat``. ``atlas data verify`` rehashes everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from atlas_core.atomic import write_bytes_atomic
from atlas_core.data.cache import cache_root

MEMO_FILE = ".checksums.json"


def sha256_of(path: Path) -> str:
    """sha256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record_of_bytes(data: bytes) -> dict:
    """The record of content about to be written."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def record_of_file(path: Path) -> dict:
    """The record of a file as it is now."""
    return {"bytes": path.stat().st_size, "sha256": checksum(path)}


def _read_memo(memo: Path) -> dict:
    try:
        entries = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def checksum(path: Path, *, rehash: bool = False) -> str:
    """sha256 of ``path``, from the memo when the file is unchanged since it was last hashed (unless ``rehash``)."""
    stat = path.stat()
    state = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
    memo_file, key = cache_root() / MEMO_FILE, str(path.resolve())
    known = _read_memo(memo_file).get(key)
    if not rehash and isinstance(known, list) and known[:4] == state:
        return known[4]
    digest = sha256_of(path)
    entries = _read_memo(memo_file) | {key: state + [digest]}
    with contextlib.suppress(OSError):  # a read-only cache is checked all the same, just not remembered
        write_bytes_atomic(memo_file, json.dumps(entries).encode())
    return digest


def problem(path: Path, record: dict | None, *, full: bool, rehash: bool = False) -> str | None:
    """What is wrong with ``path`` against its ``record`` (None when it matches): missing, no record, wrong size,
    or (when ``full``) wrong checksum, recomputed from the content when ``rehash``."""
    if record is None or not {"bytes", "sha256"} <= set(record):
        return f"{path}: no size and checksum recorded (written by an older atlas)"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return f"{path}: missing"
    except OSError as err:
        return f"{path}: unreadable ({err.strerror})"
    if size != record["bytes"]:
        return f"{path}: {size:,} bytes, {record['bytes']:,} recorded when it was written"
    if full and checksum(path, rehash=rehash) != record["sha256"]:
        return f"{path}: content differs from the sha256 recorded when it was written"
    return None

