"""Shared fixtures: every book chapter executed once per test session with the smoke profile, and the HTML book
built from those executed notebooks. The notebook, book and browser tests all reuse them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atlas_core.book.build import build_html, execute_chapters
from atlas_core.book.layout import BookLayout

# Build products of the working tree's book/ that a test book must not inherit (the version-stamped vega bundle
# in _static/ is reused: it is rewritten when vl-convert changes).
GENERATED = ("_build", "executed")


@pytest.fixture(scope="session")
def executed_book(tmp_path_factory) -> BookLayout:
    """A copy of ``book/`` in a temporary folder whose ``executed/`` holds every chapter run with ``profile=smoke``."""
    repo = BookLayout.of_repo()
    book_dir = tmp_path_factory.mktemp("book") / "book"
    shutil.copytree(repo.book_dir, book_dir, ignore=shutil.ignore_patterns(*GENERATED))
    layout = BookLayout(book_dir=book_dir, notebooks_dir=repo.notebooks_dir, config=repo.config)
    execute_chapters(layout, "smoke", force=True)
    return layout


@pytest.fixture(scope="session")
def built_book(executed_book: BookLayout) -> Path:
    """The HTML folder of the book built (warnings as errors) from the smoke-executed chapters."""
    return build_html(executed_book)
