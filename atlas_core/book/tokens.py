"""How long a tokenizer's tokens are on each language: bytes per token of the training split."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from atlas_core.data import load_split


def bytes_per_token(sources: Sequence[str], tokenizer: str) -> pd.Series:
    """UTF-8 bytes per ``tokenizer`` token on each source's training split (1 at byte level)."""
    splits = {source: load_split(source, "train", tokenizer) for source in sources}
    return pd.Series({source: s.n_bytes / len(s.ids) for source, s in splits.items()},
                     name=f"bytes per {tokenizer} token")
