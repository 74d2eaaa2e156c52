"""The ``atlas`` command line: a thin face over the package.

Each subcommand lives in its own module of this package, which defines ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their command runs, so ``atlas fit`` never pays for torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from atlas_core.errors import AtlasError

# command name -> (module in atlas_core.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "fit": ("fit", "fit a scaling law to a table of runs"),
    "predict": ("predict", "predict losses for a table of runs from fitted parameters"),
    "data": ("data", "prepare and list the multilingual text corpora"),
    "train": ("train", "train one model configuration and print its evaluation rows"),
    "sweep": ("sweep", "run a study profile (locally or on a Dask cluster)"),
    "results": ("results", "show what a study has finished and what is missing"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atlas", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        build_parser().parse_args(argv or ["--help"])  # prints help or the usage error
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(f"atlas_core.cli.{COMMANDS[name][0]}")
    parser = argparse.ArgumentParser(prog=f"atlas {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except AtlasError as err:
        print(f"atlas {name}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
