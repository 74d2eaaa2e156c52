"""Which languages a study may use, how much unique training text each has, and the Unimax weights that follow.

The planner asks a catalog; the default one reads the prepared corpora of :mod:`atlas_core.data`. Tests and
users with their own corpora can pass any object with the same two methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from atlas_core.errors import AtlasError


class Catalog(Protocol):
    def available(self) -> list[str]:
        """Language codes that are prepared and can be trained on now."""

    def train_tokens(self, lang: str, tokenizer: str) -> int:
        """Tokens in the language's training stream under ``tokenizer``."""


class DataCatalog:
    """The prepared corpora of :mod:`atlas_core.data` (``atlas data prepare``)."""

    def available(self) -> list[str]:
        from atlas_core.data import available_languages

        return sorted(available_languages())

    def train_tokens(self, lang: str, tokenizer: str) -> int:
        from atlas_core.data import load_split

        return int(load_split(lang, "train", tokenizer).ids.size)


def require_prepared(catalog: Catalog, langs: list[str], where: str) -> None:
    """Raise ``AtlasError`` for the first language that is not prepared, listing the prepared ones."""
    available = set(catalog.available())
    missing = [lang for lang in langs if lang not in available]
    if missing:
        prepared = ", ".join(sorted(available)) or "none"
        raise AtlasError(f"{where}: language(s) {', '.join(missing)} not prepared (prepared: {prepared}); "
                         f"run `atlas data prepare` or remove them from the profile")


def unimax_mixture(train_tokens: Callable[[str, str], int], langs: list[str], budget: int, *,
                   tokenizer: str = "byte", caps: Mapping[str, int] | None = None, max_epochs: float = 4.0,
                   pinned: Mapping[str, float] | None = None) -> dict[str, float]:
    """Unimax weights (Chung et al. 2023) for a token budget from each language's unique tokens: its cap, else its
    whole training stream (``train_tokens(lang, tokenizer)``, a catalog's). The one resolver of profiles' unimax
    experiments and ``atlas train --mixture unimax:...``."""
    from atlas_core.data.mixture import unimax_weights

    sizes = {lang: (caps or {}).get(lang) or train_tokens(lang, tokenizer) for lang in langs}
    return unimax_weights(sizes, budget, max_epochs=max_epochs, pinned=dict(pinned) if pinned else None)
