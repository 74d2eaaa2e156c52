"""Check a notebook's parameters at the top, so a bad value fails with one clear line instead of deep in a cell.

Every chapter's second code cell calls :func:`check_parameters` with the values of its ``parameters`` cell (which
papermill may have overridden, e.g. ``papermill ... -p profile quikc``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from atlas_core.errors import AtlasError

PROFILES = ("smoke", "quick", "full")  # study profiles every chapter accepts (``make book PROFILE=...``)


def check_parameters(choices: Mapping[str, Collection] | None = None, **params: object) -> None:
    """Raise a one-line ``AtlasError`` naming the first bad parameter value and the allowed ones.

    Built-in rules: ``profile`` is a study profile; ``seed`` is an integer >= 0; ``n_*`` are integers >= 1.
    ``choices`` maps any other parameter (or overrides a built-in one) to its allowed values; a list- or tuple-valued
    parameter is checked element by element (e.g. ``languages=["en", "fr"]``). A parameter with no rule is an error,
    so a typo in a notebook's call cannot silently skip a check.
    """
    choices = dict(choices or {})
    for name, value in params.items():
        if name in choices:
            _check_choice(name, value, choices[name])
        elif name == "profile":
            _check_choice(name, value, PROFILES)
        elif name == "seed":
            _check_int(name, value, minimum=0)
        elif name.startswith("n_"):
            _check_int(name, value, minimum=1)
        else:
            raise AtlasError(f"check_parameters: no rule for parameter {name!r}; pass choices={{{name!r}: [...]}}")


def _check_choice(name: str, value: object, allowed: Collection) -> None:
    allowed = list(allowed)
    values = value if isinstance(value, (list, tuple)) else [value]
    if isinstance(value, (list, tuple)) and not value:
        raise AtlasError(f"parameter {name}=[] is empty; choose from: {_listing(allowed)}")
    for item in values:
        if item not in allowed:
            shown = f"{name}={value!r}" if values is not value else f"{name} contains {item!r}"
            raise AtlasError(f"parameter {shown} is not one of: {_listing(allowed)}")


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AtlasError(f"parameter {name}={value!r} must be an integer >= {minimum}")


def _listing(allowed: list) -> str:
    return ", ".join(str(a) for a in allowed)
