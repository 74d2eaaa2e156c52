"""Build the HTML book: execute every chapter notebook with papermill, generate the offline assets, run jupyter-book.

``atlas book --profile quick`` (what ``make book`` runs) does, in order:

1. check the profile (a bundled name, or a profile YAML path, made absolute: notebooks run in their own folder);
2. read the chapters from ``book/_toc.yml`` (entries ``executed/NN_name``, sources ``notebooks/NN_name.ipynb``);
3. execute each with ``profile`` into ``book/executed/``, unless its executed copy already ran with that profile
   after the notebook, the package's code and the profile's results last changed (``--force`` re-runs all);
4. write the vega bundle and MathJax (:mod:`atlas_core.book.assets`);
5. ``jupyter-book build -W -n --keep-going --all`` (every warning is an error).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from atlas_core.book.assets import write_assets
from atlas_core.book.execute import execute_chapter, is_fresh
from atlas_core.book.layout import BookLayout, Chapter
from atlas_core.book.parameters import check_parameters
from atlas_core.errors import AtlasError
from atlas_core.experiments.profile import load_profile


def notebook_profile(profile: str) -> str:
    """The ``profile`` parameter to give the notebooks: a bundled name as is, a profile file as an absolute path."""
    check_parameters(profile=profile)
    return str(Path(profile).resolve()) if Path(profile).suffix else profile


def execute_chapters(layout: BookLayout, profile: str, *, force: bool = False, log=print) -> list[Chapter]:
    """Execute the book's notebooks that are missing or stale; return the chapters that ran."""
    profile = notebook_profile(profile)
    profile_file = (Path(profile),) if Path(profile).suffix else ()
    dependencies = layout.dependencies(load_profile(profile, gpu=False).name) + profile_file
    chapters = layout.chapters()
    ran = []
    for i, chapter in enumerate(chapters, 1):
        step = f"[{i}/{len(chapters)}] {chapter.name}"
        if not force and is_fresh(chapter, profile, dependencies):
            log(f"{step}: up to date (profile {profile})")
            continue
        log(f"{step}: executing with profile {profile} ...")
        seconds = execute_chapter(chapter, {"profile": profile})
        log(f"{step}: done in {seconds:.1f} s")
        ran.append(chapter)
    return ran


def build_html(layout: BookLayout, *, log=print) -> Path:
    """Generate the offline assets and run jupyter-book with warnings as errors; return the HTML folder."""
    write_assets(layout.static_dir, layout.extra_dir)
    command = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", "-W", "-n", "--keep-going", "--all", str(layout.book_dir),
        "--config", str(layout.config.resolve()), "--toc", str(layout.toc.resolve()),  # --toc must be absolute
        "--path-output", str(layout.book_dir),  # else the output goes next to the first _config.yml found upwards
    ]
    log("jupyter-book build (warnings are errors) ...")
    start = time.perf_counter()
    if subprocess.run(command).returncode != 0:
        raise AtlasError(f"jupyter-book build of {layout.book_dir} failed; its log above names the page and warning")
    log(f"jupyter-book build: done in {time.perf_counter() - start:.1f} s")
    return layout.html_dir


def build(profile: str, layout: BookLayout | None = None, *, force: bool = False, log=print) -> Path:
    """Execute the notebooks (if stale) and build the HTML; return the folder holding ``index.html``."""
    layout = layout or BookLayout.of_repo()
    start = time.perf_counter()
    execute_chapters(layout, profile, force=force, log=log)
    html = build_html(layout, log=log)
    log(f"book built in {time.perf_counter() - start:.1f} s: open {html / 'index.html'}")
    return html
