"""The results store: one atomically written Parquet file of evaluation rows per finished run.

Layout under ``<root>/<profile>/`` (root: argument, else ``$ATLAS_RESULTS``, else ``<repo>/results``)::

    STORE.json              store and row-schema versions (a store of another version is refused)
    runs/<run_id>.json      run metadata: config, uses, code version, seed, wall time, device, host, and the
                            row count and SHA-256 of the rows file
    runs/<run_id>.parquet   the run's evaluation rows; a run is finished when they match its metadata
    runs/<run_id>.claim     while a process trains the run: its host and PID (``claims.Claim``)
    work/<run_id>/          the trainer's working folder while a run trains (checkpoint, rows, record); once the
                            run is stored, only model.pt stays (finetunes start from it)

Each file is written under a temporary name in the same folder, flushed to disk and renamed into place
(``os.replace`` is atomic), metadata first and rows last. So a process killed at any moment leaves either a
finished run or none (a run is retried from its checkpoint), a finished run is never duplicated (one file per
run id, replaced whole), and parallel workers never write the same file unless they train the same run, in
which case the last complete copy wins. A rows file that does not match its metadata (truncated, edited) is
corrupt: it does not count as finished, is never read, and the next sweep trains the run again. For a cluster the root must be on a filesystem every worker shares.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from atlas_core.atomic import write_bytes_atomic, write_text_atomic
from atlas_core.errors import AtlasError
from atlas_core.experiments.claims import Claim
from atlas_core.train.config import CHECKPOINT, MODEL, ROW_COLUMNS, ROWS, RUN_RECORD, SCHEMA_VERSION

STORE_VERSION = 1
VERSION_FILE = "STORE.json"
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """``$ATLAS_RESULTS`` if set, else ``results/`` in the repository (a source checkout), else ``results/`` in the
    current folder (an installed wheel: never inside site-packages)."""
    if os.environ.get("ATLAS_RESULTS"):
        return Path(os.environ["ATLAS_RESULTS"])
    base = REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() else Path.cwd()
    return base / "results"


class ResultsStore:
    """The finished runs of one profile's study, under ``path`` (normally ``<root>/<profile>``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.runs_dir = self.path / "runs"

    @classmethod
    def for_profile(cls, profile: str, root: str | Path | None = None) -> "ResultsStore":
        return cls((Path(root) if root is not None else default_root()) / profile)

    # ---- versions -------------------------------------------------------------------------------------------
    def check_version(self) -> None:
        """Raise ``AtlasError`` if the store was written by an incompatible version of atlas, or if its folder
        (or a folder above it) is a file."""
        existing = next(p for p in (self.path, *self.path.parents) if p.exists())
        if not existing.is_dir():
            raise AtlasError(f"results store {self.path}: {existing} is a file, not a folder (check --root)")
        version_file = self.path / VERSION_FILE
        if not version_file.exists():
            if any(self.runs_dir.glob("*.parquet")):
                raise AtlasError(f"results store {self.path} has runs but no {VERSION_FILE}: it was not written by "
                                 f"this version of atlas (store version {STORE_VERSION}); move it away")
            return
        try:
            found = json.loads(version_file.read_text())
        except (OSError, ValueError) as err:
            raise AtlasError(f"results store {version_file} is unreadable ({err}); move the store away") from None
        expected = {"store_version": STORE_VERSION, "row_schema": SCHEMA_VERSION}
        if {k: found.get(k) for k in expected} != expected:
            raise AtlasError(f"results store {self.path} was written with store version {found.get('store_version')} "
                             f"and row schema {found.get('row_schema')}; this atlas reads store version "
                             f"{STORE_VERSION}, row schema {SCHEMA_VERSION}. Move it away or use another --root")

    def _ensure_version(self) -> None:
        self.check_version()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        version_file = self.path / VERSION_FILE
        if not version_file.exists():
            blob = json.dumps({"store_version": STORE_VERSION, "row_schema": SCHEMA_VERSION}, indent=1)
            write_text_atomic(version_file, blob)

    # ---- paths ----------------------------------------------------------------------------------------------
    def rows_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.parquet"

    def meta_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def workdir(self, run_id: str) -> Path:
        """The trainer's working folder for a run (checkpoints, ``model.pt``)."""
        return self.path / "work" / run_id

    def model_path(self, run_id: str) -> Path:
        return self.workdir(run_id) / MODEL

    def release_workdir(self, run_id: str) -> None:
        """Once a run is stored, the store is its one record: the workdir keeps only the model finetunes start
        from (the trainer's rows, record and resume point go)."""
        for name in (ROWS, RUN_RECORD, CHECKPOINT):
            (self.workdir(run_id) / name).unlink(missing_ok=True)

    def claim(self, run_id: str) -> Claim:
        """The run's claim: ``with store.claim(run_id):`` while training it (waits while another holds it)."""
        return Claim(self.runs_dir / f"{run_id}.claim")

    # ---- state ----------------------------------------------------------------------------------------------
    def stored(self) -> set[str]:
        """Ids of the runs with a rows file, intact or not."""
        self.check_version()
        return {p.name[: -len(".parquet")] for p in self.runs_dir.glob("*.parquet") if not p.name.startswith(".")}

    def finished(self) -> set[str]:
        """Ids of the finished runs: rows that match their metadata's row count and checksum."""
        return {r for r in self.stored() if self.has(r)}

    def corrupt(self) -> set[str]:
        """Ids of the runs whose rows file does not match its metadata (they count as not finished)."""
        return {r for r in self.stored() if not self.has(r)}

    def has(self, run_id: str) -> bool:
        """Whether the run is finished: its rows file exists and matches the metadata's row count and SHA-256."""
        try:
            meta = json.loads(self.meta_path(run_id).read_text())
            data = self.rows_path(run_id).read_bytes()
        except (OSError, ValueError):
            return False
        if not isinstance(meta, dict):
            return False
        if "sha256" not in meta:  # written before checksums: the row count in the Parquet footer
            try:
                return pq.read_metadata(io.BytesIO(data)).num_rows == meta.get("n_rows")
            except (OSError, ValueError):
                return False
        return meta["sha256"] == hashlib.sha256(data).hexdigest()

    # ---- writing --------------------------------------------------------------------------------------------
    def write_run(self, run_id: str, rows: pd.DataFrame, metadata: dict) -> None:
        """Store a finished run: validate its rows, then write metadata and rows atomically (rows last)."""
        _validate_rows(run_id, rows)
        self._ensure_version()
        buffer = io.BytesIO()
        rows.to_parquet(buffer, index=False)
        data = buffer.getvalue()
        meta = {**metadata, "run_id": run_id, "store_version": STORE_VERSION, "row_schema": SCHEMA_VERSION,
                "n_rows": int(len(rows)), "sha256": hashlib.sha256(data).hexdigest()}
        blob = json.dumps(meta, indent=1, sort_keys=True, default=str)
        write_text_atomic(self.meta_path(run_id), blob)
        write_bytes_atomic(self.rows_path(run_id), data)

    # ---- reading --------------------------------------------------------------------------------------------
    def read_metadata(self, run_id: str) -> dict:
        try:
            return json.loads(self.meta_path(run_id).read_text())
        except FileNotFoundError:
            raise AtlasError(f"results store {self.path}: run {run_id} has rows but no metadata file") from None

    def read_rows(self, run_ids: list[str]) -> pd.DataFrame:
        """The evaluation rows of the given finished runs, one table (per-source columns are united).

        ``AtlasError`` naming the first run whose rows file does not match its metadata."""
        self.check_version()
        bad = [r for r in run_ids if not self.has(r)]
        if bad:
            raise AtlasError(f"results store {self.path}: run {bad[0]} is not finished or its rows file "
                             f"{self.rows_path(bad[0])} is corrupt ({len(bad)} such run(s)); rerun the sweep")
        frames = [pd.read_parquet(self.rows_path(r)) for r in run_ids]
        if not frames:
            return pd.DataFrame(columns=list(ROW_COLUMNS))
        return pd.concat(frames, ignore_index=True, sort=False)


def _validate_rows(run_id: str, rows) -> None:
    """A run's rows must be a non-empty table with the row schema, its own run id and finite losses."""
    if not isinstance(rows, pd.DataFrame) or rows.empty:
        raise AtlasError(f"run {run_id}: the trainer returned no evaluation rows")
    missing = [c for c in ROW_COLUMNS if c not in rows.columns]
    if missing:
        raise AtlasError(f"run {run_id}: the trainer's rows lack column(s) {', '.join(missing)}")
    wrong = rows.index[rows["run_id"] != run_id]
    if len(wrong):
        raise AtlasError(f"run {run_id}: row {wrong[0]!r} has run_id {rows.loc[wrong[0], 'run_id']!r}")
    for col in ("tokens", "loss", "bpb"):
        values = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=float)
        bad = rows.index[~np.isfinite(values)]
        if len(bad):
            raise AtlasError(f"run {run_id}: column {col!r} row {bad[0]!r} has {values[rows.index.get_loc(bad[0])]}")
