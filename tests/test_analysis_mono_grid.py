"""Chapter 2's grid tables, on a synthetic monolingual grid that follows a Chinchilla law."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_findings_chapters import chinchilla, grid_rows

from atlas_core.analysis import mono_grid
from atlas_core.analysis.mono_grid import MonoGrid
from atlas_core.analysis.scaling import fit_per_language, parameter_table
from atlas_core.errors import AtlasError
from atlas_core.findings import chapter2
from atlas_core.findings.evidence import Estimate


@pytest.fixture(scope="module")
def grid() -> MonoGrid:
    return MonoGrid.from_rows(grid_rows(chinchilla), ["es", "ru"])


def test_the_grid_holds_every_evaluation_the_points_past_the_start_and_the_run_ends(grid):
    assert set(grid.ends) == {"es", "ru"} and all(len(t) == 9 for t in grid.ends.values())  # 3 sizes x 3 budgets
    assert all(len(t) == 18 for t in grid.curves.values())
    assert grid.repeated == [] and grid.caps() == {}
    final = grid.final()
    assert set(final["pool"]) == {"full"} and final["curve"].iloc[0] == "es full, N=10000.0"
    assert list(grid.ranges()["runs"]) == [9, 9]
    assert len(grid.unique_pool()) == 36 and grid.repetition({}).empty


def test_budgets_and_explorer_ranges_span_the_run_ends(grid):
    budgets = grid.budgets()
    assert budgets[0] == pytest.approx(6 * 1e4 * 2e5) and budgets[-1] == pytest.approx(6 * 1e5 * 8e5)
    ranges = grid.explorer_ranges()
    assert ranges["D_range"] == (2e5, 8e5) and ranges["log10_N"][0] == pytest.approx(3.5)


def test_an_empty_grid_fails_in_one_line():
    with pytest.raises(AtlasError, match="no finished run of the scaling experiment"):
        MonoGrid.from_rows(pd.DataFrame(), ["es"])


def test_the_papers_laws_beside_ours(grid):
    params = parameter_table(fit_per_language(mono_grid.LAWS, grid.ends, starts=20))
    assert np.allclose(mono_grid.paper_exponents()["a_N"], 0.5)  # the decoded Table C.1 has alpha = beta
    spread = mono_grid.exponents_beside_paper(params)
    assert spread["law"].iloc[0] == "paper Table C.1 (mono-vocab)" and "CSL" in set(spread["law"])
    beside = mono_grid.tied_beside_paper(params)
    assert {"paper (Table C.1)", "ours (CSL, alpha = beta)"} == set(beside.index.get_level_values("source"))
    assert set(mono_grid.explorable(params)["law"]) <= {"CSL", "CSL (alpha = beta)"}
    check = mono_grid.points_check(grid, starts=20)
    assert list(check.index) == ["run ends", "along the runs"]


def test_tax_tables_and_sentences():
    tax = pd.DataFrame(dict(lang="es", N=[1, 1, 2], tokens=[1.0, 2.0, 2.0], reference_loss=1.0, loss=1.1, gap=0.1))
    assert list(mono_grid.tax_curves(tax)["curve"]) == ["es, N=1"] * 2 + ["es, N=2"]
    assert list(mono_grid.tax_ends(tax)["tokens"]) == [2.0, 2.0]
    excess = pd.DataFrame({"excess": [0.01, 0.03]})
    assert mono_grid.excess_sentence(excess).startswith("Anytime points sit +2.0% from decayed runs")
    assert mono_grid.tokens_per_param(pd.DataFrame(), [1.0, 2.0, 3.0]).empty
    table, why = mono_grid.frontier_tax(pd.DataFrame(columns=["regime", "lang", "alpha"]), [1e15])
    assert table.empty and why.startswith("No frontier comparison with this profile")


def test_saturation_sentences_read_the_bootstrap_interval():
    line = chapter2.saturation_sentences({"sw": Estimate(0.1, 0.05, 0.2, 8, "runs")}, 100)
    assert line.startswith("sw: lambda 0.100, 95% bootstrap interval [0.05, 0.2] over 100 resamples of its 8 runs")
    assert line.endswith(f"after {1 + np.log(2) / 0.2:.1f} epochs or more.")


def test_lambda_estimates_skip_languages_with_one_pool(grid):
    assert chapter2.lambda_estimates(grid.ends, {}) == {}
