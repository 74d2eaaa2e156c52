"""The repetition saturation S_lambda(D; U) of ATLAS (Eq. 3), which is also Muennighoff et al.'s D' and N'.

    S_lambda(D; U) = D                                         if D <= U   (at most one epoch)
                   = U * (1 + (1 - exp(-lambda * (D/U - 1))) / lambda)   if D > U

It is continuous with slope 1 at D = U, tends to U * (1 + 1/lambda) as D grows, and to D as lambda -> 0.
Muennighoff's D' = U + U * R* * (1 - exp(-R_D / R*)) is S with lambda = 1 / R*. U = inf means no cap (S = D).
"""

from __future__ import annotations

import numpy as np

_SERIES_BELOW = 1e-3  # lambda * (D/U - 1) below this: Taylor series instead of cancelling differences


class Repetition:
    """The data-only part of S: x = max(D/U - 1, 0) (repetitions beyond one epoch), computed once per table."""

    def __init__(self, D, U):
        D, U = np.asarray(D, dtype=np.float64), np.asarray(U, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            finite = np.isfinite(U)
            self.U = np.where(finite, U, 1.0)
            x = D / self.U - 1.0
            self.over = finite & (x > 0)
            self.x = np.where(self.over, x, 0.0)
            self.D = D
            self.Ux2 = self.U * self.x * self.x  # 0 where D <= U


class Saturation:
    """S_lambda(D; U) for given repetitions and lambda (broadcast), with exact partial derivatives on demand.

    With y = lambda x: S = U (1 + x g(y)), g(y) = (1 - e^-y)/y = -expm1(-y)/y (exact as y -> 0, g(0) = 1);
    dS/dU = 1 + x g(y) - (x + 1) e^-y; dS/dlambda = U x^2 h(y), h(y) = ((1 + y) e^-y - 1)/y^2 (series near 0).
    """

    def __init__(self, rep: Repetition, lam):
        self.rep = rep
        with np.errstate(over="ignore", invalid="ignore"):
            self.y = np.asarray(lam, dtype=np.float64) * rep.x
            positive = self.y > 0
            self.em = np.expm1(-self.y)  # e^-y - 1
            self.gain = np.where(positive, self.em / np.where(positive, -self.y, -1.0), 1.0) * rep.x
            self.S = np.where(rep.over, rep.U * (1.0 + self.gain), rep.D)

    def d_dU(self) -> np.ndarray:
        return np.where(self.rep.over, 1.0 + self.gain - (self.rep.x + 1.0) * (1.0 + self.em), 0.0)

    def d_dlam(self) -> np.ndarray:
        y = self.y
        small = np.abs(y) < _SERIES_BELOW
        with np.errstate(over="ignore", invalid="ignore"):
            h = np.where(small, -0.5 + y / 3.0 - y * y / 8.0,
                         (self.em + y * (1.0 + self.em)) / np.where(small, 1.0, y * y))
        return self.rep.Ux2 * h


def saturation(D, U, lam) -> np.ndarray:
    """S_lambda(D; U), broadcast over D, U and lam (lam >= 0; U may be inf)."""
    return Saturation(Repetition(D, U), lam).S


def saturation_and_grads(D, U, lam) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S_lambda(D; U) with its exact partial derivatives dS/dU and dS/dlambda (both 0 where D <= U)."""
    sat = Saturation(Repetition(D, U), lam)
    return sat.S, sat.d_dU(), sat.d_dlam()
