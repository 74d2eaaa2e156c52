"""Atomic writes: the final file appears complete or not at all, and a failed write leaves nothing behind."""

from __future__ import annotations

import pytest

from atlas_core.atomic import atomic_path, write_text_atomic


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
