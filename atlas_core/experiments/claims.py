"""A claim on a run: an atomically created lock file naming the process that trains it.

``with Claim(path):`` creates ``path`` exclusively (``O_EXCL``) with the holder's host and PID, keeps its
modification time fresh from a background thread while held, and removes it on exit. A process that finds the
claim taken waits until it is released, or takes it over when it is stale: its holder is a dead PID on this host,
or (on another host) it has not been refreshed for ``STALE_S`` seconds.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path

HEARTBEAT_S = 20.0
STALE_S = 120.0
POLL_S = 0.5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Claim:
    """Exclusive ownership of one run across processes and hosts sharing a filesystem."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def _holder(self) -> dict:
        return {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}

    def _try_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            json.dump(self._holder(), f)
        return True

    def is_stale(self) -> bool:
        """Whether the current claim file belongs to a holder that is gone."""
        try:
            text, age = self.path.read_text(), time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return False
        try:
            holder = json.loads(text)
        except ValueError:  # a claim being written, or a torn one: stale once old enough
            return age > STALE_S
        if holder.get("host") == socket.gethostname():
            return not _alive(int(holder.get("pid", -1)))
        return age > STALE_S

    def _take_over(self) -> None:
        """Move a stale claim aside (atomic rename: of two processes doing this, one wins)."""
        aside = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        if not Claim(aside).is_stale():  # a fresh claim had replaced the stale one: put it back
            try:
                os.link(aside, self.path)
            except FileExistsError:
                pass
        aside.unlink(missing_ok=True)

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while not self._try_create():
            if self.is_stale():
                self._take_over()
            else:
                time.sleep(POLL_S)
        self._beat = threading.Thread(target=self._heartbeat, daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                os.utime(self.path)
            except FileNotFoundError:
                return

    def release(self) -> None:
        self._stop.set()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> "Claim":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
