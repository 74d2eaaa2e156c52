"""Monolingual scaling (ATLAS Sec. 3, Fig. 1, Table C.1) on law tables: which evaluations a law is fitted to,
per-language parameters and how similar their exponents are, the repetition saturation, compute-optimal
trajectories and the compute-efficiency tax of multilingual training.

    law_points(rows, points)                  evaluations a law is fitted to: run ends, or points along the runs
    fit_per_language(laws, tables)            every law fitted to every language's table (failures kept as notes)
    parameter_table(fits)                     one row per (law, language): parameters, a = beta/(alpha+beta), fit
    exponent_spread(params)                   mean, spread and range of the exponents across languages
    repetition_table(lambdas)                 lambda, R* = 1/lambda, the epochs where a repeated token is worth half
    saturation_curves(lambdas, epochs)        effective epochs S/U and a repeated token's worth, against epochs
    trajectories(law, params, budgets)        compute-optimal N, D and loss against compute, per language
    frontier_gap(laws, reference, budgets)    relative loss of each regime over a reference one on the frontier
    curve_gap(reference, other, keys)         the same measured on runs: two curves at equal tokens
    anytime_excess(curves)                    how far the points before a run's decay sit above decayed runs
    repetition_gap(curves)                    a language's loss with a small unique pool over a large one
    repetition_vs_law(curves, fit)            the same, beside what a fitted monolingual ATLAS law predicts
    saturation_rates(atlas, dcsl)             lambda of every fit, with Muennighoff et al.'s C4 value
    pool_trajectories(fits, caps, budgets)    trajectories with unique data and with a capped unique pool
    unimax_tax(grid_rows, unimax_rows, langs) the measured tax: Unimax runs over monolingual ones, equal compute
    regime_laws(unimax_rows, unique_curves)   CSL per language in the Unimax and monolingual regimes
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from atlas_core import published
from atlas_core.analysis.curves import as_curve
from atlas_core.analysis.observations import observations
from atlas_core.errors import AtlasError, require_columns
from atlas_core.fit import FitResult, fit_law
from atlas_core.laws import Atlas, Chinchilla, Law, loss_on_frontier, optimal_allocation, saturation

EXPONENTS = ("alpha", "beta", "a_N")
POINTS = ("final", "curve")


def law_points(rows: pd.DataFrame, points: str = "final", *, min_share: float = 0.1) -> pd.DataFrame:
    """The evaluation rows a scaling law is fitted to.

    ``"final"``: the last evaluation of each run (after its learning-rate decay), one point per (N, D) as in
    Chinchilla's Approach 3. ``"curve"``: every evaluation along each run (the paper fits "parts" of training
    runs) except those in the learning-rate warmup (``phase == "warmup"``) and those before ``min_share`` of the
    run's tokens, which sit on the initial plateau rather than on a power law. With a WSD schedule the points of a
    curve before the decay are "anytime" points, which can sit above a decayed run of the same length
    (:func:`anytime_excess` measures by how much).

    ``rows``: evaluation rows with run_id, tokens, is_final and phase, e.g. ``Study.rows()``.
    """
    if points not in POINTS:
        raise AtlasError(f"law_points: points must be one of {', '.join(POINTS)}, got {points!r}")
    require_columns(rows, ("run_id", "tokens", "is_final", "phase"), "law_points")
    if not 0 <= min_share <= 1:
        raise AtlasError(f"law_points: min_share must be in [0, 1], got {min_share!r}")
    if points == "final":
        keep = rows["is_final"].astype(bool)
    else:
        keep = (rows["tokens"] >= min_share * rows.groupby("run_id")["tokens"].transform("max")) \
            & (rows["phase"] != "warmup")
    return rows[keep.to_numpy()].reset_index(drop=True)


def fit_per_language(laws: Mapping[str, tuple[Law, Mapping]], tables: Mapping[str, pd.DataFrame],
                     **fit_kwargs) -> dict[tuple[str, str], FitResult]:
    """Every law fitted to every language's table: {(law name, lang): FitResult}; where a fit cannot be made (too
    few observations, missing columns) the result has status ``failed`` and the reason as its ``message``
    (``FitResult.failed``), so that a small study still prints its table.

    ``laws`` maps a name to (law, its own fit options, e.g. {"tie_exponents": True}); ``fit_kwargs`` go to every
    fit (:func:`atlas_core.fit.fit_law`).
    """
    out: dict[tuple[str, str], FitResult] = {}
    for name, (law, options) in laws.items():
        for lang, table in tables.items():
            try:
                out[(name, lang)] = fit_law(law, table, **{**fit_kwargs, **options})
            except AtlasError as err:
                out[(name, lang)] = FitResult.failed(law, str(err))
    return out


def parameter_table(fits: Mapping[tuple[str, str], FitResult]) -> pd.DataFrame:
    """One row per (law, lang) fit: its reported parameters, the compute-optimal exponent a = beta/(alpha+beta)
    (N_opt grows as C^a for the Chinchilla form), status, in-sample R^2, observations, parameters at a bound, and
    ``note`` (why there is no fit, for fits whose status is ``failed``)."""
    if not fits:
        raise AtlasError("parameter_table: no fits")
    rows = []
    for (law, lang), fit in fits.items():
        if not fit.ok:
            rows.append(dict(law=law, lang=lang, status=fit.status, note=fit.message))
            continue
        p = fit.params
        a_n = p["beta"] / (p["alpha"] + p["beta"]) if p["alpha"] + p["beta"] > 0 else np.nan
        rows.append(dict(law=law, lang=lang, **p, a_N=a_n, status=fit.status, r2=fit.r2, n_obs=fit.n_obs,
                         at_bound=", ".join(fit.at_bound), note=""))
    return pd.DataFrame(rows)


def exponent_spread(params: pd.DataFrame, by: str = "law") -> pd.DataFrame:
    """How similar the exponents are across languages: per ``by`` group and exponent (alpha, beta, a_N), the mean,
    standard deviation, min, max and the coefficient of variation (sd / mean) over the languages."""
    require_columns(params, (by, *EXPONENTS), "exponent_spread")
    long = params.melt(id_vars=[by], value_vars=list(EXPONENTS), var_name="exponent")
    stats = long.groupby([by, "exponent"], sort=False)["value"].agg(["count", "mean", "std", "min", "max"])
    stats["cv"] = stats["std"] / stats["mean"].abs()
    return stats.rename(columns={"count": "languages", "std": "sd"}).reset_index()


def repetition_table(lambdas: Mapping[str, float]) -> pd.DataFrame:
    """Per fitted saturation rate lambda: R* = 1/lambda (Muennighoff's R*_D), the epochs at which one more
    repeated token is worth half a unique one (1 + ln 2 / lambda: S' = exp(-lambda (D/U - 1))) and the most
    effective data repetition can ever give, in unique-data epochs (1 + 1/lambda)."""
    rows = []
    for label, lam in lambdas.items():
        lam = float(lam)
        if not lam > 0:
            raise AtlasError(f"repetition_table: lambda of {label!r} must be > 0, got {lam!r}")
        rows.append(dict(fit=label, **{"lambda": lam}, R_star=1.0 / lam, half_worth_epochs=1.0 + np.log(2.0) / lam,
                         max_effective_epochs=1.0 + 1.0 / lam))
    return pd.DataFrame(rows).set_index("fit")


def saturation_curves(lambdas: Mapping[str, float], epochs: Sequence[float]) -> pd.DataFrame:
    """Long table (fit, epochs, effective_epochs = S_lambda(D; U)/U, worth = dS/dD = the value of one more repeated
    token relative to a unique one) for each lambda over the given epochs D/U."""
    epochs = np.asarray(epochs, dtype=np.float64)
    if epochs.size == 0 or not np.all(epochs > 0):
        raise AtlasError("saturation_curves: epochs must be positive")
    parts = []
    for label, lam in lambdas.items():
        effective = saturation(epochs, 1.0, float(lam))
        worth = np.where(epochs <= 1.0, 1.0, np.exp(-float(lam) * (epochs - 1.0)))
        parts.append(pd.DataFrame({"fit": label, "epochs": epochs, "effective_epochs": effective, "worth": worth}))
    return pd.concat(parts, ignore_index=True)


def trajectories(law: Law, params: Mapping[str, Mapping[str, float]], budgets: Sequence[float], *,
                 columns: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Compute-optimal allocation along budgets C = 6 N D, per language: lang, C, N, D, tokens_per_param, loss.

    ``params`` maps a language to its fitted parameters of ``law``; ``columns`` to the law's other inputs held
    fixed (e.g. {"U": unique tokens} so that repetition bends the trajectory of a low-resource language).
    """
    budgets = np.asarray(budgets, dtype=np.float64)
    if budgets.size == 0:
        raise AtlasError("trajectories: no budgets")
    rows = []
    for lang, p in params.items():
        extra = dict((columns or {}).get(lang, {}))
        for C in budgets:
            best = optimal_allocation(law, p, float(C), columns=extra)
            rows.append(dict(lang=lang, C=float(C), N=best["N"], D=best["D"], tokens_per_param=best["D"] / best["N"],
                             loss=best["loss"]))
    return pd.DataFrame(rows)


def frontier_gap(laws: pd.DataFrame, reference: str, budgets: Sequence[float], *, regime: str = "regime",
                 lang: str = "lang") -> pd.DataFrame:
    """The compute-efficiency tax: on each Chinchilla-form law's compute-optimal frontier, the loss of every
    ``regime`` relative to the ``reference`` regime of the same language, minus 1 (0.05 = 5% higher loss).

    ``laws`` has one row per (regime, lang) with E, A, B, alpha, beta. Columns: lang, regime, C, loss,
    reference_loss, tax.
    """
    if reference not in set(laws[regime]):
        raise AtlasError(f"frontier_gap: no {regime} {reference!r} among {sorted(set(laws[regime]))}")
    frontier = loss_on_frontier(laws, budgets, keys=[regime, lang])
    base = frontier[frontier[regime] == reference][[lang, "C", "loss"]].rename(columns={"loss": "reference_loss"})
    out = frontier[frontier[regime] != reference].merge(base, on=[lang, "C"], how="inner")
    out["tax"] = out["loss"] / out["reference_loss"] - 1.0
    return out[[lang, regime, "C", "loss", "reference_loss", "tax"]].reset_index(drop=True)


def curve_gap(reference: pd.DataFrame, other: pd.DataFrame, keys: Sequence[str], *, loss: str = "loss") -> pd.DataFrame:
    """Two sets of learning curves compared at equal tokens: for each ``keys`` group present in both (e.g. scale
    and language), the other curve's loss at the reference curve's evaluations (log-token interpolation, within
    the range both cover) relative to the reference loss, minus 1. Columns: keys, tokens, reference_loss, loss,
    gap."""
    keys = list(keys)
    for name, table in (("reference", reference), ("other", other)):
        missing = [c for c in (*keys, "tokens", loss) if c not in table.columns]
        if missing:
            raise AtlasError(f"curve_gap: {name} curves miss column(s) {', '.join(missing)}")
    theirs = dict(list(other.groupby(keys, sort=True)))
    parts = []
    for key, curve in reference.groupby(keys, sort=True):
        if key not in theirs:
            continue
        ref_t, ref_l = as_curve(curve, y=loss, what="reference curve")
        oth_t, oth_l = as_curve(theirs[key], y=loss, what="other curve")
        inside = (ref_t >= oth_t[0]) & (ref_t <= oth_t[-1])
        at = np.interp(np.log(ref_t[inside]), np.log(oth_t), oth_l)
        labels = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        part = pd.DataFrame({"tokens": ref_t[inside], "reference_loss": ref_l[inside], "loss": at})
        parts.append(part.assign(**labels))
    if not parts:
        raise AtlasError("curve_gap: no group has curves on both sides")
    out = pd.concat(parts, ignore_index=True)
    out["gap"] = out["loss"] / out["reference_loss"] - 1.0
    return out[[*keys, "tokens", "reference_loss", "loss", "gap"]]


def anytime_excess(curves: pd.DataFrame, keys: Sequence[str] = ("lang", "N")) -> pd.DataFrame:
    """How much higher the anytime points of a learning curve are than decayed runs of the same length.

    Per ``keys`` group (one model of one language), the final evaluations of the shorter runs (each after its
    learning-rate decay) are compared with the longest run's evaluations before its end (before its decay, for
    a WSD schedule whose decay is shorter than the gap to the previous evaluation) at the same tokens.
    ``curves``: observations along runs with run_id, tokens, is_final, loss and the ``keys`` columns. Columns of
    the result: keys, tokens, decayed (the shorter run's final loss), anytime (the longest run's interpolated
    loss), excess = anytime / decayed - 1.
    """
    keys = list(keys)
    require_columns(curves, (*keys, "run_id", "tokens", "is_final", "loss"), "anytime_excess")
    longest = _longest_runs(curves, keys)
    ends = curves[~longest & curves["is_final"].astype(bool)]
    anytime = curves[longest & ~curves["is_final"].astype(bool)]
    gap = curve_gap(ends, anytime, keys)
    return gap.rename(columns={"reference_loss": "decayed", "loss": "anytime", "gap": "excess"})


def _longest_runs(curves: pd.DataFrame, by: list[str]) -> np.ndarray:
    """Mask of the evaluations of the run with the most tokens in each ``by`` group."""
    budget = curves.groupby("run_id")["tokens"].transform("max")
    return (budget == budget.groupby([curves[k] for k in by]).transform("max")).to_numpy()


def repetition_gap(curves: pd.DataFrame) -> pd.DataFrame:
    """What repetition costs, measured: one language trained with two unique-token pools U at the same sizes and
    budgets; per model size N, the loss of the longest run on the smaller pool relative to the longest run on the
    larger pool at equal tokens, minus 1, against epochs of the small pool (tokens / U).

    ``curves``: the language's observations along its runs (columns run_id, N, U, tokens, loss). Columns: N,
    tokens, epochs, reference_loss (large pool), loss (small pool), gap.
    """
    require_columns(curves, ("run_id", "N", "U", "tokens", "loss"), "repetition_gap")
    pools = np.sort(curves["U"].unique())
    if len(pools) != 2:
        raise AtlasError(f"repetition_gap: needs runs on exactly two unique-token pools, found {len(pools)}")
    longest = curves[_longest_runs(curves, ["N", "U"])]
    gap = curve_gap(longest[longest["U"] == pools[1]], longest[longest["U"] == pools[0]], keys=["N"])
    gap.insert(2, "epochs", gap["tokens"] / pools[0])
    return gap


def unimax_tax(grid_rows: pd.DataFrame, unimax_rows: pd.DataFrame, languages: Sequence[str]) -> pd.DataFrame:
    """The measured compute-efficiency tax: each Unimax run's loss on a language of the grid relative to the
    monolingual run of the same size and token budget (unique data only), evaluation by evaluation
    (:func:`curve_gap`, keys lang and N), with ``C = 6 N tokens``. Empty when no Unimax run evaluates a grid
    language."""
    if unimax_rows.empty or grid_rows.empty:
        return pd.DataFrame(columns=["lang", "N", "tokens", "reference_loss", "loss", "gap", "C"])
    langs = [lang for lang in languages if lang in set(unimax_rows["eval_lang"])]
    if not langs:
        return pd.DataFrame(columns=["lang", "N", "tokens", "reference_loss", "loss", "gap", "C"])
    budget = unimax_rows["tokens"].max()
    mono = []
    for lang in langs:
        curve = observations(law_points(grid_rows, "curve", min_share=0.0), lang)
        mono.append(curve[(curve["U"] == curve["U"].max())
                          & (curve.groupby("run_id")["tokens"].transform("max") == budget)])
    unimax = pd.concat([observations(unimax_rows, lang) for lang in langs])
    gap = curve_gap(pd.concat(mono), unimax, keys=["lang", "N"])
    return gap.assign(C=6 * gap["N"] * gap["tokens"])


def repetition_vs_law(curves: pd.DataFrame, fit: FitResult) -> pd.DataFrame:
    """:func:`repetition_gap` (curves "measured, N=..."), and where ``fit`` (a monolingual ATLAS fit) succeeded, the
    same ratio that law predicts at the same points, L(N, S(D; U)) / L(N, D) - 1 with U
    the small pool (curves "ATLAS fit, N=...")."""
    gap = repetition_gap(curves).assign(curve=lambda t: "measured, N=" + t["N"].astype(str))
    if not fit.ok:
        return gap
    frame = gap.assign(D=gap["tokens"], U=curves["U"].min())
    predicted = fit.predict(frame) / fit.predict(frame.assign(U=np.inf)) - 1
    fitted = gap.assign(gap=np.asarray(predicted), curve="ATLAS fit, N=" + gap["N"].astype(str))
    return pd.concat([gap, fitted], ignore_index=True)


def saturation_rates(atlas: Mapping[str, FitResult], dcsl: Mapping[str, FitResult]) -> dict[str, float]:
    """The saturation rate lambda by label: Muennighoff et al.'s C4 fit (1 / R*_D), then per language the
    monolingual ATLAS fit's lambda and the DCSL fit's 1 / R_D (fits that failed or ran to 0 are left out)."""
    rates = {"Muennighoff et al. (C4): 1/R*_D": 1 / published.DATABLATIONS["params"]["R_D"]}
    for lang in atlas:
        for name, fit, key in (("ATLAS", atlas[lang], "lambda"), ("DCSL", dcsl.get(lang), "R_D")):
            if fit is not None and fit.ok and fit.params[key] > 0:
                rates[f"ours, {name} ({lang})"] = fit.params[key] if key == "lambda" else 1 / fit.params[key]
    return rates


def pool_trajectories(fits: Mapping[str, FitResult], caps: Mapping[str, float],
                      budgets: Sequence[float]) -> pd.DataFrame:
    """Compute-optimal trajectories (:func:`trajectories`) of each language's monolingual ATLAS fit with unique
    data (lang "<lang>, unique data") and, for the languages in ``caps``, with that many unique tokens
    (lang "<lang>, <U/1000>K unique"). Failed fits are skipped; empty when none is left."""
    paths = []
    for lang, fit in fits.items():
        if not fit.ok:
            continue
        pools = {f"{lang}, unique data": np.inf}
        if lang in caps:
            pools[f"{lang}, {caps[lang] / 1e3:.0f}K unique"] = float(caps[lang])
        paths += [trajectories(Atlas(), {label: fit.params}, budgets, columns={label: {"U": U}})
                  for label, U in pools.items()]
    return pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()


def regime_laws(unimax_rows: pd.DataFrame, unique_curves: Mapping[str, pd.DataFrame], **fit_kwargs) -> pd.DataFrame:
    """CSL fitted per language along the runs of two training regimes, as a :func:`parameter_table` with column
    ``regime``: "Unimax" (the Unimax runs' loss on the language against *all* their training tokens) and
    "monolingual" (``unique_curves[lang]``: the language's own runs on unique data). ``fit_kwargs`` go to every fit."""
    tables = {}
    for lang, mono in unique_curves.items():
        unimax = observations(law_points(unimax_rows, "curve"), lang)
        tables[("Unimax", lang)] = unimax.assign(D=unimax["D_total"])
        tables[("monolingual", lang)] = mono
    if not tables:
        return pd.DataFrame(columns=["regime", "lang"])
    fits = {key: fit_per_language({key[0]: (Chinchilla(), {})}, {key[1]: table}, **fit_kwargs)[key]
            for key, table in tables.items()}
    return parameter_table(fits).rename(columns={"law": "regime"})
