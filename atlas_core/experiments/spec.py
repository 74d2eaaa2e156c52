"""The values a profile holds, parsed and checked: the ``Profile`` itself, token counts, seeds.

Shared by the profile loader (:mod:`atlas_core.experiments.profile`) and the experiment kinds
(:mod:`atlas_core.experiments.kinds`), which the loader uses to check each experiment: this module imports neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from atlas_core.errors import AtlasError

_TOKEN_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9}


@dataclass(frozen=True)
class Profile:
    """A parsed, structurally validated profile (languages and scales are checked when it is planned)."""

    name: str
    description: str
    seeds: tuple[int, ...]
    train: dict
    experiments: dict[str, dict]
    path: Path | None = field(default=None, compare=False)


def parse_tokens(value, where: str) -> int:
    """A token count from an int or a string like ``"1.5M"``, ``"500K"`` or ``"2_000_000"``."""
    if isinstance(value, bool):
        raise AtlasError(f"{where}: expected a token count, got {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][0-9]+)?)\s*([KMGB]?)\s*", str(value).upper())
        if not match:
            raise AtlasError(f"{where}: expected a token count like 3000000 or '3M', got {value!r}")
        number = float(match.group(1).replace("_", "")) * _TOKEN_SUFFIX[match.group(2)]
    if number <= 0 or number != int(number):
        raise AtlasError(f"{where}: a token count must be a positive whole number, got {value!r}")
    return int(number)


def check_seeds(seeds, where: str) -> list[int]:
    """A non-empty list of integer seeds, else ``AtlasError``."""
    if not isinstance(seeds, list) or not seeds or not all(type(s) is int for s in seeds):
        raise AtlasError(f"{where}: seeds must be a non-empty list of integers, got {seeds!r}")
    return seeds
