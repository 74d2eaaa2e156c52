"""The study's inventory: Table B.1 from a plan, the languages and their text, the ladder, measured throughput."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from data_fixtures import bible, cache, fake_wheel  # noqa: F401
from test_experiments_fake import FakeCatalog

from atlas_core.errors import AtlasError
from atlas_core.experiments import load_profile
from atlas_core.book.inventory import (
    HOW,
    PAPER_TABLE_B1,
    language_table,
    ladder_table,
    measured_throughput,
    parallel_lines,
    plan_languages,
    setup_comparison,
    table_b1,
)
from atlas_core.experiments.plan import build_plan

PROFILE = """
name: t
experiments:
  scaling: {kind: mono, languages: [es, sw], scales: [10k, 25k], tokens: [1M, 2M], unique_tokens: {sw: 50K}}
  transfer: {kind: bilingual, languages: [es, pt], controls: ["null"], scales: [25k], mono_tokens: 1M}
  base: {kind: unimax, languages: [es, pt, ru], scales: [25k], tokens: 2M, eval_langs: [es, ru]}
"""


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(PROFILE))
    return build_plan(load_profile(path), FakeCatalog(["es", "pt", "ru", "sw"]))


def test_paper_table_b1_adds_up_to_the_papers_774():
    assert PAPER_TABLE_B1["runs"].sum() == 774


def test_table_b1_counts_each_experiments_runs_and_shares(plan):
    done = {plan.runs[0].run_id}
    table = table_b1(plan, done).set_index("experiment")
    assert table.loc["scaling", "runs"] == 2 * 2 * 2
    assert table.loc["scaling", "languages"] == "2: es sw"
    assert table.loc["scaling", "scales"] == "10k, 25k" and table.loc["scaling", "tokens"] == "1M, 2M"
    assert table.loc["transfer", "runs"] == 2 + 1 + 2  # es and pt mono, the es+pt pair, a null control each
    assert table.loc["transfer", "tag"] == "Language Pairs" and table.loc["transfer", "paper_runs"] == 290
    assert table.loc["base", "paper_runs"] == 20
    assert table["done"].sum() == 1
    # the 25k es run at 1M is both a scaling point and the transfer experiment's monolingual reference
    assert table.loc["scaling", "shared"] == 1 and table.loc["transfer", "shared"] == 1


def test_plan_languages_include_evaluated_ones_but_not_controls(plan):
    assert plan_languages(plan) == ["es", "pt", "ru", "sw"]


def test_language_table_and_parallel_lines(bible):
    table = language_table(["zh", "es"])
    assert list(table.index) == ["zh", "es"]  # the reference (en) is measured but not listed
    assert table.loc["zh", "script"] == "Han" and table.loc["es", "family"] == "Romance"
    assert (table["test_lines"] == table["test_lines"].iloc[0]).all()  # parallel: the same verses everywhere
    assert table.loc["zh", "test_bytes_vs_en"] > table.loc["es", "test_bytes_vs_en"]  # 3-byte characters
    assert table.loc["es", "bytes_per_char"] == 1.0 < table.loc["zh", "bytes_per_char"]  # fake es is ASCII
    lines = parallel_lines(["es", "zh"], line=0)
    assert lines["es"].startswith("es-") and lines["zh"].startswith("zh-")
    assert lines["es"].split()[1] == lines["zh"].split()[1]  # the same book:chapter:verse
    with pytest.raises(AtlasError, match="unknown language 'xx'"):
        language_table(["xx"])
    with pytest.raises(AtlasError, match="has no line 99999"):
        parallel_lines(["es"], line=99999)


def test_ladder_table_counts_parameters_and_flops():
    table = ladder_table(["10k", "100k"])
    assert table.loc["100k", "N"] == 100_096  # the pilot's d64 L2
    assert (table["N_total"] > table["N"]).all() and (table["flops_per_token"] > table["six_N"]).all()
    np.testing.assert_allclose(table["flops_vs_6N"], table["flops_per_token"] / (6 * table["N"]))
    with pytest.raises(AtlasError, match="unknown model scale"):
        ladder_table(["huge"])


def test_measured_throughput_per_scale():
    rows = pd.DataFrame({
        "run_id": ["a", "a", "b", "c"], "scale": ["10k", "10k", "10k", "100k"], "N": [1, 1, 1, 10],
        "tokens": [100, 1000, 3000, 500], "wall_s": [0.5, 2.0, 2.0, 5.0], "is_final": [False, True, True, True],
    })
    table = measured_throughput(rows)
    assert list(table.index) == ["10k", "100k"]
    assert table.loc["10k", "runs"] == 2 and table.loc["10k", "median"] == pytest.approx(1000.0)
    assert table.loc["100k", "max"] == pytest.approx(100.0)
    with pytest.raises(AtlasError, match="no finished run"):
        measured_throughput(rows.assign(wall_s=0.0))
    assert np.isfinite(table.to_numpy(dtype=float)).all()


def test_setup_comparison_puts_the_papers_setup_beside_the_plan(plan):
    languages = pd.DataFrame({"test_lines": 1000}, index=["es", "pt", "ru", "sw"])
    table = setup_comparison(plan, table_b1(plan), ladder_table(["10k", "25k"]), languages)
    assert table.loc["experiments (runs)", "ours"] == str(len(plan.runs))
    assert table.loc["kinds of experiment (Table B.1 tags)", "how"] == "scaled down"  # no capacity, no finetunes
    assert table.loc["languages trained / evaluated", "ours"] == "4 / 4"
    assert table.loc["model sizes", "how"] == "out of reach"
    assert set(table["how"]) <= set(HOW) and "verdict" not in table.columns  # a setup is described, not judged
