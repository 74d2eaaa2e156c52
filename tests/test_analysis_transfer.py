"""BTS, its controls and the transfer matrix on synthetic curves with known answers.

Curves are linear in log-tokens (L = 10 - 0.5 log d), on which log-token interpolation is exact. A partner of
"efficiency" c reaches on the target what the monolingual run reaches with c times as many tokens:
L_x(d) = L_mono(c d), so sigma_bi(L_mono(d_mono)) = d_mono / c and BTS = 2 - 1/c exactly.
"""

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis import NotReachedError, bts, bts_table, summarize_transfer, transfer_matrix
from atlas_core.errors import AtlasError

D_MONO = 1e6


def curve(efficiency: float, last: float, n: int = 25, first: float = 1e4) -> pd.DataFrame:
    tokens = np.geomspace(first, last, n)
    return pd.DataFrame({"tokens": tokens, "loss": 10 - 0.5 * np.log(efficiency * tokens),
                         "is_final": np.arange(n) == n - 1})


def rows(efficiencies: dict[str, float], seed: int = 0, target: str = "es") -> pd.DataFrame:
    parts = [curve(1.0, D_MONO).assign(role="mono", partner=None)]
    for partner, c in efficiencies.items():
        role = "control" if partner in ("null", "self", "utf3") else "bilingual"
        parts.append(curve(c, 4 * D_MONO).assign(role=role, partner=partner))
    return pd.concat(parts).assign(target=target, eval_lang=target, seed=seed, scale="100k")


def test_bts_of_one_partner_is_two_minus_one_over_its_efficiency():
    mono = curve(1.0, D_MONO)
    for c in (0.5, 0.6, 0.8, 1.0, 1.25):
        assert bts(mono, curve(c, 2 * D_MONO)) == pytest.approx(2 - 1 / c, abs=1e-12)
    assert bts(mono, curve(0.4, 4 * D_MONO)) == pytest.approx(2 - 1 / 0.4, abs=1e-12)  # interference: < 0
    # a shorter reference horizon: L_mono(d) is interpolated, the answer is the same function of c
    assert bts(mono, curve(0.8, 2 * D_MONO), d_mono=2.5e5) == pytest.approx(0.75, abs=1e-12)


def test_a_bilingual_curve_that_never_reaches_the_target_loss_is_an_error():
    with pytest.raises(NotReachedError, match="never reaches"):
        bts(curve(1.0, D_MONO), curve(0.45, 2 * D_MONO))


def test_table_normalizes_against_null_and_self_and_pairs_final_losses():
    table = bts_table(rows({"null": 0.6, "self": 1.0, "pt": 0.8, "it": 0.55}))
    by = table.set_index("partner")
    assert by.loc["pt", "bts"] == pytest.approx(0.75)
    assert by.loc["null", "bts"] == pytest.approx(2 - 1 / 0.6)
    assert by.loc["pt", "bts_norm"] == pytest.approx((0.75 - (2 - 1 / 0.6)) / (1 - (2 - 1 / 0.6)))
    assert by.loc["null", "bts_norm"] == pytest.approx(0.0) and by.loc["self", "bts_norm"] == pytest.approx(1.0)
    assert by.loc["it", "bts_norm"] < 0  # worse than the extra steps alone
    # final losses at 4 d_mono: L = 10 - 0.5 log(c * 4e6), paired by seed
    assert by.loc["pt", "delta_vs_null"] == pytest.approx(-0.5 * np.log(0.8 / 0.6))
    assert by.loc["pt", "delta_vs_mono"] == pytest.approx(-0.5 * np.log(0.8 * 4))
    assert by.loc["pt", "d_bi"] == pytest.approx(D_MONO / 0.8)


def test_unreached_partners_get_nan_and_a_note_or_raise():
    data = rows({"null": 0.6, "zh": 0.2})
    table = bts_table(data).set_index("partner")
    assert np.isnan(table.loc["zh", "bts"]) and "never reaches" in table.loc["zh", "note"]
    assert table.loc["null", "note"] == ""
    with pytest.raises(NotReachedError, match="zh->es"):
        bts_table(data, unreached="raise")


def test_summary_reports_seed_mean_and_sd_and_the_matrix_pivots_targets_by_sources():
    data = pd.concat([rows({"null": 0.6, "self": 1.0, "pt": 0.8}, seed=0),
                      rows({"null": 0.6, "self": 1.0, "pt": 0.78}, seed=1),
                      rows({"null": 0.6, "self": 1.0, "es": 0.9}, target="pt")])
    summary = summarize_transfer(bts_table(data)).set_index(["target", "partner"])
    pt = summary.loc[("es", "pt")]
    values = [0.75, 2 - 1 / 0.78]
    assert pt["bts_mean"] == pytest.approx(np.mean(values))
    assert pt["bts_sd"] == pytest.approx(np.std(values, ddof=1))
    assert pt["n_seeds"] == 2
    assert np.isnan(summary.loc[("pt", "es"), "bts_sd"])  # one seed: no sd
    matrix = transfer_matrix(summary.reset_index())
    assert matrix.loc["pt", "es"] == pytest.approx(2 - 1 / 0.9)  # row = target, column = source
    assert matrix.loc["es", "pt"] == pytest.approx(np.mean(values))
    assert np.isnan(matrix.loc["pt", "pt"])


def test_bad_input_is_named():
    data = rows({"pt": 0.8})
    with pytest.raises(AtlasError, match="no monolingual reference run for scale='100k' target='es' seed=0"):
        bts_table(data[data["role"] != "mono"])
    with pytest.raises(AtlasError, match="missing column"):
        bts_table(data.drop(columns="partner"))
    with pytest.raises(AtlasError, match="unreached must be"):
        bts_table(data, unreached="skip")
    two_scales = summarize_transfer(bts_table(pd.concat([data, data.assign(scale="25k")])))
    with pytest.raises(AtlasError, match="several scales"):
        transfer_matrix(two_scales)
    assert transfer_matrix(two_scales, scale="25k").shape == (1, 1)
