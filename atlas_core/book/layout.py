"""Where the book lives, and which chapters it has (``book/_toc.yml`` is the single source of chapter order)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from atlas_core.errors import AtlasError

REPO_ROOT = Path(__file__).resolve().parents[2]
EXECUTED = "executed"  # toc entries under book/executed/ are notebooks the builder executes


@dataclass(frozen=True)
class Chapter:
    """One notebook chapter: its committed source and where its executed copy goes."""

    name: str          # e.g. "09_fit_your_own_runs"
    source: Path       # notebooks/<name>.ipynb
    executed: Path     # book/executed/<name>.ipynb


@dataclass(frozen=True)
class BookLayout:
    """The folders and files of one book: sources, executed notebooks, generated assets and HTML output."""

    book_dir: Path       # jupyter-book sources: _toc.yml, prose pages, _static/, executed/
    notebooks_dir: Path  # the committed notebooks
    config: Path         # _config.yml
    code_dir: Path | None = None      # the package: chapters re-run when its code changes
    results_root: Path | None = None  # the results store: chapters re-run when runs of their profile arrive

    @classmethod
    def of_repo(cls) -> "BookLayout":
        """The repository's book; chapters depend on the package's code and on the results store."""
        from atlas_core.experiments.store import default_root

        return cls(
            book_dir=REPO_ROOT / "book", notebooks_dir=REPO_ROOT / "notebooks", config=REPO_ROOT / "_config.yml",
            code_dir=REPO_ROOT / "atlas_core", results_root=default_root(),
        )

    def dependencies(self, profile: str) -> tuple[Path, ...]:
        """Besides its notebook, what a chapter executed with the profile named ``profile`` depends on."""
        paths = (self.code_dir, self.results_root / profile if self.results_root else None)
        return tuple(path for path in paths if path is not None)

    @property
    def toc(self) -> Path:
        return self.book_dir / "_toc.yml"

    @property
    def executed_dir(self) -> Path:
        return self.book_dir / EXECUTED

    @property
    def static_dir(self) -> Path:
        return self.book_dir / "_static"

    @property
    def extra_dir(self) -> Path:
        """Generated files copied verbatim into the site (``html_extra_path`` in ``_config.yml``)."""
        return self.book_dir / "_build" / "offline"

    @property
    def html_dir(self) -> Path:
        return self.book_dir / "_build" / "html"

    def chapters(self) -> list[Chapter]:
        """The notebook chapters in ``_toc.yml`` order; adding a chapter is one ``- file: executed/NN_name`` line."""
        if not self.toc.is_file():
            raise AtlasError(f"no table of contents at {self.toc}")
        chapters = []
        for entry in toc_files(yaml.safe_load(self.toc.read_text(encoding="utf-8")) or {}):
            folder, _, name = entry.rpartition("/")
            if folder != EXECUTED:
                continue
            name = name.removesuffix(".ipynb")
            source = self.notebooks_dir / f"{name}.ipynb"
            if not source.is_file():
                raise AtlasError(f"{self.toc}: entry {entry!r} has no notebook {source}")
            chapters.append(Chapter(name, source, self.executed_dir / f"{name}.ipynb"))
        return chapters


def toc_files(node: object) -> list[str]:
    """Every ``file:`` entry of a jupyter-book table of contents, depth first, in reading order."""
    if isinstance(node, list):
        return [entry for item in node for entry in toc_files(item)]
    if not isinstance(node, dict):
        return []
    found = [str(node["file"])] if "file" in node else []
    for key in ("parts", "chapters", "sections"):
        found += toc_files(node.get(key, []))
    return found
