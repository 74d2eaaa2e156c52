"""ATLAS against the baselines (Table 1): held-out R^2 of each law, per target language and split, on one table.

The paper's two settings:

* monolingual: CSL, DCSL and monolingual ATLAS on a language's monolingual runs;
* multilingual: CSL on D_t, MSL (He et al.) and the three ATLAS variants (D_t only, + D_other, + the K_t transfer
  languages) on every run that trained on the target from scratch (our language-free control partners are left
  out: they are not language mixtures).

Every law is scored on the same held-out rows: a split is drawn once per (language, split, seed) on the common
observations table (``atlas_core.analysis.observations``), and each law then reads its own inputs from the same
rows (MSL reads D = D_total and p = its family's share). The splits and the scoring are
``atlas_core.fit.heldout``'s (the same engine as ``heldout_r2``): the D split ranks rows by the target's tokens
D_t, the C split by the compute of all their tokens, 6 N D_total. R^2 is on the loss of the held-out rows.

DCSL is fitted in two stages as Muennighoff et al. do (``atlas_core.fit.fit_two_stage``); the one-stage fit of all
seven parameters is an extra row, labelled as such, when asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from atlas_core.analysis.observations import observations
from atlas_core.analysis.scaling import law_points
from atlas_core.analysis.transfer import bts_table, summarize_transfer, transfer_matrix
from atlas_core.errors import AtlasError, require_columns
from atlas_core.fit import FAILED, FitResult, fit_law, fit_two_stage, heldout_mask, score_heldout
from atlas_core.fit.groups import LawSpec
from atlas_core.fit.heldout import Fitter, Inputs
from atlas_core.fit.polish import NOT_CONVERGED
from atlas_core.laws import Atlas, Chinchilla, DataConstrained, MultilingualSL, atlas_factory

SETTINGS = ("mono", "multi")
SPLITS = {"random": "R2", "N": "R2_N", "D": "R2_D", "C": "R2_C", "M": "R2_M"}  # our split -> Table 1 column
MONO_SPLITS, MULTI_SPLITS = ("random", "N", "D", "C"), ("random", "N", "D", "C", "M")
STARTS = 100  # grid starts per fit
K_TRANSFER = 3  # transfer languages K_t of the full ATLAS (the paper's best choice)
CONTROL_PREFIX = "control-"


@dataclass(frozen=True)
class Candidate:
    """A law in the comparison: its Table 1 name, the law (or a factory ``(lang, rows) -> Law``), how its input
    columns are derived from the common observations table (None: read as they are), how it is fitted
    (``fit_law``, or e.g. the two-stage DCSL fit), and ``extends``: the name of an earlier candidate that this law
    contains as a special case, whose fit on the same rows is one more start (``atlas_core.fit.fit_beyond``), so
    that a richer law never fits its training rows worse than the law it extends only because its own starts
    missed."""

    name: str
    law: LawSpec
    inputs: Inputs | None = None
    extends: str | None = None
    fitter: Fitter = fit_law


def setting_rows(obs: pd.DataFrame, setting: str) -> pd.DataFrame:
    """The rows of an observations table that a setting uses: ``mono`` keeps monolingual runs, ``multi`` every
    run except those with a language-free control partner (``mixture_kind`` "control-...")."""
    if setting not in SETTINGS:
        raise AtlasError(f"setting must be one of {', '.join(SETTINGS)}, got {setting!r}")
    if "mixture_kind" not in obs.columns:
        raise AtlasError("observations: missing column 'mixture_kind'")
    kinds = obs["mixture_kind"].astype(str)
    keep = kinds == "mono" if setting == "mono" else ~kinds.str.startswith(CONTROL_PREFIX)
    return obs[keep.to_numpy()].reset_index(drop=True)


def family_share(obs: pd.DataFrame, target: str, families: Mapping[str, str]) -> pd.Series:
    """Share of the target's language family in each row's training tokens: (D_t + sum of D_s over the sources
    s of the same family) / D_total. ``families`` maps a language code to its family (``atlas_core.data``)."""
    if target not in families:
        raise AtlasError(f"family_share: no family for target {target!r}")
    for column in ("D", "D_total"):
        if column not in obs.columns:
            raise AtlasError(f"family_share: missing column {column!r}")
    same = [c for c in obs.columns if c.startswith("D_") and c not in ("D_total", f"D_{target}")
            and families.get(c[2:]) == families[target]]
    tokens = obs["D"].astype(float) + obs[same].astype(float).sum(axis=1)
    return (tokens / obs["D_total"].astype(float)).rename("p")


def msl_inputs(families: Mapping[str, str]) -> Callable[[pd.DataFrame, str], pd.DataFrame]:
    """MSL's columns from an observations table: D = all training tokens, p = the target family's share."""

    def inputs(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
        return rows.assign(D=rows["D_total"].astype(float), p=family_share(rows, lang, families).clip(upper=1.0))

    return inputs


# Table 1's law names (the paper's, matched by ``beside_paper``), and our one-stage DCSL row
CSL, CSL_DT, MSL = "Chinchilla (CSL)", "Chinchilla (CSL, on D_t)", "Multilingual SL (He et al.)"
DCSL = "Data-constrained (DCSL)"
DCSL_ONE_STAGE = "Data-constrained (DCSL, one-stage 7-parameter fit; not the paper's)"
ATLAS_DT, ATLAS_OTHER = "ATLAS (D_t only)", "ATLAS (D_t + D_other)"
ATLAS_FULL = "ATLAS (D_t + D_other + transfer K_t)"


def mono_candidates(*, one_stage_dcsl: bool = False) -> list[Candidate]:
    """The monolingual rows of Table 1: CSL, DCSL (two-stage, as published), ATLAS (D_t only); with
    ``one_stage_dcsl`` also DCSL fitted in one stage, labelled so."""
    dcsl = [Candidate(DCSL, DataConstrained(), fitter=fit_two_stage)]
    if one_stage_dcsl:
        dcsl.append(Candidate(DCSL_ONE_STAGE, DataConstrained()))
    return [Candidate(CSL, Chinchilla()), *dcsl, Candidate(ATLAS_DT, Atlas())]


def multi_candidates(families: Mapping[str, str], *, transfer_matrix: pd.DataFrame | None = None,
                     languages: Sequence[str] | None = None, k: int = 3) -> list[Candidate]:
    """The multilingual rows of Table 1: CSL on D_t, MSL, and ATLAS with D_t only, + D_other, + K_t.

    K_t is the ``k`` sources co-sampled with the target in the most mixtures (among ``languages`` when given), and
    their tau start from the BTS of ``transfer_matrix`` (rows = target, columns = source) where it has an entry
    (``atlas_core.laws.atlas_factory``).
    """
    full = atlas_factory(k=k, other=True, transfer_matrix=transfer_matrix, languages=languages)
    return [Candidate(CSL_DT, Chinchilla()),
            Candidate(MSL, MultilingualSL(), msl_inputs(families)),
            Candidate(ATLAS_DT, Atlas()),
            Candidate(ATLAS_OTHER, Atlas(other=True), extends=ATLAS_DT),
            Candidate(ATLAS_FULL, full, extends=ATLAS_OTHER)]


def _masks(tables: Mapping[str, pd.DataFrame], splits: Sequence[str], seeds: Sequence[int], frac: float):
    """(lang, split, seed, held-out mask or the reason there is none) for every split to score."""
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise AtlasError(f"unknown split(s) {', '.join(unknown)}; choose from {', '.join(SPLITS)}")
    if not tables:
        raise AtlasError("no target languages")
    for lang, rows in tables.items():
        for split in splits:
            for seed in (seeds if split == "random" else seeds[:1]):
                try:
                    mask = heldout_mask(rows, split, frac=frac, seed=seed)
                    if mask.all() or not mask.any():
                        raise AtlasError(f"split '{split}' leaves {'no training' if mask.all() else 'no held-out'} "
                                         f"rows")
                except AtlasError as err:
                    yield lang, split, seed, str(err)
                    continue
                yield lang, split, seed, mask


def _score(cand: Candidate, rows: pd.DataFrame, lang: str, mask: np.ndarray, seed: int, fit_kwargs: dict,
           fitted: dict[str, FitResult]):
    """The candidate fitted on the kept rows and scored on the held-out ones (``atlas_core.fit.score_heldout``);
    its fit is recorded in ``fitted`` for the candidates that extend it."""
    nested = fitted.get(cand.extends) if cand.extends else None
    score = score_heldout(cand.law, rows, mask, key=lang, inputs=cand.inputs, fitter=cand.fitter,
                          nested=nested if nested is not None and nested.ok else None, seed=seed, **fit_kwargs)
    fitted[cand.name] = score.fit
    return score


def _note(fit: FitResult) -> str:
    """Why a score is missing or not to be trusted: the message of a failed or unconverged fit."""
    return fit.message if fit.status in (FAILED, NOT_CONVERGED) else ""


def r2_table(tables: Mapping[str, pd.DataFrame], candidates: Sequence[Candidate], splits: Sequence[str], *,
             seeds: Sequence[int] = (0,), frac: float = 0.2, **fit_kwargs) -> pd.DataFrame:
    """Held-out R^2 of every candidate law, per target language, split and (for the random split) seed.

    ``tables`` maps a target language to its observations (one setting's rows). Each (language, split, seed)
    draws its held-out rows once with :func:`atlas_core.fit.heldout_mask`; every law is fitted on the other rows
    (``fit_kwargs`` go to :func:`atlas_core.fit.fit_law`) and scored on these. A split or fit that cannot be made
    (no held-out rows, too few training rows, a degenerate fit whose prediction overflows) gives NaN with the
    reason in ``note``, so a table with too few points still prints. Columns: law, lang, split, seed, r2,
    n_train, n_test, status, note.
    """
    out = []
    for lang, split, seed, mask in _masks(tables, splits, seeds, frac):
        base = dict(lang=lang, split=split, seed=seed)
        if isinstance(mask, str):
            out += [dict(base, law=c.name, r2=np.nan, n_train=0, n_test=0, status="", note=mask) for c in candidates]
            continue
        rows, fitted = tables[lang], {}
        for cand in candidates:
            score = _score(cand, rows, lang, mask, seed, fit_kwargs, fitted)
            out.append(dict(base, law=cand.name, r2=score.r2, n_train=score.n_train, n_test=score.n_test,
                            status=score.fit.status, note=_note(score.fit)))
    return pd.DataFrame(out)[["law", "lang", "split", "seed", "r2", "n_train", "n_test", "status", "note"]]


def heldout_predictions(tables: Mapping[str, pd.DataFrame], candidates: Sequence[Candidate], split: str, *,
                        seed: int = 0, frac: float = 0.2, **fit_kwargs) -> pd.DataFrame:
    """Every held-out row of one split with each law's prediction: law, lang, the row's run_id, N and D when
    present, observed and predicted loss. Laws that cannot be fitted are left out."""
    out = []
    for lang, _, _, mask in _masks(tables, [split], [seed], frac):
        if isinstance(mask, str):
            continue
        rows, fitted = tables[lang], {}
        held = rows.loc[mask, [c for c in ("run_id", "mixture_kind", "N", "D") if c in rows.columns]]
        for cand in candidates:
            score = _score(cand, rows, lang, mask, seed, fit_kwargs, fitted)
            if score.predicted is not None:
                out.append(held.assign(law=cand.name, lang=lang, observed=rows.loc[mask, "loss"].to_numpy(dtype=float),
                                       predicted=score.predicted))
    if not out:
        raise AtlasError(f"heldout_predictions: no law could be fitted and scored on split '{split}'")
    return pd.concat(out, ignore_index=True)


def r2_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean R^2 over languages (and random-split seeds) per law and split, in Table 1's layout: one row per law
    (in the order given), columns R2, R2_N, R2_D, R2_C, R2_M for the splits that were scored."""
    for column in ("law", "split", "r2"):
        if column not in table.columns:
            raise AtlasError(f"r2_summary: missing column {column!r}")
    per_lang = table.groupby(["law", "lang", "split"], sort=False)["r2"].mean().reset_index()
    summary = per_lang.pivot_table(index="law", columns="split", values="r2", aggfunc="mean", sort=False)
    summary = summary.reindex(index=list(dict.fromkeys(table["law"])),
                              columns=[s for s in SPLITS if s in set(table["split"])])
    return summary.rename(columns=SPLITS).rename_axis(index="law", columns=None)


def random_split_spread(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of the random-split R^2, per law and language (how much of a
    difference between two laws the choice of held-out rows alone can make)."""
    part = table[table["split"] == "random"]
    if part.empty:
        raise AtlasError("random_split_spread: no random-split rows")
    return part.groupby(["law", "lang"], sort=False)["r2"].agg(["mean", "std", "count"]).rename(
        columns={"std": "sd", "count": "seeds"}).reset_index()


def beside_paper(summary: pd.DataFrame, published: pd.DataFrame, setting: str) -> pd.DataFrame:
    """Our Table 1 rows beside the paper's (``atlas_core.published.TABLE1_R2``) for one setting: columns
    "<split> ours" and "<split> paper", laws matched by name; a law the paper did not fit (e.g. the one-stage
    DCSL) has NaN in the paper columns."""
    if setting not in SETTINGS:
        raise AtlasError(f"setting must be one of {', '.join(SETTINGS)}, got {setting!r}")
    paper = published[published["setting"] == setting].set_index("law").reindex(summary.index)
    columns = [c for c in summary.columns if c in paper.columns]
    parts = {}
    for column in columns:
        parts[f"{column} ours"] = summary[column]
        parts[f"{column} paper"] = paper[column]
    return pd.DataFrame(parts, index=summary.index)


def byte_level(rows: pd.DataFrame) -> pd.Series:
    """Whether each run in ``rows`` reads bytes: one token per byte, so its per-token loss is its per-byte loss
    (loss = bpb ln 2 on every evaluation). By run_id."""
    require_columns(rows, ("run_id", "loss", "bpb"), "byte_level")
    same = np.isclose(rows["loss"].astype(float), rows["bpb"].astype(float) * math.log(2), rtol=1e-6)
    return pd.Series(same, index=rows.index).groupby(rows["run_id"]).all()


def law_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The evaluation rows the laws of Table 1 see (rows shaped as ``Study.rows()``): byte-level runs whose last
    evaluation follows a learning-rate decay (the transfer experiments' constant-rate runs never decay), and of the
    monolingual runs only the scaling grid's."""
    require_columns(rows, ("run_id", "is_final", "phase", "mixture_kind", "experiments"), "law_rows")
    if rows.empty:
        return rows
    byte = byte_level(rows)
    decayed = rows[rows["is_final"].astype(bool)].groupby("run_id")["phase"].last() == "decay"
    grid = rows["experiments"].astype(str).str.split(",").map(lambda uses: "scaling" in uses)
    keep = (rows["run_id"].map(byte).fillna(False) & rows["run_id"].map(decayed).fillna(False)
            & ((rows["mixture_kind"] != "mono") | grid))
    return rows[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def measured_bts(bilingual: pd.DataFrame) -> pd.DataFrame | None:
    """The byte-level transfer matrix (rows = target, columns = source, mean BTS) at the scale with the most
    targets, which starts ATLAS's tau; None where the rows have no transfer runs to score."""
    if bilingual.empty:
        return None
    byte = byte_level(bilingual)
    try:
        scores = summarize_transfer(bts_table(bilingual[bilingual["run_id"].map(byte).to_numpy(dtype=bool)]))
        scale = scores.groupby("scale")["target"].nunique().idxmax()
        return transfer_matrix(scores, value="bts_mean", scale=scale)
    except AtlasError:
        return None


def random_splits(tables: Mapping[str, pd.DataFrame]) -> range:
    """The seeds of the random 20% splits to draw, from the smallest per-language table: one split per four runs,
    at least 1 and at most 5 (where every run is held out about once)."""
    smallest = min((len(t) for t in tables.values()), default=0)
    return range(int(np.clip(smallest // 4, 1, 5)))


def fit_budget(seeds: range) -> dict:
    """The fitting settings of every held-out fit: :data:`STARTS` grid starts and the two best polished, or only
    the best where a single random split is drawn (a toy grid, where the fits are not worth the time)."""
    return {"starts": STARTS, "n_polish": 1 if len(seeds) == 1 else 2}


@dataclass(frozen=True)
class Comparison:
    """What Table 1 is computed from: each setting's observations per target language, the measured BTS matrix
    that starts tau (None without transfer runs), the languages that can be transfer languages, every language's
    family (for MSL), the random splits' seeds (:func:`random_splits`) and the fitting settings (:func:`fit_budget`)."""

    mono: dict[str, pd.DataFrame]
    multi: dict[str, pd.DataFrame]
    bts: pd.DataFrame | None
    sources: list[str]
    families: Mapping[str, str]
    seeds: range
    fit: dict

    def candidates(self, setting: str) -> list[Candidate]:
        """The laws compared in ``setting`` (the monolingual one with the one-stage DCSL row)."""
        if setting == "mono":
            return mono_candidates(one_stage_dcsl=True)
        return multi_candidates(self.families, transfer_matrix=self.bts, languages=self.sources, k=K_TRANSFER)


def comparison(rows: pd.DataFrame, bilingual: pd.DataFrame, languages: Sequence[str],
               families: Mapping[str, str]) -> Comparison:
    """Table 1's inputs from a study's evaluation rows (``Study.rows()``), its bilingual rows
    (``Study.rows("bilingual")``), the scaling grid's ``languages`` and every language's family. A language is a
    multilingual target where its runs include mixtures and more than one model size."""
    points = law_points(law_rows(rows))
    mono = {lang: setting_rows(observations(points, lang), "mono") for lang in languages}
    multi = {}
    for lang in languages:
        table = setting_rows(observations(points, lang), "multi")
        if table["mixture_kind"].nunique() > 1 and table["N"].nunique() > 1:
            multi[lang] = table
    sources = sorted(set(families) & {c[2:] for t in multi.values() for c in t.columns if c.startswith("D_")})
    seeds = random_splits(mono)
    return Comparison(mono, multi, measured_bts(bilingual), sources, families, seeds, fit_budget(seeds))


def table1_r2(comp: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The :func:`r2_table` of each setting, ``(mono, multi)``, with the comparison's splits and fitting settings;
    a setting without target languages gives an empty table."""
    out = []
    for setting, tables, splits in (("mono", comp.mono, MONO_SPLITS), ("multi", comp.multi, MULTI_SPLITS)):
        out.append(r2_table(tables, comp.candidates(setting), splits, seeds=comp.seeds, **comp.fit) if tables else
                   pd.DataFrame(columns=["law", "lang", "split", "seed", "r2", "n_train", "n_test", "status", "note"]))
    return out[0], out[1]
