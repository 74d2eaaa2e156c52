"""Published numbers as plain data, so notebooks can put ours beside theirs. ``SOURCES`` names each one's origin.

ATLAS = Longpre et al., arXiv 2510.22037 v2 (ICLR 2026). Epoch = Besiroglu et al., arXiv 2404.10102, and their
notebook (epoch-research/analyzing-chinchilla @ 9225883). Datablations = Muennighoff et al., arXiv 2305.16264,
and the huggingface/datablations README (@ 1370131). Known problems of the sources are noted next to the data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError

_DATA = Path(__file__).with_name("published_data")

SOURCES: dict[str, str] = {
    "TABLE1_R2": "ATLAS Table 1 (out-of-sample R^2; mono rows averaged over EN FR RU ZH HI SW, multi rows + ES DE). "
                 "MSL's R2(M) is 0.70 in the table, 0.69 in the Sec. 3 text.",
    "TABLE_C1": "ATLAS Table C.1 per-language laws, DECODED from garbled PDF text (numerator/denominator "
                "superscripts interleaved); every row decodes to alpha = beta. E values extract cleanly; "
                "a, b, alpha, beta are an inference, unverified against the PDF.",
    "UNIQUE_TOKENS": "ATLAS Table C.1: unique MADLAD-400 tokens per language.",
    "CURSE": "ATLAS Sec. 5 / Eq. 7 (pooled fit phi, psi; Fig. 5 exponents). alpha, beta are not reported: "
             "CURSE_IMPLIED gives the values implied by phi/alpha = 0.243 and psi/beta = -0.272 (inference).",
    "FIG5_MULTIPLIERS": "ATLAS Fig. 5 annotated iso-loss points (token and parameter multipliers for K -> rK).",
    "CROSSOVER_TOKENS": "ATLAS Fig. 6: tokens where pretraining from scratch overtakes finetuning Unimax, 2B models.",
    "CROSSOVER_LAW": "ATLAS Sec. 6 / Fig. 7: C_cross = c N^k. The paper prints three inconsistent forms "
                     "(CROSSOVER_LAW_FORMS); 1.11e6 N^1.65 (~ 1.03e7 N^1.54) matches the 2B crossovers, "
                     "1.03e7 N^1.65 is 10x too large.",
    "transfer_matrix": "ATLAS Fig. C.2, 38x38 transfer scores transcribed from the PDF text (0.1 rounding; rows = "
                       "target, columns = source; top-left 9x9 measured BTS, the rest random-forest estimates). "
                       "Not the official Mozilla Data Collective CSV.",
    "EPOCH": "Epoch notebook outputs: Huber-likelihood MLE (the paper's Table 1), bootstrap SEs/CIs (4000 "
             "resamples, seed 42), and the 4500-start L-BFGS-B grid fit of summed Huber.",
    "HOFFMANN_UNROUNDED": "Hoffmann et al. 2022 Approach 3 unrounded (Epoch's MLE starting point).",
    "DATABLATIONS": "datablations README 'Parametric Fit' and utils/parametric_fit.ipynb: C4 base (alpha = beta "
                    "tied), R_D*, R_N*, README example losses and allocation. R_D*, R_N* are weakly identified "
                    "(long flat valley): a refit need not return them.",
}

TABLE1_R2 = pd.DataFrame(
    [
        ("mono", "Chinchilla (CSL)", 0.94, 0.68, 0.94, 0.90, np.nan),
        ("mono", "Data-constrained (DCSL)", 0.93, 0.78, 0.93, 0.88, np.nan),
        ("mono", "ATLAS (D_t only)", 0.92, 0.88, 0.91, 0.88, np.nan),
        ("multi", "Chinchilla (CSL, on D_t)", 0.64, -0.99, 0.72, 0.66, 0.61),
        ("multi", "Multilingual SL (He et al.)", 0.67, -0.65, 0.73, 0.67, 0.70),
        ("multi", "ATLAS (D_t only)", 0.70, -0.75, 0.80, 0.72, 0.64),
        ("multi", "ATLAS (D_t + D_other)", 0.98, 0.89, 0.97, 0.97, 0.66),
        ("multi", "ATLAS (D_t + D_other + transfer K_t)", 0.98, 0.89, 0.96, 0.98, 0.82),
    ],
    columns=["setting", "law", "R2", "R2_N", "R2_D", "R2_C", "R2_M"],
)

_C1_ROWS = [  # regime, lang, E, a, alpha (= beta), b
    ("mono-vocab, mono-train", "en", 0.67, 6.18, 0.41, 8.25),
    ("mono-vocab, mono-train", "fr", 0.76, 10.11, 0.64, 13.24),
    ("mono-vocab, mono-train", "ru", 0.82, 10.07, 0.63, 13.28),
    ("mono-vocab, mono-train", "zh", 1.08, 8.20, 0.46, 10.37),
    ("mono-vocab, mono-train", "hi", 0.52, 6.03, 0.39, 8.03),
    ("mono-vocab, mono-train", "sw", 0.00, 4.13, 0.26, 5.51),
    ("multi-vocab, mono-train", "en", 0.83, 9.91, 0.63, 13.06),
    ("multi-vocab, mono-train", "fr", 0.66, 7.12, 0.45, 8.94),
    ("multi-vocab, mono-train", "ru", 0.76, 7.97, 0.49, 9.91),
    ("multi-vocab, mono-train", "zh", 1.18, 8.87, 0.49, 10.90),
    ("multi-vocab, mono-train", "hi", 0.63, 6.99, 0.43, 8.69),
    ("multi-vocab, mono-train", "sw", 0.00, 4.99, 0.30, 6.43),
    ("multi-vocab, Unimax-train", "en", 0.00, 3.03, 0.16, 3.15),
    ("multi-vocab, Unimax-train", "fr", 0.00, 3.63, 0.19, 3.94),
    ("multi-vocab, Unimax-train", "ru", 0.00, 3.90, 0.20, 4.28),
    ("multi-vocab, Unimax-train", "zh", 0.39, 4.58, 0.21, 5.47),
    ("multi-vocab, Unimax-train", "hi", 0.00, 3.46, 0.18, 3.89),
    ("multi-vocab, Unimax-train", "sw", 0.00, 3.52, 0.18, 3.74),
]
TABLE_C1 = pd.DataFrame(
    [(regime, lang, E, np.exp(a), np.exp(b), alpha, alpha, a, b) for regime, lang, E, a, alpha, b in _C1_ROWS],
    columns=["regime", "lang", "E", "A", "B", "alpha", "beta", "a", "b"],
)

# Table B.1 (atlas-paper.md §1.3): the paper's 774 experiments. "S_part (11)" scales are counted x10 and
# L_target (15) lists 14 pairs in the paper itself; the counts are printed as given.
PAPER_TABLE_B1 = pd.DataFrame(
    [
        ("Mono <Lang>", "monolingual", "monolingual", "L_mono (7)", "S_full (20)", 140),
        ("Unimax", "multilingual", "multilingual (Unimax)", "L_unimax", "S_full (20)", 20),
        ("Multi <Lang>", "multilingual", "monolingual", "L_mono (7)", "S_part (11)", 70),
        ("Language Pairs", "multilingual", "monolingual", "L_eval (48)", "34", 50),
        ("Language Pairs", "multilingual", "bilingual", "L_pairs (10)", "34", 90),
        ("Language Pairs", "multilingual", "bilingual", "L_target (15)", "S_part (11)", 150),
        ("Capacity", "multilingual", "uniform sampling", "C_exp (12)", "S_part (11)", 120),
        ("Finetunes", "multilingual", "monolingual", "L_eval (48)", "34", 50),
        ("Finetunes", "multilingual", "monolingual", "L_mono + L_pairs (12)", "S_min (7)", 84),
    ],
    columns=["tag", "vocab", "train data", "languages", "scales", "runs"],
)
UNIQUE_TOKENS = {"en": 2.8e12, "ru": 705e9, "fr": 363e9, "zh": 125e9, "hi": 7.9e9, "sw": 770e6}

CURSE = {"phi": 0.11, "psi": -0.04, "N_exponent": 0.243, "D_tot_exponent": 0.728, "C_exponent": 0.970,
         "R2_min": 0.87}
CURSE_IMPLIED = {"alpha": 0.11 / 0.243, "beta": 0.04 / 0.272}  # inference: 0.453, 0.147

FIG5_MULTIPLIERS = pd.DataFrame({"r": [2, 4, 8, 16], "D_tot": [1.66, 2.74, 4.54, 7.52], "N": [1.18, 1.40, 1.66, 1.96]})

CROSSOVER_MODEL_SIZE = 2.03e9  # "2B" = scale 34 of Table B.3
CROSSOVER_TOKENS = {"en": 144e9, "ja": 145e9, "pt": 148e9, "de": 160e9, "ru": 189e9, "vi": 234e9, "es": 239e9,
                    "zh": 283e9}
CROSSOVER_LAW = {"c": 1.11e6, "k": 1.65}
CROSSOVER_LAW_FORMS = {
    "sec6_text": "log(C) = 1113708 x N^1.65  (the 'log' is a typo)",
    "fig7_legend": "C = 10283128 N^1.54",
    "fig7_caption": "C = 10283128 x N^1.65  (10x too large at 2B)",
}

EPOCH = {
    "mle": {"A": 482.00572, "B": 2085.43420, "E": 1.81686, "alpha": 0.34781, "beta": 0.36585},
    "mle_log": {"a": 6.17795598, "b": 7.64273236, "e": 0.59711196, "alpha": 0.34781303, "beta": 0.36585412,
                "sigma": -12.26662388},
    "mle_neg_loglik": -879.7731,
    "grid": {"A": 477.8417, "B": 2143.8638, "E": 1.817236, "alpha": 0.347313, "beta": 0.367183},
    "grid_huber_sum": 0.0010182740346,
    "huber_sum_at_mle": 0.0010186447,
    "bootstrap_se": {"A": 124.52232, "B": 1293.28410, "E": 0.02566, "alpha": 0.01540, "beta": 0.02060},
    "bootstrap_ci95": {"A": (285.214, 743.626), "B": (1042.357, 5810.344), "E": (1.769, 1.871),
                       "alpha": (0.317, 0.373), "beta": (0.331, 0.415)},
    "n_runs": 240,
}

HOFFMANN_UNROUNDED = {"E": float(np.exp(0.5267228)), "A": float(np.exp(6.0073404)), "B": float(np.exp(6.0179186)),
                      "alpha": 0.33917084, "beta": 0.2849083}

DATABLATIONS = {
    "params": {"E": float(np.exp(0.6254804)), "A": float(np.exp(6.255414)), "B": float(np.exp(7.3049974)),
               "alpha": 0.3526596, "beta": 0.3526596, "R_D": 15.387756, "R_N": 5.309743},
    "readme_examples": pd.DataFrame({"N": [6.34e9, 8.67e9], "D": [242e9, 178e9], "U": [25e9, 25e9],
                                     "loss": [2.2256440889984477, 2.2269634075087867]}),
    "allocation": {"C": 1e22, "U": 25e9, "N": 7.022e9, "D": 2.3734e11},
}


# The 30 languages of the paper's Fig. 2 (a subset of Fig. C.2's 38), in the figure's order.
FIG2_LANGUAGES = ("en ru es fr de pt zh vi ja sw ko tr no sv bn gu ps ur fil id ms ca it ro ar he hr uk te th").split()


def transfer_matrix() -> pd.DataFrame:
    """ATLAS Fig. C.2 transfer scores: rows = target, columns = source, NaN diagonal (see ``SOURCES``)."""
    return pd.read_csv(_DATA / "atlas_transfer_matrix_38x38.csv", comment="#", index_col=0).rename_axis(
        index="target", columns="source")


EPOCH_CHINCHILLA_CSV = _DATA / "epoch_chinchilla" / "svg_extracted_data.csv"  # provenance: PROVENANCE.md beside it


def epoch_chinchilla_runs(path: str | Path = EPOCH_CHINCHILLA_CSV) -> pd.DataFrame:
    """Epoch's Chinchilla Fig. 4 reconstruction (``svg_extracted_data.csv``) prepared as they did: N = Model Size,
    D = Training FLOP / (6 N), and the five highest-loss runs dropped (240 rows). Columns N, D, loss.

    The bundled copy (the default ``path``) is byte-identical to epoch-research/analyzing-chinchilla @ 9225883.
    """
    try:
        raw = pd.read_csv(path)
    except OSError as err:
        raise AtlasError(f"{path}: cannot read ({err})") from None
    missing = {"Model Size", "Training FLOP", "loss"} - set(raw.columns)
    if missing:
        raise AtlasError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    runs = pd.DataFrame({"N": raw["Model Size"], "D": raw["Training FLOP"] / (6 * raw["Model Size"]),
                         "loss": raw["loss"]})
    return runs[runs["loss"] < np.sort(runs["loss"].to_numpy())[-5]].reset_index(drop=True)
