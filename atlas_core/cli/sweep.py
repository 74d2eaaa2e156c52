"""``atlas sweep``: run a study profile, locally (default: 2 single-thread workers) or on a Dask cluster.

Prints the planned total (core-seconds, wall clock on the workers) before it starts, shows a progress bar with
an ETA, skips runs already in the results store, and can be killed and rerun at any moment.

Examples::

    atlas sweep --profile quick
    atlas sweep --profile full --executor dask --address tcp://scheduler:8786
    atlas sweep --profile quick --kinds bilingual,capacity --max-hours 0.5
    atlas sweep --profile quick --plan            # print the plan and its cost, train nothing
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from atlas_core.errors import AtlasError


def short(text: str, width: int = 40) -> str:
    """A mixture label cut to ``width`` characters for tables."""
    return text if len(text) <= width else text[: width - 3] + "..."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="quick",
                        help="profile name (smoke, quick, full) or a profile YAML path (default quick)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="local: a private Dask cluster on this machine (default); dask: the cluster at --address")
    parser.add_argument("--address", help="Dask scheduler address, e.g. tcp://host:8786 (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=2,
                        help="local worker processes, one thread each (default 2; a cluster has its own)")
    parser.add_argument("--kinds", help="comma-separated experiment kinds to run (default all; bases are added)")
    parser.add_argument("--max-hours", type=float, help="refuse to start if the planned wall clock exceeds this")
    parser.add_argument("--root", help="results root (default $ATLAS_RESULTS or <repo>/results)")
    parser.add_argument("--plan", action="store_true", help="print the planned runs and their cost; train nothing")
    parser.add_argument("--json", action="store_true", help="with --plan: print the plan as one JSON object")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from atlas_core.experiments import Study

    if args.workers < 1:
        raise AtlasError(f"--workers must be at least 1, got {args.workers}")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else None
    study = Study(args.profile, args.root)
    if args.plan:
        return print_plan(study, kinds, args.workers, as_json=args.json)
    try:
        study.run(kinds, workers=args.workers, executor=args.executor, address=args.address,
                  max_hours=args.max_hours, progress=not args.no_progress)
    except KeyboardInterrupt:
        print("interrupted: rerun to continue (finished runs are stored)", file=sys.stderr)
        return 130
    profile = args.profile if args.root is None else f"{args.profile} --root {args.root}"
    print(f"results in {study.store.path}; next: `atlas results --profile {profile}`, then the notebooks "
          f"(`make book` or `atlas book --profile {study.profile.name}`)")
    return 0


def print_plan(study, kinds: list[str] | None, workers: int, *, as_json: bool) -> int:
    """The planned runs of ``kinds`` with their cost, and the total wall clock on ``workers``."""
    from atlas_core.experiments.plan import simulate_wall

    table = study.plan()
    if kinds is not None:
        table = table[table["run_id"].isin({r.run_id for r in study.runs.select(kinds)})]
    todo = table[~table["done"]]
    wall = simulate_wall([study.runs.by_id[r] for r in todo["run_id"]], workers)
    columns = ["run_id", "kinds", "scale", "mixture", "tokens", "est_seconds", "done"]
    if as_json:
        print(json.dumps({"profile": study.profile.name, "store": str(study.store.path), "workers": workers,
                          "runs": table[columns].to_dict(orient="records"), "to_run": len(todo),
                          "core_seconds": float(todo["est_seconds"].sum()), "wall_seconds": wall}, indent=1,
                         default=str))
        return 0
    shown = table[columns].assign(mixture=table["mixture"].map(short), est_seconds=table["est_seconds"].round(1))
    with pd.option_context("display.max_rows", None, "display.width", 250):
        print(shown.to_string(index=False))
    print(f"{len(table)} runs, {int(table['done'].sum())} done; to run: {len(todo)} runs, "
          f"{todo['est_seconds'].sum():,.0f} core-s, about {wall / 60:.1f} min wall on {workers} worker(s)")
    return 0
