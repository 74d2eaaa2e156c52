"""The finetuning adaptation score (FAS) and the curve features of the paper's appendix B.5-B.6.

A finetune continues pretraining a multilingual base model on one source language s and evaluates every target
t along the way. With L_t^base the base checkpoint's loss on t (a constant here: our base is not trained further)
and L_{s->t}(d) the finetune's loss on t after d finetuning tokens:

    FAS(s->t)   = (1/d_max) * integral_0^d_max [L_t^base - L_{s->t}(d)] dd        (positive: s helps t)
    delta(s->t) = L_{s->t}(d_max) - L_t^base                                          (negative: s helps t)
    g_l         = FAS(l->l)                                                           (self-adaptation gain)

The integral starts at d = 0 with the base's loss (the finetune starts from the base weights) and uses the
trapezoid rule over the evaluations. The features of Eqs. 5-6 standardise g globally and delta per target over
sources: x(s->t) = [g~_s, g~_t, g~_s - g~_t, delta~(s->t)]. (The paper's random-forest imputation of BTS from
these features is not included.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.analysis.curves import as_curve
from atlas_core.errors import AtlasError, require_columns

FINETUNE_KEYS = ("scale", "source", "target", "seed")


def fas(curve: pd.DataFrame, base_loss: float, *, d_max: float | None = None, loss: str = "loss") -> float:
    """FAS of one finetune curve (columns ``tokens``, ``loss``: finetuning tokens and loss on one target).

    ``d_max`` defaults to the curve's last evaluation; evaluations beyond it are ignored.
    """
    tokens, values = as_curve(curve, y=loss, what="finetune curve")
    horizon = float(tokens[-1] if d_max is None else d_max)
    if not tokens[0] <= horizon <= tokens[-1]:
        raise AtlasError(f"d_max={horizon:g} is outside the finetune curve's range [{tokens[0]:g}, {tokens[-1]:g}]")
    keep = tokens <= horizon
    x = np.concatenate([[0.0], tokens[keep]])
    gap = base_loss - np.concatenate([[base_loss], values[keep]])
    return float(np.trapezoid(gap, x) / horizon)


def finetune_scores(curves: pd.DataFrame, base: pd.DataFrame, *, source: str = "target",
                    loss: str = "loss") -> pd.DataFrame:
    """FAS and delta of every (scale, source, target, seed) finetune curve.

    ``curves``: evaluation rows of the finetune runs with columns ``source`` (the column naming the finetuning
    language: by default ``target``, as in ``Study.rows(kind="finetune")`` where a finetune's target is the
    language it trains on), ``eval_lang`` (the paper's target t), ``seed``, ``tokens``, ``loss`` and optionally
    ``scale``. ``base``: the base model's loss per target, columns ``eval_lang``, ``seed``, ``loss`` (and
    ``scale``), e.g. the base run's final evaluation rows. A target without a base loss raises ``AtlasError``.
    Returns columns scale, source, target (= eval_lang), seed, d_max, fas, delta, base_loss.
    """
    for name, df, cols in (("finetune curves", curves, [source, "eval_lang", "seed", "tokens", loss]),
                           ("base losses", base, ["eval_lang", "seed", loss])):
        require_columns(df, cols, name)
    curves = curves if "scale" in curves.columns else curves.assign(scale="")
    base = base if "scale" in base.columns else base.assign(scale="")
    base_loss = base.groupby(["scale", "eval_lang", "seed"])[loss].mean()
    out = []
    for (scale, lang, target, seed), curve in curves.groupby(["scale", source, "eval_lang", "seed"], sort=True):
        if (scale, target, seed) not in base_loss.index:
            raise AtlasError(f"no base loss for target {target!r} at scale {scale!r}, seed {seed!r}")
        ref = float(base_loss[(scale, target, seed)])
        final = curve.loc[curve["tokens"] == curve["tokens"].max(), loss].mean()
        out.append(dict(scale=scale, source=lang, target=target, seed=seed, d_max=float(curve["tokens"].max()),
                        fas=fas(curve, ref, loss=loss), delta=float(final - ref), base_loss=ref))
    if not out:
        raise AtlasError("finetune curves: no rows")
    return pd.DataFrame(out)


def _standardize(values: pd.Series) -> pd.Series:
    sd = values.std()
    return (values - values.mean()) / (sd if sd > 0 else np.nan)


def finetune_features(scores: pd.DataFrame) -> pd.DataFrame:
    """The paper's feature vector x(s->t) = [g~_s, g~_t, g~_s - g~_t, delta~(s->t)] per (scale, source, target).

    ``scores`` is a :func:`finetune_scores` table; seeds are averaged first. g_l is the self-finetune FAS
    (source = target = l), standardised over all languages of the scale; delta is standardised per target over
    its sources. A language without a self-finetune gets NaN g features.
    """
    mean = scores.groupby(["scale", "source", "target"], as_index=False)[["fas", "delta"]].mean()
    parts = []
    for _, part in mean.groupby("scale", sort=True):
        gain = part[part["source"] == part["target"]].set_index("source")["fas"]
        g_norm = _standardize(gain)
        part = part.assign(g_source=part["source"].map(g_norm), g_target=part["target"].map(g_norm))
        part["g_diff"] = part["g_source"] - part["g_target"]
        part["delta_norm"] = part.groupby("target")["delta"].transform(_standardize)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
