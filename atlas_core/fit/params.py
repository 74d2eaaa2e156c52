"""Which of a law's parameters a fit moves: free ones, fixed ones, and tied exponents (beta := alpha).

The optimiser works on a free vector x (S, F); ``expand`` maps it to the law's internal theta (S, P) and
``reduce`` maps a theta-gradient back (a tied parameter's gradient adds onto its source's).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.laws.base import Law


class FreeParams:
    """The map between the free vector of a fit and the full internal parameter vector of ``law``."""

    def __init__(self, law: Law, *, fixed: Mapping[str, float] | None = None, tie_exponents: bool = False):
        self.law = law
        names = law.param_names
        fixed = dict(fixed or {})
        unknown = [k for k in fixed if k not in names]
        if unknown:
            raise AtlasError(f"cannot fix {', '.join(unknown)}: law '{law.name}' has parameters {', '.join(names)}")
        self.ties: dict[int, int] = {}
        if tie_exponents:
            for tied, source in law.exponent_ties:
                if tied in fixed and source not in fixed:
                    raise AtlasError(f"tied exponents: fix '{source}' rather than '{tied}'")
                self.ties[names.index(tied)] = names.index(source)
        self.fixed = {names.index(k): law.params[names.index(k)].to_internal(v) for k, v in fixed.items()}
        for tied, source in self.ties.items():
            if source in self.fixed:
                self.fixed[tied] = self.fixed[source]
        self.free = [j for j in range(len(names)) if j not in self.fixed and j not in self.ties]
        if not self.free:
            raise AtlasError(f"law '{law.name}': every parameter is fixed, nothing to fit")
        self.names = [names[j] for j in self.free]
        self.lower = np.array([law.params[j].lower for j in self.free])
        self.upper = np.array([law.params[j].upper for j in self.free])
        self._column = {j: self.free.index(j) for j in self.free}
        for tied, source in self.ties.items():
            if source in self._column:
                self._column[tied] = self._column[source]

    @property
    def n_free(self) -> int:
        return len(self.free)

    @property
    def has_bounds(self) -> bool:
        return bool(np.isfinite(self.lower).any() or np.isfinite(self.upper).any())

    def expand(self, x: np.ndarray) -> np.ndarray:
        """Free vectors (S, F) -> internal theta (S, P)."""
        x = np.atleast_2d(x)
        theta = np.empty((x.shape[0], len(self.law.params)))
        for j, value in self.fixed.items():
            theta[:, j] = value
        for j, column in self._column.items():
            theta[:, j] = x[:, column]
        return theta

    def reduce(self, grad_theta: np.ndarray) -> np.ndarray:
        """Gradient in theta (S, P) -> gradient in the free vector (S, F)."""
        grad = np.zeros((grad_theta.shape[0], self.n_free))
        for j, column in self._column.items():
            grad[:, column] += grad_theta[:, j]
        return grad

    def grid(self) -> np.ndarray:
        """The law's start grid over the free parameters (cartesian product), shape (G, F)."""
        return self.law.start_grid(self.names)

    def from_reported(self, starts: pd.DataFrame | Sequence[Mapping[str, float]]) -> np.ndarray:
        """Explicit start points given in reported units (columns/keys = free parameter names) -> (S, F)."""
        frame = starts if isinstance(starts, pd.DataFrame) else pd.DataFrame(list(starts))
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise AtlasError(f"start points lack free parameter(s) {', '.join(missing)}")
        specs = [self.law.params[j] for j in self.free]
        return np.array([[spec.to_internal(row[spec.name]) for spec in specs] for _, row in frame.iterrows()])
