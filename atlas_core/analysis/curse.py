"""The curse of multilinguality (ATLAS Sec. 5, Eq. 7, App. B.7) measured on uniform mixtures of K languages.

The capacity runs train one model size N on K languages sampled evenly for a fixed total budget, so each
language gets D_t = D_tot / K tokens. From their evaluation rows this module derives

- the law table of ``L(K, N, D_t) = E + A K^phi / N^alpha + B K^psi / D_t^beta`` (:func:`curse_observations`);
- the paper's Fig. 4 quantity, the relative loss of a K-language model against the monolingual (K = 1) model of
  the same size at the same total tokens, i.e. the same compute C = 6 N D_tot (:func:`relative_loss`);
- how it grows with K at the end of training (:func:`growth_with_k`), and how strongly model size and data
  mitigate it, as least-squares slopes of the relative loss in log N and log D_tot at each K
  (:func:`mitigation_slopes`; the paper: |d/dlog N| > |d/dlog D|);
- the compute-optimal multipliers for K -> r K that a fit implies, with intervals from its bootstrap
  (:func:`multiplier_intervals`);
- whether the runs need a capacity term at all: the law with phi free against phi = 0, a nested pair whose free
  fit is made never worse than the nested one (:func:`capacity_fits`), read with its bootstrap interval
  (:func:`capacity_reading`, which names a fit off its optimum and a one-point interval instead of reading them);
- the per-language fit of the law at the run ends with its bootstrap (:func:`curse_ends`, :func:`fit_curse`), the
  intervals of its parameters (:func:`parameter_intervals`) and of Fig. 5's multipliers (:func:`fig5_multipliers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from atlas_core.analysis.curves import loss_at
from atlas_core.analysis.observations import evaluations, observations
from atlas_core.errors import AtlasError, require_columns
from atlas_core.fit import BootstrapSamples, FitResult, bootstrap_fit, fit_beyond, fit_law
from atlas_core.fit.polish import NOT_CONVERGED
from atlas_core.laws import CurseLaw, iso_loss_multipliers

COLUMNS = ["run_id", "lang", "seed", "scale", "N", "K", "p", "D", "U", "D_total", "tokens", "is_final", "bpb", "loss"]


def curse_observations(rows: pd.DataFrame, *, langs: Sequence[str] | None = None, min_fraction: float = 0.0,
                       max_epochs: float = 1.0) -> pd.DataFrame:
    """The law table of the curse law from evaluation rows of uniform mixtures and monolingual runs
    (``Study.rows()`` of the capacity runs, optionally with more monolingual runs of the same languages).

    One row per evaluation of a language the run trained on: ``K`` languages, ``N`` non-embedding parameters,
    ``D`` = D_t tokens of that language, ``U`` its unique tokens, ``D_total`` all tokens, ``loss`` in nats per
    byte (see :func:`atlas_core.analysis.observations.observations`, which this builds on), plus ``lang``,
    ``run_id``, ``seed``, ``scale``, ``tokens``, ``is_final``, ``bpb``. ``langs``: the target languages (default:
    every evaluated language the rows trained on). Evaluations before ``min_fraction`` of a run's final tokens are
    dropped: 0 keeps the whole curve, 1 only the last evaluation of each run (the end of its schedule). So are
    evaluations past ``max_epochs`` epochs of the target (D > max_epochs U): the law has no repetition term. A
    mixture that is not uniform (a language's share differs from 1/K) raises ``AtlasError``: the law assumes even
    sampling.
    """
    if not 0.0 <= min_fraction <= 1.0:
        raise AtlasError(f"min_fraction must be in [0, 1], got {min_fraction!r}")
    if not max_epochs > 0:
        raise AtlasError(f"max_epochs must be > 0, got {max_epochs!r}")
    if "eval_lang" not in rows.columns:
        raise AtlasError("rows: missing column 'eval_lang'")
    if langs is None:
        langs = sorted(lang for lang in rows["eval_lang"].dropna().unique() if f"D_{lang}" in rows.columns)
    if not langs:
        raise AtlasError("rows: no evaluation of a language the runs trained on (no D_<lang> column)")
    obs = pd.concat([observations(rows, lang) for lang in langs], ignore_index=True)
    uneven = ~np.isclose(obs["p"] * obs["K"], 1.0, rtol=1e-6)
    if uneven.any():
        bad = obs[uneven].iloc[0]
        raise AtlasError(f"run {bad['run_id']} trains {bad['lang']} at share {bad['p']:.4g} among K = {bad['K']} "
                         f"languages, not 1/K: the curse law needs uniform mixtures")
    final = obs.groupby("run_id")["tokens"].transform("max")
    obs = obs[(obs["tokens"] >= min_fraction * final) & (obs["D"] <= max_epochs * obs["U"])]
    return obs[COLUMNS].sort_values(["lang", "N", "K", "run_id", "tokens"], ignore_index=True)


def relative_loss(obs: pd.DataFrame) -> pd.DataFrame:
    """Each evaluation's loss relative to the monolingual run of its language, size and seed at the same total
    tokens: ``rel_loss`` = L(K) / L(1) - 1 (the paper's Fig. 4; 0 at K = 1, positive when the mixture is worse).

    ``obs`` is a :func:`curse_observations` table. The K = 1 curve is interpolated in log tokens (exact where the
    evaluation steps coincide, as they do for equal budgets); evaluations outside its range are dropped. Adds the
    columns ``mono_loss`` and ``rel_loss``. A (language, size, seed) without its K = 1 run raises ``AtlasError``.
    """
    out = []
    for (lang, n, seed), group in obs.groupby(["lang", "N", "seed"], sort=True):
        mono = group[group["K"] == 1].groupby("D_total")["loss"].mean()
        if mono.empty:
            raise AtlasError(f"relative loss: no monolingual (K = 1) run of {lang} at N = {n:g}, seed {seed} "
                             f"(has K = {sorted(group['K'].unique())})")
        tokens, loss = mono.index.to_numpy(dtype=float), mono.to_numpy(dtype=float)
        inside = group[(group["D_total"] >= tokens[0]) & (group["D_total"] <= tokens[-1])]
        ref = [loss_at(tokens, loss, d) for d in inside["D_total"]]
        out.append(inside.assign(mono_loss=ref, rel_loss=inside["loss"] / np.asarray(ref) - 1.0))
    return pd.concat(out, ignore_index=True)


def mitigation_slopes(rel: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """At each K > 1 (and each ``by`` group, e.g. ``("lang",)``), the least-squares fit
    rel_loss = a + b log N + c log D_total over every evaluation.

    Returns columns ``by``, K, ``dlogN`` (= b: the change of the relative loss per e-fold of model size), ``dlogD``
    (= c: per e-fold of total tokens), ``n_points`` and ``n_sizes``; b is NaN with fewer than two sizes.
    Negative slopes mitigate the curse; the paper finds |b| > |c| (model size is the stronger lever).
    """
    keys = [*by, "K"]
    out = []
    for key, group in rel[rel["K"] > 1].groupby(keys, sort=True):
        log_n, log_d = np.log(group["N"].to_numpy(float)), np.log(group["D_total"].to_numpy(float))
        sizes = np.unique(log_n).size
        design = np.column_stack([np.ones_like(log_n), log_n, log_d] if sizes > 1 else [np.ones_like(log_n), log_d])
        coef, *_ = np.linalg.lstsq(design, group["rel_loss"].to_numpy(float), rcond=None)
        b, c = (coef[1], coef[2]) if sizes > 1 else (np.nan, coef[1])
        out.append({**dict(zip(keys, key)), "K": int(key[-1]), "dlogN": float(b), "dlogD": float(c),
                    "n_points": len(group), "n_sizes": sizes})
    if not out:
        raise AtlasError("mitigation slopes: no mixture with K > 1")
    return pd.DataFrame(out)


def growth_with_k(rel: pd.DataFrame) -> pd.DataFrame:
    """How the relative loss at the end of training grows with the number of languages: per target language, size
    and seed, the least-squares slope of the final ``rel_loss`` in log K over its K values (K = 1 included, at 0).
    Columns lang, N, seed, ``slope`` (positive: every added language costs) and ``n_K``; a group with one K is
    left out."""
    require_columns(rel, ("lang", "N", "seed", "K", "is_final", "rel_loss"), "growth_with_k")
    out = []
    for (lang, n, seed), group in rel[rel["is_final"].astype(bool)].groupby(["lang", "N", "seed"], sort=True):
        ends = group.groupby("K")["rel_loss"].mean()
        if len(ends) > 1:
            slope = np.polyfit(np.log(ends.index.to_numpy(float)), ends.to_numpy(float), 1)[0]
            out.append(dict(lang=lang, N=n, seed=seed, slope=float(slope), n_K=len(ends)))
    return pd.DataFrame(out, columns=["lang", "N", "seed", "slope", "n_K"])


def multiplier_intervals(params: dict, samples: pd.DataFrame, r: Sequence[float], *,
                         level: float = 0.95) -> pd.DataFrame:
    """The compute-optimal multipliers for K -> r K (N, D_t, D_tot, C; see
    :func:`atlas_core.laws.iso_loss_multipliers`) at the fitted ``params``, with percentile intervals over the
    bootstrap ``samples`` (columns phi, psi, alpha, beta).

    Resamples with alpha <= 0 or beta <= 0 have no frontier and are left out; ``n_samples`` counts the rest.
    Returns one row per r: r, then each quantity, ``<quantity>_lower`` and ``<quantity>_upper``.
    """
    if not 0 < level < 1:
        raise AtlasError(f"confidence level must be in (0, 1), got {level!r}")
    estimate = iso_loss_multipliers(params["phi"], params["psi"], params["alpha"], params["beta"], r)
    valid = samples[(samples["alpha"] > 0) & (samples["beta"] > 0)]
    if valid.empty:
        raise AtlasError("multiplier intervals: no resample has alpha > 0 and beta > 0")
    draws = pd.concat([iso_loss_multipliers(s.phi, s.psi, s.alpha, s.beta, r) for s in valid.itertuples()])
    tail = (1 - level) / 2
    for quantity in ("N", "D_t", "D_tot", "C"):
        grouped = draws.groupby("r")[quantity]
        estimate[f"{quantity}_lower"] = grouped.quantile(tail).reindex(estimate["r"]).to_numpy()
        estimate[f"{quantity}_upper"] = grouped.quantile(1 - tail).reindex(estimate["r"]).to_numpy()
    return estimate.assign(n_samples=len(valid))


def capacity_fits(rows: pd.DataFrame, fit: FitResult | None = None, **fit_kwargs) -> tuple[FitResult, FitResult]:
    """The curse law on ``rows`` with phi free and with phi = 0: ``(free, nested)``. The free fit (``fit`` when
    given) is also started from the nested optimum, so it cannot end worse than the law it contains; if it still
    does, its status is ``not_converged`` (``atlas_core.fit.fit_beyond``)."""
    law = CurseLaw() if fit is None else fit.law
    nested = fit_law(law, rows, **{**fit_kwargs, "fixed": {**(fit_kwargs.get("fixed") or {}), "phi": 0.0}})
    free = fit if fit is not None else fit_law(law, rows, **fit_kwargs)
    return fit_beyond(law, rows, free, nested, **fit_kwargs), nested


def capacity_reading(free: FitResult, nested: FitResult, low: float, high: float) -> str:
    """One line on whether the runs need a capacity term, from the nested pair and phi's 95% interval
    ``[low, high]``: a free fit off its optimum and a one-point (degenerate) interval are named, not read."""
    head = (f"R^2 {free.r2:.4f} with phi free, {nested.r2:.4f} with phi = 0 (the fitted {free.objective_name} "
            f"objective: {free.objective:.6g} vs {nested.objective:.6g}"
            + ("; R^2 on the loss is not what the fit minimises, so it can rank them the other way"
               if (free.r2 < nested.r2) != (free.objective > nested.objective) else "")
            + f"); phi = {free.params['phi']:.3f}, ")
    if free.status == NOT_CONVERGED:
        return head + "but the free fit ends worse than phi = 0: it is not at its optimum, so no reading"
    if not (np.isfinite(low) and np.isfinite(high)):
        return head + "no finite interval: no reading"
    span = f"95% interval [{low:.3f}, {high:.3f}]"
    if low == high:
        return head + f"{span}: one point, a degenerate bootstrap (every resample gave the same phi), not evidence"
    if low > 0 or high < 0:
        return head + f"{span}: excludes 0, so these runs need a capacity term"
    return head + f"{span}: includes 0, so these runs cannot tell a capacity curse from dilution"


@dataclass(frozen=True)
class CurseFit:
    """One target language's curse law: phi free and phi = 0 (:func:`capacity_fits`), and the free fit's
    bootstrap over the runs."""

    free: FitResult
    nested: FitResult
    samples: BootstrapSamples


def curse_ends(capacity: pd.DataFrame, mono: pd.DataFrame) -> pd.DataFrame:
    """The law table at the end of every run (:func:`curse_observations` with ``min_fraction`` 1) of the capacity
    runs and the monolingual runs (``Study.rows("capacity")``, ``Study.rows("mono")``), for the capacity runs'
    target languages."""
    targets = sorted(curse_observations(capacity)["lang"].unique())
    return curse_observations(evaluations(capacity, mono), langs=targets, min_fraction=1.0)


def has_frontier(params: Mapping[str, float]) -> bool:
    """Whether fitted exponents have an iso-loss frontier (both alpha and beta positive)."""
    return params["alpha"] > 0 and params["beta"] > 0


def fit_curse(ends: pd.DataFrame, *, n_bootstrap: int, seed: int = 0) -> dict[str, CurseFit]:
    """The curse law fitted per target language of ``ends`` (:func:`curse_ends`), with ``n_bootstrap`` resamples
    of its runs."""
    out = {}
    with np.errstate(all="ignore"):  # resamples that push an exponent to extremes overflow harmlessly
        for lang, rows in ends.groupby("lang"):
            free, nested = capacity_fits(rows)
            out[lang] = CurseFit(free, nested, bootstrap_fit(free.law, rows, n=n_bootstrap, seed=seed, fit=free))
    return out


def parameter_intervals(fits: Mapping[str, CurseFit], paper: Mapping[str, float]) -> pd.DataFrame:
    """The 95% bootstrap interval of each parameter named in ``paper`` per language: index (lang, parameter),
    columns estimate, lower, upper and the paper's value."""
    parts = [fit.samples.ci(0.95).loc[list(paper), ["estimate", "lower", "upper"]].assign(
        lang=lang, paper=pd.Series(paper)) for lang, fit in fits.items()]
    if not parts:
        raise AtlasError("parameter intervals: no fitted language")
    return pd.concat(parts).rename_axis("parameter").reset_index().set_index(["lang", "parameter"])


def fig5_multipliers(fits: Mapping[str, CurseFit], r: Sequence[float]) -> pd.DataFrame:
    """:func:`multiplier_intervals` of every language whose fit has a frontier, with a ``lang`` column."""
    parts = [multiplier_intervals(fit.free.params, fit.samples, r).assign(lang=lang)
             for lang, fit in fits.items() if has_frontier(fit.free.params)]
    columns = ["r", "N", "D_t", "D_tot", "C", "N_lower", "N_upper", "D_tot_lower", "D_tot_upper", "lang"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
