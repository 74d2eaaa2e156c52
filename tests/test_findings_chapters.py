"""Every chapter's claims on synthetic tables whose answer is known: one that reproduces the paper, one that
contradicts it with a resolved interval, one too noisy to decide."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from atlas_core.findings import CHAPTERS, StudyTables, Verdict, all_claims
from atlas_core import published
from atlas_core.data import LANGUAGES
from atlas_core.findings import chapter2, chapter3, chapter4, chapter5, chapter6, chapter7, chapter8
from atlas_core.findings.evidence import mean_interval

R, C, U = Verdict.REPRODUCED, Verdict.CONTRADICTED, Verdict.UNDECIDED
ROMANCE, SLAVIC = SimpleNamespace(family="Romance", script="Latin"), SimpleNamespace(family="Slavic", script="Cyrillic")
LANGS = {"es": ROMANCE, "pt": ROMANCE, "ru": SLAVIC, "uk": SLAVIC}
PARTNERS = {"es": ("pt", "ru"), "ru": ("uk", "es")}  # (related, unrelated) per target
SEEDS = range(5)


def noise(scale: float, size: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, size)


def verdicts(claims) -> list[Verdict]:
    return [c.verdict for c in claims]


# ---- chapter 4 -----------------------------------------------------------------------------------------------
def transfer_scores(related: float, unrelated: float, null_bts: float, utf3_norm: float, sd: float) -> pd.DataFrame:
    rows = []
    for target, (rel, unrel) in PARTNERS.items():
        for seed in SEEDS:
            rows += [dict(target=target, partner="rand", delta_vs_null=-1.0),  # a control, never a language
                     dict(target=target, partner=rel, delta_vs_null=-related),
                     dict(target=target, partner=unrel, delta_vs_null=-unrelated),
                     dict(target=target, partner="null", bts=null_bts, delta_vs_null=0.0),
                     dict(target=target, partner="utf3", bts_norm=utf3_norm)]
            for row in rows[-5:]:
                row["seed"] = seed
    table = pd.DataFrame(rows).reindex(columns=["target", "partner", "seed", "bts", "bts_norm", "delta_vs_null"])
    for seed, column in enumerate(("bts", "bts_norm", "delta_vs_null")):
        table[column] = table[column] + noise(sd, len(table), seed=seed)
    return table


@pytest.mark.parametrize("case, expected", [
    (dict(related=0.08, unrelated=-0.02, null_bts=0.01, utf3_norm=0.05, sd=0.01), [R, R, R]),
    (dict(related=-0.05, unrelated=0.05, null_bts=0.46, utf3_norm=0.9, sd=0.01), [C, C, C]),
    (dict(related=0.02, unrelated=0.0, null_bts=0.1, utf3_norm=0.25, sd=0.5), [U, U, U]),
])
def test_chapter4_on_synthetic_scores(case, expected) -> None:
    scores = transfer_scores(**case)
    assert verdicts(chapter4.transfer_claims(scores, LANGS, seconds_per_seed=600.0)) == expected
    assert chapter4.subword_claim(scores).verdict is expected[2]  # the utf3 control, whatever the tokenizer


def test_chapter4_with_one_seed_names_what_is_needed() -> None:
    scores = transfer_scores(0.08, -0.02, 0.01, 0.05, 0.01)
    claims = chapter4.transfer_claims(scores[scores["seed"] == 0], LANGS)
    assert verdicts(claims) == [U, U, U]
    assert all(c.reason == "no interval from one of the seeds only: needs 5 seeds per pair, as the full profile trains"
               for c in claims)


# ---- chapter 5 -----------------------------------------------------------------------------------------------
def scale_scores(slope: float, early_related: float, sd: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    sizes = [1e4, 3e4, 1e5]
    scores = pd.DataFrame([dict(target=t, partner=p, seed=s, N=n, delta_vs_null=-(slope * np.log2(n)))
                           for t, ps in PARTNERS.items() for p in ps for s in SEEDS for n in sizes])
    scores["delta_vs_null"] += noise(sd, len(scores), seed=1)
    horizons = pd.DataFrame([dict(scale="s", target=t, partner=p, seed=s, horizon=h,
                                  bts=(early_related if p == ps[0] else 0.0))
                             for t, ps in PARTNERS.items() for p in ps for s in SEEDS for h in (0.1, 1.0)])
    horizons["bts"] += noise(sd, len(horizons), seed=2)
    return chapter5.size_slopes(scores), chapter5.early_gap(horizons, LANGS)


@pytest.mark.parametrize("case, expected", [
    (dict(slope=0.02, early_related=0.3, sd=0.005), [R, R]),
    (dict(slope=-0.02, early_related=-0.3, sd=0.005), [C, C]),
    (dict(slope=0.001, early_related=0.01, sd=0.3), [U, U]),
])
def test_chapter5_on_synthetic_scores(case, expected) -> None:
    assert verdicts(chapter5.scale_claims(*scale_scores(**case))) == expected


# ---- chapter 7 -----------------------------------------------------------------------------------------------
def crossover_tables(first: float, last: float, k: float, sd: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = [dict(scale=f"d{i}", target=t, seed=0, N=n) for i, n in enumerate([1e4, 3e4, 1e5, 3e5])
            for t in ("es", "ru", "pt")]
    gaps = pd.concat([pd.DataFrame(dict(key, tokens=[1e5, 1e7], rel_gap=[first, last])) for key in keys])
    gaps["rel_gap"] += noise(sd, len(gaps), seed=3)
    table = pd.DataFrame(keys)
    table["C_cross"] = 1e6 * table["N"] ** k * np.exp(noise(sd * 20, len(table), seed=4))
    return gaps, table


@pytest.mark.parametrize("case, expected", [
    (dict(first=0.1, last=-0.05, k=1.65, sd=0.005), [R, R, R, R]),
    (dict(first=-0.1, last=0.05, k=0.8, sd=0.005), [C, C, C, C]),
    (dict(first=0.01, last=-0.01, k=1.05, sd=0.2), [U, U, U, U]),
])
def test_chapter7_on_synthetic_curves(case, expected) -> None:
    assert verdicts(chapter7.crossover_claims(*crossover_tables(**case))) == expected


# ---- chapter 2 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a_n, lam, tax, expected", [
    ((0.5, 0.01), (0.06, 0.05, 0.07), (0.05, 0.01), [R, R, R]),
    ((0.8, 0.01), (0.3, 0.25, 0.35), (-0.05, 0.01), [C, C, C]),
    ((0.55, 0.5), (0.03, 0.001, 0.5), (0.01, 0.5), [U, U, U]),
])
def test_chapter2_on_synthetic_fits(a_n, lam, tax, expected) -> None:
    exponents = pd.Series(a_n[0] + noise(a_n[1], 6, seed=5))
    lambda_ = chapter2.Estimate(lam[0], lam[1], lam[2], 12, "runs")
    gaps = pd.DataFrame([dict(lang=lang, N=n, tokens=1e6, gap=tax[0]) for lang in ("es", "ru", "fr") for n in (1, 2)])
    gaps["gap"] += noise(tax[1], len(gaps), seed=6)
    claims = [chapter2.parallel_claim(exponents), chapter2.saturation_claim("es", lambda_), chapter2.tax_claim(gaps)]
    assert verdicts(claims) == expected


def test_every_undecided_claim_says_what_would_decide_it() -> None:
    claims = chapter4.transfer_claims(transfer_scores(0.02, 0.0, 0.1, 0.25, 0.5), LANGS, seconds_per_seed=600.0)
    assert all("would decide it" in c.reason and "core-hours" in c.reason for c in claims)


def test_replicates_without_spread_give_no_interval() -> None:
    claim = chapter2.parallel_claim(pd.Series([0.5, 0.5, 0.5]))
    assert claim.verdict is U and claim.reason.startswith("no spread among 3 languages (every replicate or resample gives 0.5): needs")


def test_a_crossover_law_through_two_sizes_has_no_interval() -> None:
    gaps, table = crossover_tables(first=0.1, last=-0.05, k=1.65, sd=0.0)
    claims = chapter7.crossover_claims(gaps, table[(table["N"] <= 3e4) & (table["target"] == "es")])
    assert claims[2].verdict is U and claims[2].reason == (
        "no spread among 2 model sizes (every replicate or resample gives 1.65): needs crossovers at three or more "
        "model sizes")


def test_mean_interval_is_students_t() -> None:
    est = mean_interval([1.0, 2.0, 3.0], "seeds")
    assert est.value == 2.0 and est.high - est.value == pytest.approx(4.302653 / np.sqrt(3))


def test_all_claims_on_an_empty_study_is_not_measured_in_every_chapter() -> None:
    claims = all_claims(StudyTables(rows={}, languages=LANGUAGES))
    assert {c.chapter for c in claims} == {int(name[-1]) for name in CHAPTERS}
    measured = [c for c in claims if c.chapter != 8 and c.verdict is not Verdict.CONSISTENCY]  # 8: published only
    assert {c.verdict for c in measured} == {Verdict.NOT_MEASURED}
    assert all(c.reason.startswith("not measured here: ") for c in measured)


# ---- chapter 6 -----------------------------------------------------------------------------------------------
def curse_tables(phi: float, psi: float, noise_sd: float) -> StudyTables:
    """Capacity runs at four sizes from the curse law, and monolingual runs at two more budgets (which separate
    beta from psi), shaped as ``Study.rows(kind)``."""
    from test_analysis_curse import TRUE, capacity_rows

    params, sizes = {**TRUE, "phi": phi, "psi": psi}, (1e4, 2.5e4, 5e4, 1e5)
    capacity = capacity_rows(params, sizes=sizes, ks=(1, 2, 4, 8), noise=noise_sd)
    mono = pd.concat([capacity_rows(params, sizes=sizes, ks=(1,), budget=b, noise=noise_sd, seed=i)
                      for i, b in enumerate((7.5e5, 1.5e6))])
    return StudyTables(rows={"capacity": capacity, "mono": mono}, languages=LANGS)


@pytest.mark.parametrize("phi, psi, noise_sd, expected", [
    (0.12, -0.05, 0.002, R),
    (-0.12, 0.05, 0.002, C),
])
def test_chapter6_claims_on_synthetic_capacity_runs(phi, psi, noise_sd, expected) -> None:
    claims = chapter6.claims(curse_tables(phi, psi, noise_sd), n_bootstrap=30)
    assert len(claims) == 2 * 2 + 2 * 2 + 4  # phi and psi per target, N and D_tot multipliers per target, Fig. 4
    assert set(verdicts(claims[:8])) == {expected}
    # dilution alone makes the relative loss grow with K, whatever phi; the law fits its own runs
    assert (claims[8].verdict, claims[11].verdict) == (R, R)


def test_chapter6_claims_on_noisy_capacity_runs_decide_nothing() -> None:
    claims = chapter6.claims(curse_tables(0.12, -0.05, 0.1), n_bootstrap=30)
    assert set(verdicts(claims[:8])) == {U}


# ---- chapter 8 -----------------------------------------------------------------------------------------------
def test_chapter8_claims_read_published_numbers_only() -> None:
    study_rows = {"mono": pd.DataFrame({"run_id": ["x"], "loss": [9.9]})}
    assert (chapter8.claims(StudyTables(rows=study_rows, languages=LANGUAGES))
            == chapter8.claims(StudyTables(rows={}, languages=LANGUAGES)))
    assert chapter8.claims(StudyTables(rows={}, languages=LANGUAGES))[-4:] == chapter8.curse_consistency(
        published.CURSE, published.CURSE_IMPLIED)


# ---- chapter 3 -----------------------------------------------------------------------------------------------
CSL_TRUTH = {"E": 0.8, "A": 40.0, "B": 60.0, "alpha": 0.35, "beta": 0.3}


SIZES, BUDGETS = (1e4, 3e4, 1e5), (2e5, 4e5, 8e5)


def grid_rows(loss_of) -> pd.DataFrame:
    """The monolingual scaling grid of es and ru shaped as ``Study.rows("mono")``: two evaluations per run (the last
    one after the decay), byte-level (loss = bpb ln 2), the loss given by ``loss_of(N, D)`` times 0.02% noise."""
    return pd.concat([grid_language(loss_of, lang, seed) for seed, lang in enumerate(("es", "ru"))], ignore_index=True)


def grid_language(loss_of, lang: str, seed: int) -> pd.DataFrame:
    rng, rows = np.random.default_rng(seed), []
    for n in SIZES:
        for d in BUDGETS:
            for tokens, final in ((d / 2, False), (d, True)):
                bpb = loss_of(n, tokens) * np.exp(0.0002 * rng.standard_normal()) / np.log(2)
                rows.append(dict(run_id=f"{lang}-{n:g}-{d:g}", seed=0, scale=f"{n:g}", N=n, N_total=n + 4096, step=tokens,
                                 tokens=tokens, is_final=final, eval_lang=lang, bpb=bpb, loss=bpb * np.log(2),
                                 phase="decay" if final else "stable", K=1, mixture_kind="mono", init_from=None,
                                 experiments="scaling", experiment="scaling", kind="mono", target=lang,
                                 **{f"D_{lang}": tokens, f"U_{lang}": 1e9, f"p_{lang}": 1.0}))
    return pd.DataFrame(rows)


def chinchilla(n: float, d: float) -> float:
    return CSL_TRUTH["E"] + CSL_TRUTH["A"] / n ** CSL_TRUTH["alpha"] + CSL_TRUTH["B"] / d ** CSL_TRUTH["beta"]


def test_chapter3_claims_on_a_grid_that_follows_a_law() -> None:
    claims = chapter3.claims(StudyTables(rows={"mono": grid_rows(chinchilla)}, languages=LANGS))
    assert claims[0].verdict is R  # the laws fit alike
    assert {c.verdict for c in claims[4:]} == {Verdict.NOT_MEASURED}  # no mixtures: no multilingual setting


def test_chapter3_claims_on_a_grid_that_follows_no_law() -> None:
    rng = np.random.default_rng(0)
    noise = {(n, d): 1.0 + rng.uniform(0, 1) for n in SIZES for d in BUDGETS + tuple(b / 2 for b in BUDGETS)}
    claims = chapter3.claims(StudyTables(rows={"mono": grid_rows(lambda n, d: noise[(n, d)])}, languages=LANGS))
    assert claims[0].verdict is U  # the laws' spread of R^2 swings from split to split
    assert claims[1].verdict is C  # the best law's R^2(D) is far below 0.9


def test_chapter4_recomputes_the_papers_own_statistics_as_consistency_rows() -> None:
    rows = chapter4.paper_matrix_rows(published.transfer_matrix(), LANGUAGES)
    assert [c.verdict for c in rows] == [Verdict.CONSISTENCY] * 3 and all(c.ours is None for c in rows)
    assert rows[2].reason.startswith("recomputed: r = -0.1")  # the paper's r = -0.11 on its own matrix


def test_chapter8_recomputes_the_published_numbers_as_consistency_rows() -> None:
    V = Verdict
    rows = {c.claim: c for c in chapter8.claims(StudyTables(rows={}, languages=LANGUAGES))}
    assert all(c.ours is None and c.low is None for c in rows.values())  # no number of ours in a paper row
    assert rows["reciprocity r (s->t vs t->s)"].verdict is V.CONSISTENCY
    assert "-0.119" in rows["reciprocity r (s->t vs t->s)"].reason
    assert rows["crossover tokens at 2B from the Sec. 6 law"].verdict is V.CONSISTENCY
    assert rows["crossover tokens at 2B from the Fig. 7 caption's law"].verdict is V.CONTRADICTED  # 10x off
    assert rows["English among a target's top-5 sources (Fig. 2)"].verdict in (V.CONSISTENCY, V.UNDECIDED)
