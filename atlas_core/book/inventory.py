"""What a study is made of, as tables for the book's first chapter (presentation only: the runner never needs it): the
paper's Table B.1 beside a profile's plan, the languages and their text, the model ladder and the trainer's measured
throughput.

    table_b1(plan)                    our experiment inventory, one row per experiment, with the paper's counts
    language_table(langs)             code, name, script, family, bytes per split, the parallel test set's cost
    parallel_lines(langs, line)       one line of the parallel test set in several languages
    ladder_table(scales)              N, N with embeddings, FLOPs per token, benchmarked tokens per second
    measured_throughput(rows)         training tokens per second of finished runs, per scale
    setup_comparison(plan, ...)       the paper's setup beside ours, ingredient by ingredient (a description)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from atlas_core.data import LANGUAGES, load_split, resolve_corpus
from atlas_core.errors import AtlasError
from atlas_core.experiments.plan import Plan
from atlas_core.experiments.runs import format_tokens
from atlas_core.model import get_scale
from atlas_core.published import PAPER_TABLE_B1
from atlas_core.train.config import CONTROL_SOURCES

# Our experiment kinds (atlas_core.experiments.kinds) and the paper's Table B.1 tag each one plays.
PAPER_TAG = {"mono": "Mono <Lang>", "unimax": "Unimax", "bilingual": "Language Pairs", "capacity": "Capacity",
             "finetune": "Finetunes"}
TRAIN_DATA = {"mono": "monolingual", "unimax": "multilingual (Unimax)", "bilingual": "bilingual 50/50 + controls",
              "capacity": "uniform sampling", "finetune": "monolingual, from the Unimax base"}


def _languages_of(mixtures: Iterable[dict[str, float]]) -> list[str]:
    return sorted({s for m in mixtures for s, w in m.items() if w > 0 and s not in CONTROL_SOURCES})


def _tokens_label(tokens: Iterable[int]) -> str:
    values = sorted(set(tokens))
    return ", ".join(format_tokens(t) for t in values)


def table_b1(plan: Plan, done: set[str] = frozenset()) -> pd.DataFrame:
    """One row per experiment of the plan, in the paper's Table B.1 layout, with the paper's count for its tag.

    Columns: experiment, kind, tag (the paper's), train data, languages, scales, tokens, runs (its distinct runs),
    shared (how many of them other experiments also use), done, core_s (estimated, when the plan has estimates),
    paper_runs (the paper's experiments with that tag, all rows of Table B.1 together).
    """
    paper = PAPER_TABLE_B1.groupby("tag", sort=False)["runs"].sum()
    rows = []
    for name, spec in plan.profile.experiments.items():
        runs = [r for r in plan.runs if name in r.experiments]
        if not runs:
            continue
        kind = spec["kind"]
        languages = _languages_of(r.config.mixture for r in runs)
        rows.append(dict(
            experiment=name, kind=kind, tag=PAPER_TAG[kind], **{"train data": TRAIN_DATA[kind]},
            languages=f"{len(languages)}: {' '.join(languages)}",
            scales=", ".join(dict.fromkeys(r.config.scale for r in runs)),
            tokens=_tokens_label(r.config.tokens for r in runs),
            runs=len(runs), shared=sum(len(r.experiments) > 1 for r in runs),
            done=sum(r.run_id in done for r in runs),
            core_s=float(np.nansum([r.est_seconds for r in runs])),
            paper_runs=int(paper[PAPER_TAG[kind]]),
        ))
    if not rows:
        raise AtlasError(f"profile {plan.profile.name!r}: its plan has no runs")
    return pd.DataFrame(rows)


def plan_languages(plan: Plan) -> list[str]:
    """Every language a plan trains on or evaluates (control sources are not languages)."""
    evals = {lang for r in plan.runs for lang in r.config.eval_langs}
    return sorted(set(_languages_of(r.config.mixture for r in plan.runs)) | (evals - set(CONTROL_SOURCES)))


def language_table(langs: Iterable[str], reference: str = "en") -> pd.DataFrame:
    """Per language: name, script, family, bytes of the train and test splits, test lines, UTF-8 bytes per
    character, and the test set's bytes relative to ``reference``'s (the test split is verse-aligned, so this is
    what the same text costs in UTF-8 bytes: a byte-level model reads a Cyrillic verse as half again as long as an
    English one)."""
    langs = list(langs)
    if not langs:
        raise AtlasError("language_table: no languages given")
    rows = []
    for code in [*langs, *([] if reference in langs else [reference])]:
        if code not in LANGUAGES:
            raise AtlasError(f"language_table: unknown language {code!r}")
        meta = LANGUAGES[code]
        text = resolve_corpus(code).path("test").read_text(encoding="utf-8")
        test_bytes = load_split(code, "test").n_bytes
        rows.append(dict(lang=code, name=meta.name, script=meta.script, family=meta.family,
                         train_bytes=load_split(code, "train").n_bytes, test_bytes=test_bytes,
                         test_lines=text.count("\n"), bytes_per_char=test_bytes / len(text)))
    table = pd.DataFrame(rows).set_index("lang")
    table[f"test_bytes_vs_{reference}"] = table["test_bytes"] / table.loc[reference, "test_bytes"]
    return table.loc[langs]


def parallel_lines(langs: Iterable[str], line: int = 0) -> pd.Series:
    """Line ``line`` of the test split in each language (the same verse everywhere: the test set is parallel)."""
    out = {}
    for code in langs:
        with open(resolve_corpus(code).path("test"), encoding="utf-8") as fh:
            text = next((t for i, t in enumerate(fh) if i == line), None)
        if text is None:
            raise AtlasError(f"parallel_lines: the {code} test split has no line {line}")
        out[code] = text.rstrip("\n")
    return pd.Series(out, name=f"test line {line}")


def ladder_table(scales: Iterable[str]) -> pd.DataFrame:
    """The model ladder at the byte vocabulary: shape, N (non-embedding, what the laws use), N with embeddings,
    training FLOPs per token, the benchmarked training tokens per second (one CPU thread), the paper's 6N FLOPs
    per token for comparison and their ratio ``flops_vs_6N``."""
    rows = []
    for name in scales:
        scale = get_scale(name)
        cfg = scale.config()
        rows.append(dict(scale=name, d_model=scale.d_model, n_layer=scale.n_layer, n_head=scale.n_head,
                         N=cfg.n_params_non_embedding, N_total=cfg.n_params, flops_per_token=cfg.flops_per_token,
                         six_N=6 * cfg.n_params_non_embedding, bench_tokens_per_s=scale.tokens_per_s))
    if not rows:
        raise AtlasError("ladder_table: no scales given")
    table = pd.DataFrame(rows).set_index("scale")
    return table.assign(flops_vs_6N=table["flops_per_token"] / table["six_N"])


def measured_throughput(rows: pd.DataFrame) -> pd.DataFrame:
    """Training tokens per second of each finished run (tokens at its final evaluation over its training seconds,
    evaluation excluded), summarised per scale: runs, median, min and max.

    ``rows``: evaluation rows with columns run_id, scale, tokens, wall_s and is_final (``Study.rows()``).
    Finetunes count from their own start, as their ``tokens`` do.
    """
    missing = [c for c in ("run_id", "scale", "tokens", "wall_s", "is_final") if c not in rows.columns]
    if missing:
        raise AtlasError(f"measured_throughput: missing column(s) {', '.join(missing)}")
    final = rows[rows["is_final"].astype(bool) & (rows["wall_s"] > 0)].drop_duplicates("run_id")
    if final.empty:
        raise AtlasError("measured_throughput: no finished run with a positive training time")
    rate = (final["tokens"] / final["wall_s"]).rename("tokens_per_s")
    summary = rate.groupby(final["scale"]).agg(["count", "median", "min", "max"]).rename(columns={"count": "runs"})
    order = final.groupby("scale")["N"].first().sort_values().index if "N" in final.columns else summary.index
    return summary.loc[order].rename_axis("scale")


SAME, SCALED, SUBSTITUTED, OUT_OF_REACH = "same", "scaled down", "substituted", "out of reach"
HOW = (SAME, SCALED, SUBSTITUTED, OUT_OF_REACH)


def setup_comparison(plan: Plan, inventory: pd.DataFrame, ladder: pd.DataFrame,
                     languages: pd.DataFrame) -> pd.DataFrame:
    """The paper's setup beside a profile's, ingredient by ingredient: a description, not a verdict (a setup is
    not a claim). ``how`` is one of :data:`HOW` (the same ingredient, scaled down, substituted, or out of reach
    here) and ``note`` says what differs. ``inventory``: :func:`table_b1`; ``ladder``: :func:`ladder_table`;
    ``languages``: :func:`language_table` of :func:`plan_languages`."""
    paper_runs, runs = int(PAPER_TABLE_B1["runs"].sum()), len(plan.runs)
    tags_paper, tags_ours = list(dict.fromkeys(PAPER_TABLE_B1["tag"])), set(inventory["tag"])
    evaluated = {lang for r in plan.runs for lang in (r.config.eval_langs or r.config.mixture)
                 if lang in languages.index}
    schedule = plan.profile.train.get("schedule", "wsd").upper()
    rows = [
        ("experiments (runs)", paper_runs, runs, SCALED, f"the same kinds of experiment, about {paper_runs / runs:.0f}x "
         "fewer runs"),
        ("kinds of experiment (Table B.1 tags)", ", ".join(tags_paper),
         ", ".join(t for t in tags_paper if t in tags_ours), SAME if tags_ours == set(tags_paper) else SCALED,
         "Multi <Lang> is the same as Mono <Lang> with one byte vocabulary"),
        ("model sizes", "9M-8.5B (about 1000x)", f"{ladder['N'].min():,}-{ladder['N'].max():,} non-embedding "
         f"({ladder['N'].max() / ladder['N'].min():.0f}x)", OUT_OF_REACH,
         "CPU budget; so narrow a span of N limits every N exponent"),
        ("languages trained / evaluated", "420 (Unimax) / 48-50", f"{len(languages)} / {len(evaluated)}", SCALED,
         "the Bible languages this profile trains on; a handful of them are evaluated"),
        ("parallel test set", "Flores-101", f"6 held-out books, {languages['test_lines'].iloc[0]} verses in every "
         "language", SUBSTITUTED, "verse-aligned like Flores, but one domain (scripture) for train and test"),
        ("loss", "vocabulary-insensitive (Tao et al.)", "nats per UTF-8 byte", SUBSTITUTED,
         "byte level is vocabulary-free; bytes per verse still differ by script (table above)"),
        ("schedule", "AdamW, WSD, 10% decay", f"AdamW, {schedule}, 10% decay",
         SAME if schedule == "WSD" else SUBSTITUTED, "transfer runs use a constant rate (anytime curves)"),
        ("compute per token", "6N", f"{ladder['flops_vs_6N'].min():.1f}-{ladder['flops_vs_6N'].max():.1f} x 6N",
         SUBSTITUTED, "tiny bodies: the unembedding and attention dominate; the laws keep C = 6ND"),
    ]
    table = pd.DataFrame(rows, columns=["ingredient", "paper", "ours", "how", "note"]).set_index("ingredient")
    return table.astype({"paper": str, "ours": str})
