"""The container of a study's tables that every chapter's claims read."""

import pandas as pd

from atlas_core.findings import StudyTables
from atlas_core.findings.tables import run_seconds

ROWS = pd.DataFrame({"run_id": ["a", "a", "b"], "experiment": ["transfer", "transfer", "transfer_scale"],
                     "wall_s": [1.0, 5.0, 2.0]})


def test_a_kind_the_profile_lacks_is_an_empty_table() -> None:
    tables = StudyTables(rows={"bilingual": ROWS})
    assert tables.kind("finetune").empty and len(tables.kind("bilingual")) == 3


def test_experiment_selects_the_rows_of_the_named_experiments() -> None:
    tables = StudyTables(rows={"bilingual": ROWS})
    assert list(tables.experiment("bilingual", "transfer_scale")["run_id"]) == ["b"]
    assert tables.experiment("mono", "scaling").empty


def test_run_seconds_are_each_runs_final_training_time() -> None:
    assert run_seconds(ROWS).to_dict() == {"a": 5.0, "b": 2.0}
    assert run_seconds(pd.DataFrame()).empty
