"""``atlas predict``: predicted losses for a CSV of runs from fitted parameters.

``--params`` is either the output of ``atlas fit --json`` or a plain mapping of the law's parameter names to
values, in JSON or YAML, as a paper's table gives them, e.g. ``{"E": 1.69, "A": 406.4, "B": 410.7,
"alpha": 0.34, "beta": 0.28}`` for chinchilla. Prints a one-column CSV (header ``predicted_loss``), one prediction
per input row, in input order.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from atlas_core.cli.fit import read_runs
from atlas_core.errors import AtlasError
from atlas_core.fit import FitResult, GroupedFit
from atlas_core.laws import LAWS, make_law


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", metavar="RUNS.csv", help="table of runs (the law's input columns)")
    parser.add_argument("--law", required=True, choices=list(LAWS), help="the law the parameters belong to")
    parser.add_argument("--params", required=True, metavar="FILE",
                        help="output of `atlas fit --json`, or a JSON/YAML mapping of parameter name to value")


def read_mapping(path: str) -> dict:
    """A JSON or YAML mapping from a file, else ``AtlasError`` naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AtlasError(f"{path}: not a text file (expected JSON or YAML parameters)") from None
    except OSError as err:
        raise AtlasError(f"{path}: cannot read ({err.strerror})") from None
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise AtlasError(f"{path}: neither JSON nor YAML ({' '.join(str(err).split())})") from None
    if not isinstance(data, Mapping):
        raise AtlasError(f"{path}: expected a mapping of parameter names to values, got {type(data).__name__}")
    return dict(data)


def check_finite(params: Mapping, where: str) -> None:
    """``AtlasError`` naming the first parameter that is not a finite number (NaN, Infinity, text)."""
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise AtlasError(f"{where}: parameter {name} = {value!r} is not a finite number")


def load_params(path: str, law: str) -> FitResult | GroupedFit:
    """The fit in ``path``: an ``atlas fit --json`` result, or a plain mapping of ``law``'s parameters."""
    data = read_mapping(path)
    try:
        if "groups" in data:
            fit = GroupedFit.from_dict(data)
            for key, group in fit.fits.items():
                check_finite(group.params, f"group {key}")
        elif "params" in data and "law" in data:
            check_finite(data["params"] if isinstance(data["params"], Mapping) else {}, "params")
            fit = FitResult.from_dict(data)
        else:
            check_finite(data, "params")
            model = make_law(law)
            model.to_internal(data)  # names every missing or unknown parameter
            fit = FitResult(law=model, params={k: float(v) for k, v in data.items()}, status="given", objective=math.nan)
    except AtlasError as err:
        raise AtlasError(f"{path}: {err}") from None
    if fit.law.name != law:
        raise AtlasError(f"{path} holds a '{fit.law.name}' fit, not '{law}'")
    return fit


def run(args: argparse.Namespace) -> int:
    fit = load_params(args.params, args.law)
    frame = read_runs(args.runs)
    try:
        predicted = fit.predict(frame)
    except AtlasError as err:
        raise AtlasError(f"{args.runs}: {err}") from None
    sys.stdout.write("predicted_loss\n" + "".join(f"{value:.10g}\n" for value in predicted))
    return 0
