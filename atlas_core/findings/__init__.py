"""The paper's claims, decided on our study's tables: one tested function per chapter, one verdict rule for all.

Pure math on tables, after ``analysis``, ``laws`` and ``fit`` and before ``book``. The decision rule lives in
:mod:`~atlas_core.findings.verdict` and was fixed before the results it judges; notebooks only call it.

**The chapter contract.** Every chapter with claims is a module ``atlas_core.findings.chapter<N>`` exposing

    claims(tables: StudyTables) -> list[Claim]

where :class:`~atlas_core.findings.tables.StudyTables` holds the study's evaluation rows by experiment kind
(``StudyTables.from_study(Study(profile), LANGUAGES)``). A chapter reads what it needs from those rows, computes its
estimates with ``analysis``/``fit``, and decides each claim with :func:`~atlas_core.findings.evidence.judge`
(a 95% interval over seeds, runs or languages, or a bootstrap, against the paper's :class:`Region`). A claim the
profile cannot measure comes back ``not measured`` or ``undecided``, its reason naming what would measure or decide
it (:mod:`~atlas_core.findings.power`). Each chapter module's docstring states its decision rules; its pure claim
functions take analysis tables, so that synthetic tables with a known answer test them.

:data:`CHAPTERS` lists the chapter modules in book order; adding a chapter is one line there. Chapter 9
(:mod:`~atlas_core.findings.chapter9`, Epoch AI's refit of Chinchilla) is decided in the same vocabulary but is not
listed: its runs are published data, not a profile's, so it has no study tables and no full-study column.
"""

from __future__ import annotations

from importlib import import_module

from atlas_core.findings.tables import StudyTables
from atlas_core.findings.verdict import Claim, Region, Verdict, claims_beside, claims_table, conflicts, decide

CHAPTERS = (
    "atlas_core.findings.chapter2",
    "atlas_core.findings.chapter3",
    "atlas_core.findings.chapter4",
    "atlas_core.findings.chapter5",
    "atlas_core.findings.chapter6",
    "atlas_core.findings.chapter7",
    "atlas_core.findings.chapter8",
)


def all_claims(tables: StudyTables) -> list[Claim]:
    """Every chapter's claims on one study's tables, in book order."""
    return [claim for name in CHAPTERS for claim in import_module(name).claims(tables)]


def summary_line(claims: list[Claim]) -> str:
    """One line: how many claims, and how many of each verdict."""
    counts = {v: sum(c.verdict is v for c in claims) for v in Verdict}
    return f"{len(claims)} claims: " + ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)


__all__ = ["CHAPTERS", "Claim", "Region", "StudyTables", "Verdict", "all_claims", "claims_beside", "claims_table",
           "conflicts", "decide", "summary_line"]
