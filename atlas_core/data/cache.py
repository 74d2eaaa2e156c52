"""Where prepared data lives (``$ATLAS_CACHE``, default ``~/.cache/atlas``) and how files get there atomically.

Every file under the cache is written atomically (``atlas_core.atomic``), so an interrupted or failed run never
leaves a half-written file under its final name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from atlas_core.atomic import write_bytes_atomic
from atlas_core.errors import AtlasError


def cache_root() -> Path:
    """The cache folder: ``$ATLAS_CACHE`` if set, else ``~/.cache/atlas``."""
    return Path(os.environ.get("ATLAS_CACHE") or Path.home() / ".cache" / "atlas").expanduser()


def write_json_atomic(path: Path, obj: object) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> dict:
    """A JSON object from a cache file; ``AtlasError`` naming the file if it is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AtlasError(f"cannot read {path}: {err}") from err
