"""``atlas results``: what a study has finished and what is missing.

Prints a table of experiment kinds x (planned, done, missing, rows); ``--missing`` lists the missing runs.
"""

from __future__ import annotations

import argparse

import pandas as pd

from atlas_core.cli.sweep import short


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="quick",
                        help="profile name (smoke, quick, full) or a profile YAML path (default quick)")
    parser.add_argument("--root", help="results root (default $ATLAS_RESULTS or <repo>/results)")
    parser.add_argument("--missing", action="store_true", help="list the runs that are not finished")


def run(args: argparse.Namespace) -> int:
    from atlas_core.experiments import Study

    study = Study(args.profile, args.root)
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 60):
        print(f"study {study.profile.name!r}, store {study.store.path}")
        print(study.status().to_string(index=False))
        orphans = study.store.finished() - set(study.runs.by_id)
        if orphans:
            print(f"({len(orphans)} finished run(s) in the store are not in this profile's plan: an older version of it)")
        if args.missing:
            missing = study.missing()
            print(f"\n{len(missing)} missing run(s)" + (":" if len(missing) else ""))
            if len(missing):
                missing = missing.assign(mixture=missing["mixture"].map(short))
                print(missing[["run_id", "kinds", "scale", "mixture", "tokens", "seed"]].to_string(index=False))
    return 0
