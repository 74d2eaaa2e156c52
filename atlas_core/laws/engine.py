"""The shared engine of every law: additive log-space terms with exact reverse-mode gradients, and their LSE.

All laws here predict ``log L`` as a log-sum-exp of terms such as ``e``, ``a - alpha * log N`` or
``b + psi * log K - beta * log D'``. A term holds its value for every start and observation, shape ``(S, n)``,
and knows its vector-Jacobian product: given a cotangent ``c`` of shape ``(S, n)`` it adds
``sum_i c[s, i] * d term[s, i] / d theta[s, j]`` into a gradient buffer of shape ``(S, P)``. Objectives only
ever need that product, so a fit over thousands of starts never builds an ``(S, n, P)`` Jacobian.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np


class Term(Protocol):
    """A piece of ``log L``: ``value`` of shape (S, n) and ``vjp(cot, grad)`` accumulating into (S, P)."""

    value: np.ndarray

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None: ...


class Linear:
    """``sum_j theta[:, j] * f_j`` where each feature ``f_j`` is a scalar or an observation vector (n,)."""

    def __init__(self, theta: np.ndarray, pieces: Sequence[tuple[int, float | np.ndarray]]):
        self.pieces = [(j, np.asarray(f, dtype=np.float64)) for j, f in pieces]
        value = np.zeros((theta.shape[0], 1))
        for j, feature in self.pieces:
            value = value + theta[:, j, None] * feature
        self.value = value  # (S, 1) when every feature is a scalar; broadcasts against (S, n)

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None:
        for j, feature in self.pieces:
            grad[:, j] += cot @ feature if feature.ndim else feature * cot.sum(axis=1)


class Scaled:
    """``sign * theta[:, j] * feature`` where ``feature`` is itself a parameter-dependent term (e.g. log D')."""

    def __init__(self, theta: np.ndarray, j: int, sign: float, feature: Term):
        self.j, self.sign, self.feature = j, sign, feature
        self.coef = sign * theta[:, j, None]
        self.value = self.coef * feature.value

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None:
        grad[:, self.j] += self.sign * np.einsum("sn,sn->s", cot, self.feature.value)
        self.feature.vjp(self.coef * cot, grad)


class Sum:
    """The sum of terms."""

    def __init__(self, *terms: Term):
        self.terms = terms
        self.value = sum(t.value for t in terms)

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None:
        for term in self.terms:
            term.vjp(cot, grad)


class LogSumExp:
    """``log sum_k exp(term_k)``, stable, with softmax weights for the gradient (terms may be -inf)."""

    def __init__(self, *terms: Term):
        self.terms = terms
        shape = np.broadcast_shapes(*(t.value.shape for t in terms))
        stacked = np.stack([np.broadcast_to(t.value, shape) for t in terms])
        peak = stacked.max(axis=0)
        peak[~np.isfinite(peak)] = 0.0
        stacked -= peak
        self.shifted = np.exp(stacked, out=stacked)
        self.total = self.shifted.sum(axis=0)
        self.value = peak + np.log(self.total)

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None:
        scaled = cot / self.total  # softmax weights, formed only when a gradient is asked for
        for term, shifted in zip(self.terms, self.shifted):
            term.vjp(scaled * shifted, grad)


def gradient(term: Term, cot: np.ndarray, n_params: int) -> np.ndarray:
    """``sum_i cot[s, i] * d term[s, i] / d theta[s, :]`` as an (S, P) array."""
    grad = np.zeros((cot.shape[0], n_params))
    term.vjp(cot, grad)
    return grad
