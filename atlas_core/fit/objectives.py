"""Fitting objectives on log residuals r = log L - log L-hat, batched over starts, with exact gradients.

* ``HuberObjective``: sum_i w_i Huber_delta(r_i) (Hoffmann et al.; summed, not averaged: averaging shrinks the
  objective ~n-fold and stops L-BFGS early, Besiroglu et al.'s finding).
* ``HuberLikelihood``: Besiroglu et al.'s Huber likelihood with a free scale sigma (the last free coordinate):
  x = r / e^sigma, negative log-likelihood sum_i w_i (Huber_delta(x_i) + log Z(delta) + sigma) with
  Z(delta) = sqrt(2 pi) (1 - 2 Phi-bar(delta)) + 2 exp(-delta^2 / 2) / delta.

``w`` are observation weights (bootstrap multiplicities), one row per start or shared. Both objectives take
free vectors x of shape (S, F) and return values (S,) and gradients (S, F); ``rows`` selects which starts (and
weight rows) the batch holds. Starts are evaluated in blocks of at most ``BLOCK_CELLS`` start x observation
cells, so memory stays bounded whatever the number of starts times the number of observations.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from atlas_core.fit.params import FreeParams
from atlas_core.laws.base import Observations
from atlas_core.laws.engine import gradient

BLOCK_CELLS = 1 << 21  # starts x observations per evaluation block (each (S, n) intermediate <= 16 MB)


def negligible_change(n_obs: int) -> float:
    """Objective change that counts as none: what residuals of ~1e-10 in log loss contribute (n * 1e-20)."""
    return 1e-20 * n_obs


def huber(r: np.ndarray, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """Huber_delta(r) (1/2 r^2 inside delta, delta (|r| - delta/2) outside) and its derivative."""
    a = np.abs(r)
    inside = a <= delta
    return np.where(inside, 0.5 * r * r, delta * (a - 0.5 * delta)), np.clip(r, -delta, delta)


def huber_log_normaliser(delta: float) -> float:
    """log Z(delta) of the Huber density exp(-Huber_delta(x)) / Z."""
    return float(np.log(np.sqrt(2 * np.pi) * (1 - 2 * ndtr(-delta)) + 2 * np.exp(-delta**2 / 2) / delta))


class HuberObjective:
    """sum_i w_i Huber_delta(log L_i - log L-hat_i) over the free parameters of a law."""

    n_extra = 0

    def __init__(self, free: FreeParams, obs: Observations, delta: float = 1e-3, weights: np.ndarray | None = None):
        self.free, self.obs, self.delta = free, obs, float(delta)
        self.log_loss = np.log(obs["loss"])
        self.weights = None if weights is None else np.atleast_2d(np.asarray(weights, dtype=np.float64))

    @property
    def n_params(self) -> int:
        return self.free.n_free + self.n_extra

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the optimised vector (the free parameters, then any extra coordinates)."""
        extra = np.full(self.n_extra, np.inf)
        return np.r_[self.free.lower, -extra], np.r_[self.free.upper, extra]

    @property
    def method(self) -> str:
        """The scipy method that polishes this objective."""
        return "L-BFGS-B"

    def _weights(self, rows: np.ndarray | None) -> np.ndarray | float:
        if self.weights is None:
            return 1.0
        return self.weights if self.weights.shape[0] == 1 or rows is None else self.weights[rows]

    def _blocks(self, x: np.ndarray, rows: np.ndarray | None):
        """(x block, rows block) pairs of at most ``BLOCK_CELLS`` cells (one block for small problems)."""
        size = max(1, BLOCK_CELLS // max(1, len(self.log_loss)))
        if rows is None and self.weights is not None and self.weights.shape[0] > 1:
            rows = np.arange(len(x))
        for start in range(0, max(len(x), 1), size):
            yield x[start:start + size], None if rows is None else rows[start:start + size]

    def value(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        return np.concatenate([self._value(xb, rb) for xb, rb in self._blocks(x, rows)])

    def value_and_grad(self, x: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        parts = [self._value_and_grad(xb, rb) for xb, rb in self._blocks(x, rows)]
        return np.concatenate([f for f, _ in parts]), np.concatenate([g for _, g in parts])

    def _residuals(self, x: np.ndarray):
        term = self.free.law.log_loss(self.free.expand(x[:, : self.free.n_free]), self.obs)
        return term, self.log_loss - term.value

    def _value(self, x: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        _, r = self._residuals(x)
        rho, _ = huber(r, self.delta)
        return (self._weights(rows) * rho).sum(axis=1)

    def _value_and_grad(self, x: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        term, r = self._residuals(x)
        rho, drho = huber(r, self.delta)
        w = self._weights(rows)
        grad_theta = gradient(term, -w * drho, len(self.free.law.params))
        return (w * rho).sum(axis=1), self.free.reduce(grad_theta)


class HuberLikelihood(HuberObjective):
    """Negative Huber log-likelihood with free log-scale sigma, stored as the last coordinate of x."""

    n_extra = 1

    def __init__(self, free: FreeParams, obs: Observations, delta: float = 1e-3, weights: np.ndarray | None = None):
        super().__init__(free, obs, delta, weights)
        self.log_z = huber_log_normaliser(self.delta)

    @property
    def method(self) -> str:
        """BFGS as Besiroglu et al. ran it, unless the law has bounds."""
        return "L-BFGS-B" if self.free.has_bounds else "BFGS"

    def _value(self, x: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        _, r = self._residuals(x)
        sigma = x[:, -1:]
        rho, _ = huber(r * np.exp(-sigma), self.delta)
        return (self._weights(rows) * (rho + self.log_z + sigma)).sum(axis=1)

    def _value_and_grad(self, x: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        term, r = self._residuals(x)
        sigma = x[:, -1:]
        scale = np.exp(-sigma)
        z = r * scale
        rho, drho = huber(z, self.delta)
        w = np.broadcast_to(self._weights(rows), r.shape)
        grad_theta = gradient(term, -w * drho * scale, len(self.free.law.params))
        grad_sigma = (w * (1.0 - drho * z)).sum(axis=1, keepdims=True)
        value = (w * (rho + self.log_z + sigma)).sum(axis=1)
        return value, np.hstack([self.free.reduce(grad_theta), grad_sigma])
