"""``atlas book``: execute the chapter notebooks with a study profile, then build the offline HTML book.

A notebook runs again only when its executed copy is missing, ran with another profile, or is older than the
notebook, the package's code or the profile's results (``--force`` re-runs every one). The profile's study must
have run first (``atlas sweep --profile P``). The book is written to book/_build/html/index.html.

Examples::

    atlas book --profile quick
    atlas book --profile my_study.yaml --force
"""

from __future__ import annotations

import argparse

from atlas_core.experiments.profile import bundled_profiles


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="quick",
                        help=f"profile name ({', '.join(bundled_profiles())}) or a profile YAML path (default quick)")
    parser.add_argument("--force", action="store_true", help="re-execute every notebook, even if up to date")


def run(args: argparse.Namespace) -> int:
    from atlas_core.book.build import build
    from atlas_core.book.layout import BookLayout

    build(args.profile, BookLayout.of_repo(), force=args.force)
    return 0
