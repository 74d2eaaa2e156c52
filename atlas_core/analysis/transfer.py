"""The bilingual transfer score (BTS, atlas-paper.md §2.5), its controls and the transfer matrix.

BTS(s->t) = -(sigma_bi(L_t(d_mono)) - 2 d_mono) / d_mono = 2 - sigma_bi / d_mono, where L_t(d_mono) is the
monolingual target model's loss after the reference horizon d_mono and sigma_bi(l) the total tokens the 50/50
(s, t) model needs to reach loss l on t. Our reference-horizon rule: d_mono is the monolingual run's final
token count (the profile's ``mono_tokens``) unless given; the paper's is 42B tokens for its 2B models.

Both curves should be "anytime" curves (a constant learning rate, or the stable phase of WSD: drop rows with
``phase == "decay"``) scored on the same held-out windows at every evaluation (the profiles set
``final_eval_tokens = eval_tokens`` for bilingual experiments), so that the reference loss and the bilingual curve
are measured alike.

At byte level and our scale, extra optimizer steps alone score BTS ~ 0.46 (pilot-study.md), so each target is
measured with controls: partner ``self`` (the target repeated: the ceiling), ``null`` (empty half-batches: the
zero point) and ``utf3`` (language-free random 3-byte characters). Scores are reported raw, normalized as
(BTS_x - BTS_null) / (BTS_self - BTS_null), and as the paired final-loss difference against ``null``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.analysis.curves import NotReachedError, as_curve, loss_at, tokens_to_reach
from atlas_core.errors import AtlasError, require_columns

TRANSFER_KEYS = ("scale", "target", "seed")


def bts(mono: pd.DataFrame, bilingual: pd.DataFrame, *, d_mono: float | None = None, loss: str = "loss",
        method: str = "isotonic") -> float:
    """BTS of one bilingual (or control) curve against the monolingual curve of the same target.

    Both tables hold the target language's evaluations (columns ``tokens`` and ``loss``; ``tokens`` counts
    all training tokens of the run). ``d_mono`` defaults to the monolingual curve's last evaluation. Raises
    :class:`~atlas_core.analysis.curves.NotReachedError` when the bilingual curve never reaches the
    monolingual loss at ``d_mono``.
    """
    mono_t, mono_l = as_curve(mono, y=loss, what="monolingual curve")
    bi_t, bi_l = as_curve(bilingual, y=loss, what="bilingual curve")
    horizon = float(mono_t[-1] if d_mono is None else d_mono)
    sigma = tokens_to_reach(bi_t, bi_l, loss_at(mono_t, mono_l, horizon), method=method)
    return 2.0 - sigma / horizon


def _final_loss(curve: pd.DataFrame, loss: str) -> float:
    """The loss at a curve's final evaluation (``is_final`` when present, else its largest token count)."""
    if "is_final" in curve.columns and curve["is_final"].astype(bool).any():
        return float(curve.loc[curve["is_final"].astype(bool), loss].mean())
    return float(curve.loc[curve["tokens"] == curve["tokens"].max(), loss].mean())


def bts_table(curves: pd.DataFrame, *, d_mono: float | None = None, loss: str = "loss",
              method: str = "isotonic", unreached: str = "nan") -> pd.DataFrame:
    """BTS and final losses of every partner curve, one row per (scale, target, partner, seed).

    ``curves`` holds evaluation rows with columns ``target``, ``partner``, ``role`` ("mono" for the reference
    runs, anything else for partner runs, e.g. "bilingual" or "control"), ``seed``, ``tokens`` and ``loss``,
    plus optionally ``scale`` and ``eval_lang`` (then only rows with ``eval_lang == target`` are used) — the
    shape of ``Study.rows(kind="bilingual")``. Partner curves are paired with the mono run of the same scale,
    target and seed.

    ``unreached``: "nan" records NaN (and the reason in column ``note``) when a curve never reaches the
    reference loss, "raise" raises :class:`NotReachedError`.
    """
    if unreached not in ("nan", "raise"):
        raise AtlasError(f"unreached must be 'nan' or 'raise', not {unreached!r}")
    require_columns(curves, ["target", "partner", "role", "seed", "tokens", loss], "transfer curves")
    df = curves if "scale" in curves.columns else curves.assign(scale="")
    if "eval_lang" in df.columns:
        df = df[df["eval_lang"] == df["target"]]
    out = []
    for key, group in df.groupby(list(TRANSFER_KEYS), sort=True):
        mono = group[group["role"] == "mono"]
        if mono.empty:
            raise AtlasError(f"no monolingual reference run for scale={key[0]!r} target={key[1]!r} seed={key[2]!r}")
        mono_final = _final_loss(mono, loss)
        horizon = float(mono["tokens"].max() if d_mono is None else d_mono)
        for partner, curve in group[group["role"] != "mono"].groupby("partner", sort=True):
            row = dict(zip(TRANSFER_KEYS, key), partner=partner, d_mono=horizon, bts=np.nan, d_bi=np.nan,
                       final_loss=_final_loss(curve, loss), mono_final_loss=mono_final, note="")
            try:
                row["bts"] = bts(mono, curve, d_mono=horizon, loss=loss, method=method)
                row["d_bi"] = (2.0 - row["bts"]) * horizon
            except NotReachedError as err:
                if unreached == "raise":
                    raise NotReachedError(f"{partner}->{key[1]} (scale {key[0]}, seed {key[2]}): {err}") from None
                row["note"] = str(err)
            out.append(row)
    table = pd.DataFrame(out)
    if table.empty:
        raise AtlasError("transfer curves: no partner (non-mono) runs to score")
    return _add_controls(table)


def _add_controls(table: pd.DataFrame) -> pd.DataFrame:
    """Columns comparing each partner with its target's null and self controls of the same seed."""
    keys = list(TRANSFER_KEYS)
    ref = {}
    for control in ("null", "self"):
        part = table[table["partner"] == control].set_index(keys)
        ref[control] = part[["bts", "final_loss"]].add_prefix(f"{control}_")
    out = table.join(ref["null"], on=keys).join(ref["self"], on=keys)
    out["bts_norm"] = (out["bts"] - out["null_bts"]) / (out["self_bts"] - out["null_bts"])
    out["delta_vs_null"] = out["final_loss"] - out["null_final_loss"]
    out["delta_vs_mono"] = out["final_loss"] - out["mono_final_loss"]
    return out.drop(columns=["null_bts", "null_final_loss", "self_bts", "self_final_loss"])


def summarize_transfer(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, seed standard deviation and count over seeds of every score in a :func:`bts_table`.

    One row per (scale, target, partner); columns ``<score>_mean``, ``<score>_sd`` (NaN with one seed) for
    ``bts``, ``bts_norm``, ``delta_vs_null`` and ``delta_vs_mono``, and ``n_seeds`` (seeds with a finite BTS).
    """
    scores = ["bts", "bts_norm", "delta_vs_null", "delta_vs_mono"]
    grouped = table.groupby(["scale", "target", "partner"], sort=True)
    summary = grouped[scores].agg(["mean", "std"])
    summary.columns = [f"{score}_{'sd' if stat == 'std' else stat}" for score, stat in summary.columns]
    summary["n_seeds"] = grouped["bts"].count()
    return summary.reset_index()


def transfer_matrix(summary: pd.DataFrame, *, value: str = "bts_mean", scale: str | None = None) -> pd.DataFrame:
    """A target x source matrix (rows target, columns source, as in the paper's Fig. 2) of one score.

    ``summary`` is a :func:`summarize_transfer` table; ``scale`` selects one scale when it holds several.
    Unmeasured pairs are NaN.
    """
    require_columns(summary, ["scale", "target", "partner", value], "transfer summary")
    scales = summary["scale"].unique()
    if scale is None and len(scales) > 1:
        raise AtlasError(f"the summary holds several scales ({', '.join(map(str, scales))}); pass scale=")
    part = summary if scale is None else summary[summary["scale"] == scale]
    if part.empty:
        raise AtlasError(f"no transfer scores at scale {scale!r}")
    matrix = part.pivot(index="target", columns="partner", values=value)
    matrix.index.name, matrix.columns.name = "target", "source"
    return matrix
