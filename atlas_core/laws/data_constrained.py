"""DCSL, the data-constrained law of Muennighoff et al. (2023): L = E + A / N'^alpha + B / D'^beta.

Columns: ``N`` (parameters), ``D`` (training tokens), ``U`` (unique tokens; ``inf`` = unlimited).

    D' = S(D; U, 1/R_D)        repeated data saturates (S is ``atlas_core.laws.saturation``)
    N' = S(N; U_N, 1/R_N)      U_N = min(N, N_opt(U_D)): parameters beyond the compute-optimal size for the
                               U_D = min(D, U) unique tokens the run saw (also below one epoch, and with U = inf)
    N_opt(U) = G * (G U)^(beta/alpha),  G = (alpha A / (beta B))^(1 / (alpha + beta))

which is the datablations definition (R_D = max(D/U - 1, 0) and R_N = max(N/U_N - 1, 0) clipped at 0, decay
U * R* * (1 - exp(-R / R*))). Parameters: E, A, B, alpha, beta and R_D, R_N (= the paper's R*_D, R*_N, both
> 0, fitted as logs). alpha, beta are bounded below by 1e-3 because N_opt needs log alpha and log beta.
Muennighoff et al. fit the base five on Chinchilla's C4 data first and then only R_D, R_N (pass them as
``fixed`` to ``fit_law``); R_D and R_N are weakly identified, see ``atlas_core.published.DATABLATIONS``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas_core.laws.base import LOG, Law, Observations, ParamSpec
from atlas_core.laws.chinchilla import chinchilla_params
from atlas_core.laws.engine import Linear, LogSumExp, Scaled, Sum, Term
from atlas_core.laws.saturation import Repetition, Saturation
from atlas_core.laws.validate import CAP, Column

MIN_EXPONENT = 1e-3
R_BOUNDS = (float(np.log(1e-3)), float(np.log(1e4)))  # log R*: beyond these the decay is flat either way


class _LogDPrime:
    """log D' as a function of theta (only R_D enters)."""

    def __init__(self, theta: np.ndarray, obs: Observations, j_r: int):
        self.j_r = j_r
        self.lam = np.exp(-theta[:, j_r, None])
        self.sat = Saturation(obs["repetition"], self.lam)
        self.value = np.log(self.sat.S)

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None:
        # d log D' / d log R_D = (1/D') dS/dlam * dlam/dlog R = -(lam / D') dS/dlam
        grad[:, self.j_r] -= np.einsum("sn,sn->s", cot, self.lam * self.sat.d_dlam() / self.sat.S)


class _LogNPrime:
    """log N' as a function of theta: A, B, alpha, beta enter through N_opt(U), R_N through the decay."""

    def __init__(self, theta: np.ndarray, obs: Observations, idx: dict[str, int]):
        self.idx = idx
        a, b, alpha, beta = (theta[:, idx[k], None] for k in ("A", "B", "alpha", "beta"))
        self.alpha, self.beta = alpha, beta
        self.logU = obs["logU"]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            self.q = a - b + np.log(alpha) - np.log(beta) + beta * self.logU
            self.n_opt = np.exp(np.where(obs["U_finite"], self.q / alpha, np.inf))
        self.lam = np.exp(-theta[:, idx["R_N"], None])
        self.sat = Saturation(Repetition(obs["N"], self.n_opt), self.lam)
        self.value = np.log(self.sat.S)

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None:
        S, alpha = self.sat.S, self.alpha
        c = cot * self.sat.d_dU() * self.sat.rep.U / S  # cotangent on log N_opt = q / alpha (0 where N <= N_opt)
        grad[:, self.idx["A"]] += np.einsum("sn,sn->s", c, np.broadcast_to(1.0 / alpha, c.shape))
        grad[:, self.idx["B"]] -= np.einsum("sn,sn->s", c, np.broadcast_to(1.0 / alpha, c.shape))
        grad[:, self.idx["alpha"]] += np.einsum("sn,sn->s", c, (1.0 - self.q) / alpha**2)
        grad[:, self.idx["beta"]] += np.einsum("sn,sn->s", c, (self.logU - 1.0 / self.beta) / alpha)
        grad[:, self.idx["R_N"]] -= np.einsum("sn,sn->s", cot, self.lam * self.sat.d_dlam() / S)


class DataConstrained(Law):
    """L = E + A / N'^alpha + B / D'^beta with repetition-saturated D' and excess-parameter-saturated N'."""

    name = "data-constrained"

    def __init__(self):
        self.params = chinchilla_params(exponent_grid=(0.25, 0.5, 1.0, 1.5), exponent_lower=MIN_EXPONENT) + (
            ParamSpec("R_D", LOG, tuple(np.log([3.0, 15.0, 60.0])), *R_BOUNDS),
            ParamSpec("R_N", LOG, tuple(np.log([1.0, 5.0, 25.0])), *R_BOUNDS),
        )

    def input_columns(self):
        return (Column("N"), Column("D"), Column("U", CAP))

    def features(self, columns, frame: pd.DataFrame) -> Observations:
        seen = np.minimum(columns["D"], columns["U"])  # U_D: the unique tokens the run saw (D = U_D (1 + R_D))
        return {"N": columns["N"], "U_finite": np.isfinite(seen), "logU": np.log(seen),
                "repetition": Repetition(columns["D"], columns["U"])}

    def log_loss(self, theta: np.ndarray, obs: Observations) -> Term:
        idx = {n: self.index(n) for n in ("A", "B", "alpha", "beta", "R_N")}
        log_n = _LogNPrime(theta, obs, idx)
        log_d = _LogDPrime(theta, obs, self.index("R_D"))
        return LogSumExp(
            Linear(theta, [(self.index("E"), 1.0)]),
            Sum(Linear(theta, [(idx["A"], 1.0)]), Scaled(theta, idx["alpha"], -1.0, log_n)),
            Sum(Linear(theta, [(idx["B"], 1.0)]), Scaled(theta, self.index("beta"), -1.0, log_d)),
        )
