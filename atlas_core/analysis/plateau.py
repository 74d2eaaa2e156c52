"""Where the initial loss plateau ends, per model size (chapter 2): which budgets leave it, and how early.

    plateau_table(rows)      per size: runs, how many leave the plateau, the median tokens where it ends, and
                             that as a share of the budget (:func:`~atlas_core.analysis.curves.plateau_end`)
    plateau_sentence(table)  the table read as one sentence for the chapter's prose
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.analysis.curves import plateau_end
from atlas_core.errors import AtlasError, require_columns


def plateau_table(rows: pd.DataFrame, *, margin: float = 0.1) -> pd.DataFrame:
    """Per model size (scale, N): ``runs``, ``left`` (how many leave the plateau before their budget ends),
    ``plateau_end`` (median tokens where it ends, over the runs that leave it: languages, seeds and budgets
    together), ``share_of_budget`` (the median of plateau end over the run's final tokens) and ``budget`` (the
    largest final tokens of the size).

    ``rows``: evaluation rows of monolingual runs (``Study.rows("mono")``: run_id, scale, N, tokens, loss, phase);
    evaluations of the learning-rate decay are left out of the curve (its drop is the schedule's).
    """
    require_columns(rows, ("run_id", "scale", "N", "tokens", "loss", "phase"), "plateau_table")
    if rows.empty:
        raise AtlasError("plateau_table: no evaluation rows")
    per_run = []
    for (run_id, scale, n), run in rows.groupby(["run_id", "scale", "N"], sort=False):
        curve = run[run["phase"] != "decay"].groupby("tokens")["loss"].mean()
        end = plateau_end(curve.index, curve.to_numpy(), margin=margin) if len(curve) >= 3 else np.nan
        budget = float(run["tokens"].max())
        per_run.append(dict(scale=scale, N=n, end=end, budget=budget, share=end / budget))
    runs = pd.DataFrame(per_run)
    table = runs.groupby(["scale", "N"], sort=False).agg(
        runs=("end", "size"), left=("end", "count"), plateau_end=("end", "median"),
        share_of_budget=("share", "median"), budget=("budget", "max"))
    return table.reset_index().sort_values("N", ignore_index=True)


def plateau_sentence(table: pd.DataFrame) -> str:
    """One sentence that reads a :func:`plateau_table`: where the plateau ends at each size, or that no run
    leaves it within its budget."""
    require_columns(table, ("N", "runs", "left", "plateau_end", "share_of_budget", "budget"), "plateau_sentence")
    if table.empty or table["left"].sum() == 0:
        return (f"No run leaves the initial plateau within its budget (up to {_tokens(table['budget'].max())} "
                "tokens): every loss of this profile is on or before the plateau, where no power law holds.")
    parts = [f"at N = {row.N:,.0f} after {_tokens(row.plateau_end)} tokens ({row.left} of {row.runs} runs, "
             f"{row.share_of_budget:.0%} of their budget)" if row.left else
             f"at N = {row.N:,.0f} not within {_tokens(row.budget)} tokens (none of {row.runs} runs)"
             for row in table.itertuples()]
    return "The initial plateau ends " + "; ".join(parts) + " (medians over languages, seeds and budgets)."


def _tokens(value: float) -> str:
    """Tokens as 350K or 1.2M."""
    return f"{value / 1e6:.2g}M" if value >= 1e6 else f"{value / 1e3:.3g}K"
