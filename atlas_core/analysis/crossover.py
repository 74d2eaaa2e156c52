"""Pretrain-from-scratch vs finetune crossover (atlas-paper.md §2.8).

A finetune of a multilingual base on language l starts ahead of a from-scratch monolingual run on l; the
crossover is the number of training tokens d after which the scratch run's loss on l is lower. Both curves are
indexed by their own training tokens (the finetune's count from zero). The crossover compute is C = 6 N d with
N the non-embedding parameters, so that C_cross(N) = c N^k can be fitted over scales (:func:`crossover_law`).
Where the curves do not cross within the budget, :func:`crossover_gaps` says by how much they did not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from atlas_core.analysis.curves import as_curve, monotone
from atlas_core.errors import AtlasError, require_columns
from atlas_core.laws import crossover_tokens, fit_crossover_law

KEYS = ["scale", "target", "seed"]


def finetune_crossover(finetune: pd.DataFrame, scratch: pd.DataFrame, *, loss: str = "loss",
                       method: str = "isotonic") -> float:
    """Tokens where the scratch curve first drops to the finetune curve's loss; NaN when it does not.

    Both curves (columns ``tokens``, ``loss``) are made non-increasing (``method``, see
    :func:`atlas_core.analysis.curves.monotone`), then :func:`atlas_core.laws.crossover_tokens` finds their
    first crossing, interpolating in log-tokens over the common range. NaN means no crossover in that range:
    the scratch run is never better, or it is better from the first common evaluation on (the crossover then
    lies before it and is not measured).
    """
    ft_t, ft_l = as_curve(finetune, y=loss, what="finetune curve")
    sc_t, sc_l = as_curve(scratch, y=loss, what="scratch curve")
    ft_l, sc_l = monotone(ft_l, method), monotone(sc_l, method)
    start = np.log(max(ft_t[0], sc_t[0]))
    if np.interp(start, np.log(sc_t), sc_l) <= np.interp(start, np.log(ft_t), ft_l):
        return float("nan")
    return crossover_tokens(sc_t, sc_l, ft_t, ft_l, which="first")


def _target_curves(curves: pd.DataFrame, loss: str) -> Iterator[tuple[str, str, int, pd.DataFrame, pd.DataFrame]]:
    """(scale, target, seed, finetune rows, scratch rows) for every pair evaluated on its finetuning language."""
    need = ["target", "eval_lang", "role", "scale", "N", "seed", "tokens", loss]
    require_columns(curves, need, "crossover curves")
    df = curves[(curves["eval_lang"] == curves["target"]) & curves["role"].isin(["finetune", "scratch"])]
    if df.empty:
        raise AtlasError("crossover curves: no rows evaluated on their finetuning language")
    for (scale, lang, seed), group in df.groupby(KEYS, sort=True):
        ft, sc = group[group["role"] == "finetune"], group[group["role"] == "scratch"]
        if ft.empty or sc.empty:
            raise AtlasError(f"crossover: {lang} at scale {scale}, seed {seed} needs both a finetune and a scratch "
                             f"run (has {sorted(group['role'].unique())})")
        yield scale, lang, seed, ft, sc


def crossover_table(curves: pd.DataFrame, *, loss: str = "loss", method: str = "isotonic") -> pd.DataFrame:
    """Crossover tokens and compute for every (scale, target, seed) with a finetune and a scratch run.

    ``curves``: evaluation rows with columns ``target`` (the language finetuned on and trained from scratch),
    ``eval_lang``, ``role`` ("finetune" or "scratch"; other roles are ignored), ``scale``, ``N``, ``seed``,
    ``tokens`` and ``loss`` (the shape of ``Study.rows(kind="finetune")``); only rows evaluated on the target
    are used. Returns columns scale, target, seed, N, d_cross (NaN: no crossover in range), C_cross
    (= 6 N d_cross), d_max (the common range's end), final_finetune_loss, final_scratch_loss.
    """
    out = []
    for scale, lang, seed, ft, sc in _target_curves(curves, loss):
        n = float(ft["N"].iloc[0])
        d = finetune_crossover(ft, sc, loss=loss, method=method)
        out.append(dict(scale=scale, target=lang, seed=seed, N=n, d_cross=d, C_cross=6.0 * n * d,
                        d_max=float(min(ft["tokens"].max(), sc["tokens"].max())),
                        final_finetune_loss=float(ft.loc[ft["tokens"].idxmax(), loss]),
                        final_scratch_loss=float(sc.loc[sc["tokens"].idxmax(), loss])))
    return pd.DataFrame(out)


def crossover_compute(table: pd.DataFrame) -> pd.DataFrame:
    """Crossover per scale over targets and seeds: N, median d_cross and C_cross, and how many crossed.

    Languages without a crossover in range are counted in ``n_runs`` but not in the medians.
    """
    grouped = table.groupby("scale", sort=False)
    out = grouped.agg(N=("N", "first"), d_cross=("d_cross", "median"), C_cross=("C_cross", "median"),
                      n_crossed=("d_cross", "count"), n_runs=("d_cross", "size"))
    return out.reset_index().sort_values("N", ignore_index=True)


def crossover_gaps(curves: pd.DataFrame, *, loss: str = "loss", method: str = "isotonic") -> pd.DataFrame:
    """The loss gap between the two curves along training, for every (scale, target, seed) of
    :func:`crossover_table`: ``gap`` = scratch loss - finetune loss (positive: finetuning is ahead; the
    crossover is where it reaches 0) and ``rel_gap`` = gap / finetune loss.

    Both curves are made non-increasing (``method``) and the finetune curve is read at the scratch curve's
    evaluations (interpolated in log-tokens; evaluations outside the common range are dropped). Columns scale,
    target, seed, N, tokens, finetune_loss, scratch_loss, gap, rel_gap, is_last (the last common evaluation).
    """
    out = []
    for scale, lang, seed, ft, sc in _target_curves(curves, loss):
        ft_t, ft_l = as_curve(ft, y=loss, what="finetune curve")
        sc_t, sc_l = as_curve(sc, y=loss, what="scratch curve")
        ft_l, sc_l = monotone(ft_l, method), monotone(sc_l, method)
        keep = (sc_t >= ft_t[0]) & (sc_t <= ft_t[-1])
        tokens, scratch = sc_t[keep], sc_l[keep]
        finetune = np.interp(np.log(tokens), np.log(ft_t), ft_l)
        out.append(pd.DataFrame(dict(scale=scale, target=lang, seed=seed, N=float(ft["N"].iloc[0]), tokens=tokens,
                                     finetune_loss=finetune, scratch_loss=scratch, gap=scratch - finetune,
                                     rel_gap=(scratch - finetune) / finetune, is_last=tokens == tokens.max())))
    return pd.concat(out, ignore_index=True)


def crossover_law(table: pd.DataFrame) -> dict[str, float]:
    """C_cross = c N^k fitted by least squares in log-log space to every crossover of a :func:`crossover_table`
    (pooled over targets and seeds; rows without a crossover are left out).

    Returns c, k, ``k_se`` (the slope's standard error; NaN with fewer than three points), ``n_points`` and
    ``n_sizes``. Raises ``AtlasError`` with fewer than two model sizes that crossed.
    """
    crossed = table[np.isfinite(table["C_cross"])]
    if crossed["N"].nunique() < 2:
        raise AtlasError(f"crossover law: needs crossovers at two or more model sizes, found "
                         f"{crossed['N'].nunique()} (sizes that crossed: {sorted(crossed['scale'].unique())})")
    law = fit_crossover_law(crossed["N"].to_numpy(float), crossed["C_cross"].to_numpy(float))
    return law | {"n_points": len(crossed), "n_sizes": int(crossed["N"].nunique())}


def law_line(law: Mapping[str, float], table: pd.DataFrame, n_points: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A :func:`crossover_law` drawn over the sizes that crossed (1.5x wider each way; series "fitted c N^k") and
    those crossovers as points (series "<target> crossovers"), both with columns N, C and series."""
    crossed = table[np.isfinite(table["C_cross"])]
    sizes = np.geomspace(crossed["N"].min() / 1.5, crossed["N"].max() * 1.5, n_points)
    line = pd.DataFrame({"N": sizes, "C": law["c"] * sizes ** law["k"], "series": "fitted c N^k"})
    points = crossed.assign(C=crossed["C_cross"], series=crossed["target"] + " crossovers")[["N", "C", "series"]]
    return line, points.reset_index(drop=True)
