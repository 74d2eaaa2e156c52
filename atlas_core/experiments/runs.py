"""What a study is made of: runs (one training configuration each) and the uses experiments make of them.

A run's identity is its :class:`~atlas_core.train.config.TrainConfig` (its hash): when two experiments ask for
the same configuration (the monolingual es run used by the scaling grid and as a crossover "scratch" curve), it
is trained once and carries one :class:`Use` per experiment. A finetune names its base run,
``init_from = RunRef(<base run id>)``, so its identity does not depend on where the store lives; the worker
resolves it to the base run's ``model.pt`` just before training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from atlas_core.train.config import CONTROL_SOURCES, RunRef, TrainConfig


@dataclass(frozen=True)
class Use:
    """One experiment's use of a run: which experiment and kind, in which role, for which target and partner."""

    experiment: str
    kind: str
    role: str
    target: str | None = None
    partner: str | None = None


@dataclass(frozen=True)
class RunRequest:
    """A configuration one experiment needs, with the use it makes of it."""

    config: TrainConfig
    use: Use
    mixture_kind: str


@dataclass
class PlannedRun:
    """A distinct configuration of the plan with every use of it; ``depends_on`` is a finetune's base run."""

    run_id: str
    config: TrainConfig
    uses: list[Use]
    mixture_kind: str
    depends_on: str | None = None
    est_seconds: float = field(default=float("nan"))

    @property
    def kinds(self) -> list[str]:
        return sorted({u.kind for u in self.uses})

    @property
    def experiments(self) -> list[str]:
        return sorted({u.experiment for u in self.uses})


def format_tokens(n: float) -> str:
    """A short human form of a token count: 1500000 -> '1.5M', 750000 -> '750K'."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.4g}{unit}"
    return f"{int(n)}"


def mixture_label(mixture: dict[str, float]) -> str:
    """The mixture as a stable string, e.g. 'es:0.5,pt:0.5' (sources by decreasing weight, then name)."""
    items = sorted(((s, w) for s, w in mixture.items() if w > 0), key=lambda sw: (-sw[1], sw[0]))
    return ",".join(f"{s}:{w:.4g}" for s, w in items)


def language_count(mixture: dict[str, float]) -> int:
    """Languages in a mixture (control sources such as null or utf3 are not languages)."""
    return sum(1 for s, w in mixture.items() if w > 0 and s not in CONTROL_SOURCES)


def mixture_kind(mixture: dict[str, float], *, unimax: bool = False) -> str:
    """The mixture's class for the paper's R²(M) split.

    "mono" (one language, repeated or not), "control-<sources>" (a language with control partners),
    "unimax", "bilingual" (two languages, equal weights), "uniform-<K>" (K > 2 languages, equal weights),
    or "weighted" (anything else).
    """
    active = {s: w for s, w in mixture.items() if w > 0}
    controls = sorted(s for s in active if s in CONTROL_SOURCES)
    if controls:
        return "control-" + "+".join(controls)
    if len(active) == 1:
        return "mono"
    if unimax:
        return "unimax"
    if max(active.values()) - min(active.values()) <= 1e-12 * max(active.values()):
        return "bilingual" if len(active) == 2 else f"uniform-{len(active)}"
    return "weighted"


def run_id_for(config: TrainConfig) -> str:
    """A readable, unique id: scale, mixture, unique cap, tokenizer (unless bytes), tokens, seed and the hash.

    E.g. ``100k-es+pt-3M-s0-1a2b3c4d5e6f``, ``25k-es-u100K-1M-s0-...``, ``100k-ft-es-3M-s1-...``,
    ``100k-es+pt-spm-shared-4096-1.5M-s0-...``; the hash makes it unique, the rest makes it legible.
    """
    active = [s for s, _ in sorted(config.mixture.items(), key=lambda sw: (-sw[1], sw[0])) if _ > 0]
    mix = "+".join(active) if len(active) <= 2 else f"{len(active)}mix"
    parts = [config.scale] + (["ft"] if config.init_from else []) + [mix]
    if config.unique_tokens:
        parts.append("u" + format_tokens(min(config.unique_tokens.values())))
    if config.tokenizer != "byte":
        parts.append(config.tokenizer)
    parts += [format_tokens(config.tokens), f"s{config.seed}", config.config_hash()]
    return re.sub(r"[^A-Za-z0-9+._-]", "_", "-".join(parts))


def base_run_of(config: TrainConfig) -> str | None:
    """The base run id a finetune of the study starts from (``init_from = RunRef(id)``), else None."""
    return config.init_from.run_id if isinstance(config.init_from, RunRef) else None
