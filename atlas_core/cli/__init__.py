"""The ``atlas`` command line: a thin face over the package.

Each subcommand lives in its own module of this package, which defines ``add_arguments(parser)`` and
``run(args) -> int``; the module's docstring is the command's ``--help`` description. Modules are imported only
when their command runs, so ``atlas fit`` never pays for torch.

Every error a user can cause ends in one line on stderr and exit status 2 (``AtlasError``, an unreadable file,
a file that is not valid YAML);
Ctrl-C ends in one line and status 130. Programming errors keep their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

import yaml

from atlas_core import __version__
from atlas_core.errors import AtlasError

# command name -> (module in atlas_core.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "fit": ("fit", "fit a scaling law to a table of runs"),
    "predict": ("predict", "predict losses for a table of runs from fitted parameters"),
    "data": ("data", "prepare, list and locate the multilingual text corpora"),
    "train": ("train", "train one model configuration and print its evaluation rows"),
    "sweep": ("sweep", "run a study profile (locally or on a Dask cluster)"),
    "results": ("results", "show what a study has finished and what is missing"),
    "book": ("book", "execute the chapter notebooks for a profile and build the offline HTML book"),
}
INTERRUPTED = 130  # the shell's status for a process ended by Ctrl-C (128 + SIGINT)


def plain(docstring: str) -> str:
    """A module docstring as plain help text: reStructuredText roles and literals become their bare text."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", docstring)
    text = text.replace("``", "").replace("::\n", ":\n")
    return text.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atlas", description=plain(__doc__).splitlines()[0])
    parser.add_argument("--version", action="version", version=f"atlas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def command_parser(name: str, module) -> argparse.ArgumentParser:
    """The parser of one subcommand; its description is the module's docstring, as plain text."""
    parser = argparse.ArgumentParser(prog=f"atlas {name}", description=plain(module.__doc__ or COMMANDS[name][1]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(parser)
    return parser


def one_line(err: BaseException) -> str:
    """The message of a user-caused error on one line, naming the file when the error knows it."""
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{err.strerror or err}"
    if isinstance(err, UnicodeDecodeError):
        return f"a file is not UTF-8 text ({err.reason} at byte {err.start}); is it the file you meant?"
    if isinstance(err, yaml.YAMLError):
        return f"not valid YAML: {' '.join(str(err).split())}"
    return " ".join(str(err).split())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") or argv[0] not in COMMANDS:
        build_parser().parse_args(argv or ["--help"])  # prints help, the version or the usage error
        return 2
    name, rest = argv[0], argv[1:]
    try:
        module = importlib.import_module(f"atlas_core.cli.{COMMANDS[name][0]}")
        args = command_parser(name, module).parse_args(rest)
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print(f"\natlas {name}: interrupted: rerun to continue", file=sys.stderr)
        return INTERRUPTED
    except (AtlasError, OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        print(f"atlas {name}: error: {one_line(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
