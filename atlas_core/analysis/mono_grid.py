"""Chapter 2's monolingual grid as the tables its sections show: one call per table or figure.

    MonoGrid.from_rows(rows, languages)   the grid's evaluations per language: along the runs, past the start, ends
    grid.final()                          the run ends, labelled by unique-token pool and curve
    grid.ranges()                         per language: runs, sizes, the span of D and the most epochs
    grid.unique_pool()                    every evaluation on each language's largest pool (for anytime_excess)
    grid.repetition(fits)                 measured and fitted cost of repetition, every repeated language
    grid.budgets(), grid.caps()           the compute budgets the runs span; the capped pools
    grid.explorer_ranges()                the tokens and model sizes the law explorer spans
    points_check(grid, starts)            CSL fitted to run ends and to points along the runs
    paper_exponents(), exponents_beside_paper(params), tied_beside_paper(params), explorable(params)
    excess_sentence(excess)               the anytime points against decayed runs, in one sentence
    tax_curves(tax), tax_ends(tax), tokens_per_param(paths, budgets), frontier_tax(regimes, budgets)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from atlas_core import published
from atlas_core.analysis.observations import observations
from atlas_core.analysis.scaling import (exponent_spread, fit_per_language, frontier_gap, law_points,
                                         parameter_table, repetition_vs_law)
from atlas_core.errors import AtlasError
from atlas_core.fit import FitResult
from atlas_core.laws import Atlas, Chinchilla, DataConstrained

LAWS = {"CSL": (Chinchilla(), {}), "CSL (alpha = beta)": (Chinchilla(), {"tie_exponents": True}),
        "DCSL": (DataConstrained(), {}), "ATLAS (D_t only)": (Atlas(), {})}  # chapter 2's laws, per language
MONO_C1 = "mono-vocab, mono-train"  # the regime of Table C.1 that chapter 2 compares with
LAW_COLUMNS = ["lang", "E", "A", "B", "alpha", "beta"]


@dataclass(frozen=True)
class MonoGrid:
    """A monolingual scaling grid's observations per language: ``curves`` (every evaluation), ``along`` (past the
    warmup and the first 10% of each run: :func:`~atlas_core.analysis.scaling.law_points`) and ``ends`` (one
    point per run, after its decay)."""

    rows: pd.DataFrame
    curves: Mapping[str, pd.DataFrame]
    along: Mapping[str, pd.DataFrame]
    ends: Mapping[str, pd.DataFrame]

    @classmethod
    def from_rows(cls, rows: pd.DataFrame, languages: Sequence[str]) -> MonoGrid:
        """The grid of ``rows`` (``Study.rows("mono")`` of the scaling experiment) for ``languages``."""
        if rows.empty or not languages:
            raise AtlasError("monolingual grid: no finished run of the scaling experiment (run the study first)")
        every, along, ends = (law_points(rows, "curve", min_share=0.0), law_points(rows, "curve"), law_points(rows))
        return cls(rows, *({lang: observations(t, lang) for lang in languages} for t in (every, along, ends)))

    @property
    def repeated(self) -> list[str]:
        """The languages trained on two unique-token pools."""
        return [lang for lang, curve in self.curves.items() if curve["U"].nunique() == 2]

    def final(self) -> pd.DataFrame:
        """The run ends of every language with ``pool`` ("full", or "<U>K unique" for a capped pool) and
        ``curve`` (language, pool and N: one line per model in a chart against D)."""
        final = pd.concat(self.ends.values(), ignore_index=True)
        capped = final["U"] < final.groupby("lang")["U"].transform("max")
        pool = np.where(capped, (final["U"] / 1e3).round().astype(int).astype(str) + "K unique", "full")
        final = final.assign(pool=pool)
        return final.assign(curve=final["lang"] + " " + final["pool"] + ", N=" + final["N"].astype(str))

    def ranges(self) -> pd.DataFrame:
        """Per language: runs, model sizes, the smallest and largest D and the most epochs D/U of a run end."""
        return pd.DataFrame({lang: {"runs": t["run_id"].nunique(), "sizes N": t["N"].nunique(), "D from": t["D"].min(),
                                    "D to": t["D"].max(), "largest D/U": (t["D"] / t["U"]).max()}
                             for lang, t in self.ends.items()}).T

    def unique_pool(self) -> pd.DataFrame:
        """Every evaluation on each language's largest unique-token pool (the capped pools repeat)."""
        return pd.concat([c[c["U"] == c["U"].max()] for c in self.curves.values()], ignore_index=True)

    def unique_along(self, languages: Sequence[str]) -> dict[str, pd.DataFrame]:
        """The points along the runs on the largest pool, for ``languages``."""
        return {lang: self.along[lang][self.along[lang]["U"] == self.along[lang]["U"].max()] for lang in languages}

    def repetition(self, atlas_fits: Mapping[str, FitResult]) -> pd.DataFrame:
        """:func:`~atlas_core.analysis.scaling.repetition_vs_law` of every repeated language, its curves named
        "<lang> <curve>"; empty when no language has two pools."""
        parts = [repetition_vs_law(self.curves[lang], atlas_fits[lang]).assign(curve=lambda t, lang=lang: lang + " "
                                                                               + t["curve"]) for lang in self.repeated]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["epochs", "gap", "curve"])

    def caps(self) -> dict[str, float]:
        """The capped (smaller) unique-token pool of each repeated language."""
        return {lang: float(self.curves[lang]["U"].min()) for lang in self.repeated}

    def budgets(self, n: int = 13) -> np.ndarray:
        """``n`` compute budgets C = 6ND from the smallest run end's to the largest N times the largest D."""
        points = pd.concat(self.ends.values())
        return np.geomspace(6 * points["N"].min() * points["D"].min(), 6 * points["N"].max() * points["D"].max(), n)

    def explorer_ranges(self) -> dict[str, tuple]:
        """The law explorer's D range and log10 N slider (half a decade beyond the sizes, starting at the median)."""
        points = pd.concat(self.ends.values())
        log_n = np.log10(points["N"])
        return dict(D_range=(points["D"].min(), points["D"].max()),
                    log10_N=(log_n.min() - 0.5, log_n.max() + 0.5, float(np.median(log_n))))


def points_check(grid: MonoGrid, starts: int) -> pd.DataFrame:
    """CSL fitted per language to the run ends and to the points along the runs: R^2, exponents and points."""
    fits = {name: parameter_table(fit_per_language({"CSL": (Chinchilla(), {})}, tables, starts=starts))
            for name, tables in (("run ends", grid.ends), ("along the runs", grid.along))}
    check = pd.concat([table.assign(points=name) for name, table in fits.items()])
    return check.pivot_table(index="points", columns="lang", values=["r2", "alpha", "beta", "n_obs"], sort=False)


def paper_exponents() -> pd.DataFrame:
    """Table C.1's mono-vocabulary, mono-training laws with a_N = beta / (alpha + beta), law "paper Table C.1"."""
    c1 = published.TABLE_C1[published.TABLE_C1["regime"] == MONO_C1]
    return c1.assign(a_N=c1["beta"] / (c1["alpha"] + c1["beta"]), law="paper Table C.1 (mono-vocab)")


def exponents_beside_paper(params: pd.DataFrame) -> pd.DataFrame:
    """:func:`~atlas_core.analysis.scaling.exponent_spread` of the paper's Table C.1 laws and of ours."""
    return pd.concat([exponent_spread(paper_exponents()), exponent_spread(params)], ignore_index=True)


def tied_beside_paper(params: pd.DataFrame) -> pd.DataFrame:
    """Our CSL fits with alpha = beta beside Table C.1's laws (which all have alpha = beta), by source and lang."""
    tied = params[params["law"] == "CSL (alpha = beta)"].dropna(subset=["alpha"])
    return pd.concat([paper_exponents()[LAW_COLUMNS].assign(source="paper (Table C.1)"),
                      tied[LAW_COLUMNS].assign(source="ours (CSL, alpha = beta)")]).set_index(["source", "lang"])


def explorable(params: pd.DataFrame) -> pd.DataFrame:
    """The CSL fits with finite parameters, for the law explorer."""
    fitted = params.dropna(subset=["alpha"])
    return fitted[np.isfinite(fitted[["A", "B"]]).all(axis=1) & fitted["law"].str.startswith("CSL")]


def excess_sentence(excess: pd.DataFrame) -> str:
    """An :func:`~atlas_core.analysis.scaling.anytime_excess` table in one sentence: mean and range."""
    return (f"Anytime points sit {excess['excess'].mean():+.1%} from decayed runs of the same length on average "
            f"(from {excess['excess'].min():+.1%} to {excess['excess'].max():+.1%}).")


def tax_curves(tax: pd.DataFrame) -> pd.DataFrame:
    """A :func:`~atlas_core.analysis.scaling.unimax_tax` table with ``curve`` = "<lang>, N=<N>"."""
    return tax.assign(curve=tax["lang"] + ", N=" + tax["N"].astype(str))


def tax_ends(tax: pd.DataFrame) -> pd.DataFrame:
    """The last common evaluation of each (lang, N) of a measured tax: tokens, both losses and the gap."""
    return tax.sort_values("tokens").groupby(["lang", "N"]).last()[["tokens", "reference_loss", "loss", "gap"]]


def tokens_per_param(paths: pd.DataFrame, budgets: Sequence[float]) -> pd.DataFrame:
    """Compute-optimal tokens per parameter of :func:`~atlas_core.analysis.scaling.pool_trajectories` at the
    smallest, middle and largest of ``budgets`` (rows: trajectories; empty without any)."""
    if paths.empty:
        return pd.DataFrame()
    shown = [budgets[0], budgets[len(budgets) // 2], budgets[-1]]
    return paths[paths["C"].isin(shown)].pivot_table(index="lang", columns="C", values="tokens_per_param")


def frontier_tax(regimes: pd.DataFrame, budgets: Sequence[float]) -> tuple[pd.DataFrame, str]:
    """The tax on the compute-optimal frontiers of :func:`~atlas_core.analysis.scaling.regime_laws` (Unimax over
    monolingual), and "" or why there is none (no fit in a regime, a law without a frontier)."""
    try:
        return frontier_gap(regimes.dropna(subset=["alpha"]), "monolingual", budgets), ""
    except (AtlasError, KeyError, OverflowError) as err:
        return pd.DataFrame(columns=["C", "tax", "lang"]), f"No frontier comparison with this profile: {err}"
