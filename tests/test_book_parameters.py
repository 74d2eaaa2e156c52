"""Every notebook refuses a parameter of the wrong type at its parameters check, before it trains anything.

``papermill ... -p languages es`` passes the string "es" where the notebook declares ``list[str]``; each chapter
is run with one such value (its first non-profile parameter, else ``profile`` as a list).
"""

from __future__ import annotations

import ast

import nbformat
import papermill
import pytest

from atlas_core.book.execute import KERNEL, ensure_kernel
from atlas_core.book.layout import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
WRONG = {"str": 7, "int": "7", "list[str]": "es"}  # what papermill -p gives when the user forgets the type


def wrong_parameter(path) -> tuple[str, object]:
    notebook = nbformat.read(path, as_version=4)
    [cell] = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    declared = {node.target.id: ast.unparse(node.annotation) for node in ast.parse(cell.source).body
                if isinstance(node, ast.AnnAssign)}
    name = next((n for n in declared if n != "profile"), "profile")
    return name, (WRONG[declared[name]] if name != "profile" else ["smoke"])


@pytest.fixture(scope="module", autouse=True)
def atlas_kernel() -> None:
    ensure_kernel()  # as `make venv` and `atlas book` do


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_wrong_type_fails_at_the_parameters_check(tmp_path, path):
    name, value = wrong_parameter(path)
    parameters = {"profile": "smoke", name: value}
    out = tmp_path / "out.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as err:
        papermill.execute_notebook(str(path), str(out), parameters=parameters, kernel_name=KERNEL,
                                   cwd=str(path.parent), progress_bar=False)
    assert err.value.ename == "AtlasError"
    assert f"parameter {name}={value!r} must be" in err.value.evalue
    failed = [c for c in nbformat.read(out, as_version=4).cells
              if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert "check_parameters(" in failed[0].source
