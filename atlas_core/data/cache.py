"""Where prepared data lives (``$ATLAS_CACHE``, default ``~/.cache/atlas``) and how files get there atomically.

Every file under the cache is written atomically (``atlas_core.atomic``), so an interrupted or failed run never
leaves a half-written file under its final name; the temporaries a killed run leaves behind (``.part`` files,
``.bible-db``/``.download``/``.libreoffice``/``.spm`` folders) are removed by the next ``atlas data prepare``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from atlas_core.atomic import is_stale, temp_prefix, write_bytes_atomic
from atlas_core.errors import AtlasError

_TEMPORARY = re.compile(r"^\.(bible-db|download|libreoffice|spm)[-@]|\.part$")


def cache_root() -> Path:
    """The cache folder: ``$ATLAS_CACHE`` if set, else ``~/.cache/atlas``; ``AtlasError`` if it (or the nearest
    existing folder above it) is a file."""
    root = Path(os.environ.get("ATLAS_CACHE") or Path.home() / ".cache" / "atlas").expanduser()
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise AtlasError(f"cache folder {root} (ATLAS_CACHE): {existing} is a file, not a folder")
    return root


@contextlib.contextmanager
def temp_dir(what: str, parent: Path | None = None) -> Iterator[Path]:
    """A temporary folder inside the cache (or ``parent``), removed afterwards; named after its owner."""
    parent = parent or cache_root()
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix=temp_prefix(what)) as tmp:
        yield Path(tmp)


def clean_stale_temporaries() -> list[Path]:
    """Remove the temporaries of killed runs anywhere in the cache; return what was removed."""
    removed = []
    for folder, dirs, files in os.walk(cache_root()):
        for name in list(dirs) + files:
            path = Path(folder) / name
            if _TEMPORARY.search(name) and is_stale(path):
                if name in dirs:
                    dirs.remove(name)
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                removed.append(path)
    return removed


def write_json_atomic(path: Path, obj: object) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> dict:
    """A JSON object from a cache file; ``AtlasError`` naming the file if it is unreadable."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AtlasError(f"cannot read {path}: {err}") from err
    if not isinstance(obj, dict):
        raise AtlasError(f"cannot read {path}: not a JSON object")
    return obj
