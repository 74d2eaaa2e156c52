"""The curse-of-multilinguality analysis on capacity-run tables drawn from a curse law with known parameters."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis.curse import (capacity_fits, capacity_reading, curse_observations, mitigation_slopes,
                                      multiplier_intervals, relative_loss)
from atlas_core.errors import AtlasError
from atlas_core.fit import fit_beyond, fit_law
from atlas_core.laws import CurseLaw, iso_loss_multipliers

TRUE = {"E": 0.5, "A": 30.0, "B": 60.0, "alpha": 0.4, "beta": 0.3, "phi": 0.12, "psi": -0.05}
LANGS = ["es", "ru", *(f"l{i}" for i in range(30))]  # partners beyond the targets
TOKENS = np.geomspace(3e4, 3e6, 12).round()


def capacity_rows(params=TRUE, *, sizes=(1e4, 2.5e4, 1e5), ks=(1, 2, 4, 8), targets=("es", "ru"), noise=0.0,
                  seed=0, weights=None, budget=3e6) -> pd.DataFrame:
    """Rows shaped like ``Study.rows(kind="capacity")``: K = 1 runs per target, K > 1 runs evaluated on every
    target; loss from the curse law at (K, N, D_t = tokens / K) times log-normal noise per curve."""
    rng = np.random.default_rng(seed)
    tokens = TOKENS * budget / TOKENS[-1]
    law, out = CurseLaw(), []
    for n in sizes:
        for k in ks:
            mixtures = [[t] for t in targets] if k == 1 else [list(targets) + LANGS[len(targets):k]]
            for langs in mixtures:
                share = weights or {lang: 1 / len(langs) for lang in langs}
                run_id = f"{n:g}-{'+'.join(langs)}-{budget:g}"
                for lang in targets:
                    if lang not in langs:
                        continue
                    frame = pd.DataFrame({"K": float(k), "N": n, "D": tokens * share[lang]})
                    bpb = law.predict(params, frame) * np.exp(noise * rng.standard_normal()) / math.log(2)
                    for t, b in zip(tokens, bpb):
                        row = dict(run_id=run_id, seed=0, scale=f"{n:g}", N=n, N_total=n + 4096, step=t // 2048,
                                   tokens=t, is_final=t == tokens[-1], eval_lang=lang, bpb=b, K=k,
                                   mixture_kind="mono" if k == 1 else f"uniform-{k}", init_from=None)
                        for s in langs:
                            row |= {f"D_{s}": t * share[s], f"U_{s}": 1e7, f"p_{s}": share[s]}
                        out.append(row)
    return pd.DataFrame(out)


def test_observations_carry_k_d_t_and_loss_in_nats_per_byte():
    obs = curse_observations(capacity_rows())
    assert sorted(obs["lang"].unique()) == ["es", "ru"]
    k8 = obs[(obs["K"] == 8) & (obs["lang"] == "ru")].iloc[-1]
    assert (k8["D"], k8["D_total"], k8["p"]) == (pytest.approx(3e6 / 8), 3e6, pytest.approx(1 / 8))
    expected = CurseLaw().predict(TRUE, pd.DataFrame({"K": [8.0], "N": [k8["N"]], "D": [k8["D"]]}))[0]
    assert k8["loss"] == pytest.approx(expected)
    assert len(obs) == 3 * (2 + 2 * 3) * len(TOKENS)  # sizes x (K = 1 per target + 3 mixtures x 2 targets)
    late = curse_observations(capacity_rows(), min_fraction=0.1)
    assert late["tokens"].min() >= 0.1 * 3e6 and late.groupby("run_id")["tokens"].max().eq(TOKENS[-1]).all()
    final = curse_observations(capacity_rows(), min_fraction=1.0, langs=["ru"])
    assert final["is_final"].all() and len(final) == 3 * 4 and (final["lang"] == "ru").all()  # one per run
    repeated = curse_observations(capacity_rows().assign(U_es=1e6))  # es repeats past 1M tokens: not in the law
    longest = repeated.groupby("lang")["D"].max()
    assert longest["es"] <= 1e6 and longest["ru"] == 3e6


def test_uneven_mixtures_and_bad_arguments_are_named():
    uneven = capacity_rows(ks=(2,), targets=("es", "ru"), weights={"es": 0.7, "ru": 0.3})
    with pytest.raises(AtlasError, match="trains es at share 0.7 among K = 2 languages, not 1/K"):
        curse_observations(uneven)
    with pytest.raises(AtlasError, match="min_fraction"):
        curse_observations(capacity_rows(), min_fraction=1.5)
    with pytest.raises(AtlasError, match="max_epochs"):
        curse_observations(capacity_rows(), max_epochs=0)
    with pytest.raises(AtlasError, match="no monolingual \\(K = 1\\) run of es"):
        relative_loss(curse_observations(capacity_rows(ks=(2, 4))))


def test_fit_recovers_phi_and_psi_from_study_shaped_rows():
    fit = fit_law(CurseLaw(), curse_observations(capacity_rows(sizes=(1e4, 2.5e4, 5e4, 1e5), ks=(1, 2, 4, 8, 22))))
    for name in ("phi", "psi", "alpha", "beta"):
        assert fit.params[name] == pytest.approx(TRUE[name], abs=1e-3)


def test_end_of_run_points_with_monolingual_budgets_identify_phi_and_psi():
    # the study's design: one budget for every mixture, so K and D_t move together at the end of the runs; the
    # monolingual runs at two more budgets separate beta from psi
    sizes = (1e4, 2.5e4, 5e4, 1e5)
    rows = pd.concat([capacity_rows(sizes=sizes, ks=(1, 2, 4, 8, 22))]
                     + [capacity_rows(sizes=sizes, ks=(1,), budget=b) for b in (7.5e5, 1.5e6)])
    obs = curse_observations(rows, min_fraction=1.0)
    assert len(obs) == 2 * 4 * (3 + 4)  # targets x sizes x (3 monolingual budgets + 4 mixtures)
    fit = fit_law(CurseLaw(), obs[obs["lang"] == "es"])
    for name in ("phi", "psi", "alpha", "beta"):
        assert fit.params[name] == pytest.approx(TRUE[name], abs=1e-3)


def test_relative_loss_is_the_law_ratio_at_equal_total_tokens():
    rel = relative_loss(curse_observations(capacity_rows()))
    assert (rel.loc[rel["K"] == 1, "rel_loss"].abs() < 1e-12).all()
    row = rel[(rel["K"] == 4) & (rel["N"] == 2.5e4)].iloc[-1]
    law = CurseLaw()
    mix = law.predict(TRUE, pd.DataFrame({"K": [4.0], "N": [2.5e4], "D": [3e6 / 4]}))[0]
    mono = law.predict(TRUE, pd.DataFrame({"K": [1.0], "N": [2.5e4], "D": [3e6]}))[0]
    assert row["rel_loss"] == pytest.approx(mix / mono - 1)
    final = rel[rel["is_final"]].groupby(["N", "K"])["rel_loss"].mean().unstack()
    assert (final.diff(axis=1).iloc[:, 1:] > 0).all().all()  # phi > 0 and dilution (psi + beta > 0): grows with K


def test_mitigation_slopes_are_exact_on_a_plane():
    rel = pd.DataFrame([dict(K=k, N=n, D_total=d, rel_loss=0.1 * k - 0.02 * np.log(n) - 0.01 * np.log(d))
                        for k in (1, 2, 4) for n in (1e4, 1e5) for d in (1e5, 1e6, 1e7)])
    slopes = mitigation_slopes(rel).set_index("K")
    assert slopes.index.tolist() == [2, 4]
    assert slopes["dlogN"].to_numpy() == pytest.approx([-0.02, -0.02])
    assert slopes["dlogD"].to_numpy() == pytest.approx([-0.01, -0.01])
    one_size = mitigation_slopes(rel[rel["N"] == 1e4]).set_index("K")
    assert np.isnan(one_size.loc[2, "dlogN"]) and one_size.loc[2, "dlogD"] == pytest.approx(-0.01)
    with pytest.raises(AtlasError, match="no mixture with K > 1"):
        mitigation_slopes(rel[rel["K"] == 1])


def test_multiplier_intervals_bracket_the_estimate_and_skip_invalid_draws():
    samples = pd.DataFrame({"phi": [0.10, 0.12, 0.14, 0.2], "psi": [-0.06, -0.05, -0.04, 0.0],
                            "alpha": [0.38, 0.40, 0.42, -0.1], "beta": [0.28, 0.30, 0.32, 0.3]})
    table = multiplier_intervals(TRUE, samples, [4, 2], level=0.5)
    assert table["r"].tolist() == [4, 2] and (table["n_samples"] == 3).all()
    expected = iso_loss_multipliers(TRUE["phi"], TRUE["psi"], TRUE["alpha"], TRUE["beta"], [4, 2])
    assert table["C"].to_numpy() == pytest.approx(expected["C"].to_numpy())
    for q in ("N", "D_tot", "C"):
        assert (table[f"{q}_lower"] <= table[q]).all() and (table[q] <= table[f"{q}_upper"]).all()
    with pytest.raises(AtlasError, match="no resample has alpha > 0"):
        multiplier_intervals(TRUE, samples.iloc[3:], [2])


def curse_runs_from_paper(phi: float, n: int = 60, seed: int = 0) -> pd.DataFrame:
    from atlas_core.fit.synthetic import EXAMPLE_PARAMS, synthetic_inputs
    from paper_equations import curse

    frame = synthetic_inputs(CurseLaw(), n, seed)
    params = EXAMPLE_PARAMS["curse"] | {"phi": phi}
    noise = np.exp(0.01 * np.random.default_rng(seed).standard_normal(n))
    return frame.assign(loss=curse(frame, params) * noise)


def test_capacity_fits_never_leave_the_free_fit_worse_than_phi_zero():
    runs = curse_runs_from_paper(phi=0.0)
    good = fit_law(CurseLaw(), runs, starts=200)
    stuck = dataclasses.replace(good, objective=good.objective * 50)  # as if the polish had stopped early
    free, nested = capacity_fits(runs, fit=stuck, starts=200)
    assert nested.params["phi"] == 0.0 and "phi" not in nested.free
    assert free.objective <= nested.objective * (1 + 1e-9)
    assert free.status != "not_converged"


def test_capacity_reading_names_a_fit_off_its_optimum_and_a_degenerate_interval():
    runs = curse_runs_from_paper(phi=0.2)
    free, nested = capacity_fits(runs, starts=200)
    assert "excludes 0" in capacity_reading(free, nested, 0.1, 0.3)
    assert "includes 0" in capacity_reading(free, nested, -0.1, 0.3)
    assert "degenerate bootstrap" in capacity_reading(free, nested, -2.73, -2.73)
    worse = dataclasses.replace(free, status="not_converged")
    assert "not at its optimum" in capacity_reading(worse, nested, 0.1, 0.3)
    # a free fit that really ends above phi = 0 (same rows and objective) is flagged by capacity_fits itself
    higher = dataclasses.replace(nested, objective=free.objective / 2)
    flagged = fit_beyond(CurseLaw(), runs, free, higher)
    assert flagged.status == "not_converged" and "not at its optimum" in flagged.message


def test_capacity_reading_says_when_r2_and_the_objective_disagree():
    runs = curse_runs_from_paper(phi=0.2)
    free, nested = capacity_fits(runs, starts=200)
    lower_r2 = dataclasses.replace(free, r2=nested.r2 - 0.01)  # as chapter 6's smoke run: lower R^2, lower objective
    assert "not what the fit minimises" in capacity_reading(lower_r2, nested, 0.1, 0.3)
    assert "not what the fit minimises" not in capacity_reading(dataclasses.replace(free, r2=nested.r2 + 0.01),
                                                                nested, 0.1, 0.3)
