"""The Jupyter Book: notebook helpers, the offline altair renderer, and the builder.

Notebook helpers (imported by every chapter):

* :func:`check_parameters`: fail at the top of a notebook on a bad parameter value, in one line;
* :func:`paper_vs_ours`, :func:`judge_interval`, :func:`judge_close`, :func:`verdict_line`: the closing
  "Paper vs ours" table and verdict;
* :mod:`atlas_core.book.viz` (import it to enable the renderer) and :mod:`atlas_core.book.charts` (chart builders).

The builder is ``atlas book --profile P`` (:mod:`atlas_core.book.build`).
"""

from atlas_core.book.compare import (
    NOT_REPRODUCED,
    PARTLY,
    REPRODUCED,
    VERDICTS,
    judge_close,
    judge_interval,
    judge_order,
    judge_signed,
    overall_verdict,
    paper_vs_ours,
    verdict_line,
)
from atlas_core.book.parameters import check_parameters

__all__ = [
    "NOT_REPRODUCED",
    "PARTLY",
    "REPRODUCED",
    "VERDICTS",
    "check_parameters",
    "judge_close",
    "judge_interval",
    "judge_order",
    "judge_signed",
    "overall_verdict",
    "paper_vs_ours",
    "verdict_line",
]
