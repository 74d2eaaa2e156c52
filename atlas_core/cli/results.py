"""``atlas results``: what a study has finished and what is missing.

Prints a table of experiment kinds x (planned, done, missing, rows); ``--missing`` lists the missing runs,
``--json`` prints the same as one JSON object; ``--verify`` checks the store against its ``MANIFEST.json`` (a data
release: every file's size and SHA-256) and exits 1 naming each difference. Stored runs whose rows file does not match its metadata are
reported as corrupt (they count as missing: the next sweep trains them again).
"""

from __future__ import annotations

import argparse
import json

import pandas as pd

from atlas_core.cli.sweep import short


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="quick",
                        help="profile name (smoke, quick, full) or a profile YAML path (default quick)")
    parser.add_argument("--root", help="results root (default $ATLAS_RESULTS or <repo>/results)")
    parser.add_argument("--missing", action="store_true", help="list the runs that are not finished")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--verify", action="store_true",
                        help="check every file against the store's MANIFEST.json (exit 1 naming each difference)")


def run(args: argparse.Namespace) -> int:
    from atlas_core.experiments import Study

    study = Study(args.profile, args.root)
    if args.verify:
        return _verify(study.store.path)
    status = study.status()
    orphans = sorted(study.store.finished() - set(study.runs.by_id))
    corrupt = sorted(study.store.corrupt())
    missing = study.missing() if args.missing else None
    if args.json:
        out = {"profile": study.profile.name, "store": str(study.store.path),
               "status": status.to_dict(orient="records"), "not_in_plan": orphans, "corrupt": corrupt}
        if missing is not None:
            out["missing"] = missing[["run_id", "kinds", "scale", "mixture", "tokens", "seed"]].to_dict(orient="records")
        print(json.dumps(out, indent=1, default=str))
        return 0
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 60):
        print(f"study {study.profile.name!r}, store {study.store.path}")
        print(status.to_string(index=False))
        if orphans:
            print(f"({len(orphans)} finished run(s) in the store are not in this profile's plan: an older version of it)")
        if corrupt:
            print(f"{len(corrupt)} stored run(s) are corrupt and will be trained again by the next sweep: "
                  f"{', '.join(corrupt)}")
        if missing is not None:
            print(f"\n{len(missing)} missing run(s)" + (":" if len(missing) else ""))
            if len(missing):
                missing = missing.assign(mixture=missing["mixture"].map(short))
                print(missing[["run_id", "kinds", "scale", "mixture", "tokens", "seed"]].to_string(index=False))
    return 0


def _verify(store_path) -> int:
    from atlas_core.experiments.release import read_manifest, verify_release

    problems = verify_release(store_path)
    for problem in problems:
        print(problem)
    manifest = read_manifest(store_path)
    print(f"{store_path}: {manifest['finished']} of {manifest['planned']} planned runs in the manifest, "
          + (f"{len(problems)} difference(s)" if problems else "every file matches"))
    return 1 if problems else 0
