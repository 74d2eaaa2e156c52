"""The named ladder of model scales: tiny byte-level GPTs from about 10K to 10M non-embedding parameters.

The paper's Table B.3 idea at laptop scale. Names give the non-embedding parameter count at the byte vocabulary
(``N``, what the laws use). Shapes keep the pilot's head dimension 16 up to 100k and use 32 from d=96 on, which
is faster on CPU (200k is d96 L2 rather than d80 L3 for that reason). ``tokens_per_s`` is the measured training
throughput of one process on one CPU thread, byte vocabulary, batch 16 x 128, in the training environment
(``benchmarks/bench_train.py``); the scales marked ``gpu_only`` (head dimension 64) are too slow for this CPU and
their figure is extrapolated from the FLOP rate of the 10m scale. Plans do not use these figures as they are: they
are the reference that ``atlas_core.train.calibrate`` rescales to the machine a plan is made on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from atlas_core.errors import AtlasError
from atlas_core.model.gpt import GPTConfig


@dataclass(frozen=True)
class Scale:
    """One rung of the ladder: the model shape and its measured CPU training throughput."""

    name: str
    d_model: int
    n_layer: int
    n_head: int
    tokens_per_s: float          # 1 CPU thread, byte vocabulary, batch 16 x 128
    gpu_only: bool = False

    def config(self, vocab_size: int = 256, seq_len: int = 128, dropout: float = 0.0) -> GPTConfig:
        """The ``GPTConfig`` of this scale for a vocabulary and context length."""
        return GPTConfig(vocab_size=vocab_size, seq_len=seq_len, d_model=self.d_model, n_layer=self.n_layer,
                         n_head=self.n_head, dropout=dropout)

    @property
    def n_params_non_embedding(self) -> int:
        return self.config().n_params_non_embedding


_CPU_SCALES = [
    # name, d, L, H, training tokens/s on one thread in atlas_core.train.runtime.environment() (malloc settings,
    # MKL's AVX-512 kernels): benchmarks/bench_train.py, 2026-11-29, the project's 2-core AMD EPYC (Zen 5)
    # machine while quiet (fp32 matmul 240 GFLOP/s per core with those kernels, 105 without)
    Scale("7k", 24, 1, 2, 420_000),   # added 2026-12-06 to widen the study's ladder; rate extrapolated (the
                                      # machine calibration's probes set planned rates, not this constant)
    Scale("10k", 32, 1, 2, 369_000),
    Scale("25k", 32, 2, 2, 230_000),
    Scale("50k", 48, 2, 3, 154_000),
    Scale("100k", 64, 2, 4, 115_000),
    Scale("200k", 96, 2, 3, 79_000),
    Scale("300k", 96, 3, 3, 54_300),
    Scale("1m", 128, 5, 4, 21_800),
    Scale("3m", 256, 4, 8, 8_180),
    Scale("10m", 384, 6, 12, 2_780),
]


def _gpu_scale(name: str, d_model: int, n_layer: int, n_head: int) -> Scale:
    """A GPU rung; its CPU rate is the largest CPU rung's FLOP rate divided by its FLOPs per token."""
    largest = _CPU_SCALES[-1]
    flop_rate = largest.tokens_per_s * largest.config().flops_per_token
    shape = Scale(name, d_model, n_layer, n_head, 0.0, gpu_only=True)
    return dataclasses.replace(shape, tokens_per_s=flop_rate / shape.config().flops_per_token)


_SCALES = _CPU_SCALES + [_gpu_scale("30m", 512, 10, 8), _gpu_scale("100m", 768, 14, 12)]
LADDER: dict[str, Scale] = {s.name: s for s in _SCALES}


def get_scale(name: str) -> Scale:
    """The ladder rung called ``name``; ``AtlasError`` listing the names if there is none."""
    if name not in LADDER:
        raise AtlasError(f"unknown model scale {name!r}; ladder: {', '.join(LADDER)}")
    return LADDER[name]
