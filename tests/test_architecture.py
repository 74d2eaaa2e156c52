"""The one-direction flow of the package, checked on the source: data -> model, train -> experiments ->
analysis, laws, fit -> book. Laws, fitting, analyses and published numbers are pure math on tables."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "atlas_core"

# layer -> packages (under atlas_core) and third-party roots it must never import
FORBIDDEN: dict[str, set[str]] = {
    "laws": {"torch", "atlas_core.model", "atlas_core.train", "atlas_core.experiments", "atlas_core.data",
             "atlas_core.book", "atlas_core.analysis", "atlas_core.fit"},
    "fit": {"torch", "atlas_core.model", "atlas_core.train", "atlas_core.experiments", "atlas_core.data",
            "atlas_core.book", "atlas_core.analysis"},
    "analysis": {"torch", "atlas_core.model", "atlas_core.train", "atlas_core.experiments", "atlas_core.data",
                 "atlas_core.book"},
    "published": {"torch", "atlas_core.model", "atlas_core.train", "atlas_core.experiments", "atlas_core.data",
                  "atlas_core.book", "atlas_core.analysis"},
    "data": {"atlas_core.model", "atlas_core.train", "atlas_core.experiments", "atlas_core.analysis",
             "atlas_core.laws", "atlas_core.fit", "atlas_core.book"},
    "model": {"atlas_core.data", "atlas_core.train", "atlas_core.experiments", "atlas_core.analysis",
              "atlas_core.laws", "atlas_core.fit", "atlas_core.book"},
    "train": {"atlas_core.experiments", "atlas_core.analysis", "atlas_core.laws", "atlas_core.fit",
              "atlas_core.book"},
    "findings": {"torch", "atlas_core.model", "atlas_core.train", "atlas_core.experiments", "atlas_core.data",
                 "atlas_core.book"},
    "experiments": {"atlas_core.book", "atlas_core.findings", "atlas_core.analysis", "atlas_core.laws",
                    "atlas_core.fit"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _layer_files(layer: str) -> list[Path]:
    module, package = PACKAGE / f"{layer}.py", PACKAGE / layer
    return [module] if module.exists() else sorted(package.rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_comes_before_it(layer: str) -> None:
    files = _layer_files(layer)
    if not files:
        pytest.skip(f"atlas_core/{layer} has no modules yet")
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in sorted(_imports(path))
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer])
    ]
    assert not offences, "layering broken:\n" + "\n".join(offences)
