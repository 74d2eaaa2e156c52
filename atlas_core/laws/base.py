"""What every law is: ordered parameter specs, input columns, and a log-space prediction built on the engine.

A law works with two views of its parameters:

* *reported* values, a dict keyed by the CLI names (``E``, ``A``, ``B``, ``alpha``, ``beta``, ``lambda``, ...),
  which is what users read, write to JSON and pass to ``predict``;
* the *internal* vector ``theta`` the optimiser moves, one column per ``ParamSpec`` in order. A ``log``
  transform stores ``log(value)`` (so E = e^e > 0, A = e^a, lambda = e^l > 0); ``identity`` stores the value.
  Bounds, start grids and gradients are all in internal units.

``log_loss(theta, obs)`` returns an engine term whose value is log L-hat, shape (S, n), for S parameter rows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.laws.engine import Term, gradient
from atlas_core.laws.validate import Column, validate_columns

LOG, IDENTITY = "log", "identity"


@dataclass(frozen=True)
class ParamSpec:
    """One free parameter: reported name, transform (log or identity), start-grid values and bounds (internal)."""

    name: str
    transform: str = IDENTITY
    grid: tuple[float, ...] = (0.0,)
    lower: float = -np.inf
    upper: float = np.inf

    def to_reported(self, internal):
        return np.exp(internal) if self.transform == LOG else internal

    def to_internal(self, value: float) -> float:
        value = float(value)
        if self.transform == LOG:
            if value < 0:
                raise AtlasError(f"parameter '{self.name}' must be >= 0, got {value!r}")
            with np.errstate(divide="ignore"):
                return float(np.log(value))
        return value


Observations = dict[str, Any]  # arrays (and precomputed helpers such as a saturation's repetitions)


class Law:
    """Base class: subclasses set ``name`` and ``params`` and implement ``input_columns``, ``features`` and
    ``log_loss``."""

    name: ClassVar[str]
    params: tuple[ParamSpec, ...]
    exponent_ties: ClassVar[tuple[tuple[str, str], ...]] = (("beta", "alpha"),)  # (tied, source) for tying
    default_starts: ClassVar[int] = 1000  # grid points a fit draws by default (the whole grid if smaller)

    # --- what a subclass provides -------------------------------------------------------------------------------
    def input_columns(self) -> tuple[Column, ...]:
        raise NotImplementedError

    def features(self, columns: dict[str, np.ndarray], frame: pd.DataFrame) -> Observations:
        """Arrays the law evaluates on (log N, ...), computed once per table from the validated columns."""
        raise NotImplementedError

    def log_loss(self, theta: np.ndarray, obs: Observations) -> Term:
        raise NotImplementedError

    def config(self) -> dict:
        """Constructor arguments that rebuild this law (JSON-serialisable)."""
        return {}

    # --- shared machinery -------------------------------------------------------------------------------------
    @property
    def param_names(self) -> list[str]:
        return [spec.name for spec in self.params]

    def index(self, name: str) -> int:
        return self.param_names.index(name)

    def prepare(self, frame: pd.DataFrame, *, with_loss: bool = False, what: str | None = None) -> Observations:
        """Validate ``frame`` and compute the law's observation arrays (plus ``loss`` when fitting)."""
        columns = list(self.input_columns()) + ([Column("loss")] if with_loss else [])
        arrays = validate_columns(frame, columns, what=what or f"law '{self.name}'")
        obs = self.features(arrays, frame)
        if with_loss:
            obs["loss"] = arrays["loss"]
        return obs

    def to_internal(self, params: Mapping[str, float]) -> np.ndarray:
        """Reported parameters (dict with exactly this law's keys) as the internal vector theta."""
        missing = [n for n in self.param_names if n not in params]
        unknown = [k for k in params if k not in self.param_names]
        if missing or unknown:
            raise AtlasError(
                f"law '{self.name}' takes parameters {', '.join(self.param_names)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        return np.array([spec.to_internal(params[spec.name]) for spec in self.params])

    def to_reported(self, theta: np.ndarray) -> dict[str, float]:
        return {spec.name: float(spec.to_reported(x)) for spec, x in zip(self.params, theta)}

    def log_predict(self, theta: np.ndarray, obs: Observations) -> np.ndarray:
        """log L-hat for every parameter row of ``theta`` (S, P): shape (S, n)."""
        return self.log_loss(np.atleast_2d(theta), obs).value

    def jacobian(self, theta: np.ndarray, obs: Observations) -> np.ndarray:
        """d log L-hat / d theta, shape (S, n, P), built from the engine's vector-Jacobian products."""
        theta = np.atleast_2d(theta)
        term = self.log_loss(theta, obs)
        S, n = term.value.shape
        rows = []
        for i in range(n):  # one vector-Jacobian product per observation: fine for checks, not for fitting
            unit = np.zeros((S, n))
            unit[:, i] = 1.0
            rows.append(gradient(term, unit, len(self.params)))
        return np.stack(rows, axis=1)

    def predict(self, params: Mapping[str, float], frame: pd.DataFrame) -> np.ndarray:
        """Predicted loss for every row of ``frame`` at reported parameters ``params``."""
        theta = self.to_internal(params)
        return np.exp(self.log_predict(theta, self.prepare(frame))[0])

    def start_grid(self, names: Sequence[str] | None = None) -> np.ndarray:
        """Cartesian product of the start grids of ``names`` (default all), internal units, shape (G, len)."""
        specs = [self.params[self.index(n)] for n in (names or self.param_names)]
        return np.array(list(itertools.product(*(spec.grid for spec in specs))), dtype=np.float64)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"
