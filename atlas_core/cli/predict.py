"""``atlas predict``: predicted losses for a CSV of runs from a fit saved by ``atlas fit --json``.

Prints a one-column CSV (header ``predicted_loss``), one prediction per input row, in input order.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from atlas_core.cli.fit import read_runs
from atlas_core.errors import AtlasError
from atlas_core.fit import load_fit
from atlas_core.laws import LAWS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", metavar="RUNS.csv", help="table of runs (the law's input columns)")
    parser.add_argument("--law", required=True, choices=list(LAWS), help="the law the parameters belong to")
    parser.add_argument("--params", required=True, metavar="FIT.json", help="output of `atlas fit --json`")


def run(args: argparse.Namespace) -> int:
    try:
        fit = load_fit(Path(args.params).read_text())
    except OSError as err:
        raise AtlasError(f"{args.params}: cannot read ({err.strerror})") from None
    except AtlasError as err:
        raise AtlasError(f"{args.params}: {err}") from None
    if fit.law.name != args.law:
        raise AtlasError(f"{args.params} holds a '{fit.law.name}' fit, not '{args.law}'")
    frame = read_runs(args.runs)
    try:
        predicted = fit.predict(frame)
    except AtlasError as err:
        raise AtlasError(f"{args.runs}: {err}") from None
    sys.stdout.write("predicted_loss\n" + "".join(f"{value:.10g}\n" for value in predicted))
    return 0
