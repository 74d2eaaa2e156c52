"""How long a run takes on one CPU thread, from the ladder's measured throughput (for planning and ETAs)."""

from __future__ import annotations

from atlas_core.data.mixture import NULL
from atlas_core.model import get_scale
from atlas_core.train.config import TrainConfig
from atlas_core.train.corpus import eval_languages
from atlas_core.train.schedule import eval_steps

# Cost of one held-out token relative to one training token (forward only, large batches, no optimizer), and
# the fixed cost of a run (model build, data, first-step warmup): measured by benchmarks/bench_train.py.
EVAL_COST = 0.35
RUN_OVERHEAD_S = 1.0
# Beyond the byte vocabulary, the logits' softmax, cross-entropy and gradient cost memory traffic per vocabulary
# entry and token that FLOPs do not count: 8e-9 s, from the quick profile's spm-shared-4096 runs at 100k
# (2.4x their FLOP-scaled estimate; cpu-training.md's 4.4x slowdown at V=4096 for 100k agrees).
LOGIT_SECONDS_PER_ENTRY = 8e-9


def _vocab_size(tokenizer: str) -> int:
    if tokenizer == "byte":
        return 256
    tail = tokenizer.rsplit("-", 1)[-1]
    if tail.isdigit():  # SentencePiece names end in their vocabulary size (atlas_core.data.tokenizers)
        return int(tail)
    from atlas_core.data import get_tokenizer

    return get_tokenizer(tokenizer).vocab_size


def estimate_seconds(cfg: TrainConfig) -> float:
    """Seconds for ``cfg`` on one CPU thread: training and evaluation tokens at the scale's measured rate.

    The ladder's rate (byte vocabulary, context 128) is rescaled by FLOPs per token for other vocabularies and
    contexts, plus the memory-bound logit cost of the extra vocabulary entries; null rows cost nothing. Batch-size effects (about 10-25% below 2K tokens per step at the smallest
    scales) are ignored.
    """
    scale = get_scale(cfg.scale)
    reference = scale.config()
    actual = scale.config(_vocab_size(cfg.tokenizer), cfg.seq_len)
    seconds_per_token = (actual.flops_per_token / reference.flops_per_token / scale.tokens_per_s
                         + (actual.vocab_size - reference.vocab_size) * LOGIT_SECONDS_PER_ENTRY)
    n_steps = cfg.tokens // (cfg.batch_size * cfg.seq_len)
    real_share = 1.0 - cfg.mixture.get(NULL, 0.0) / sum(cfg.mixture.values())
    train_tokens = n_steps * cfg.batch_size * cfg.seq_len * real_share
    n_evals = len(eval_steps(max(1, n_steps), cfg.n_evals, cfg.eval_spacing))
    per_lang = (n_evals - 1) * cfg.eval_tokens + cfg.final_eval_tokens
    eval_tokens = len(eval_languages(cfg)) * per_lang
    return RUN_OVERHEAD_S + seconds_per_token * (train_tokens + EVAL_COST * eval_tokens)
