"""Claims: one process trains a run, others wait; a dead holder's claim is taken over."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

from atlas_core.experiments import claims
from atlas_core.experiments.claims import Claim


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_claim_is_exclusive_and_names_its_holder(tmp_path):
    path = tmp_path / "r.claim"
    with Claim(path):
        holder = json.loads(path.read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        assert not Claim(path).is_stale()
        assert not Claim(path)._try_create()
    assert not path.exists()


def test_a_second_claimant_waits_for_the_holder(tmp_path, monkeypatch):
    monkeypatch.setattr(claims, "POLL_S", 0.02)
    path, order = tmp_path / "r.claim", []
    first = Claim(path)
    first.acquire()

    def second():
        with Claim(path):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)
    order.append("first done")
    first.release()
    thread.join(timeout=10)
    assert order == ["first done", "second"]


def test_the_claim_of_a_dead_process_is_taken_over(tmp_path):
    path = tmp_path / "r.claim"
    path.write_text(json.dumps({"host": socket.gethostname(), "pid": dead_pid(), "since": 0}))
    assert Claim(path).is_stale()
    with Claim(path):
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_a_claim_from_another_host_is_stale_only_when_no_longer_refreshed(tmp_path):
    path = tmp_path / "r.claim"
    path.write_text(json.dumps({"host": "elsewhere", "pid": 1, "since": 0}))
    assert not Claim(path).is_stale()
    old = time.time() - claims.STALE_S - 1
    os.utime(path, (old, old))
    assert Claim(path).is_stale()
