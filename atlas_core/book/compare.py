"""The closing "Paper vs ours" table of every chapter, and its one-line verdict."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from atlas_core.errors import AtlasError

REPRODUCED, PARTLY, NOT_REPRODUCED = "reproduced", "partly", "not reproduced"
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED)
COLUMNS = ("paper", "ours", "verdict", "why")


class ComparisonTable(pd.DataFrame):
    """A paper-vs-ours table that shows every cell in full (a plain DataFrame cuts text at 50 characters)."""

    @property
    def _constructor(self):
        return ComparisonTable

    def _repr_html_(self) -> str:
        return self.to_html()


def judge_interval(paper: float, low: float, high: float) -> str:
    """``reproduced`` when the paper's value lies inside our interval [low, high], else ``not reproduced``."""
    return REPRODUCED if low <= paper <= high else NOT_REPRODUCED


def judge_close(paper: float, ours: float, rel_tol: float) -> str:
    """``reproduced`` when ours is within ``rel_tol`` (relative) of the paper's value, else ``not reproduced``."""
    return REPRODUCED if math.isclose(ours, paper, rel_tol=rel_tol) else NOT_REPRODUCED


def judge_order(better: float, worse: float, noise: float) -> str:
    """Whether our numbers keep an ordering the paper reports (``better`` should exceed ``worse``):
    ``reproduced`` when they do by more than ``noise``, ``partly`` when the gap is within the noise either way,
    ``not reproduced`` when the order is reversed by more than the noise (or a number is missing)."""
    if not (math.isfinite(better) and math.isfinite(worse) and math.isfinite(noise) and noise >= 0):
        return NOT_REPRODUCED
    gap = better - worse
    return REPRODUCED if gap > noise else PARTLY if gap >= -noise else NOT_REPRODUCED


def judge_signed(paper: float, low: float, high: float, zero: str = "0") -> tuple[str, str]:
    """(verdict, why) for a signed quantity and our 95% interval [low, high] around zero (``zero`` names it):
    ``reproduced`` if the interval holds the paper's value and excludes zero; ``partly`` if it holds the paper's
    value but also zero (sign unresolved), or excludes zero on the paper's side but misses its value."""
    holds, resolved = low <= paper <= high, low > 0 or high < 0
    if holds and resolved:
        return REPRODUCED, f"the 95% interval holds the paper's value and excludes {zero}"
    if holds:
        return PARTLY, f"the 95% interval holds the paper's value but also {zero}: the sign is not resolved"
    if resolved and (low > 0) == (paper > 0):
        return PARTLY, f"the paper's sign (the interval excludes {zero}), not its value"
    return NOT_REPRODUCED, "the 95% interval excludes the paper's value" + ("" if resolved else f" and holds {zero}")


def paper_vs_ours(rows: Iterable[Sequence]) -> ComparisonTable:
    """A side-by-side table from rows ``(quantity, paper, ours, verdict[, why])``.

    ``paper`` and ``ours`` may be numbers (shown to 4 significant digits), ``(low, high)`` intervals or text;
    ``verdict`` is one of ``VERDICTS``; ``why`` says what the comparison rests on or why it differs (scale, data
    domain, tokenizer, ...).
    """
    records = []
    for row in rows:
        if len(row) not in (4, 5):
            raise AtlasError(f"paper_vs_ours: row {row!r} needs (quantity, paper, ours, verdict[, why])")
        quantity, paper, ours, verdict, *why = row
        if verdict not in VERDICTS:
            raise AtlasError(f"paper_vs_ours: row {quantity!r} has verdict {verdict!r}; use one of: {', '.join(VERDICTS)}")
        records.append((str(quantity), _show(paper), _show(ours), verdict, why[0] if why else ""))
    if not records:
        raise AtlasError("paper_vs_ours: no rows to compare")
    table = ComparisonTable.from_records(records, columns=("quantity", *COLUMNS)).set_index("quantity")
    table.index.name = None  # one header row in the rendered table
    return table


def overall_verdict(table: pd.DataFrame) -> str:
    """``reproduced`` if every row is, ``not reproduced`` if none is even partly, else ``partly``."""
    verdicts = set(table["verdict"])
    if verdicts == {REPRODUCED}:
        return REPRODUCED
    if verdicts == {NOT_REPRODUCED}:
        return NOT_REPRODUCED
    return PARTLY


def verdict_line(table: pd.DataFrame, why: str):
    """The chapter's one-line verdict as Markdown: the overall verdict and tally, ``why`` (what the comparison
    rests on), then the quantities that were only partly or not reproduced, so the line never overstates."""
    from IPython.display import Markdown

    counts = table["verdict"].value_counts()
    tally = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts)
    misses = " ".join(f"{v.capitalize()}: {'; '.join(table.index[table['verdict'] == v])}."
                      for v in (PARTLY, NOT_REPRODUCED) if v in counts)
    return Markdown(" ".join(part for part in (f"**Verdict: {overall_verdict(table)}** ({tally}).", why, misses) if part))


def _show(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        return f"[{_show(value[0])}, {_show(value[1])}]"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.4g}"
    return str(value)
