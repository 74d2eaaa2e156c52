"""The builder: the HTML book built (warnings as errors) from the smoke-executed chapters (every page, every chart,
no network), and how it reports a failing chapter or a bad profile."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from atlas_core.book.assets import MATHJAX_IN_SITE, VEGA_BUNDLE
from atlas_core.book.execute import execute_chapter
from atlas_core.book.layout import Chapter, toc_files
from atlas_core.book.viz import VEGALITE_MIME
from atlas_core.errors import AtlasError

REMOTE_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)


def test_every_chapter_page_has_all_its_charts(executed_book, built_book):
    for chapter in executed_book.chapters():
        page = built_book / "executed" / f"{chapter.name}.html"
        assert page.is_file(), f"no page for chapter {chapter.name}"
        notebook = nbformat.read(executed_book.executed_dir / f"{chapter.name}.ipynb", as_version=4)
        n_charts = sum(VEGALITE_MIME in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))
        html = page.read_text(encoding="utf-8")
        assert n_charts >= 1
        assert html.count('class="atlas-vegalite"') == n_charts, "each chart is embedded as an interactive chart"
        assert html.count("vegaEmbed(") == n_charts


def test_every_toc_page_is_built(executed_book, built_book):
    import yaml

    toc = yaml.safe_load(executed_book.toc.read_text(encoding="utf-8"))
    for entry in [toc["root"], *toc_files(toc)]:
        assert (built_book / f"{entry.removesuffix('.ipynb').removesuffix('.md')}.html").is_file(), entry


def test_pages_load_nothing_from_the_network(built_book):
    for page in built_book.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not REMOTE_ASSET.search(html), f"{page.name} loads {REMOTE_ASSET.search(html).group(0)!r}"
        assert "cdn.jsdelivr" not in html and "mathjax@3" not in html


def test_offline_assets_are_in_the_site_and_mathjax_is_loaded_once(executed_book, built_book):
    bundle = (built_book / "_static" / VEGA_BUNDLE).read_text(encoding="utf-8")
    assert bundle.splitlines()[1] == "(function () {" and "vegaEmbed" in bundle
    assert (built_book / MATHJAX_IN_SITE / "tex-chtml.js").is_file()
    assert list((built_book / MATHJAX_IN_SITE / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    for chapter in executed_book.chapters():
        html = (built_book / "executed" / f"{chapter.name}.html").read_text(encoding="utf-8")
        assert html.count("mathjax/tex-chtml.js") == 1
        assert html.count(VEGA_BUNDLE) == 1


def test_parameter_cells_are_folded(executed_book, built_book):
    for chapter in executed_book.chapters():
        html = (built_book / "executed" / f"{chapter.name}.html").read_text(encoding="utf-8")
        assert html.count("hide above-input") >= 2, "parameters and injected-parameters cells fold their code"


def test_a_failing_chapter_is_reported_and_kept_aside(tmp_path):
    source = tmp_path / "notebooks" / "01_boom.ipynb"
    source.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell('profile: str = "quick"  # profile', metadata={"tags": ["parameters"]}),
               nbformat.v4.new_code_cell('raise ValueError(f"no such thing as {profile}")')],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    ), source)
    chapter = Chapter("01_boom", source, tmp_path / "executed" / "01_boom.ipynb")
    chapter.executed.parent.mkdir()
    chapter.executed.write_text("{}")  # a stale copy from an earlier run must not survive a failed one
    with pytest.raises(AtlasError, match=r"01_boom.ipynb failed in cell 2 \(ValueError: no such thing as smoke\)"):
        execute_chapter(chapter, {"profile": "smoke"}, progress_bar=False)
    assert not chapter.executed.exists()
    failed = nbformat.read(chapter.executed.with_name("01_boom.failed.ipynb"), as_version=4)
    [errored] = [c for c in failed.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert errored.source.startswith("raise ValueError")
    assert not list(chapter.executed.parent.glob("*.partial.ipynb"))


def test_builder_command_rejects_an_unknown_profile_before_running_anything():
    result = subprocess.run([sys.executable, "-m", "atlas_core.cli", "book", "--profile", "huge"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == ("atlas book: error: parameter profile='huge' is not one of: full, quick, smoke "
                                     "(or the path of a profile YAML file)")
