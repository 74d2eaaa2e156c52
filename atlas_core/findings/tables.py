"""The tables a chapter's claims are decided on: one small typed container, built once from a study."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd


class LanguageInfo(Protocol):
    """What a claim needs to know of a language (``atlas_core.data.LANGUAGES`` values satisfy it)."""

    family: str
    script: str


@dataclass(frozen=True)
class StudyTables:
    """A study's evaluation rows by experiment kind, and the languages they name.

    ``rows[kind]`` has the shape of ``Study.rows(kind)``: one row per (evaluation, use of that kind) with columns
    ``run_id``, ``experiment``, ``role``, ``target``, ``partner``, ``seed``, ``scale``, ``N``, ``tokens``,
    ``loss``, ``eval_lang``, ``is_final``, ``wall_s`` (training seconds so far) among others. A kind the profile
    does not train is simply absent.
    """

    rows: Mapping[str, pd.DataFrame]
    languages: Mapping[str, LanguageInfo] = field(default_factory=dict)
    profile: str = ""

    def kind(self, name: str) -> pd.DataFrame:
        """The rows of one experiment kind (an empty table when the profile has none)."""
        return self.rows.get(name, pd.DataFrame())

    def experiment(self, kind: str, *experiments: str) -> pd.DataFrame:
        """The rows of ``kind`` used by the named experiments of the profile."""
        rows = self.kind(kind)
        return rows[rows["experiment"].isin(experiments)] if "experiment" in rows.columns else rows

    @classmethod
    def from_study(cls, study: Any, languages: Mapping[str, LanguageInfo]) -> StudyTables:
        """Every kind's finished rows of a ``Study`` (read, never trained)."""
        kinds = sorted(study.runs.uses()["kind"].dropna().unique())
        return cls(rows={kind: study.rows(kind) for kind in kinds}, languages=languages, profile=study.profile.name)


def run_seconds(rows: pd.DataFrame) -> pd.Series:
    """Training seconds of each finished run in ``rows`` (its final evaluation's ``wall_s``), by run_id."""
    if rows.empty or "wall_s" not in rows.columns:
        return pd.Series(dtype=float, name="wall_s")
    return rows.groupby("run_id")["wall_s"].max()
