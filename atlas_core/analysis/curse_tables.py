"""Chapter 6's tables and figure data from the curse analyses (:mod:`~atlas_core.analysis.curse`): one call each.

    final_by_size(rel)                     Fig. 4: the final relative loss per size and K, averaged over targets
    along_training(rel)                    the relative loss along training at the largest size, per K
    size_table(final), evaluations_table(obs)
    run_summary(obs), ends_summary(ends), fit_summary(fits), capacity_readings(fits, estimates),
    exponent_summary(fits)                 descriptions in a line per language
    multiplier_table(multipliers)          Fig. 5's multipliers with their intervals beside the paper's
    shown_exponents(params)                the exponents the Fig. 5 explorer starts from
    fig5_frontier(params, optimum, ratios) the iso-loss curves near the compute-optimal points
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from atlas_core import published
from atlas_core.analysis.curse import CurseFit, capacity_reading, has_frontier
from atlas_core.laws import iso_loss_frontier


def final_by_size(rel: pd.DataFrame) -> pd.DataFrame:
    """The relative loss at the end of training averaged over target languages (and seeds), per (scale, N, K),
    with ``size`` = "<scale> (N = <N>)" for a chart's legend."""
    final = rel[rel["is_final"].astype(bool)].groupby(["scale", "N", "K"], as_index=False)["rel_loss"].mean()
    final = final.sort_values(["N", "K"], ignore_index=True)
    return final.assign(size=final["scale"] + " (N = " + final["N"].map("{:,.0f}".format) + ")")


def size_table(final: pd.DataFrame) -> pd.DataFrame:
    """:func:`final_by_size` as a K x scale table, sizes in increasing N."""
    return final.pivot(index="K", columns="scale", values="rel_loss")[list(dict.fromkeys(final["scale"]))]


def along_training(rel: pd.DataFrame) -> pd.DataFrame:
    """The relative loss along training at the largest size, averaged over targets, per K ("K = <K>") and total
    tokens."""
    largest = rel[rel["N"] == rel["N"].max()]
    along = largest.groupby(["K", "D_total"], as_index=False)["rel_loss"].mean()
    return along.assign(K="K = " + along["K"].astype(str))


def run_summary(obs: pd.DataFrame) -> str:
    """The capacity evaluations in one line: targets, runs, sizes and K."""
    return (f"{len(obs)} evaluations of {obs['lang'].nunique()} target languages "
            f"({', '.join(sorted(obs['lang'].unique()))}) from {obs['run_id'].nunique()} runs; model sizes N = "
            f"{', '.join(f'{n:,.0f}' for n in sorted(obs['N'].unique()))}; "
            f"K = {', '.join(str(k) for k in sorted(obs['K'].unique()))}")


def evaluations_table(obs: pd.DataFrame) -> pd.DataFrame:
    """Evaluations and the span of D_t per (N, K), sizes as columns."""
    counts = obs.groupby(["N", "K"])["D"].agg(["count", "min", "max"])
    return counts.rename(columns={"count": "evaluations", "min": "min D_t", "max": "max D_t"}).unstack("N")


def ends_summary(ends: pd.DataFrame) -> str:
    """The run ends a curse fit sees, per target language: runs, K and the span of D_t."""
    return f"{len(ends)} run ends: " + "; ".join(
        f"{lang}: {len(g)} runs, K = {sorted(map(int, g['K'].unique()))}, D_t from {g['D'].min():,.0f} to "
        f"{g['D'].max():,.0f}" for lang, g in ends.groupby("lang"))


def fit_summary(fits: Mapping[str, CurseFit]) -> str:
    """One line per target language: the free fit's status, R^2, runs and parameters at a bound."""
    return "\n".join(f"{lang}: {fit.free.status}, R^2 = {fit.free.r2:.3f} on {fit.free.n_obs} runs"
                     + (f" (at a bound: {', '.join(fit.free.at_bound)})" if fit.free.at_bound else "")
                     for lang, fit in fits.items())


def capacity_readings(fits: Mapping[str, CurseFit], estimates: pd.DataFrame) -> str:
    """One :func:`~atlas_core.analysis.curse.capacity_reading` line per target language, with phi's interval from
    ``estimates`` (:func:`~atlas_core.analysis.curse.parameter_intervals`)."""
    return "\n".join(f"{lang}: " + capacity_reading(fit.free, fit.nested, *estimates.loc[(lang, "phi"), ["lower", "upper"]])
                     for lang, fit in fits.items())


def exponent_summary(fits: Mapping[str, CurseFit]) -> str:
    """One line per target language: the Fig. 5 exponents its fit implies, or why it has no frontier."""
    lines = []
    for lang, fit in fits.items():
        p = fit.free.params
        lines.append(f"{lang}: " + (
            f"N x r^{p['phi'] / p['alpha']:.3f}, D_tot x r^{1 + p['psi'] / p['beta']:.3f}, "
            f"C x r^{1 + p['phi'] / p['alpha'] + p['psi'] / p['beta']:.3f}" if has_frontier(p)
            else f"alpha = {p['alpha']:.3g}, beta = {p['beta']:.3g}: no iso-loss frontier"))
    return "\n".join(lines)


def multiplier_table(multipliers: pd.DataFrame) -> pd.DataFrame:
    """Fig. 5's multipliers (:func:`~atlas_core.analysis.curse.fig5_multipliers`) as "estimate [low, high]" beside
    the paper's, per (lang, r)."""
    fig5 = published.FIG5_MULTIPLIERS.set_index("r")
    rows = [{"lang": m["lang"], "r": m["r"], "N_ours": _interval(m, "N"), "N_paper": fig5["N"].get(m["r"]),
             "D_tot_ours": _interval(m, "D_tot"), "D_tot_paper": fig5["D_tot"].get(m["r"]),
             "C_ours": _interval(m, "C"), "C_paper": float(m["r"]) ** published.CURSE["C_exponent"]}
            for _, m in multipliers.iterrows()]
    columns = ["lang", "r", "N_ours", "N_paper", "D_tot_ours", "D_tot_paper", "C_ours", "C_paper"]
    return pd.DataFrame(rows, columns=columns).set_index(["lang", "r"])


def _interval(row: pd.Series, quantity: str) -> str:
    return f"{row[quantity]:.3g} [{row[quantity + '_lower']:.3g}, {row[quantity + '_upper']:.3g}]"


def shown_exponents(params: Mapping[str, float]) -> dict[str, float]:
    """phi, psi and, where the fit has a frontier, its alpha and beta (else the paper's implied ones), rounded for
    the Fig. 5 explorer's sliders."""
    source = params if has_frontier(params) else published.CURSE_IMPLIED
    return {"alpha": round(source["alpha"], 3), "beta": round(source["beta"], 3), "phi": round(params["phi"], 3),
            "psi": round(params["psi"], 3)}


def fig5_frontier(params: Mapping[str, float], optimum: pd.DataFrame,
                  ratios: Sequence[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The iso-loss curves of ``params`` for each ratio r ("<r>x languages"), within 10x of the compute-optimal
    points ``optimum`` (a language's :func:`~atlas_core.analysis.curse.fig5_multipliers` rows), and those points
    labelled alike; empty without a frontier."""
    if not has_frontier(params) or optimum.empty:
        return pd.DataFrame(columns=["N", "D_tot", "r"]), optimum
    p = params
    frontier = pd.concat([iso_loss_frontier(p["phi"], p["psi"], p["alpha"], p["beta"], r).assign(r=f"{r}x languages")
                          for r in ratios])
    optimum = optimum.assign(r=[f"{r:g}x languages" for r in optimum["r"]])
    near = (frontier["N"] < 10 * optimum["N"].max()) & (frontier["D_tot"] < 10 * optimum["D_tot"].max())
    return frontier[near], optimum
