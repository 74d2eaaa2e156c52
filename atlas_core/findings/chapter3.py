"""Chapter 3's claims (Table 1), decided on the held-out R² tables of ``atlas_core.analysis.law_comparison``.

An ordering "law a generalises better than law b on split s" is measured as a's held-out R² minus b's on the same
held-out rows, one difference per (target language, random-split seed); its 95% interval is Student's t over
those differences (``atlas_core.findings.evidence.judge``), and the claim's region is a difference above 0. Two more claims: the monolingual laws fit
alike (the spread of their random-split R², region below 0.05: the paper's spread is 0.02) and they extrapolate to
the largest D (the best law's R²(D), region above 0.9: the paper's are 0.91 to 0.94). One value gives a one-point
interval, which is undecided; no finite value at all is "not measured". More values come from more languages on
the scaling grid; one more value costs the setting's training seconds divided by its values.

:func:`claims` computes the R² tables from the study with :func:`study_comparison` and
``atlas_core.analysis.law_comparison.table1_r2``, as chapter 3's notebook does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from atlas_core.analysis.law_comparison import (ATLAS_DT, ATLAS_FULL, ATLAS_OTHER, CSL, CSL_DT, DCSL, MSL, Comparison,
                                                comparison, table1_r2)
from atlas_core.analysis.observations import evaluations
from atlas_core.errors import require_columns
from atlas_core.findings.evidence import judge, mean_interval
from atlas_core.findings.tables import StudyTables, run_seconds
from atlas_core.findings.verdict import Claim, Region

CHAPTER = 3
# (setting, claim, the paper's two R², better law, worse law, split)
ORDERINGS = (
    ("mono", "ATLAS beats CSL on R^2(N)", "0.88 vs 0.68", ATLAS_DT, CSL, "N"),
    ("mono", "DCSL beats CSL on R^2(N)", "0.78 vs 0.68", DCSL, CSL, "N"),
    ("multi", "D_other lifts R^2", "0.98 vs 0.70", ATLAS_OTHER, ATLAS_DT, "random"),
    ("multi", "full ATLAS beats CSL on D_t (R^2)", "0.98 vs 0.64", ATLAS_FULL, CSL_DT, "random"),
    ("multi", "full ATLAS beats MSL on R^2(M)", "0.82 vs 0.70", ATLAS_FULL, MSL, "M"),
    ("multi", "transfer terms lift R^2(M)", "0.82 vs 0.66", ATLAS_FULL, ATLAS_OTHER, "M"),
    ("multi", "ATLAS + D_other extrapolates in N, CSL on D_t does not", "0.89 vs -0.99", ATLAS_OTHER, CSL_DT, "N"),
)
ALIKE = Region.below(0.05)
EXTRAPOLATE_D = Region.above(0.9)
LAW_KINDS = ("mono", "bilingual", "capacity", "unimax")  # the experiment kinds whose runs the laws may see
R2_COLUMNS = ["law", "lang", "split", "seed", "r2"]


def _claim(claim: str, paper: str, values: np.ndarray, region: Region, what: str,
           seconds: float | None) -> Claim:
    """``values`` judged on their t interval; ``seconds``: the training cost of the runs behind them, so that one
    more value costs ``seconds / len(values)``."""
    estimate = mean_interval(values, f"(language, split) values of the {what}")
    per_value = seconds / estimate.n if seconds is not None and estimate.n else None
    return judge(CHAPTER, claim, paper, estimate, region, needs=f"a finite {what} (more runs or sizes)",
                 replicates="more languages on the scaling grid", seconds_per_replicate=per_value)


def _by_law(table: pd.DataFrame, split: str) -> pd.DataFrame:
    """Held-out R², one row per (language, seed), one column per law, for one split."""
    part = table[table["split"] == split]
    return part.pivot_table(index=["lang", "seed"], columns="law", values="r2", aggfunc="mean", sort=False)


def ordering_claim(table: pd.DataFrame, claim: str, paper: str, better: str, worse: str, split: str,
                   seconds: float | None = None) -> Claim:
    """``better`` generalises better than ``worse`` on ``split``: the difference of their held-out R²."""
    wide = _by_law(table, split)
    if better not in wide.columns or worse not in wide.columns:
        diff = np.array([])
    else:
        diff = (wide[better] - wide[worse]).to_numpy(dtype=float)
    return _claim(claim, paper, diff, Region.above(0.0), f"R^2 difference ({split} split)", seconds)


def table1_claims(mono: pd.DataFrame, multi: pd.DataFrame, seconds: Mapping[str, float] | None = None) -> list[Claim]:
    """Every claim of chapter 3 from the ``r2_table`` of each setting (columns law, lang, split, seed, r2);
    ``seconds``: the training cost of each setting's runs, for what an undecided claim would cost to decide."""
    seconds = seconds or {}
    for name, table in (("mono", mono), ("multi", multi)):
        require_columns(table, ("law", "lang", "split", "seed", "r2"), f"table1_claims ({name})")
    paper_laws = [CSL, DCSL, ATLAS_DT]
    random = _by_law(mono, "random").reindex(columns=paper_laws)
    spread = (random.max(axis=1) - random.min(axis=1))[random.notna().sum(axis=1) >= 2].to_numpy(dtype=float)
    best_d = _by_law(mono, "D").reindex(columns=paper_laws).max(axis=1).to_numpy(dtype=float)
    claims = [
        _claim("mono: all laws fit alike (spread of R^2)", "0.92 to 0.94", spread, ALIKE, "spread of random-split R^2",
               seconds.get("mono")),
        _claim("mono: the laws extrapolate to the largest D (best R^2(D))", "0.94", best_d, EXTRAPOLATE_D,
               "best law's R^2(D)", seconds.get("mono")),
    ]
    tables = {"mono": mono, "multi": multi}
    claims += [ordering_claim(tables[setting], f"{setting}: {claim}", paper, better, worse, split,
                              seconds.get(setting))
               for setting, claim, paper, better, worse, split in ORDERINGS]
    return claims


def grid_languages(tables: StudyTables) -> list[str]:
    """The languages of the study's monolingual scaling grid (none without one)."""
    grid = tables.experiment("mono", "scaling")
    return sorted(grid["target"].dropna().unique()) if "target" in grid.columns else []


def study_comparison(tables: StudyTables) -> Comparison:
    """Table 1's inputs from the study: the law runs of every kind, the scaling grid's languages as targets, the
    bilingual runs for tau's starts (``atlas_core.analysis.law_comparison.comparison``)."""
    families = {code: info.family for code, info in tables.languages.items()}
    rows = evaluations(*(tables.kind(kind) for kind in LAW_KINDS))
    return comparison(rows, tables.kind("bilingual"), grid_languages(tables), families)


def claims(tables: StudyTables) -> list[Claim]:
    """Chapter 3's claims on the study's held-out R² tables (nothing measured without a scaling grid)."""
    if not grid_languages(tables):
        return table1_claims(pd.DataFrame(columns=R2_COLUMNS), pd.DataFrame(columns=R2_COLUMNS))
    law_runs = pd.concat([tables.kind(kind) for kind in LAW_KINDS])
    seconds = {"mono": float(run_seconds(tables.experiment("mono", "scaling")).sum()),
               "multi": float(run_seconds(law_runs).sum())}
    return table1_claims(*table1_r2(study_comparison(tables)), seconds)
