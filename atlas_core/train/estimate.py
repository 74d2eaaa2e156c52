"""How long a run takes on one CPU thread of this machine (for planning and ETAs).

The rates come from ``atlas_core.train.calibrate``: this machine's calibration and the runs it has finished
(``Rates.ladder()`` gives the ladder's constants instead).
"""

from __future__ import annotations

import statistics

from atlas_core.data.mixture import NULL
from atlas_core.model import LADDER, get_scale
from atlas_core.train.calibrate import Rates, machine_rates, parse_shape, shape_of
from atlas_core.train.config import TrainConfig
from atlas_core.train.run_data import eval_languages
from atlas_core.train.schedule import eval_steps

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


def modelled_seconds_per_token(scale_name: str, vocab_size: int, seq_len: int, kind: str, rates: Rates) -> float:
    """CPU-seconds per ``kind`` ("train" or "eval") token from the probes: the byte-vocabulary rate of the scale
    at context 128, rescaled by FLOPs per token for other vocabularies and contexts, plus the memory-bound logit
    cost of the extra vocabulary entries (``LOGIT_SECONDS_PER_ENTRY`` at the ladder's rate, so it scales with
    this machine's speed like the rest). Batch-size effects (about 10-25% below 2K tokens per step at the
    smallest scales) are ignored."""
    scale = get_scale(scale_name)
    actual, reference = scale.config(vocab_size, seq_len), scale.config()
    logits = (vocab_size - reference.vocab_size) * LOGIT_SECONDS_PER_ENTRY * scale.tokens_per_s
    return (actual.flops_per_token / reference.flops_per_token + logits) / rates.byte_rate(scale_name, kind)


def drift(kind: str, rates: Rates) -> float:
    """How much longer than modelled the observed shapes took (median over shapes; 1 with none observed)."""
    ratios = []
    for shape in rates.observed:
        scale, vocab_size, seq_len, _ = parse_shape(shape)
        observed = rates.observed_rate(shape, kind)
        if scale in LADDER and observed is not None:
            ratios.append(1.0 / observed / modelled_seconds_per_token(scale, vocab_size, seq_len, kind, rates))
    return statistics.median(ratios) if ratios else 1.0


def seconds_per_token(cfg: TrainConfig, kind: str, rates: Rates) -> float:
    """CPU-seconds per ``kind`` token of ``cfg``'s shape: what finished runs of the shape measured, else the
    probes' model times the drift the other observed shapes showed."""
    vocab_size = _vocab_size(cfg.tokenizer)
    observed = rates.observed_rate(shape_of(cfg.scale, vocab_size, cfg.seq_len, cfg.batch_size), kind)
    if observed is not None:
        return 1.0 / observed
    return modelled_seconds_per_token(cfg.scale, vocab_size, cfg.seq_len, kind, rates) * drift(kind, rates)


def estimate_seconds(cfg: TrainConfig, rates: Rates | None = None) -> float:
    """CPU-seconds for ``cfg`` on one thread: training and evaluation tokens at ``rates`` (default: this
    machine's, ``calibrate.machine_rates()``) plus the per-run overhead; null rows cost nothing."""
    rates = rates if rates is not None else machine_rates()
    n_steps = cfg.tokens // (cfg.batch_size * cfg.seq_len)
    real_share = 1.0 - cfg.mixture.get(NULL, 0.0) / sum(cfg.mixture.values())
    train_tokens = n_steps * cfg.batch_size * cfg.seq_len * real_share
    n_evals = len(eval_steps(max(1, n_steps), cfg.n_evals, cfg.eval_spacing))
    per_lang = (n_evals - 1) * cfg.eval_tokens + cfg.final_eval_tokens
    eval_tokens = len(eval_languages(cfg)) * per_lang
    return (rates.overhead_s + train_tokens * seconds_per_token(cfg, "train", rates)
            + eval_tokens * seconds_per_token(cfg, "eval", rates))


def refreshed_estimates(cfgs: list[TrainConfig]) -> list[float]:
    """``estimate_seconds`` of each config with the runs observed since the last call: for an ETA that learns
    during a sweep (call it after each finished run for the runs still pending)."""
    machine_rates.cache_clear()
    return [estimate_seconds(cfg) for cfg in cfgs]
