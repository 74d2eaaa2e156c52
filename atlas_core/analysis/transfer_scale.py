"""Transfer over scale and training (ATLAS App. C.2, Fig. C.1): BTS at several reference horizons along the curves,
whether the partner ranking is set early, and Fig. C.1's linear trends against model size or horizon.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from atlas_core.analysis.transfer import TRANSFER_KEYS, bts_table
from atlas_core.errors import AtlasError, require_columns


def bts_over_horizon(curves: pd.DataFrame, fractions: Sequence[float], **options) -> pd.DataFrame:
    """:func:`~atlas_core.analysis.transfer.bts_table` at several reference horizons, each a fraction of the
    monolingual run's length (its last evaluation): ``horizon`` (the fraction) is added to every row.

    Both curves must be anytime curves (constant learning rate), as for BTS itself. A fraction must be in (0, 1]
    and not below any monolingual run's first evaluation (``AtlasError`` naming it). ``options`` go to
    ``bts_table`` (loss, method; unreached is always "nan").
    """
    fractions = sorted({float(f) for f in fractions})
    if not fractions or fractions[0] <= 0 or fractions[-1] > 1:
        raise AtlasError(f"bts_over_horizon: fractions must lie in (0, 1], got {fractions}")
    require_columns(curves, ["target", "role", "seed", "tokens"], "bts_over_horizon")
    df = curves if "scale" in curves.columns else curves.assign(scale="")
    out = []
    for key, group in df.groupby(list(TRANSFER_KEYS), sort=True):
        if (group["role"] == "mono").all():
            continue  # a reference run that no partner of this key uses
        where = dict(zip(TRANSFER_KEYS, key))
        mono = group.loc[group["role"] == "mono", "tokens"]
        if mono.empty:
            raise AtlasError(f"bts_over_horizon: no monolingual reference run for {where}")
        first, last = float(mono.min()), float(mono.max())
        if fractions[0] * last < first:
            raise AtlasError(f"bts_over_horizon: horizon {fractions[0]:g} is {fractions[0] * last:g} tokens, before "
                             f"the first evaluation ({first:g}) of the monolingual run at {where}")
        out += [bts_table(group, d_mono=f * last, unreached="nan", **options).assign(horizon=f) for f in fractions]
    if not out:
        raise AtlasError("bts_over_horizon: no (scale, target, seed) has both a monolingual and a partner run")
    return pd.concat(out, ignore_index=True)


def rank_stability(table: pd.DataFrame, value: str = "bts") -> pd.DataFrame:
    """Are the partners ranked at each horizon as at the last one? Spearman rho between a target's partner
    scores at each horizon and at its largest horizon, per (scale, target, seed) of a :func:`bts_over_horizon`
    table. Columns: scale, target, seed, horizon, rho, n (partners with a score at both); NaN below 3."""
    require_columns(table, [*TRANSFER_KEYS, "partner", "horizon", value], "rank_stability")
    rows = []
    for key, group in table.groupby(list(TRANSFER_KEYS), sort=True):
        wide = group.pivot_table(index="partner", columns="horizon", values=value)
        final = wide.columns.max()
        for horizon in wide.columns:
            both = pd.concat([wide[horizon], wide[final]], axis=1, keys=["at", "final"]).dropna()
            rho = stats.spearmanr(both["at"], both["final"]).statistic if len(both) >= 3 else np.nan
            rho = round(float(rho), 12)  # rank correlations are ratios of small integers: 0.8, not 0.7999...
            rows.append(dict(zip(TRANSFER_KEYS, key), horizon=horizon, rho=rho, n=len(both)))
    return pd.DataFrame(rows)


def settling_horizon(stability: pd.DataFrame, threshold: float = 0.8) -> pd.DataFrame:
    """The earliest horizon from which a target's partner ranking stays put: per (scale, target, seed) of a
    :func:`rank_stability` table, the smallest horizon h such that rho >= ``threshold`` at h and at every later
    horizon (a NaN rho breaks the run). Columns: scale, target, seed, settled_at (a fraction of d_mono)."""
    require_columns(stability, [*TRANSFER_KEYS, "horizon", "rho"], "settling_horizon")
    rows = []
    for key, group in stability.groupby(list(TRANSFER_KEYS), sort=True):
        settled = np.nan
        for horizon, rho in group.sort_values("horizon", ascending=False)[["horizon", "rho"]].itertuples(index=False):
            if not rho >= threshold:
                break
            settled = horizon
        rows.append(dict(zip(TRANSFER_KEYS, key), settled_at=settled))
    return pd.DataFrame(rows, columns=[*TRANSFER_KEYS, "settled_at"])


def linear_trends(table: pd.DataFrame, x: str, y: str, by: Sequence[str]) -> pd.DataFrame:
    """Least-squares line y = intercept + slope x within each group of ``by`` (the form of the paper's Fig. C.1
    fits). Columns: the ``by`` keys, n, intercept, slope, slope_se, p (two-sided, slope = 0); NaN slope with
    fewer than 2 distinct x, NaN slope_se and p with fewer than 3 points."""
    require_columns(table, [x, y, *by], "linear_trends")
    rows = []
    for key, group in table.dropna(subset=[x, y]).groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key), n=len(group), intercept=np.nan, slope=np.nan, slope_se=np.nan, p=np.nan)
        if group[x].nunique() >= 2:
            fit = stats.linregress(group[x].to_numpy(dtype=float), group[y].to_numpy(dtype=float))
            row.update(intercept=float(fit.intercept), slope=float(fit.slope))
            if len(group) >= 3:
                row.update(slope_se=float(fit.stderr), p=float(fit.pvalue))
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "n", "intercept", "slope", "slope_se", "p"])
