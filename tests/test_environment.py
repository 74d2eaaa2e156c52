"""environment.yml (conda) and requirements.txt (pip, what `make` installs) pin the same versions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        specs = dep["pip"] if isinstance(dep, dict) else [dep]
        for spec in specs:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==?\s*([^=\s]+)", spec)
            if match and match.group(1) != "python":
                pins[match.group(1).lower()] = match.group(2)
    return pins


def test_every_requirement_is_pinned_identically_for_conda() -> None:
    assert _environment() == _requirements()


def test_torch_is_the_cpu_wheel_on_disk() -> None:
    assert _requirements()["torch"] == "2.13.0"


def _pyproject() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower().replace("_", "-")


def _imported_packages() -> set[str]:
    """Top-level third-party modules that atlas_core imports anywhere."""
    import ast
    import sys

    found = set()
    for path in (ROOT / "atlas_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"atlas_core"}


def test_every_imported_package_is_declared_in_pyproject() -> None:
    from importlib.metadata import packages_distributions

    project = _pyproject()["project"]
    declared = {_name(s) for s in project["dependencies"]}
    declared |= {_name(s) for extra in project["optional-dependencies"].values() for s in extra}
    distributions = packages_distributions()
    undeclared = {module: distributions[module] for module in _imported_packages()
                  if not {_name(d) for d in distributions.get(module, [module])} & declared}
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_declared_package_is_pinned_in_requirements() -> None:
    project = _pyproject()["project"]
    declared = {_name(s) for s in project["dependencies"]}
    declared |= {_name(s) for extra in project["optional-dependencies"].values() for s in extra}
    assert declared - {name.replace("_", "-") for name in _requirements()} == set()


def test_conda_users_get_the_cpu_build_of_torch_and_jupyterlab() -> None:
    pip_section = next(d["pip"] for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
                       if isinstance(d, dict))
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip_section
    assert "jupyterlab" in _requirements()


def test_make_installs_the_kernel_the_notebooks_name() -> None:
    from atlas_core.book.execute import KERNEL

    assert f"ipykernel install --sys-prefix --name {KERNEL}" in (ROOT / "Makefile").read_text()
