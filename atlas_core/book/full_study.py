"""The full study's shipped results beside another profile's: every chapter shows both verdicts.

The full study's data release ships in the repository (``results/full``, written by its sweep with a manifest). A
chapter built on another profile decides its claims on its own runs and, once the release is complete, on the full
study's runs too (:func:`atlas_core.findings.verdict.claims_beside`).

    with_full_study(claims, chapter_claims, profile, languages)   the two verdicts side by side, and the status line
    paper_vs_ours(claims, chapter_claims, profile, languages)     that table, after printing the verdict counts and
                                                                  the status line (a chapter's closing cell)
    verdict_summary(beside)                                       claims per verdict, this profile's and the full's
    disagreements(beside)                                         the claims the two resolve in opposite directions
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from atlas_core.findings import Claim, StudyTables, summary_line
from atlas_core.findings.verdict import Verdict, claims_beside, conflicts

FULL = "full"
PENDING = "pending: release incomplete"


def full_study_tables(profile: str, languages: Mapping, root=None) -> tuple[StudyTables | None, str]:
    """The shipped full study's tables and a one-line status; None while its release is incomplete, or when
    ``profile`` is the full study itself (its chapters need no second column)."""
    from atlas_core.experiments import Study

    if profile == FULL:
        return None, "this is the full study"
    study = Study(FULL, root)
    status = study.status().set_index("kind").loc["all"]
    if status["done"] < status["planned"]:
        return None, (f"full study: {status['done']} of {status['planned']} runs shipped so far; its verdicts "
                      f"appear when the release is complete (`make book PROFILE=full` runs the rest)")
    return StudyTables.from_study(study, languages), f"full study: all {status['planned']} runs"


def with_full_study(claims: list[Claim], chapter_claims: Callable[[StudyTables], list[Claim]], profile: str,
                    languages: Mapping, root=None) -> tuple[pd.DataFrame, str]:
    """This profile's ``claims`` beside the full study's (``chapter_claims`` on its tables), and the status line;
    while the release is incomplete, the full study's column reads :data:`PENDING` (the status line says why)."""
    tables, status = full_study_tables(profile, languages, root)
    if profile == FULL:
        return claims_beside(claims, claims, status).drop(columns=["full_verdict", "full_ours"]), status
    return claims_beside(claims, chapter_claims(tables) if tables is not None else None, PENDING), status


def paper_vs_ours(claims: list[Claim], chapter_claims: Callable[[StudyTables], list[Claim]], profile: str,
                  languages: Mapping, root=None) -> pd.DataFrame:
    """A chapter's closing table: prints this profile's verdict counts (:func:`~atlas_core.findings.summary_line`)
    and the full study's status line, and returns :func:`with_full_study`'s table."""
    table, status = with_full_study(claims, chapter_claims, profile, languages, root)
    print(summary_line(claims) + "\n" + status)
    return table


def verdict_summary(beside: pd.DataFrame) -> pd.DataFrame:
    """How many claims carry each verdict: column ``this profile`` and, where :func:`with_full_study` gave one,
    ``full study``."""
    columns = {"this profile": beside["verdict"]}
    if "full_verdict" in beside.columns:
        columns["full study"] = beside["full_verdict"]
    counts = pd.DataFrame({name: values.value_counts() for name, values in columns.items()})
    return counts.fillna(0).astype(int).rename_axis("verdict")


def disagreements(beside: pd.DataFrame) -> pd.DataFrame:
    """Prints how many claims this profile and the full study resolve in opposite directions and returns them
    (:func:`~atlas_core.findings.verdict.conflicts`)."""
    if "full_verdict" not in beside.columns:
        print("no second column: this is the full study")
    elif beside["full_verdict"].isin([Verdict.REPRODUCED.value, Verdict.CONTRADICTED.value]).any():
        print(f"{len(conflicts(beside))} of {len(beside)} claims resolved one way here and the other way in the full "
              f"study")
    else:
        print("the full study resolves none of these claims yet")
    return conflicts(beside)
