"""Transfer scores read against the controls (null: the zero point, self: the ceiling, utf3 / rand: language-free
partners), and in the shape the heatmaps draw.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from atlas_core.analysis.matrix import grouped_order, matrix_pairs
from atlas_core.analysis.transfer import transfer_matrix
from atlas_core.errors import AtlasError, require_columns

# The partners a bilingual experiment may add per target that are not languages (atlas_core.experiments.kinds).
CONTROL_NAMES = {"self": "self control (ceiling)", "null": "null control (zero point)",
                 "utf3": "utf3 control (random 3-byte characters)", "rand": "rand control (random bytes)"}


def heatmap_pairs(summary: pd.DataFrame, languages: Mapping, value: str = "bts_mean") -> pd.DataFrame:
    """A :func:`summarize_transfer` table (one scale) in the shape of ``matrix_pairs``, controls included.

    Language partners get their names, scripts and families; control partners (``CONTROL_NAMES``) get a
    descriptive name and ``"control"`` as script, family, same_script and same_family. The score column is
    ``score``; rows with a NaN score are dropped, and no other cell is NaN (charts serialize them to JSON).
    """
    require_columns(summary, ["target", "partner", value], "heatmap_pairs")
    is_control = summary["partner"].isin(list(CONTROL_NAMES))
    parts = []
    if (~is_control).any():
        parts.append(matrix_pairs(transfer_matrix(summary[~is_control], value=value), languages))
    if is_control.any():
        controls = summary.loc[is_control, ["target", "partner", value]].rename(
            columns={"partner": "source", value: "score"}).dropna(subset=["score"])
        parts.append(controls.assign(
            source_name=controls["source"].map(CONTROL_NAMES), source_script="control", source_family="control",
            **{f"target_{field}": [getattr(languages[t], field) for t in controls["target"]]
               for field in ("name", "script", "family")},
            same_script="control", same_family="control"))
    if not parts:
        raise AtlasError("heatmap_pairs: the summary has no rows")
    return pd.concat(parts, ignore_index=True)


def control_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """Each target's controls beside its best language partner, from a :func:`summarize_transfer` table.

    One row per target: null_bts (the zero point: extra steps, no gradient), self_bts (the ceiling), utf3_bts and
    utf3_norm (the language-free partner), best_language, best_bts and best_norm (the language partner with the
    highest raw BTS). Missing controls or partners are NaN.
    """
    require_columns(summary, ["target", "partner", "bts_mean", "bts_norm_mean"], "control_summary")
    rows = []
    for target, group in summary.groupby("target", sort=True):
        by = group.set_index("partner")
        row = dict(target=target, null_bts=np.nan, self_bts=np.nan, utf3_bts=np.nan, utf3_norm=np.nan,
                   best_language=None, best_bts=np.nan, best_norm=np.nan)
        for control in ("null", "self", "utf3"):
            if control in by.index:
                row[f"{control}_bts"] = by.loc[control, "bts_mean"]
        if "utf3" in by.index:
            row["utf3_norm"] = by.loc["utf3", "bts_norm_mean"]
        languages = by.drop(index=list(CONTROL_NAMES), errors="ignore")["bts_mean"].dropna()
        if len(languages):
            best = languages.idxmax()
            row.update(best_language=best, best_bts=by.loc[best, "bts_mean"], best_norm=by.loc[best, "bts_norm_mean"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("target")


def above_control(table: pd.DataFrame, value: str = "bts", control: str = "null") -> pd.DataFrame:
    """``table`` with a column ``<value>_above_<control>``: each row's score minus its control partner's score on
    the same keys (scale, target, and seed and horizon where present), NaN where the control is missing.

    Against ``null`` this is transfer beyond the extra optimizer steps without dividing by the self-null span
    (which the normalized score does, and which is small and noisy for tiny models). Works on
    :func:`~atlas_core.analysis.transfer.bts_table`, :func:`summarize_transfer` and :func:`bts_over_horizon`
    tables.
    """
    keys = [k for k in ("scale", "target", "seed", "horizon") if k in table.columns]
    require_columns(table, ["target", "partner", value], "above_control")
    reference = table.loc[table["partner"] == control, [*keys, value]].rename(columns={value: "_reference"})
    out = table.merge(reference, on=keys, how="left", validate="many_to_one")
    out[f"{value}_above_{control}"] = out[value] - out.pop("_reference")
    return out


def tokenizer_panels(summaries: Mapping[str, pd.DataFrame], languages: Mapping,
                     value: str = "bts_norm_mean") -> pd.DataFrame:
    """:func:`heatmap_pairs` of the same design under several tokenizers, stacked for one heatmap: each
    ``summaries[name]`` (a :func:`summarize_transfer` table) gets its targets renamed "<target> (<name>)"."""
    panels = [heatmap_pairs(table, languages, value) for table in summaries.values()]
    return pd.concat([panel.assign(target=panel["target"] + f" ({name})") for name, panel in zip(summaries, panels)],
                     ignore_index=True)


def heatmap_order(summary: pd.DataFrame, languages: Mapping) -> list[str]:
    """The rows and columns of a transfer heatmap of ``summary``: its languages grouped by script and family
    (:func:`~atlas_core.analysis.matrix.grouped_order`), then the controls."""
    scored = set(summary["target"]) | set(summary["partner"])
    return grouped_order(sorted(scored & set(languages) - set(CONTROL_NAMES)), languages) + list(CONTROL_NAMES)


def by_tokenizer(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The :func:`summarize_transfer` tables of one design under several tokenizers (by name), stacked with a
    ``tokenizer`` column and kept to the (target, partner) pairs that the last of them scores."""
    last = list(summaries.values())[-1]
    stacked = pd.concat(summaries, names=["tokenizer"]).reset_index(level=0)
    return stacked[stacked["target"].isin(last["target"]) & stacked["partner"].isin(last["partner"])]


def subword_panels(bytes_summary: pd.DataFrame, subword_summary: pd.DataFrame, tokenizer: str, languages: Mapping,
                   value: str = "bts_norm_mean") -> tuple[pd.DataFrame, list[str], str]:
    """One heatmap of the same design under bytes and under a shared subword ``tokenizer``: the stacked panels
    (:func:`tokenizer_panels`, byte-level rows kept to the pairs the subword runs score), the axis order (the first
    target under bytes, then under the tokenizer, then the languages and controls) and the row shown first."""
    first = sorted(subword_summary["target"].unique())[0]
    compared = by_tokenizer({"bytes": bytes_summary, tokenizer: subword_summary})
    panels = tokenizer_panels({"bytes": compared[compared["tokenizer"] == "bytes"], tokenizer: subword_summary},
                              languages, value)
    order = [f"{first} (bytes)", f"{first} ({tokenizer})", *heatmap_order(subword_summary, languages)]
    return panels, order, f"{first} (bytes)"
