"""Language-free control sources for transfer measurements, usable anywhere a language is.

``rand``: i.i.d. uniform bytes 0-255 (structureless; not valid UTF-8). ``utf3``: i.i.d. random 3-byte
pseudo-characters, lead byte uniform over E4-E9 and two continuation bytes uniform over 80-BF (valid UTF-8 in
U+4000-U+9FFF, the byte period of CJK text with no language in it; see pilot-study.md's follow-up). The empty
partner ``null`` is the sampler's business, not a stream. Streams are generated in memory, deterministically
from a fixed seed per (source, split): 8 MiB train and 1 MiB test.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np

from atlas_core.errors import AtlasError

SYNTHETIC_SOURCES = ("utf3", "rand")
SYNTHETIC_BYTES = {"train": 8 << 20, "test": 1 << 20}


@functools.lru_cache(maxsize=4)
def synthetic_bytes(source: str, split: str) -> np.ndarray:
    """The read-only uint8 stream of a control source's split."""
    n = SYNTHETIC_BYTES[split]
    rng = np.random.default_rng(zlib.crc32(f"atlas/{source}/{split}".encode()))
    if source == "rand":
        data = rng.integers(0, 256, n, dtype=np.uint8)
    elif source == "utf3":
        chars = np.empty((n // 3, 3), dtype=np.uint8)
        chars[:, 0] = rng.integers(0xE4, 0xEA, n // 3, dtype=np.uint8)
        chars[:, 1:] = rng.integers(0x80, 0xC0, (n // 3, 2), dtype=np.uint8)
        data = chars.reshape(-1)
    else:
        raise AtlasError(f"unknown control source {source!r}; control sources: {', '.join(SYNTHETIC_SOURCES)}")
    data.flags.writeable = False
    return data
