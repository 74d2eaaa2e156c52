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
