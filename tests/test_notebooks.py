"""The committed notebooks: stored without outputs, runnable exactly as users run them, failing early on bad input.

Execution uses the session fixture ``executed_book`` (every chapter once, ``profile=smoke``); one test goes through
the ``papermill`` command line as a user types it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from atlas_core.book.execute import KERNEL
from atlas_core.book.layout import REPO_ROOT, BookLayout
from atlas_core.book.viz import VEGALITE_MIME

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
CHAPTERS = BookLayout.of_repo().chapters()
MAX_CODE_LINES = 80  # a chapter reads like a method section: its logic lives in tested functions of atlas_core
# `name: type = value  # comment`: papermill --help-notebook then shows each parameter's type, default and help
PARAMETER_LINE = re.compile(r"^[a-z_][a-z0-9_]*: [\w\[\], |]+ = .+  # \S.*$")


def _parameters_cell_index(notebook) -> int:
    indices = [i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(indices) == 1, f"expected one cell tagged 'parameters', found {len(indices)}"
    return indices[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean_and_follows_the_conventions(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == KERNEL  # papermill and JupyterLab both find the venv kernel
    assert "papermill" not in notebook.metadata, "executed-notebook metadata was committed"
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} carries outputs: clear them"
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "first cell: a markdown '# Title'"

    index = _parameters_cell_index(notebook)
    lines = [line for line in notebook.cells[index].source.splitlines() if line and not line.startswith("#")]
    assert any(line.startswith("profile: str = ") for line in lines)
    for line in lines:
        assert PARAMETER_LINE.match(line), f"parameter line {line!r} is not `name: type = value  # comment`"
    check = next(c for c in notebook.cells[index + 1:] if c.cell_type == "code")
    assert "check_parameters(" in check.source, "the code cell after the parameters must call check_parameters"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_stays_thin(path):
    notebook = nbformat.read(path, as_version=4)
    lines = [line for cell in notebook.cells if cell.cell_type == "code" for line in cell.source.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    assert len(lines) <= MAX_CODE_LINES, (f"{len(lines)} lines of code (at most {MAX_CODE_LINES}): move table "
                                          "assembly, loops and branches into tested functions")


def test_every_notebook_is_a_chapter_of_the_book():
    assert sorted(c.source for c in CHAPTERS) == NOTEBOOKS


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_chapter_runs_with_the_smoke_profile(executed_book, chapter):
    notebook = nbformat.read(executed_book.executed_dir / f"{chapter.name}.ipynb", as_version=4)
    assert notebook.metadata.papermill.parameters == {"profile": "smoke"}
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    charts = [o for o in outputs if VEGALITE_MIME in o.get("data", {})]
    assert charts, "a chapter shows at least one chart"
    assert all("image/png" in o.data for o in charts), "every chart carries its PNG fallback for JupyterLab"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_unknown_profile_fails_at_the_parameters_check(tmp_path, chapter):
    out = tmp_path / "out.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as err:
        papermill.execute_notebook(
            str(chapter.source), str(out), parameters={"profile": "huge"}, kernel_name=KERNEL,
            cwd=str(chapter.source.parent), progress_bar=False,
        )
    assert err.value.ename == "AtlasError"
    assert "profile='huge' is not one of: full, quick, smoke" in err.value.evalue
    notebook = nbformat.read(out, as_version=4)
    [failed] = [c for c in notebook.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert "check_parameters(" in failed.source


def test_papermill_command_line_runs_chapter_9(tmp_path):
    """Exactly what the README tells users to type (from the repository root)."""
    out = tmp_path / "out.ipynb"
    papermill_cli = str(Path(sys.executable).with_name("papermill"))  # the venv's console script
    command = [papermill_cli, "notebooks/09_fit_your_own_runs.ipynb", str(out), "-p", "profile", "smoke"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    notebook = nbformat.read(out, as_version=4)
    assert notebook.metadata.papermill.parameters == {"profile": "smoke"}
    assert any(c.outputs for c in notebook.cells if c.cell_type == "code")
