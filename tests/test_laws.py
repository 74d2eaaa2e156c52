"""The laws: exact gradients, the properties each form must have, and the published anchors they reproduce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas_core import published
from atlas_core.errors import AtlasError
from atlas_core.fit.synthetic import EXAMPLE_ATLAS, EXAMPLE_PARAMS, synthetic_inputs
from atlas_core.laws import (
    Atlas,
    crossover_tokens,
    fit_crossover_law,
    Chinchilla,
    CurseLaw,
    DataConstrained,
    MultilingualSL,
    compute_optimal,
    iso_loss_frontier,
    iso_loss_multipliers,
    optimal_allocation,
    saturation,
    term_share,
)
from atlas_core.laws.saturation import saturation_and_grads

LAWS = [Chinchilla(), DataConstrained(), MultilingualSL(), CurseLaw(), EXAMPLE_ATLAS, Atlas()]
IDS = [f"{law.name}{'-' + '-'.join(law.config().get('transfer', [])) if law.name == 'atlas' else ''}"
       for law in LAWS]
CSL = EXAMPLE_PARAMS["chinchilla"]


def params_for(law) -> dict[str, float]:
    if law.name == "atlas":
        return {k: v for k, v in EXAMPLE_PARAMS["atlas"].items() if k in law.param_names}
    return EXAMPLE_PARAMS[law.name]


@pytest.mark.parametrize("law", LAWS, ids=IDS)
def test_gradient_matches_finite_differences(law):
    obs = law.prepare(synthetic_inputs(law, 40, seed=3))
    rng = np.random.default_rng(0)
    theta = law.to_internal(params_for(law)) + rng.normal(0, 0.05, len(law.params))
    theta = np.stack([theta, theta + rng.normal(0, 0.05, len(law.params))])  # two parameter rows at once
    jac = law.jacobian(theta, obs)
    for j in range(len(law.params)):
        step = np.zeros_like(theta)
        step[:, j] = 1e-6
        fd = (law.log_predict(theta + step, obs) - law.log_predict(theta - step, obs)) / 2e-6
        np.testing.assert_allclose(jac[:, :, j], fd, rtol=1e-6, atol=1e-8, err_msg=law.param_names[j])


def test_gradient_is_exact_where_the_effective_data_is_floored():
    """A negative tau that drives D_eff below the floor (1e-6 S(D_t; U_t)): the floor moves with lambda through
    the target's saturation, and its gradient must follow it (finite differences on the floored rows only)."""
    law = Atlas(["s"])
    frame = pd.DataFrame({"N": 1e8, "D": [3e9, 5e9, 8e9, 2e9], "U": 1e9, "D_s": [4e9, 6e9, 9e9, 1e8],
                          "U_s": np.inf})
    theta = law.to_internal(CSL | {"lambda": 0.2, "tau_s": -0.95})
    obs = law.prepare(frame)
    from atlas_core.laws.atlas import D_EFF_FLOOR, _LogEffectiveData
    floored = _LogEffectiveData(theta[None, :], obs, law.index("lambda"), [law.index("tau_s")]).floored[0]
    assert floored[:3].all() and not floored[3]  # three rows on the floor, one off it
    jac = law.jacobian(theta, obs)[0]
    for j in range(len(law.params)):
        step = np.zeros_like(theta)
        step[j] = 1e-6
        fd = (law.log_predict(theta + step, obs)[0] - law.log_predict(theta - step, obs)[0]) / 2e-6
        np.testing.assert_allclose(jac[:, j], fd, rtol=1e-6, atol=1e-9, err_msg=law.param_names[j])
    assert D_EFF_FLOOR > 0 and np.all(np.abs(jac[:3, law.index("lambda")]) > 1e-6)  # the floor's lambda slope


@pytest.mark.parametrize("law", LAWS, ids=IDS)
def test_loss_falls_with_parameters_and_tokens(law):
    """Monotone non-increasing in N and D; strictly falling except where saturation makes a term flat (N far
    beyond the compute-optimal size for U in the data-constrained law)."""
    base = synthetic_inputs(law, 50, seed=5)
    params = params_for(law)
    loss = law.predict(params, base)
    bigger_n = law.predict(params, base.assign(N=base.N * 1.5))
    more_d = base.assign(D=base.D * 1.5)
    if "D_total" in base:
        more_d["D_total"] = base.D_total + base.D * 0.5
    more_d = law.predict(params, more_d)
    for changed in (bigger_n, more_d):
        assert np.all(changed <= loss)
        assert np.mean(changed < loss) > (0.5 if law.name == "data-constrained" else 0.999)


def test_saturation_is_continuous_with_slope_one_at_one_epoch():
    U, lam = 1e9, np.array([1e-3, 0.1, 2.0])
    below, at, above = saturation(U * (1 - 1e-9), U, lam), saturation(U, U, lam), saturation(U * (1 + 1e-9), U, lam)
    np.testing.assert_allclose(at, U)
    np.testing.assert_allclose((above - below) / (2e-9 * U), 1.0, rtol=1e-5)


def test_saturation_limits():
    D, U = np.array([0.5e9, 3e9, 40e9]), 1e9
    np.testing.assert_allclose(saturation(D, U, 1e-12), D, rtol=1e-9)  # lambda -> 0: plain D
    np.testing.assert_allclose(saturation(D, np.inf, 0.3), D)  # no cap
    np.testing.assert_allclose(saturation(1e15, U, 0.5), U * (1 + 1 / 0.5), rtol=1e-9)  # plateau U (1 + 1/lam)
    R_star, R = 15.387756, 3e9 / U - 1  # Muennighoff's D' with lambda = 1/R*
    np.testing.assert_allclose(saturation(3e9, U, 1 / R_star), U + U * R_star * (1 - np.exp(-R / R_star)))


@pytest.mark.parametrize("lam", [1e-9, 1e-4, 0.05, 3.0])
def test_saturation_gradients_match_finite_differences(lam):
    D, U = np.array([0.3e9, 1.5e9, 7e9, 90e9]), np.full(4, 1e9)
    _, dU, dlam = saturation_and_grads(D, U, lam)
    h_u, h_l = 1e-7 * U, 1e-6 * max(lam, 1e-3)  # below lambda ~ 1e-3 S is quadratic in lambda: any h is exact
    np.testing.assert_allclose(dU, (saturation(D, U + h_u, lam) - saturation(D, U - h_u, lam)) / (2 * h_u),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dlam, (saturation(D, U, lam + h_l) - saturation(D, U, lam - h_l)) / (2 * h_l),
                               rtol=1e-5, atol=1e-6 * U[0])


def test_reductions_to_chinchilla():
    frame = synthetic_inputs(EXAMPLE_ATLAS, 30, seed=2)
    csl = Chinchilla().predict(CSL, frame)
    # ATLAS with U = inf and no transfer is CSL
    np.testing.assert_allclose(Atlas().predict(CSL | {"lambda": 0.3}, frame.assign(U=np.inf)), csl, rtol=1e-12)
    # ... and so is the full law with zero transfer and no other-language weight
    zero = {k: 0.0 for k in EXAMPLE_ATLAS.param_names if k.startswith("tau_")}
    np.testing.assert_allclose(EXAMPLE_ATLAS.predict(CSL | {"lambda": 0.3} | zero, frame.assign(U=np.inf)), csl,
                               rtol=1e-12)
    # lambda -> 0: no saturation even with repetition
    np.testing.assert_allclose(Atlas().predict(CSL | {"lambda": 1e-12}, frame), csl, rtol=1e-9)
    # curse law at K = 1, MSL at p = 1, data-constrained with unlimited data
    np.testing.assert_allclose(CurseLaw().predict(CSL | {"phi": 0.3, "psi": -0.2}, frame.assign(K=1.0)), csl,
                               rtol=1e-12)
    np.testing.assert_allclose(MultilingualSL().predict(CSL | {"gamma": 0.4}, frame.assign(p=1.0)), csl, rtol=1e-12)
    # data-constrained with unlimited data: N' saturates past N_opt(D) unless R_N is huge (no parameter decay)
    np.testing.assert_allclose(DataConstrained().predict(CSL | {"R_D": 5.0, "R_N": 1e9}, frame.assign(U=np.inf)),
                               csl, rtol=1e-6)


def test_data_constrained_reproduces_datablations_readme():
    examples = published.DATABLATIONS["readme_examples"]
    predicted = DataConstrained().predict(published.DATABLATIONS["params"], examples)
    np.testing.assert_allclose(predicted, examples["loss"], rtol=1e-8, atol=0)


def test_data_constrained_allocation_matches_readme():
    target = published.DATABLATIONS["allocation"]
    best = optimal_allocation(DataConstrained(), published.DATABLATIONS["params"], target["C"],
                              columns={"U": target["U"]})
    assert best["N"] == pytest.approx(target["N"], rel=2e-3)
    assert best["D"] == pytest.approx(target["D"], rel=2e-3)


def test_compute_optimal_closed_form_matches_search():
    for C in (1e19, 1e22):
        N_opt, D_opt = compute_optimal(CSL, C)
        found = optimal_allocation(Chinchilla(), CSL, C)
        assert N_opt == pytest.approx(found["N"], rel=1e-5)
        assert 6 * N_opt * D_opt == pytest.approx(C)
    with pytest.raises(AtlasError, match="C must be finite"):
        compute_optimal(CSL, [1e20, -1.0])


def test_figure_5_points_agree_with_the_printed_exponents():
    """A consistency check between two things the paper prints (Fig. 5's annotated points and the Sec. 5
    exponents r^0.243, r^0.728), not a test of our code: iso_loss_multipliers is tested against a numerical
    optimum in tests/test_paper_equations.py."""
    fig5 = published.FIG5_MULTIPLIERS
    np.testing.assert_allclose(fig5["N"], fig5["r"] ** published.CURSE["N_exponent"], atol=0.011)
    np.testing.assert_allclose(fig5["D_tot"], fig5["r"] ** published.CURSE["D_tot_exponent"], atol=0.011)


def test_iso_loss_frontier_keeps_the_loss_and_its_cheapest_point_is_the_multiplier():
    params = CSL | {"phi": 0.11, "psi": -0.04}
    K, N, D, r = 4.0, 1e9, 2e10, 4.0
    w_N = term_share(params, K, N, D)
    frontier = iso_loss_frontier(0.11, -0.04, params["alpha"], params["beta"], r, w_N=w_N)
    law = CurseLaw()
    base = law.predict(params, pd.DataFrame({"K": [K], "N": [N], "D": [D]}))[0]
    after = law.predict(params, pd.DataFrame({"K": r * K, "N": N * frontier["N"], "D": D * frontier["D_t"]}))
    np.testing.assert_allclose(after, base, rtol=1e-10)
    # at a compute-optimal baseline (default w_N) the cheapest frontier point is r^(phi/alpha), r^(psi/beta)
    dense = iso_loss_frontier(0.11, -0.04, 0.453, 0.147, r, N_multipliers=np.geomspace(1.01, 5, 20001))
    cheapest = dense.loc[dense["C"].idxmin()]
    expected = iso_loss_multipliers(0.11, -0.04, 0.453, 0.147, r).iloc[0]
    assert cheapest["N"] == pytest.approx(expected["N"], rel=1e-3)
    assert cheapest["C"] == pytest.approx(expected["C"], rel=1e-6)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns="U"), "missing column"),
        (lambda f: f.assign(N=f.N.where(f.index != 3, np.nan)), "'N' row 3: missing or NaN"),
        (lambda f: f.assign(D=f.D.where(f.index != 4, np.inf)), "'D' row 4: value inf"),
        (lambda f: f.assign(D=f.D.where(f.index != 2, -5.0)), "'D' row 2: value -5.0 must be finite and > 0"),
        (lambda f: f.assign(U=f.U.where(f.index != 1, 0.0)), "'U' row 1: value 0.0"),
        (lambda f: f.assign(N=f.N.astype(object).where(f.index != 5, "big")), "'N' row 5: non-numeric value 'big'"),
        (lambda f: f.iloc[:0], "no rows"),
    ],
)
def test_bad_input_names_column_and_row(change, message):
    frame = synthetic_inputs(DataConstrained(), 8, seed=1)
    with pytest.raises(AtlasError, match=message):
        DataConstrained().predict(EXAMPLE_PARAMS["data-constrained"], change(frame))


def test_cap_columns_accept_infinity_and_ratio_is_bounded():
    frame = synthetic_inputs(DataConstrained(), 5, seed=1).assign(U=np.inf)
    assert np.all(np.isfinite(DataConstrained().predict(EXAMPLE_PARAMS["data-constrained"], frame)))
    msl = synthetic_inputs(MultilingualSL(), 5, seed=1)
    with pytest.raises(AtlasError, match="'p' row 0: value 1.5 must be a sampling ratio"):
        MultilingualSL().predict(EXAMPLE_PARAMS["msl"], msl.assign(p=1.5))


def test_params_must_match_the_law():
    with pytest.raises(AtlasError, match="missing R_D, R_N"):
        DataConstrained().to_internal(CSL)
    with pytest.raises(AtlasError, match="unknown gamma"):
        Chinchilla().to_internal(CSL | {"gamma": 1.0})


def test_atlas_rejects_total_smaller_than_its_parts():
    frame = synthetic_inputs(EXAMPLE_ATLAS, 6, seed=0)
    frame.loc[2, "D_total"] = frame.loc[2, "D"]
    with pytest.raises(AtlasError, match="'D_total' row 2"):
        EXAMPLE_ATLAS.predict(EXAMPLE_PARAMS["atlas"], frame)


def test_msl_refuses_several_families_in_one_law():
    frame = synthetic_inputs(MultilingualSL(), 6, seed=0).assign(family=["a", "b"] * 3)
    with pytest.raises(AtlasError, match="fit_groups"):
        MultilingualSL().predict(EXAMPLE_PARAMS["msl"], frame)


def test_for_target_picks_the_most_co_sampled_sources_and_matrix_starts():
    frame = pd.DataFrame({
        "N": 1e6, "D": [1e6, 1e6, 1e6, 1e6, 0.5e6], "U": np.inf,
        "D_pt": [1, 1, 1, 0, 0], "D_fr": [1, 1, 0, 0, 0], "D_zh": [5, 0, 0, 0, 0], "D_ja": [0, 0, 0, 0, 30],
        "D_es": [1, 1, 1, 1, 1], "D_total": 1e7,
    })
    law = Atlas.for_target(frame, "es", k=2, transfer_matrix=published.transfer_matrix())
    assert law.transfer == ["pt", "fr"]  # D_es is the target's own column, D_zh ties with D_ja on count but has
    assert law.other                     # fewer mixtures than D_fr
    assert law.params[law.index("tau_pt")].grid == (pytest.approx(0.5 / 1.5),)  # published es <- pt BTS 0.5
    assert Atlas.for_target(frame, "es", k=3).transfer == ["pt", "fr", "ja"]  # ja: more tokens than zh
    # a mixture counts once however many rows (sizes, seeds, evaluations) it has: zh's one mixture at 5 sizes
    many = pd.concat([frame.iloc[[0]].assign(N=n) for n in (1e6, 2e6, 4e6, 8e6, 16e6)] + [frame.iloc[1:]])
    assert Atlas.for_target(many, "es", k=3).transfer == ["pt", "fr", "ja"]


def test_crossover_tokens_and_law():
    tokens = np.geomspace(1e9, 1e12, 30)
    finetune = 2.0 - 0.05 * np.log(tokens / 1e9)        # better early
    scratch = 2.6 - 0.15 * np.log(tokens / 1e9)         # overtakes where 0.6 = 0.1 log(t / 1e9)
    assert crossover_tokens(tokens, scratch, tokens, finetune) == pytest.approx(1e9 * np.exp(6.0), rel=1e-3)
    assert np.isnan(crossover_tokens(tokens, finetune + 1, tokens, finetune))
    N = np.array([1e8, 5e8, 2e9])
    fitted = fit_crossover_law(N, published.CROSSOVER_LAW["c"] * N ** published.CROSSOVER_LAW["k"])
    assert fitted["c"] == pytest.approx(1.11e6, rel=1e-9) and fitted["k"] == pytest.approx(1.65, rel=1e-12)
    assert fitted["k_se"] == pytest.approx(0.0, abs=1e-9)  # exact points: no slope uncertainty
    noisy = fit_crossover_law(N, published.CROSSOVER_LAW["c"] * N ** published.CROSSOVER_LAW["k"] * [1.1, 0.9, 1.1])
    assert noisy["k_se"] > 0 and np.isnan(fit_crossover_law(N[:2], [1e19, 1e20])["k_se"])
    # an early blip where finetuning is briefly worse: "first" finds the blip, "last" the lasting crossover
    blip = finetune + np.where((tokens > 2e9) & (tokens < 4e9), 0.7, 0.0)
    assert crossover_tokens(tokens, scratch, tokens, blip) < 3e9
    assert crossover_tokens(tokens, scratch, tokens, blip, which="last") == pytest.approx(1e9 * np.exp(6.0), rel=1e-3)
    with pytest.raises(AtlasError, match="curve a point 1"):
        crossover_tokens([1e9, -1.0], [2.0, 1.0], tokens, finetune)
    with pytest.raises(AtlasError, match="share no token range"):
        crossover_tokens([1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [2.0, 1.0])
    with pytest.raises(AtlasError, match="two distinct model sizes"):
        fit_crossover_law([1e9, 1e9], [1e20, 2e20])
