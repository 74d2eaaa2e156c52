"""Where prepared data lives (``$ATLAS_CACHE``, default ``~/.cache/atlas``) and how files get there atomically.

Every file under the cache is written to a temporary name in the same folder and moved into place with
``os.replace``, so an interrupted or failed run never leaves a half-written file under its final name.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from atlas_core.errors import AtlasError


def cache_root() -> Path:
    """The cache folder: ``$ATLAS_CACHE`` if set, else ``~/.cache/atlas``."""
    return Path(os.environ.get("ATLAS_CACHE") or Path.home() / ".cache" / "atlas").expanduser()


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; move it onto ``final`` only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(path: Path, obj: object) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> dict:
    """A JSON object from a cache file; ``AtlasError`` naming the file if it is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AtlasError(f"cannot read {path}: {err}") from err
