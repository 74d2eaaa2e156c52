"""What one training run is (``TrainConfig``) and what it reports (``ROW_COLUMNS``).

This is the contract between the trainer and the study runner: the runner builds ``TrainConfig`` objects from
declarative experiment specs, ``atlas_core.train.train(cfg)`` turns one into a table of evaluation rows, and the
results store keeps those rows. Fields may be added; none may be renamed without bumping ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

SCHEMA_VERSION = 1
# A run's workdir: its record (status, rows checksum, device, ...), its rows, its resume point and its model.
RUN_RECORD, ROWS, CHECKPOINT, MODEL = "run.json", "rows.csv", "checkpoint.pt", "model.pt"

# Mixture sources that are not languages (usable anywhere a language is, see atlas_core.data):
#   "null"  - an empty share of every batch: the same optimizer steps with no partner gradient (the zero point
#             of transfer measurements);
#   "utf3"  - language-free random 3-byte pseudo-characters (UTF-8 lead E4-E9 + two continuation bytes);
#   "rand"  - i.i.d. uniform random bytes.
CONTROL_SOURCES = ("null", "utf3", "rand")


@dataclass(frozen=True)
class RunRef:
    """Another run's final model, by run id: a finetune's ``init_from`` in a study. The study runner resolves it to
    that run's ``model.pt`` just before training, so the finetune's identity does not depend on where the results
    live; the trainer itself needs a path."""

    run_id: str

    def __str__(self) -> str:
        return f"run:{self.run_id}"


@dataclass
class TrainConfig:
    """One training run: a model scale, a mixture over sources, a token budget and an optimizer schedule."""

    scale: str                                   # name on the model ladder (atlas_core.model.ladder), e.g. "100k"
    mixture: dict[str, float]                    # source -> sampling weight (languages or CONTROL_SOURCES)
    tokens: int                                  # training budget: tokens processed, all sources incl. "null"
    unique_tokens: dict[str, int] = field(default_factory=dict)  # source -> unique-token cap U (absent: all)
    eval_langs: list[str] = field(default_factory=list)  # held-out languages to evaluate (default: mixture's)
    n_evals: int = 20                            # evaluations along training (each one row per eval language)
    eval_spacing: str = "log"                    # "log" or "linear" spacing of the evaluation steps
    eval_tokens: int = 32_768                    # held-out tokens per language at intermediate evaluations
    final_eval_tokens: int = 131_072             # held-out tokens per language at the final evaluation
    batch_size: int = 16                         # sequences per optimizer step
    seq_len: int = 128                           # context length
    lr: float = 3e-3                             # peak learning rate (AdamW)
    schedule: str = "wsd"                        # "wsd" (warmup-stable-decay), "cosine" or "constant"
    warmup_frac: float = 0.03                    # fraction of steps spent warming up
    decay_frac: float = 0.1                      # WSD: final fraction of steps with linear decay to 0
    min_lr_frac: float = 0.1                     # cosine: final lr as a fraction of the peak
    weight_decay: float = 0.1                    # AdamW weight decay on 2-D weights only
    grad_clip: float = 1.0                       # global gradient-norm clip
    dropout: float = 0.0
    tokenizer: str = "byte"                      # "byte" or a SentencePiece vocabulary name (atlas_core.data)
    init_from: str | RunRef | None = None        # model.pt to continue from (finetuning: schedule reset)
    seed: int = 0                                # model init and data order
    max_epochs: float | None = None              # refuse a budget that repeats any source more (1.0: no repetition)
    min_warmup_steps: int = 10                   # warmup lasts max(min_warmup_steps, warmup_frac * steps) steps
    device: str = "auto"                         # "auto" (CUDA if present, else CPU), "cpu" or "cuda"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            from atlas_core.errors import AtlasError

            raise AtlasError(f"unknown training setting(s): {', '.join(unknown)}")
        if isinstance(data.get("init_from"), dict):  # a RunRef, as to_dict writes it
            data = {**data, "init_from": RunRef(**data["init_from"])}
        return cls(**data)

    def config_hash(self) -> str:
        """A short stable hash of every setting that changes the numbers (not the device); equivalent mixtures
        (``{"es": 1}``, ``{"es": 0.5}``) hash alike."""
        payload = {k: v for k, v in self.to_dict().items() if k != "device"}
        payload["mixture"] = canonical_mixture(self.mixture)
        if isinstance(self.init_from, RunRef):
            payload["init_from"] = str(self.init_from)
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def canonical_mixture(mixture: dict[str, float]) -> dict[str, float]:
    """The mixture as shares of each batch: weights scaled to sum to 1. A mixture whose weights already sum to 1
    (up to 1e-9: every profile's) is returned as it is, so the hashes of existing runs do not change."""
    total = sum(mixture.values())
    if total <= 0 or abs(total - 1.0) <= 1e-9:
        return dict(mixture)
    return {source: weight / total for source, weight in mixture.items()}


# One row per (evaluation step, evaluation language). Per-source columns are repeated for every source s of the
# mixture: f"D_{s}" tokens of s seen so far, f"U_{s}" unique tokens of s available (the cap, or the whole train
# stream), f"epochs_{s}" = D_s / U_s.
ROW_COLUMNS: dict[str, str] = {
    "run_id": "identifier of the run (given by the caller)",
    "scale": "model ladder name",
    "N": "non-embedding parameters (what the laws call N)",
    "N_total": "all parameters, embeddings included",
    "step": "optimizer steps taken",
    "tokens": "tokens processed so far, all sources (steps x batch_size x seq_len, the null share included)",
    "eval_lang": "held-out language of this row",
    "loss": "held-out cross-entropy, nats per token",
    "bpb": "held-out bits per UTF-8 byte (vocabulary-insensitive)",
    "eval_tokens": "held-out tokens scored for this row",
    "is_final": "True for the evaluation at the end of training",
    "wall_s": "seconds since the start of training (excluding evaluation)",
    "lr": "learning rate of the last update before this evaluation",
    "phase": "schedule phase of that update: warmup, stable or decay (WSD rows before the decay are anytime points)",
    "loss_vi": "vocabulary-insensitive held-out loss (Tao et al. 2024): loss minus the unigram model's, nats/token",
}
PER_SOURCE_PREFIXES = ("D_", "U_", "epochs_")
