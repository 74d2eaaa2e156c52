"""Atomic file writes: a file appears under its final name complete, or not at all.

Used wherever a kill at any moment must not leave a half-written file: the data cache, training checkpoints and
rows, and the results store. A finished file gets the usual permissions (0666 less the umask), so a results
root can be shared. Temporaries (``.part`` files here, temporary folders of ``atlas data prepare``) carry their
owner, ``@<host>@<pid>@``, in their name, so that ``is_stale`` can tell one left by a killed process from one
still being written.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

STALE_AGE_S = 86_400  # a temporary this old is stale whoever owns it (other hosts, or named by an older atlas)
_OWNED = re.compile(r"@(?P<host>[^@/]+)@(?P<pid>\d+)@")


def temp_prefix(what: str) -> str:
    """The name prefix of a temporary for ``what``: hidden, with this process as its owner."""
    return f".{what}@{socket.gethostname()}@{os.getpid()}@"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    return True


def is_stale(path: Path) -> bool:
    """True for a temporary whose owner on this host has exited, or that is older than ``STALE_AGE_S``."""
    try:
        age = time.time() - path.lstat().st_mtime
    except FileNotFoundError:
        return False
    owner = _OWNED.search(path.name)
    if owner and owner["host"] == socket.gethostname() and not _alive(int(owner["pid"])):
        return True
    return age > STALE_AGE_S


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary path next to ``final``; if the block succeeds, fsync it and move it onto ``final``.

    The temporary name is unique (concurrent writers never share one) and is removed if the block fails.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(final.name), suffix=".part", dir=final.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 whatever the umask
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
