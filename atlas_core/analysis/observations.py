"""The observations table that the scaling-law fitters consume, derived from any run's evaluation rows.

One row per evaluation of a target language t (every point along every curve, ``is_final`` marks the last),
with the columns the laws of ``atlas_core.laws`` read:

- ``N`` non-embedding parameters; ``D`` = D_t, tokens of t seen; ``U`` = U_t, unique tokens of t available;
- ``D_<s>``, ``U_<s>`` for every source s seen in any of the rows (0 tokens where a run did not train on s;
  U_s is then the largest U_s recorded for s, which does not matter since S(0; U) = 0), except the empty
  ``null`` share, which carries no data (its runs are the target alone, with ``p`` = its share);
- ``D_total`` all training tokens that carried data, so that D_other = D_total - D - sum over the transfer
  languages of D_s;
- ``K`` languages in the mixture, ``p`` the sampling weight of t, ``mixture_kind`` ("mono", "bilingual",
  "unimax", "uniform-<K>", "control-<source>", ...) for the paper's R²(M) split;
- ``loss`` in nats per UTF-8 byte (= bpb * ln 2). At byte level this is exactly the trainer's per-token loss;
  with a subword tokenizer it is the per-byte normalisation, which, like the paper's vocabulary-insensitive loss
  (Tao et al. 2024), makes languages and vocabularies comparable. ``bpb`` is kept alongside.

Finetuned runs (column ``init_from`` set) are left out: their token counts start at the finetune, not at the
base model's pretraining, so they are not observations of a from-scratch law.
"""

from __future__ import annotations

import math

import pandas as pd

from atlas_core.errors import AtlasError, require_columns

EMPTY_SOURCE = "null"  # the partner whose share of each batch is empty: counted in tokens, carries no data
RUN_COLUMNS = ["run_id", "seed", "scale", "N", "N_total", "step", "tokens", "is_final", "eval_lang", "bpb",
               "K", "mixture_kind"]


USE_COLUMNS = ("experiment", "kind", "role", "target", "partner")  # added per use by ``Study.rows(kind)``


def evaluations(*frames: pd.DataFrame) -> pd.DataFrame:
    """One row per evaluation (run, step, evaluation language) from tables of ``Study.rows(kind)``, which repeat
    an evaluation once per use of its run; the per-use columns are dropped. The shape of ``Study.rows()``."""
    parts = [f.drop(columns=[c for c in USE_COLUMNS if c in f.columns]) for f in frames if len(f)]
    if not parts:
        return pd.DataFrame(columns=["run_id", "step", "eval_lang"])
    rows = pd.concat(parts, ignore_index=True)
    require_columns(rows, ("run_id", "step", "eval_lang"), "evaluations")
    return rows.drop_duplicates(["run_id", "step", "eval_lang"], ignore_index=True)


def sources_of(rows: pd.DataFrame) -> list[str]:
    """The data sources that have a ``D_<s>`` column in ``rows``, in column order (not the empty null share)."""
    return [c[2:] for c in rows.columns if c.startswith("D_") and c not in ("D_total", f"D_{EMPTY_SOURCE}")]


def observations(rows: pd.DataFrame, target: str) -> pd.DataFrame:
    """The law table for ``target`` from evaluation rows joined with run metadata (``Study.rows()``).

    Required columns: those of ``RUN_COLUMNS``, plus ``D_<s>``, ``U_<s>`` and ``p_<s>`` for the sources. Rows
    evaluated on other languages, rows of runs that did not train on ``target`` (D_t = 0) and finetuned runs
    are dropped. Raises ``AtlasError`` when a column is missing or no run trained on ``target``.
    """
    require_columns(rows, RUN_COLUMNS, "rows")
    for prefix in ("D_", "U_", "p_"):
        if f"{prefix}{target}" not in rows.columns:
            raise AtlasError(f"no run in these rows trained on {target!r} (no column {prefix}{target})")
    sources = sources_of(rows)
    df = rows[(rows["eval_lang"] == target) & (rows[f"D_{target}"].fillna(0) > 0)]
    if "init_from" in df.columns:
        df = df[df["init_from"].isna() | (df["init_from"] == "")]
    if df.empty:
        raise AtlasError(f"no evaluation of {target!r} from a run trained from scratch on it")
    out = df[RUN_COLUMNS].rename(columns={"eval_lang": "lang"}).copy()
    for s in sources:
        out[f"D_{s}"] = df[f"D_{s}"].fillna(0.0).astype(float)
        out[f"U_{s}"] = df[f"U_{s}"].fillna(rows[f"U_{s}"].max()).astype(float)
    out["D"], out["U"] = out[f"D_{target}"], out[f"U_{target}"]
    out["D_total"] = out[[f"D_{s}" for s in sources]].sum(axis=1)
    out["p"] = df[f"p_{target}"].astype(float)
    out["loss"] = out["bpb"] * math.log(2)
    return out.sort_values(["run_id", "tokens"], ignore_index=True)
