"""Chapter 7, pretrain or finetune: the paper's claims decided on our finetune and from-scratch curves.

Decision rules, fixed before the results. A replicate is one (model size, target, seed) pair of curves, a t
interval over them:

- finetuning is ahead at first: the relative gap (scratch loss - finetune loss) / finetune loss at the first
  common evaluation, > 0;
- pretraining from scratch overtakes it: the same gap at the last common evaluation, < 0 (within our budget);
- the crossover compute grows as C = c N^k with k = 1.65: k within +-0.25 (the paper prints 1.54 and 1.65), its
  interval k +- 1.96 standard errors of the log-log fit over the sizes that crossed;
- larger models cross later in tokens: k > 1 (D_cross grows as N^(k - 1)), same interval.
"""

from __future__ import annotations

import math

import pandas as pd

from atlas_core import published
from atlas_core.analysis.crossover import crossover_gaps, crossover_law, crossover_table
from atlas_core.errors import AtlasError
from atlas_core.findings.evidence import Estimate, judge, mean_interval
from atlas_core.findings.tables import StudyTables, run_seconds
from atlas_core.findings.verdict import Claim, Region

CHAPTER = 7
PAIRS = "(size, language) pairs"
SIZES = "crossovers at three or more model sizes"


def law_estimate(table: pd.DataFrame) -> Estimate | None:
    """The crossover exponent k with its 95% interval (k +- 1.96 se) over the sizes that crossed; None without
    crossovers at two or more sizes."""
    try:
        law = crossover_law(table)
    except AtlasError:
        return None
    half = 1.96 * law["k_se"] if math.isfinite(law["k_se"]) else 0.0
    return Estimate(law["k"], law["k"] - half, law["k"] + half, law["n_sizes"], "model sizes")


def crossover_claims(gaps: pd.DataFrame, table: pd.DataFrame, seconds_per_pair: float | None = None) -> list[Claim]:
    """The chapter's claims on :func:`crossover_gaps` and :func:`crossover_table` tables; ``seconds_per_pair``:
    the training cost of one (size, language, seed) pair of curves (a model size costs its pairs)."""
    ordered = gaps.sort_values("tokens").groupby(["scale", "target", "seed"])["rel_gap"]
    first, last = ordered.first(), ordered.last()
    k = law_estimate(table) if len(table) else None
    paper_k = published.CROSSOVER_LAW["k"]
    sizes = table["N"].nunique() if len(table) else 0
    seconds_per_size = seconds_per_pair * len(table) / sizes if seconds_per_pair is not None and sizes else None
    return [
        judge(CHAPTER, "finetuning is ahead at first", "yes, every language",
              mean_interval(first, PAIRS) if len(first) else None, Region.above(0.0),
              needs="finetunes and runs from scratch", seconds_per_replicate=seconds_per_pair),
        judge(CHAPTER, "pretraining from scratch overtakes finetuning", "at 144B-283B tokens for 2B models",
              mean_interval(last, PAIRS) if len(last) else None, Region.below(0.0),
              needs="finetunes and runs from scratch", seconds_per_replicate=seconds_per_pair),
        judge(CHAPTER, "crossover compute C = c N^k", f"k = {paper_k}", k, Region.around(paper_k, 0.25),
              needs=SIZES, replicates=SIZES, seconds_per_replicate=seconds_per_size),
        judge(CHAPTER, "larger models cross later in tokens (k > 1)", "D_cross ~ N^0.65", k, Region.above(1.0),
              needs=SIZES, replicates=SIZES, seconds_per_replicate=seconds_per_size),
    ]


def claims(tables: StudyTables) -> list[Claim]:
    """Chapter 7's claims on the study's finetune experiment."""
    rows = tables.kind("finetune")
    if rows.empty or not {"finetune", "scratch"} <= set(rows["role"]):
        return crossover_claims(pd.DataFrame(columns=["scale", "target", "seed", "tokens", "rel_gap"]),
                                pd.DataFrame())
    gaps, table = crossover_gaps(rows), crossover_table(rows)
    pair_runs = rows[rows["role"].isin(["finetune", "scratch"])]
    seconds_per_pair = float(run_seconds(pair_runs).sum() / max(len(table), 1))
    return crossover_claims(gaps, table, seconds_per_pair)
