"""Check a notebook's parameters at the top, so a bad value fails with one clear line instead of deep in a cell.

Every chapter's second code cell calls :func:`check_parameters` with the values of its ``parameters`` cell (which
papermill may have overridden, e.g. ``papermill ... -p profile quikc``). Types are checked before values:
``papermill ... -p languages es`` gives the string ``"es"``, not the list a ``list[str]`` parameter needs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from atlas_core.errors import AtlasError

# The type of every notebook parameter, as its ``parameters`` cell declares it (tests/test_book_helpers.py checks
# that the notebooks agree); names starting with ``n_`` are counts (int).
PARAMETER_TYPES: dict[str, type] = {"profile": str, "target": str, "regime": str, "languages": list, "seed": int}
COUNT_PREFIX = "n_"
# How to pass a value of each type on papermill's command line (-p parses numbers, -y parses YAML).
_PAPERMILL_HINT = {list: "-y '{name}: [a, b]'", int: "-p {name} 3", str: "-p {name} text"}


def parameter_type(name: str) -> type:
    """The declared type of a notebook parameter, else ``AtlasError``."""
    if name.startswith(COUNT_PREFIX):
        return int
    if name not in PARAMETER_TYPES:
        raise AtlasError(f"check_parameters: no type for parameter {name!r}; add it to PARAMETER_TYPES "
                         f"in {__name__}")
    return PARAMETER_TYPES[name]


def check_parameters(choices: Mapping[str, Collection] | None = None, **params: object) -> None:
    """Raise a one-line ``AtlasError`` naming the first bad parameter (wrong type, or a value not allowed).

    Every parameter must have its declared type (:data:`PARAMETER_TYPES`). Built-in value rules: ``profile`` is a
    bundled study profile or the path of a profile YAML file; ``seed`` is >= 0; ``n_*`` are >= 1. ``choices`` maps
    any other parameter (or overrides a built-in one) to its allowed values; a list parameter is checked element
    by element (e.g. ``languages=["en", "fr"]``). A parameter with no rule is an error, so a typo in a notebook's
    call cannot silently skip a check.
    """
    choices = dict(choices or {})
    for name, value in params.items():
        _check_type(name, value, parameter_type(name))
        if name in choices:
            _check_choice(name, value, choices[name])
        elif name == "profile":
            _check_profile(value)
        elif name == "seed":
            _check_minimum(name, value, 0)
        elif name.startswith(COUNT_PREFIX):
            _check_minimum(name, value, 1)
        else:
            raise AtlasError(f"check_parameters: no rule for parameter {name!r}; pass choices={{{name!r}: [...]}}")


def _check_type(name: str, value: object, expected: type) -> None:
    wrong = isinstance(value, bool) or not isinstance(value, expected)  # True is an int to Python, not to us
    if wrong:
        hint = _PAPERMILL_HINT[expected].format(name=name)
        raise AtlasError(f"parameter {name}={value!r} must be {_article(expected)} {expected.__name__} "
                         f"(with papermill: {hint})")


def _check_profile(value: str) -> None:
    from atlas_core.experiments.profile import bundled_profiles, load_profile

    if Path(value).suffix:  # a profile file: it must load (load_profile names what is wrong with it)
        try:
            load_profile(value, gpu=False)
        except UnicodeDecodeError:
            raise AtlasError(f"profile {value}: not a text file (a profile is YAML)") from None
    elif value not in bundled_profiles():
        raise AtlasError(f"parameter profile={value!r} is not one of: {_listing(bundled_profiles())} "
                         f"(or the path of a profile YAML file)")


def _check_choice(name: str, value: object, allowed: Collection) -> None:
    allowed = list(allowed)
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        raise AtlasError(f"parameter {name}=[] is empty; choose from: {_listing(allowed)}")
    for item in values:
        if item not in allowed:
            shown = f"{name}={value!r}" if values is not value else f"{name} contains {item!r}"
            raise AtlasError(f"parameter {shown} is not one of: {_listing(allowed)}")


def _check_minimum(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise AtlasError(f"parameter {name}={value!r} must be an integer >= {minimum}")


def _article(kind: type) -> str:
    return "an" if kind.__name__[0] in "aeiou" else "a"


def _listing(allowed: list) -> str:
    return ", ".join(str(a) for a in allowed)
