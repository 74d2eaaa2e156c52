"""Learning curves as tables: validation, monotone fits and interpolation in log-tokens.

A curve is a table with a token column and a loss column (one row per evaluation). Every helper interpolates
linearly in log-tokens, the axis on which learning curves are closest to straight lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError


SECOND_DESCENT = 0.1  # a descent after the plateau counts if it drops >= this share as fast as the first one


class NotReachedError(AtlasError):
    """A curve never reaches the requested loss within its evaluated range."""


def show(value) -> str:
    """A cell value for an error message (numpy scalars shown as plain Python values)."""
    return repr(value.item() if hasattr(value, "item") else value)


def as_curve(df: pd.DataFrame, *, x: str = "tokens", y: str = "loss",
             what: str = "curve") -> tuple[np.ndarray, np.ndarray]:
    """Sorted (tokens, loss) arrays of a curve table; repeated token values are averaged.

    Raises ``AtlasError`` naming the column and the first bad row for missing columns, non-numeric, NaN or
    non-positive values, or an empty table.
    """
    for col in (x, y):
        if col not in df.columns:
            raise AtlasError(f"{what}: missing column '{col}' (columns: {', '.join(map(str, df.columns))})")
    if df.empty:
        raise AtlasError(f"{what}: no rows")
    for col, positive in ((x, True), (y, False)):
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | ((values <= 0) if positive else False)
        if bad.any():
            i = int(np.argmax(bad))
            rule = "a finite positive number" if positive else "a finite number"
            raise AtlasError(f"{what}: column '{col}' must be {rule}; row {df.index[i]!r} has {show(df[col].iloc[i])}")
    grouped = df.groupby(x, sort=True)[y].mean()
    return grouped.index.to_numpy(dtype=float), grouped.to_numpy(dtype=float)


def isotonic_decreasing(y: np.ndarray) -> np.ndarray:
    """The least-squares non-increasing fit to ``y`` (pool-adjacent-violators).

    Unlike a running minimum, which is biased towards the lowest noise draw, the isotonic fit averages noisy
    stretches, so a single lucky evaluation does not move the point where a curve "first" reaches a loss.
    """
    blocks: list[list[float]] = []  # [mean, weight]
    for value in np.asarray(y, dtype=float):
        blocks.append([value, 1.0])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            (m2, w2), (m1, w1) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2])
    return np.concatenate([np.full(int(w), m) for m, w in blocks])


def monotone(loss: np.ndarray, method: str = "isotonic") -> np.ndarray:
    """A non-increasing version of a noisy loss curve: ``"isotonic"`` (default), ``"cummin"`` or ``"none"``."""
    if method == "isotonic":
        return isotonic_decreasing(loss)
    if method == "cummin":
        return np.minimum.accumulate(np.asarray(loss, dtype=float))
    if method == "none":
        return np.asarray(loss, dtype=float)
    raise AtlasError(f"unknown monotone method {method!r}: use 'isotonic', 'cummin' or 'none'")


def loss_at(tokens: np.ndarray, loss: np.ndarray, at: float) -> float:
    """The loss of a curve at ``at`` tokens, interpolated linearly in log-tokens (no extrapolation)."""
    tokens = np.asarray(tokens, dtype=float)
    if not tokens[0] <= at <= tokens[-1]:
        raise AtlasError(f"{at:g} tokens is outside the curve's evaluated range [{tokens[0]:g}, {tokens[-1]:g}]")
    return float(np.interp(np.log(at), np.log(tokens), np.asarray(loss, dtype=float)))


def tokens_to_reach(tokens: np.ndarray, loss: np.ndarray, target: float, *, method: str = "isotonic") -> float:
    """The tokens at which a curve first reaches ``target`` loss (the paper's sigma(l)).

    The curve is first made non-increasing (``method``, see :func:`monotone`), then the first evaluation at or
    below the target and the one before it are interpolated linearly in log-tokens. Raises
    :class:`NotReachedError` when the curve stays above the target, or is already below it at its first
    evaluation (the crossing is then not measured).
    """
    tokens = np.asarray(tokens, dtype=float)
    fit = monotone(loss, method)
    below = np.flatnonzero(fit <= target)
    if below.size == 0:
        raise NotReachedError(
            f"the curve never reaches loss {target:.4f}: its lowest (monotone) loss is {fit[-1]:.4f} "
            f"at {tokens[-1]:g} tokens; train it longer or choose a shorter reference horizon")
    i = int(below[0])
    if i == 0:
        raise NotReachedError(
            f"the curve is already at {fit[0]:.4f} <= {target:.4f} at its first evaluation ({tokens[0]:g} "
            f"tokens), so the crossing is not measured; evaluate earlier")
    frac = (fit[i - 1] - target) / (fit[i - 1] - fit[i])
    log_t = np.log(tokens[i - 1]) + frac * (np.log(tokens[i]) - np.log(tokens[i - 1]))
    return float(np.exp(log_t))


def plateau_end(tokens: np.ndarray, loss: np.ndarray, *, margin: float = 0.1) -> float:
    """The tokens at which a learning curve leaves its initial plateau; NaN when it has not left it by its end.

    A byte-level model first learns byte frequencies (a fast first descent), then sits on a plateau until it
    learns to use context, and then descends again. Operationally, on the monotone (isotonic) curve with
    evaluations in increasing tokens:

    1. the *first descent* is the interval between consecutive evaluations with the largest loss drop per e-fold
       of tokens, and it lasts while the drop per e-fold keeps shrinking; the *second descent* is the steepest
       interval after that, and counts only if it drops at least :data:`SECOND_DESCENT` (a tenth) as fast as the
       first (else the run ends on the plateau);
    2. the *plateau* is the interval between the two with the smallest drop per e-fold; its level ``L_p`` is the
       loss at its start (searching only before the second descent keeps a flat tail after it out);
    3. the plateau *ends* where the loss first falls below ``L_p - margin * (L_p - L_final)`` (interpolated in log
       tokens, as :func:`tokens_to_reach`), ``L_final`` the curve's last loss.

    The threshold is a share of the drop still to come rather than an absolute loss, because plateau levels and
    final losses differ by language and model size; 10% of a drop of about half a nat is well above the seed noise
    of a final loss (about 0.01), yet marks the beginning of the second descent, not its middle. NaN when the run
    has no plateau between two descents (it ends in its first descent or on the plateau).
    Evaluations of a learning-rate decay should be left out by the caller: its drop is the schedule's.
    """
    tokens, loss = np.asarray(tokens, dtype=float), np.asarray(loss, dtype=float)
    if tokens.size != loss.size or tokens.size < 3:
        raise AtlasError(f"plateau_end needs three or more evaluations with a loss each, got {tokens.size}")
    if not 0 < margin < 1:
        raise AtlasError(f"plateau_end: margin must be in (0, 1), got {margin!r}")
    if not (np.all(np.isfinite(loss)) and np.all(tokens > 0) and np.all(np.diff(tokens) > 0)):
        raise AtlasError("plateau_end needs finite losses at positive, strictly increasing tokens")
    fit = isotonic_decreasing(loss)
    drop = -np.diff(fit) / np.diff(np.log(tokens))  # loss drop per e-fold of tokens, per interval
    first = int(np.argmax(drop))
    bottom = first + 1
    while bottom + 1 < drop.size and drop[bottom + 1] < drop[bottom]:
        bottom += 1
    if bottom + 1 >= drop.size:
        return float("nan")
    second = bottom + 1 + int(np.argmax(drop[bottom + 1:]))
    if drop[second] < SECOND_DESCENT * drop[first]:
        return float("nan")
    start = first + 1 + int(np.argmin(drop[first + 1:second]))
    target = fit[start] - margin * (fit[start] - fit[-1])
    return tokens_to_reach(tokens[start:], fit[start:], target, method="none")
