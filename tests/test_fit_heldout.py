"""Per-group fits and the paper's held-out R^2 splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas_core.errors import AtlasError
from atlas_core.fit import GroupedFit, fit_groups, heldout_mask, heldout_r2, heldout_sizes, load_fit
from atlas_core.fit.synthetic import EXAMPLE_PARAMS, synthetic_runs
from atlas_core.laws import Atlas, Chinchilla, MultilingualSL

MSL = EXAMPLE_PARAMS["msl"]


def two_families() -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    truth = {"romance": MSL, "slavic": MSL | {"E": 2.1, "alpha": 0.3, "gamma": 0.35}}
    frames = [synthetic_runs(MultilingualSL(), params, 60, seed=i).assign(family=family)
              for i, (family, params) in enumerate(truth.items())]
    return pd.concat(frames, ignore_index=True), truth


def test_fit_groups_fits_one_law_per_family_and_round_trips():
    runs, truth = two_families()
    grouped = fit_groups(MultilingualSL(), runs, by="family", starts=300)
    assert list(grouped.fits) == ["romance", "slavic"]
    for family, params in truth.items():
        for name, value in params.items():
            assert grouped.fits[family].params[name] == pytest.approx(value, rel=1e-4), (family, name)
    assert grouped.params.loc["slavic", "gamma"] == pytest.approx(0.35, rel=1e-4)
    again = load_fit(grouped.to_json())
    assert isinstance(again, GroupedFit) and again.by == "family"
    np.testing.assert_allclose(again.predict(runs), runs["loss"], rtol=1e-8)
    with pytest.raises(AtlasError, match="values without a fit: celtic"):
        again.predict(runs.assign(family="celtic"))


def test_heldout_masks_follow_the_paper():
    frame = pd.DataFrame({
        "N": np.repeat([1e6, 2e6, 4e6, 8e6, 16e6], 4),
        "D": np.tile([1e8, 2e8, 4e8, 8e8], 5),
        "mixture_kind": ["mono", "bilingual", "unimax", "capacity"] * 5,
    })
    assert heldout_mask(frame, "random").sum() == 4
    assert not np.array_equal(heldout_mask(frame, "random", seed=0), heldout_mask(frame, "random", seed=1))
    np.testing.assert_array_equal(heldout_mask(frame, "N"), frame["N"].isin([4e6, 16e6]))  # median and largest
    np.testing.assert_array_equal(heldout_mask(frame, "D"), frame["D"] == 8e8)  # ties with the threshold included
    compute = 6 * frame["N"] * frame["D"]
    np.testing.assert_array_equal(heldout_mask(frame, "C"), compute >= np.sort(compute)[-4])
    np.testing.assert_array_equal(heldout_mask(frame, "M"), frame["mixture_kind"] == "capacity")
    with pytest.raises(AtlasError, match="needs a column 'mixture_kind'"):
        heldout_mask(frame.drop(columns="mixture_kind"), "M")
    with pytest.raises(AtlasError, match="split must be one of"):
        heldout_mask(frame, "X")


# The paper's ladder (Table B.3 params, atlas-paper.md §1.2): scale -> parameters. R^2(N) holds out 660M and 8B.
PAPER_SCALES = {0: 9_044_352, 1: 17_662_848, 2: 24_847_776, 4: 66_588_672, 6: 106_830_080, 8: 146_155_520,
                12: 237_646_080, 14: 289_029_888, 16: 368_068_608, 18: 554_457_600, 20: 661_807_872,
                22: 756_970_368, 24: 852_132_864, 26: 1_042_847_232, 28: 1_297_391_872, 30: 1_608_560_640,
                32: 1_809_893_376, 34: 2_034_422_912, 42: 4_335_303_168, 46: 8_452_190_208}
S_FULL = list(PAPER_SCALES)
S_PART = [0, 4, 8, 12, 16, 20, 24, 28, 34, 42, 46]


@pytest.mark.parametrize("ladder", [S_FULL, S_PART], ids=["S_full", "S_part"])
def test_size_split_holds_out_660m_and_8b_on_the_papers_ladders(ladder):
    N = np.array([PAPER_SCALES[s] for s in ladder] * 3, dtype=float)  # three runs per size, shuffled
    N = np.random.default_rng(0).permutation(N)
    held = heldout_mask(pd.DataFrame({"N": N}), "N")
    assert set(N[held]) == {661_807_872, 8_452_190_208}
    assert held.sum() == 6


@pytest.mark.parametrize("n_sizes, held", [(2, [2]), (3, [3]), (4, [3, 4]), (6, [4, 6])])
def test_size_split_on_small_ladders(n_sizes, held):
    sizes = np.arange(1, n_sizes + 1, dtype=float)
    np.testing.assert_array_equal(heldout_sizes(sizes), held)  # always >= 2 sizes left to fit on, when possible


def test_compute_split_counts_all_training_tokens():
    frame = pd.DataFrame({"N": [1.0, 1.0, 2.0, 2.0, 4.0], "D": [10.0, 1.0, 10.0, 1.0, 1.0],
                          "D_total": [10.0, 100.0, 10.0, 100.0, 1.0]})
    assert heldout_mask(frame, "C").tolist() == [False, False, False, True, False]  # 6 * 2 * 100 is the largest
    assert heldout_mask(frame.drop(columns="D_total"), "C").tolist() == [False, False, True, False, False]


@pytest.mark.parametrize("split", ["random", "N", "D", "C"])
def test_heldout_r2_is_one_for_a_law_that_generated_the_data(split):
    runs = pd.concat([synthetic_runs(Chinchilla(), EXAMPLE_PARAMS["chinchilla"], 60, seed=1).assign(lang="en"),
                      synthetic_runs(Chinchilla(), EXAMPLE_PARAMS["chinchilla"] | {"E": 2.3}, 60, seed=2)
                      .assign(lang="fr")], ignore_index=True)
    result = heldout_r2(Chinchilla(), runs, split, starts=200)
    assert list(result.by_group.index) == ["en", "fr"]
    assert result.r2 == pytest.approx(1.0, abs=1e-8)
    assert float(result) == result.r2
    assert (result.n_test > 0).all() and (result.n_train + result.n_test == 60).all()


def test_heldout_r2_reveals_a_wrong_law():
    """Runs repeated up to 100 epochs of U = 1e9 tokens: a law without repetition extrapolates worse to the
    longest (top 20 % of D) runs than the repetition-aware law that generated them."""
    truth = EXAMPLE_PARAMS["chinchilla"] | {"lambda": 0.3}
    N, D = np.meshgrid([1e8, 3e8, 1e9, 3e9], np.geomspace(2e8, 1e11, 15))
    runs = pd.DataFrame({"N": N.ravel(), "D": D.ravel(), "U": 1e9})
    runs["loss"] = Atlas().predict(truth, runs) * np.exp(0.005 * np.random.default_rng(0).standard_normal(len(runs)))
    right = heldout_r2(Atlas(), runs, "D", starts=200)
    wrong = heldout_r2(Chinchilla(), runs, "D", starts=200)
    assert right.r2 > 0.98 and wrong.r2 < right.r2 - 0.05


def test_heldout_r2_with_a_per_language_law_factory():
    params = EXAMPLE_PARAMS["atlas"]
    frames = []
    for i, lang in enumerate(["es", "pt"]):
        law = Atlas(["fr"], other=True)
        frames.append(synthetic_runs(law, {k: params[k] for k in law.param_names}, 80, seed=i).assign(lang=lang))
    runs = pd.concat(frames, ignore_index=True).assign(mixture_kind=lambda f: np.where(f.index % 3, "mono", "x"))
    result = heldout_r2(lambda lang, rows: Atlas.for_target(rows, lang, k=1), runs, "M", starts=200)
    assert result.r2 == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(AtlasError, match="lang = es: split 'M': the split leaves no held-out rows"):
        heldout_r2(Atlas(["fr"], other=True), runs.assign(mixture_kind="mono"), "M")
