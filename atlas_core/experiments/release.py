"""A study's data release: its results store plus ``MANIFEST.json``, the size and SHA-256 of every finished run's
files and where each run was trained.

The sweep writes the manifest after every run it stores (so an interrupted sweep leaves a true one) and nobody edits
it; ``verify_release`` recomputes every checksum and names each file that changed, is missing or is not listed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path

from atlas_core.atomic import write_text_atomic
from atlas_core.errors import AtlasError
from atlas_core.experiments.spec import Profile
from atlas_core.experiments.store import ResultsStore

MANIFEST = "MANIFEST.json"
MANIFEST_FORMAT = 1


def _file_entry(path: Path) -> dict:
    return {"bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def profile_digest(profile: Profile) -> str:
    """SHA-256 of the profile's content (name, seeds, training defaults, experiments), not of its file's layout."""
    content = {"name": profile.name, "seeds": list(profile.seeds), "train": profile.train,
               "experiments": profile.experiments}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def build_manifest(store: ResultsStore, profile: Profile, planned: Iterable[str]) -> dict:
    """The manifest of ``store``'s finished runs among ``planned`` (the profile's run ids)."""
    planned = sorted(set(planned))
    finished = sorted(store.finished() & set(planned))
    runs, total = {}, 0
    for run_id in finished:
        files = {f"runs/{run_id}{ext}": _file_entry(store.runs_dir / f"{run_id}{ext}") for ext in (".json", ".parquet")}
        total += sum(f["bytes"] for f in files.values())
        meta = store.read_metadata(run_id)
        training = meta.get("training") or {}
        runs[run_id] = {"files": files, "git": meta.get("code_version", {}).get("git"), "cpu": training.get("cpu"),
                        "torch": training.get("torch"), "threads": training.get("threads"), "host": meta.get("host"),
                        "train_seconds": training.get("train_seconds"), "wall_s": meta.get("wall_s")}
    return {"format": MANIFEST_FORMAT, "profile": profile.name, "profile_sha256": profile_digest(profile),
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "planned": len(planned),
            "finished": len(finished), "missing": sorted(set(planned) - set(finished)), "bytes": total,
            "runs": runs}


def write_manifest(store: ResultsStore, profile: Profile, planned: Iterable[str]) -> Path:
    """Write ``MANIFEST.json`` at the store's root (atomically); returns its path."""
    path = store.path / MANIFEST
    write_text_atomic(path, json.dumps(build_manifest(store, profile, planned), indent=1, sort_keys=True) + "\n")
    return path


def read_manifest(store_path: Path) -> dict:
    """A release's manifest; one-line ``AtlasError`` when it is missing or unreadable."""
    path = Path(store_path) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise AtlasError(f"{path}: no manifest (a data release's manifest is written by `atlas sweep`)") from None
    except (OSError, ValueError) as err:
        raise AtlasError(f"{path}: unreadable manifest ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT or "runs" not in manifest:
        raise AtlasError(f"{path}: not a manifest of format {MANIFEST_FORMAT}")
    return manifest


def verify_release(store_path: Path) -> list[str]:
    """Every problem of a release: a listed file missing or changed (size or SHA-256), a run file not listed."""
    store_path = Path(store_path)
    manifest, problems = read_manifest(store_path), []
    listed = set()
    for run_id, entry in manifest["runs"].items():
        for name, expected in entry["files"].items():
            listed.add(name)
            path = store_path / name
            if not path.is_file():
                problems.append(f"{path}: listed in the manifest but missing")
            elif _file_entry(path) != expected:
                problems.append(f"{path}: differs from the manifest (size or SHA-256)")
    for path in sorted((store_path / "runs").glob("*")):
        name = f"runs/{path.name}"
        if path.suffix in (".json", ".parquet") and name not in listed:
            problems.append(f"{path}: not in the manifest")
    return problems
