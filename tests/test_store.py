"""The results store: atomic per-run files, versioning, validation, and reading rows back."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_experiments_fake import train

from atlas_core.errors import AtlasError
from atlas_core.experiments import ResultsStore
from atlas_core.experiments.store import STORE_VERSION, VERSION_FILE, default_root
from atlas_core.train.config import TrainConfig


def rows(run_id: str, mixture=None) -> pd.DataFrame:
    return train(TrainConfig(scale="10k", mixture=mixture or {"es": 1.0}, tokens=200_000, n_evals=5), run_id)


def test_a_finished_run_is_its_rows_file_and_reads_back_identically(tmp_path):
    store = ResultsStore(tmp_path / "quick")
    assert store.finished() == set() and store.read_rows([]).empty
    store.write_run("a", rows("a"), {"seed": 0})
    store.write_run("b", rows("b", {"es": 0.5, "pt": 0.5}), {"seed": 1})
    assert store.finished() == {"a", "b"} and store.has("a")
    both = store.read_rows(["a", "b"])
    pd.testing.assert_frame_equal(both[both["run_id"] == "a"].dropna(axis=1).reset_index(drop=True),
                                  rows("a"), check_dtype=False)
    assert both.loc[both["run_id"] == "a", "D_pt"].isna().all()  # per-source columns are united
    meta = store.read_metadata("b")
    assert meta["seed"] == 1 and meta["store_version"] == STORE_VERSION
    assert meta["n_rows"] == len(rows("b", {"es": 0.5, "pt": 0.5}))
    assert json.loads((store.path / VERSION_FILE).read_text())["store_version"] == STORE_VERSION
    assert sorted(p.name for p in store.runs_dir.iterdir()) == ["a.json", "a.parquet", "b.json", "b.parquet"]


def test_rewriting_a_run_replaces_it_whole(tmp_path):
    store = ResultsStore(tmp_path / "p")
    store.write_run("a", rows("a"), {"try": 1})
    store.write_run("a", rows("a"), {"try": 2})
    assert len(store.read_rows(["a"])) == len(rows("a")) and store.read_metadata("a")["try"] == 2


@pytest.mark.parametrize("mutate, message", [
    (lambda df: df.iloc[0:0], "returned no evaluation rows"),
    (lambda df: df.drop(columns="bpb"), "lack column.*bpb"),
    (lambda df: df.assign(run_id="other"), "row 0 has run_id 'other'"),
    (lambda df: df.assign(loss=np.where(df.index == 2, np.nan, df["loss"])), "column 'loss' row 2 has nan"),
])
def test_invalid_rows_are_refused_and_nothing_is_written(tmp_path, mutate, message):
    store = ResultsStore(tmp_path / "p")
    with pytest.raises(AtlasError, match=message):
        store.write_run("a", mutate(rows("a")), {})
    assert not store.path.exists() or store.finished() == set()


def test_a_write_that_fails_midway_leaves_no_run_and_no_temporary_file(tmp_path, monkeypatch):
    store = ResultsStore(tmp_path / "p")

    write_bytes = Path.write_bytes

    def crash(self, data):
        if not data.startswith(b"PAR1"):  # the metadata is written; the rows file fails half way
            return write_bytes(self, data)
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", crash)
    with pytest.raises(OSError, match="disk full"):
        store.write_run("a", rows("a"), {})
    assert store.finished() == set() and not store.has("a")
    assert [p.name for p in store.runs_dir.iterdir()] == ["a.json"]  # metadata alone does not make a run


def test_an_incompatible_store_is_refused(tmp_path):
    store = ResultsStore(tmp_path / "p")
    store.write_run("a", rows("a"), {})
    (store.path / VERSION_FILE).write_text(json.dumps({"store_version": STORE_VERSION + 1, "row_schema": 1}))
    for action in (store.finished, lambda: store.read_rows(["a"]), lambda: store.write_run("b", rows("b"), {})):
        with pytest.raises(AtlasError, match=f"written with store version {STORE_VERSION + 1}"):
            action()
    assert not store.has("b")
    (store.path / VERSION_FILE).unlink()
    with pytest.raises(AtlasError, match="has runs but no STORE.json"):
        store.finished()


def test_root_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_RESULTS", str(tmp_path))
    assert default_root() == tmp_path
    assert ResultsStore.for_profile("quick").path == tmp_path / "quick"
    assert str(ResultsStore.for_profile("quick", root="elsewhere").path) == os.path.join("elsewhere", "quick")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "no metadata", "other rows"])
def test_a_corrupt_run_is_not_finished_and_never_read(tmp_path, damage):
    store = ResultsStore(tmp_path / "p")
    store.write_run("a", rows("a"), {"seed": 0})
    store.write_run("b", rows("b"), {"seed": 0})
    path = store.rows_path("a")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\0" * 100)
    elif damage == "no metadata":
        store.meta_path("a").unlink()
    else:  # a valid Parquet file, but not the one the metadata describes
        rows("a").head(4).to_parquet(path, index=False)
    assert store.finished() == {"b"} and store.corrupt() == {"a"} and not store.has("a")
    with pytest.raises(AtlasError, match=r"run a is not finished or its rows file .*a.parquet is corrupt"):
        store.read_rows(["a", "b"])
    store.write_run("a", rows("a"), {"seed": 0})  # retraining it repairs it
    assert store.finished() == {"a", "b"}


def test_runs_stored_before_checksums_are_checked_by_their_row_count(tmp_path):
    store = ResultsStore(tmp_path / "p")
    store.write_run("a", rows("a"), {"seed": 0})
    meta = json.loads(store.meta_path("a").read_text())
    del meta["sha256"]
    store.meta_path("a").write_text(json.dumps(meta))
    assert store.finished() == {"a"}
    rows("a").head(4).to_parquet(store.rows_path("a"), index=False)
    assert store.finished() == set()


def test_a_root_that_is_a_file_is_one_error_before_any_run(tmp_path):
    (tmp_path / "root").write_text("not a folder")
    with pytest.raises(AtlasError, match=r"root is a file, not a folder \(check --root\)"):
        ResultsStore.for_profile("quick", tmp_path / "root").check_version()


def test_the_default_results_folder_is_the_checkout_or_the_current_folder(tmp_path, monkeypatch):
    from atlas_core.experiments import store

    monkeypatch.delenv("ATLAS_RESULTS", raising=False)
    assert store.default_root() == store.REPO_ROOT / "results"  # a source checkout
    monkeypatch.setattr(store, "REPO_ROOT", tmp_path / "site-packages")  # an installed wheel: no pyproject.toml
    monkeypatch.chdir(tmp_path)
    assert store.default_root() == tmp_path / "results"
    monkeypatch.setenv("ATLAS_RESULTS", str(tmp_path / "mine"))
    assert store.default_root() == tmp_path / "mine"
