"""The full study's verdicts beside a profile's: matching claims, a release still being run, the counts."""

from __future__ import annotations

from atlas_core.book import full_study
from atlas_core.data import LANGUAGES
from atlas_core.findings import Claim, StudyTables, Verdict, claims_beside, conflicts


def claim(text: str, verdict: Verdict, ours: float | None = 0.5) -> Claim:
    return Claim(2, text, "paper", ours, None if ours is None else ours - 0.1, None if ours is None else ours + 0.1,
                 verdict, "why")


OURS = [claim("a", Verdict.UNDECIDED), claim("b", Verdict.NOT_MEASURED, None)]
FULL = [claim("a", Verdict.REPRODUCED), claim("b", Verdict.CONTRADICTED), claim("c", Verdict.REPRODUCED)]


def test_claims_beside_matches_claims_and_appends_those_only_the_full_study_measures():
    table = claims_beside(OURS, FULL, "full study: all 9 runs")
    assert list(table["claim"]) == ["a", "b", "c"]
    assert list(table["verdict"]) == ["undecided", "full study", "full study only"]
    assert list(table["full_verdict"]) == ["reproduced", "contradicted", "reproduced"]
    assert table.loc[0, "full_ours"] == "0.5 [0.4, 0.6]"


def test_a_release_still_being_run_carries_the_status_line(monkeypatch):
    status = "full study: 3 of 9 runs shipped so far"
    monkeypatch.setattr(full_study, "full_study_tables", lambda profile, languages, root=None: (None, status))
    table, line = full_study.with_full_study(OURS, lambda tables: FULL, "quick", LANGUAGES)
    assert line == status and set(table["full_verdict"]) == {full_study.PENDING}
    summary = full_study.verdict_summary(table)
    assert summary.loc[full_study.PENDING, "full study"] == 2 and summary.loc["undecided", "this profile"] == 1


def test_a_complete_release_decides_the_claims_on_its_own_tables(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(full_study, "full_study_tables",
                        lambda profile, languages, root=None: (StudyTables(rows={}), "full study: all 9 runs"))
    table = full_study.paper_vs_ours(OURS, lambda tables: seen.append(tables) or FULL, "quick", LANGUAGES)
    assert seen and list(table["full_verdict"]) == ["reproduced", "contradicted", "reproduced"]
    assert capsys.readouterr().out == "2 claims: 1 undecided, 1 not measured\nfull study: all 9 runs\n"
    summary = full_study.verdict_summary(table)
    assert (summary.loc["reproduced", "full study"], summary.loc["contradicted", "full study"]) == (2, 1)
    assert summary["this profile"].sum() == summary["full study"].sum() == 3


def test_the_full_study_itself_has_one_column():
    table, status = full_study.with_full_study(OURS, lambda tables: FULL, full_study.FULL, LANGUAGES)
    assert status == "this is the full study" and "full_verdict" not in table.columns
    assert list(full_study.verdict_summary(table).columns) == ["this profile"]


def test_an_incomplete_full_store_reports_how_many_runs_are_shipped(tmp_path):
    tables, status = full_study.full_study_tables("quick", LANGUAGES, root=tmp_path)
    assert tables is None and status.startswith("full study: 0 of ") and "runs shipped so far" in status


def test_a_conflict_is_one_profile_reproducing_what_the_other_contradicts():
    ours = [claim("a", Verdict.REPRODUCED), claim("b", Verdict.CONTRADICTED), claim("c", Verdict.UNDECIDED),
            claim("d", Verdict.REPRODUCED)]
    full = [claim("a", Verdict.CONTRADICTED), claim("b", Verdict.CONTRADICTED), claim("c", Verdict.REPRODUCED),
            claim("d", Verdict.REPRODUCED)]
    assert list(conflicts(claims_beside(ours, full, ""))["claim"]) == ["a"]
    assert conflicts(claims_beside(ours, None, full_study.PENDING)).empty
    assert conflicts(claims_beside(ours, ours, "").drop(columns=["full_verdict"])).empty


def test_disagreements_says_whether_the_full_study_resolves_anything(capsys):
    ours = [claim("a", Verdict.REPRODUCED), claim("b", Verdict.UNDECIDED)]
    assert full_study.disagreements(claims_beside(ours, [claim("a", Verdict.CONTRADICTED)], "")).shape[0] == 1
    assert full_study.disagreements(claims_beside(ours, None, full_study.PENDING)).empty
    assert full_study.disagreements(claims_beside(ours, None, "").drop(columns=["full_verdict"])).empty
    assert capsys.readouterr().out.splitlines() == [
        "1 of 2 claims resolved one way here and the other way in the full study",
        "the full study resolves none of these claims yet", "no second column: this is the full study"]
