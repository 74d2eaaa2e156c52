"""Atomic writes: the final file appears complete or not at all, a failed write leaves nothing behind, and the
finished file has the permissions the umask allows."""

from __future__ import annotations

import os

import pytest

from atlas_core.atomic import atomic_path, write_bytes_atomic, write_text_atomic


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    final = tmp_path / "sub" / "rows.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert not final.exists() and list(final.parent.iterdir()) == []


def test_a_finished_write_replaces_the_old_file_whole(tmp_path):
    final = tmp_path / "meta.json"
    write_text_atomic(final, "old")
    write_text_atomic(final, "new")
    assert final.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["meta.json"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_writes_respect_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        write_bytes_atomic(tmp_path / "f.bin", b"data")
    finally:
        os.umask(previous)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == mode
