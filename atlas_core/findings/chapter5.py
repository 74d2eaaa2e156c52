"""Chapter 5, transfer over scale and training: the paper's claims decided on our per-seed transfer scores.

Decision rules, fixed before the results (a t interval over seeds, one seed's value averaged over its language
pairs or targets first):

- larger models transfer more (interference shrinks): the slope of each language pair's gain over its own size's
  null control (bits per byte) against log2 N, > 0 per doubling of the model;
- transfer is set early: the gain over null of related minus unrelated partners at the earliest reference horizon
  (a tenth of d_mono, raw BTS: the zero point cancels within a target), > 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from atlas_core.analysis import bts_table
from atlas_core.analysis.transfer_scale import bts_over_horizon, linear_trends
from atlas_core.errors import AtlasError
from atlas_core.findings.chapter4 import CONTROLS, per_seed
from atlas_core.findings.evidence import judge
from atlas_core.findings.tables import LanguageInfo, StudyTables, run_seconds
from atlas_core.findings.verdict import Claim, Region

CHAPTER = 5
SCALE_EXPERIMENT = "transfer_scale"
HORIZON_EXPERIMENTS = ("transfer", "transfer_controls", "transfer_scale")
EARLIEST = 0.1  # the earliest reference horizon, a fraction of d_mono
SEEDS = "two or more seeds per pair, as the full profile trains"


def size_slopes(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (language pair, seed): slope of the gain over null against log2 N. ``scores``: a per-seed
    :func:`bts_table` at several scales with column ``N``."""
    pairs = scores[~scores["partner"].isin(CONTROLS)]
    pairs = pairs.assign(gain=-pairs["delta_vs_null"], log2_N=np.log2(pairs["N"].astype(float)))
    return linear_trends(pairs, "log2_N", "gain", ["target", "partner", "seed"]).dropna(subset=["slope"])


def early_gap(horizons: pd.DataFrame, languages: Mapping[str, LanguageInfo]) -> pd.DataFrame:
    """Per (scale, target, seed): BTS of related minus unrelated partners at the earliest horizon."""
    early = horizons[(horizons["horizon"] == horizons["horizon"].min()) & ~horizons["partner"].isin(CONTROLS)]
    early = early.assign(related=[languages[p].family == languages[t].family
                                  for p, t in zip(early["partner"], early["target"])])
    means = early.pivot_table(index=["scale", "target", "seed"], columns="related", values="bts")
    if not {True, False} <= set(means.columns):
        return pd.DataFrame(columns=["scale", "target", "seed", "gap"])
    return (means[True] - means[False]).rename("gap").dropna().reset_index()


def scale_claims(slopes: pd.DataFrame, gap: pd.DataFrame, seconds_per_seed: float | None = None, *,
                 horizon_problem: str = "") -> list[Claim]:
    """The chapter's claims on :func:`size_slopes` and :func:`early_gap` tables; ``horizon_problem`` says why the
    horizons could not be scored, if so."""
    seeds = dict(replicates=SEEDS, seconds_per_replicate=seconds_per_seed)
    return [
        judge(CHAPTER, "larger models transfer more (interference shrinks)", "+0.08 per billion parameters",
              per_seed(slopes, "slope") if len(slopes) else None, Region.above(0.0),
              needs="language pairs with null controls at two or more model sizes", **seeds),
        judge(CHAPTER, "transfer is set early (related > unrelated at 10% of d_mono)", "es-pt above en-zh throughout",
              per_seed(gap, "gap") if len(gap) else None, Region.above(0.0),
              needs=horizon_problem or "related and unrelated partners along constant-rate curves", **seeds),
    ]


def claims(tables: StudyTables) -> list[Claim]:
    """Chapter 5's claims on the study's transfer-over-scale and horizon runs."""
    scale_rows = tables.experiment("bilingual", SCALE_EXPERIMENT)
    slopes = pd.DataFrame(columns=["seed", "slope"])
    if not scale_rows.empty:
        scores = bts_table(scale_rows, loss="bpb")
        slopes = size_slopes(scores.assign(N=scores["scale"].map(scale_rows.groupby("scale")["N"].first())))
    curves = tables.experiment("bilingual", *HORIZON_EXPERIMENTS)
    gap, problem = pd.DataFrame(columns=["seed", "gap"]), ""
    if not curves.empty:
        try:
            gap = early_gap(bts_over_horizon(curves, [EARLIEST, 1.0], loss="bpb"), tables.languages)
        except AtlasError as err:  # e.g. the earliest horizon comes before the first evaluation
            problem = str(err)
    seconds = float(run_seconds(curves).sum() / max(curves["seed"].nunique(), 1)) if not curves.empty else None
    return scale_claims(slopes, gap, seconds, horizon_problem=problem)
