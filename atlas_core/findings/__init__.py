"""The paper's claims, decided on our study's tables: one tested function per chapter, one verdict rule for all.

Pure math on tables, after ``analysis``, ``laws`` and ``fit`` and before ``book``: a chapter function takes the
study's tables and returns :class:`~atlas_core.findings.verdict.Claim` rows (claim, the paper's value, ours with
a 95% interval, verdict, reason). The decision rule lives in :mod:`~atlas_core.findings.verdict` and was fixed
before the results it judges; notebooks only call it.
"""

from atlas_core.findings.verdict import Claim, Region, Verdict, claims_table, decide

__all__ = ["Claim", "Region", "Verdict", "claims_table", "decide"]
