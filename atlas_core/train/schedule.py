"""Learning-rate schedules: WSD (warmup-stable-decay, the paper's), cosine, constant; and the evaluation steps."""

from __future__ import annotations

import math

import numpy as np

from atlas_core.errors import AtlasError

SCHEDULES = ("wsd", "cosine", "constant")


def warmup_steps(n_steps: int, warmup_frac: float, min_warmup_steps: int) -> int:
    """max(min_warmup_steps, warmup_frac * n_steps), never more than half the run."""
    return min(max(min_warmup_steps, round(warmup_frac * n_steps)), n_steps // 2)


def lr_factor(step: int, n_steps: int, *, schedule: str, warmup: int, decay_frac: float,
              min_lr_frac: float) -> float:
    """Multiplier of the peak learning rate for the update that takes ``step`` to ``step + 1`` (0-based)."""
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    if schedule == "wsd":
        decay = max(1, round(decay_frac * n_steps)) if decay_frac > 0 else 0
        remaining = n_steps - step  # updates left, this one included: linear to 0 one step after the last
        return min(1.0, remaining / (decay + 1)) if decay else 1.0
    if schedule == "cosine":
        progress = (step - warmup + 1) / max(1, n_steps - warmup)
        return min_lr_frac + (1.0 - min_lr_frac) * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise AtlasError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")


def lr_phase(step: int, n_steps: int, *, schedule: str, warmup: int, decay_frac: float) -> str:
    """"warmup", "stable" or "decay" for the update at ``step``: WSD rows before the decay are anytime points."""
    if step < warmup:
        return "warmup"
    if schedule == "constant":
        return "stable"
    if schedule == "wsd":
        decay = max(1, round(decay_frac * n_steps)) if decay_frac > 0 else 0
        return "decay" if n_steps - step <= decay else "stable"
    return "decay"


def eval_steps(n_steps: int, n_evals: int, spacing: str) -> list[int]:
    """Steps (1..n_steps) after which to evaluate; the last is always ``n_steps``.

    "log": geometric from 1% of the run (at least step 1); "linear": every ``n_steps / n_evals`` steps.
    Duplicates after rounding are dropped, so a short run may get fewer evaluations.
    """
    if n_evals < 1:
        raise AtlasError(f"n_evals must be >= 1, got {n_evals}")
    if spacing == "log":
        grid = np.geomspace(max(1.0, 0.01 * n_steps), n_steps, n_evals)
    elif spacing == "linear":
        grid = np.linspace(n_steps / n_evals, n_steps, n_evals)
    else:
        raise AtlasError(f"unknown eval_spacing {spacing!r}; choose 'log' or 'linear'")
    steps = sorted({min(n_steps, max(1, int(round(s)))) for s in grid} | {n_steps})
    return steps
