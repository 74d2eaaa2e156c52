"""``atlas fit``: fit a scaling law to a CSV of runs and print its parameters and in-sample R^2.

Columns: ``N``, ``D``, ``loss`` (and ``U`` for data-constrained/atlas, ``p`` for msl, ``K`` for curse; atlas
transfer sources as ``D_<s>``/``U_<s>``, ``D_total``, optional ``U_other``; see ``atlas_core.laws``).
``--json`` prints the fit as JSON, which ``atlas predict --params`` reads.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.fit import GroupedFit, bootstrap_fit, fit_groups, fit_law
from atlas_core.fit.core import OBJECTIVES
from atlas_core.fit.groups import law_for
from atlas_core.laws import LAWS, atlas_factory, make_law
from atlas_core.laws.multilingual import FAMILY_COLUMN


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", metavar="RUNS.csv", help="table of runs: one row per observation")
    parser.add_argument("--law", required=True, choices=list(LAWS), help="which law to fit")
    parser.add_argument("--tie-exponents", action="store_true", help="fit beta = alpha")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N", help="add N-resample bootstrap 95%% CIs")
    parser.add_argument("--json", action="store_true", help="print the fit as JSON (input of `atlas predict`)")
    parser.add_argument("--objective", choices=OBJECTIVES, default="huber",
                        help="summed Huber over the multi-start grid (default) or the Huber-likelihood MLE")
    parser.add_argument("--delta", type=float, default=1e-3, help="Huber threshold on log residuals (1e-3)")
    parser.add_argument("--starts", type=int, default=None, help="number of grid starts (default: 4500 for "
                        "chinchilla, 1000 drawn from the larger grids of the other laws)")
    parser.add_argument("--seed", type=int, default=0, help="seed for drawing starts and bootstrap resamples")
    parser.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE",
                        help="hold a parameter at a value (repeatable), e.g. --fix alpha=0.35")
    parser.add_argument("--by", default=None, metavar="COLUMN",
                        help="fit one law per value of COLUMN (default for msl: 'family' when present)")
    atlas = parser.add_argument_group("atlas")
    atlas.add_argument("--transfer", default=None, metavar="LANGS",
                       help="comma-separated transfer languages K_t (default: the --k most co-sampled D_<s>)")
    atlas.add_argument("--k", type=int, default=3, help="size of K_t when chosen automatically (3)")
    atlas.add_argument("--target", default=None, help="target language (for tau starts from --transfer-matrix)")
    atlas.add_argument("--transfer-matrix", default=None, metavar="CSV",
                       help="BTS transfer scores, rows = target, columns = source, or 'published' (ATLAS Fig. "
                       "C.2); tau starts at BTS / (2 - BTS)")


def read_runs(path: str) -> pd.DataFrame:
    """The table of runs in a CSV file, else ``AtlasError`` naming the file and what is wrong with it."""
    try:
        frame = pd.read_csv(path)
        header = csv_header(path)
    except FileNotFoundError:
        raise AtlasError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AtlasError(f"{path}: is a folder, not a CSV file") from None
    except OSError as err:
        raise AtlasError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise AtlasError(f"{path}: not a text file (expected a CSV table of runs)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise AtlasError(f"{path}: not a readable CSV ({' '.join(str(err).split())})") from None
    repeated = [column for column in dict.fromkeys(header) if header.count(column) > 1]
    if repeated:
        raise AtlasError(f"{path}: column {repeated[0]!r} appears {header.count(repeated[0])} times; keep one")
    return frame


def csv_header(path: str) -> list[str]:
    """The column names of a CSV file as written (pandas renames a repeated column ``loss`` to ``loss.1``)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def _fixed(pairs: list[str]) -> dict[str, float]:
    fixed = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            fixed[name.strip()] = float(value)
        except ValueError:
            raise AtlasError(f"--fix expects NAME=VALUE with a number, got {pair!r}") from None
    return fixed


def _transfer_matrix(source: str | None) -> pd.DataFrame | None:
    if source is None:
        return None
    if source == "published":
        from atlas_core.published import transfer_matrix

        return transfer_matrix()
    try:
        return pd.read_csv(source, comment="#", index_col=0)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise AtlasError(f"{source}: cannot read transfer matrix ({' '.join(str(err).split())})") from None


def _atlas_law(args: argparse.Namespace, matrix: pd.DataFrame | None):
    """The per-target ATLAS factory (``atlas_core.laws.atlas_factory``) from the command-line options."""
    transfer = None if args.transfer is None else [s.strip() for s in args.transfer.split(",") if s.strip()]
    return atlas_factory(k=args.k, transfer=transfer, transfer_matrix=matrix)


def _print_fit(fit, ci: pd.DataFrame | None, title: str) -> None:
    print(f"{title}law {fit.law!r}: {fit.status}  ({fit.n_obs} rows, {fit.n_starts} starts, "
          f"{fit.objective_name} objective {fit.objective:.10g})")
    for name, value in fit.params.items():
        line = f"  {name:<12} {value:.6g}"
        if ci is not None:
            row = ci.loc[name]
            line += f"   95% CI [{row.lower:.6g}, {row.upper:.6g}]  se {row.se:.3g}"
        print(line)
    if fit.sigma is not None:
        print(f"  {'sigma':<12} {fit.sigma:.6g}   (log-scale of the Huber likelihood)")
    if fit.at_bound:
        print(f"  at bound: {', '.join(fit.at_bound)}")
    print(f"  R2 (in-sample, loss) {fit.r2:.6f}")


def run(args: argparse.Namespace) -> int:
    frame = read_runs(args.runs)
    options = dict(objective=args.objective, delta=args.delta, tie_exponents=args.tie_exponents,
                   starts=args.starts, seed=args.seed, fixed=_fixed(args.fix) or None)
    if args.bootstrap and args.bootstrap < 2:
        raise AtlasError(f"--bootstrap needs at least 2 resamples, got {args.bootstrap}")
    by = args.by or (FAMILY_COLUMN if args.law == "msl" and FAMILY_COLUMN in frame.columns else None)
    spec = _atlas_law(args, _transfer_matrix(args.transfer_matrix)) if args.law == "atlas" else make_law(args.law)
    try:
        if by:
            result = fit_groups(spec, frame, by, progress=sys.stderr.isatty(), **options)
            fits = result.fits
        else:
            result = fit_law(law_for(spec, args.target, frame), frame, **options)
            fits = {"": result}
        cis = {}
        for key, fit in fits.items():
            if args.bootstrap:
                rows = frame if not by else frame[frame[by].astype(str) == key]
                cis[key] = bootstrap_fit(fit.law, rows, n=args.bootstrap, seed=args.seed, fit=fit,
                                         progress=sys.stderr.isatty(),
                                         **{k: options[k] for k in ("objective", "delta", "tie_exponents",
                                                                    "fixed")}).ci(0.95)
    except AtlasError as err:
        raise AtlasError(f"{args.runs}: {err}") from None
    if args.json:
        payload = result.to_dict()
        for key, ci in cis.items():
            target = payload["groups"][key] if by else payload
            target["bootstrap"] = {"n": args.bootstrap, "level": 0.95, "seed": args.seed,
                                   "ci": {p: {"lower": r.lower, "upper": r.upper, "se": r.se}
                                          for p, r in ci.iterrows()}}
        json.dump(payload, sys.stdout, indent=2)
        print()
    else:
        for key, fit in fits.items():
            _print_fit(fit, cis.get(key), f"[{by} = {key}] " if isinstance(result, GroupedFit) else "")
    return 0
