"""The full study's data release (results/full): its manifest verifies, and its smallest runs reproduce when
trained again here: identically where this machine's CPU, torch and process environment match the run's record,
within seed noise elsewhere."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from atlas_core.experiments.release import read_manifest, verify_release
from atlas_core.experiments.store import REPO_ROOT, ResultsStore
from atlas_core.train.config import RUN_RECORD

RELEASE = REPO_ROOT / "results" / "full"
N_RETRAINED = 3
SEED_NOISE = 0.05  # nats: 3x the paired seed sd of a 3M-token run (pilot-study.md), for another CPU or torch


def test_the_release_verifies_against_its_manifest_and_belongs_to_the_full_profile():
    manifest = read_manifest(RELEASE)
    assert verify_release(RELEASE) == []
    assert manifest["profile"] == "full" and manifest["finished"] == len(manifest["runs"]) > 0
    store = ResultsStore(RELEASE)
    for run_id in manifest["runs"]:  # a run is its configuration: quick's runs that full plans count for both
        assert store.read_metadata(run_id)["profile"] in ("full", "quick")


def _smallest_scratch_runs(manifest: dict, n: int) -> list[str]:
    store = ResultsStore(RELEASE)
    scratch = [r for r in manifest["runs"] if store.read_metadata(r)["config"]["init_from"] is None]
    return sorted(scratch, key=lambda r: manifest["runs"][r]["train_seconds"])[:n]


def _environment(record: dict) -> tuple:
    """What decides the arithmetic of a run: CPU model, torch, threads, the training environment's gaps."""
    return record.get("cpu"), record["torch"], record["threads"], tuple(record["runtime_missing"])


@pytest.mark.parametrize("index", range(N_RETRAINED))
def test_the_smallest_shipped_runs_reproduce(index, tmp_path):
    manifest = read_manifest(RELEASE)
    run_id = _smallest_scratch_runs(manifest, N_RETRAINED)[index]
    store = ResultsStore(RELEASE)
    meta = store.read_metadata(run_id)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(meta["config"]))
    subprocess.run([sys.executable, "-m", "atlas_core.cli", "train", "--config", str(config), "--run-id", run_id,
                    "--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "rows.csv"), "--no-progress"],
                   check=True, capture_output=True)
    ours = pd.read_csv(tmp_path / "rows.csv")
    shipped = store.read_rows([run_id])
    key = ["step", "eval_lang"]
    merged = shipped[key + ["loss"]].merge(ours[key + ["loss"]], on=key, suffixes=("_shipped", "_here"))
    assert len(merged) == len(shipped) == len(ours)
    here = json.loads((tmp_path / "work" / RUN_RECORD).read_text())
    if _environment(here) == _environment(meta["training"]):
        assert (merged["loss_shipped"] == merged["loss_here"]).all(), f"{run_id}: not bit-identical here"
    else:
        final = merged.iloc[-1]
        assert abs(final["loss_shipped"] - final["loss_here"]) < SEED_NOISE, run_id
