"""The curse-of-multilinguality law (ATLAS Eq. 7) and its iso-loss rule for going from K to rK languages.

    L(K, N, D_t) = E + A K^phi / N^alpha + B K^psi / D_t^beta

Columns: ``K`` (number of training languages, sampled evenly), ``N`` (parameters), ``D`` (= D_t, tokens of the
target language; the total is K * D_t). At K = 1 it is the Chinchilla law. phi > 0: capacity curse; psi < 0:
positive transfer (per-language data needs shrink with K).

Iso-loss (App. B.7.2): scale K by r and restore each error term. With w_N the share of the N term in the
reducible loss, the multipliers s = N'/N and t = D_t'/D_t keep the loss when
r^phi w_N s^-alpha + r^psi (1 - w_N) t^-beta = 1. At a compute-optimal baseline w_N = beta / (alpha + beta) and
the compute-minimal point is s = r^(phi/alpha), t = r^(psi/beta), so D_tot x r^(1 + psi/beta) and
C x r^(1 + phi/alpha + psi/beta).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.laws.base import IDENTITY, Law, Observations, ParamSpec
from atlas_core.laws.chinchilla import chinchilla_params
from atlas_core.laws.engine import Linear, LogSumExp, Term
from atlas_core.laws.validate import Column


class CurseLaw(Law):
    """L = E + A K^phi / N^alpha + B K^psi / D^beta."""

    name = "curse"

    def __init__(self):
        self.params = chinchilla_params() + (
            ParamSpec("phi", IDENTITY, (0.0, 0.2)),
            ParamSpec("psi", IDENTITY, (-0.2, 0.0, 0.2)),
        )

    def input_columns(self):
        return (Column("K"), Column("N"), Column("D"))

    def features(self, columns, frame: pd.DataFrame) -> Observations:
        return {"logK": np.log(columns["K"]), "logN": np.log(columns["N"]), "logD": np.log(columns["D"])}

    def log_loss(self, theta: np.ndarray, obs: Observations) -> Term:
        phi, psi = self.index("phi"), self.index("psi")
        return LogSumExp(
            Linear(theta, [(0, 1.0)]),
            Linear(theta, [(1, 1.0), (phi, obs["logK"]), (3, -obs["logN"])]),
            Linear(theta, [(2, 1.0), (psi, obs["logK"]), (4, -obs["logD"])]),
        )


def _check_exponents(alpha: float, beta: float) -> None:
    if not (alpha > 0 and beta > 0):
        raise AtlasError(f"iso-loss needs alpha > 0 and beta > 0, got alpha={alpha!r}, beta={beta!r}")


def iso_loss_multipliers(phi: float, psi: float, alpha: float, beta: float, r) -> pd.DataFrame:
    """Compute-optimal multipliers for going from K to r*K languages at equal loss (paper Fig. 5).

    Columns: ``r``, ``N`` (= r^(phi/alpha)), ``D_t`` (= r^(psi/beta), per-language tokens), ``D_tot``
    (= r^(1 + psi/beta)) and ``C`` (= r^(1 + phi/alpha + psi/beta)).
    """
    _check_exponents(alpha, beta)
    r = np.atleast_1d(np.asarray(r, dtype=np.float64))
    return pd.DataFrame({
        "r": r,
        "N": r ** (phi / alpha),
        "D_t": r ** (psi / beta),
        "D_tot": r ** (1.0 + psi / beta),
        "C": r ** (1.0 + phi / alpha + psi / beta),
    })


def term_share(params: Mapping[str, float], K, N, D) -> np.ndarray:
    """w_N: the N term's share of the reducible loss A K^phi / N^alpha + B K^psi / D^beta at (K, N, D)."""
    n_term = params["A"] * np.power(K, params["phi"]) / np.power(N, params["alpha"])
    d_term = params["B"] * np.power(K, params["psi"]) / np.power(D, params["beta"])
    return n_term / (n_term + d_term)


def iso_loss_frontier(phi: float, psi: float, alpha: float, beta: float, r: float, *,
                      w_N: float | None = None, N_multipliers=None) -> pd.DataFrame:
    """The iso-loss curve after K -> r K: for each parameter multiplier s, the token multiplier t that restores
    the loss (App. B.7.2, Eq. 8).

    ``w_N`` is the baseline share of the N term (default beta / (alpha + beta), a compute-optimal baseline;
    ``term_share`` computes it for a fitted law). Rows where no t exists (s^alpha <= r^phi w_N) are dropped.
    Columns: ``N`` (= s), ``D_t`` (= t), ``D_tot`` (= r t), ``C`` (= s r t, since C is proportional to N D_tot).
    """
    _check_exponents(alpha, beta)
    if not r > 0:
        raise AtlasError(f"iso-loss needs r > 0, got {r!r}")
    w_N = beta / (alpha + beta) if w_N is None else float(w_N)
    if not 0 < w_N < 1:
        raise AtlasError(f"w_N must be in (0, 1), got {w_N!r}")
    s_min = (r**phi * w_N) ** (1.0 / alpha)
    s = (np.geomspace(s_min * 1.001, s_min * 100.0, 400) if N_multipliers is None
         else np.asarray(N_multipliers, dtype=np.float64))
    s = s[s**alpha > r**phi * w_N]
    t = (r**psi * (1.0 - w_N) / (1.0 - r**phi * w_N * s**-alpha)) ** (1.0 / beta)
    return pd.DataFrame({"N": s, "D_t": t, "D_tot": r * t, "C": s * r * t})
