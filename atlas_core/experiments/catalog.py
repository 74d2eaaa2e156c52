"""Which languages a study may use, and how much unique training text each has (for Unimax budgets).

The planner asks a catalog; the default one reads the prepared corpora of :mod:`atlas_core.data`. Tests and
users with their own corpora can pass any object with the same two methods.
"""

from __future__ import annotations

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


def check_languages(catalog: Catalog, langs: list[str], where: str) -> None:
    """Raise ``AtlasError`` for the first language that is not prepared, listing the prepared ones."""
    available = set(catalog.available())
    missing = [lang for lang in langs if lang not in available]
    if missing:
        prepared = ", ".join(sorted(available)) or "none"
        raise AtlasError(f"{where}: language(s) {', '.join(missing)} not prepared (prepared: {prepared}); "
                         f"run `atlas data prepare` or remove them from the profile")
