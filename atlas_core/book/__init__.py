"""The Jupyter Book: notebook helpers, the offline altair renderer, and the builder.

Notebook helpers (imported by every chapter):

* :func:`check_parameters`: fail at the top of a notebook on a bad parameter value, in one line;
* :mod:`atlas_core.book.full_study`: a chapter's "Paper vs ours" claims (``atlas_core.findings``) beside the full
  study's verdicts;
* :mod:`atlas_core.book.viz` (import it to enable the renderer) and :mod:`atlas_core.book.charts` (chart builders).

The builder is ``atlas book --profile P`` (:mod:`atlas_core.book.build`).
"""

from atlas_core.book.parameters import check_parameters

__all__ = ["check_parameters"]
