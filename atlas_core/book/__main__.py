"""``python -m atlas_core.book build --profile P``: execute the chapter notebooks and build the offline HTML book."""

from __future__ import annotations

import argparse
import sys

from atlas_core.book.build import build
from atlas_core.book.layout import BookLayout
from atlas_core.book.parameters import PROFILES
from atlas_core.errors import AtlasError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atlas_core.book", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build_parser = sub.add_parser("build", help="execute the notebooks (when stale) and build book/_build/html")
    build_parser.add_argument("--profile", default="quick", help=f"study profile: {', '.join(PROFILES)} (default quick)")
    build_parser.add_argument("--force", action="store_true", help="re-execute every notebook, even if up to date")
    args = parser.parse_args(argv)
    try:
        build(args.profile, BookLayout.of_repo(), force=args.force)
    except AtlasError as err:
        print(f"book: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
