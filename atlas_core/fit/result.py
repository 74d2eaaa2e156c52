"""What a fit returns (``FitResult``, or ``GroupedFit`` for one law per group) and its JSON form.

JSON written by ``to_json`` (and by ``atlas fit --json``) is what ``from_json`` and ``atlas predict`` read:
``{"law": ..., "config": {...}, "params": {...}, "status": ..., ...}`` for one fit, and
``{"by": column, "groups": {value: <one fit>, ...}}`` for a grouped fit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.laws import Law, make_law


FAILED = "failed"  # the fit could not be made (too few rows, a bad table, a prediction that overflows)


def r_squared(loss: np.ndarray, predicted: np.ndarray) -> float:
    """R^2 of the loss (not the log loss): 1 - SS_res / SS_tot; NaN when every loss is equal."""
    ss_tot = float(np.sum((loss - loss.mean()) ** 2))
    return float("nan") if ss_tot == 0 else 1.0 - float(np.sum((loss - predicted) ** 2)) / ss_tot


@dataclass
class FitResult:
    """One fitted law: reported ``params`` (CLI key names), explicit ``status`` and in-sample ``r2`` on loss."""

    law: Law | None  # None only for a fit that failed before its law was built
    params: dict[str, float]
    status: str
    objective: float
    objective_name: str = "huber"
    delta: float = 1e-3
    r2: float = float("nan")
    n_obs: int = 0
    n_starts: int = 0
    n_agree: int = 0          # polished starts that reached the best objective (to 1e-6 relative)
    free: list[str] = field(default_factory=list)
    fixed: dict[str, float] = field(default_factory=dict)
    tie_exponents: bool = False
    at_bound: list[str] = field(default_factory=list)
    sigma: float | None = None  # MLE only: fitted log-scale of the log residuals
    message: str = ""

    @classmethod
    def failed(cls, law: Law | None, message: str) -> "FitResult":
        """A fit that could not be made: status ``failed``, no parameters, the reason in ``message``."""
        return cls(law=law, params={}, status=FAILED, objective=float("nan"), message=message)

    @property
    def ok(self) -> bool:
        """Whether the fit produced parameters (its status is not ``failed``)."""
        return self.status != FAILED

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted loss for every row of ``frame``."""
        return self.law.predict(self.params, frame)

    def to_dict(self) -> dict:
        return {
            "law": self.law.name, "config": self.law.config(), "params": dict(self.params), "status": self.status,
            "objective": {"name": self.objective_name, "delta": self.delta, "value": self.objective},
            "r2": self.r2, "n_obs": self.n_obs, "n_starts": self.n_starts, "n_agree": self.n_agree,
            "free": list(self.free), "fixed": dict(self.fixed), "tie_exponents": self.tie_exponents,
            "at_bound": list(self.at_bound), "sigma": self.sigma, "message": self.message,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping) -> "FitResult":
        try:
            name, config = str(data["law"]), dict(data.get("config", {}))
            objective = dict(data.get("objective", {}))
            params = {k: float(v) for k, v in data["params"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise AtlasError(f"not a fit result: {err!r}") from err
        try:
            law = make_law(name, **config)
        except TypeError as err:
            raise AtlasError(f"law '{name}': bad config {config}: {err}") from err
        law.to_internal(params)  # checks the keys match the law
        return cls(
            law=law, params=params, status=data.get("status", ""), objective=objective.get("value", float("nan")),
            objective_name=objective.get("name", "huber"), delta=objective.get("delta", 1e-3),
            r2=data.get("r2", float("nan")), n_obs=data.get("n_obs", 0), n_starts=data.get("n_starts", 0),
            n_agree=data.get("n_agree", 0), free=list(data.get("free", [])), fixed=dict(data.get("fixed", {})),
            tie_exponents=bool(data.get("tie_exponents", False)), at_bound=list(data.get("at_bound", [])),
            sigma=data.get("sigma"), message=data.get("message", ""),
        )

    @classmethod
    def from_json(cls, text: str) -> "FitResult":
        return cls.from_dict(_parse(text))


@dataclass
class GroupedFit:
    """One law per value of column ``by`` (a language, a family): ``fits`` maps the value (as str) to its fit."""

    by: str
    fits: dict[str, FitResult]

    @property
    def law(self) -> Law:
        return next(iter(self.fits.values())).law

    @property
    def params(self) -> pd.DataFrame:
        """Fitted parameters, one row per group."""
        return pd.DataFrame({key: fit.params for key, fit in self.fits.items()}).T.rename_axis(self.by)

    @property
    def status(self) -> dict[str, str]:
        return {key: fit.status for key, fit in self.fits.items()}

    @property
    def r2(self) -> pd.Series:
        """In-sample R^2 of the loss per group."""
        return pd.Series({key: fit.r2 for key, fit in self.fits.items()}, name="r2").rename_axis(self.by)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted loss for every row, each row by the law of its group."""
        if self.by not in frame.columns:
            raise AtlasError(f"grouped fit: missing column '{self.by}'")
        keys = frame[self.by].astype(str)
        unknown = sorted(set(keys) - set(self.fits))
        if unknown:
            raise AtlasError(f"grouped fit: column '{self.by}' has values without a fit: {', '.join(unknown[:5])}")
        out = np.empty(len(frame))
        for key, rows in frame.groupby(keys, sort=False).indices.items():
            out[rows] = self.fits[key].predict(frame.iloc[rows])
        return out

    def to_dict(self) -> dict:
        return {"by": self.by, "groups": {key: fit.to_dict() for key, fit in self.fits.items()}}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping) -> "GroupedFit":
        try:
            by, groups = str(data["by"]), dict(data["groups"])
        except (KeyError, TypeError, ValueError) as err:
            raise AtlasError(f"not a grouped fit result: {err!r}") from err
        if not groups:
            raise AtlasError("grouped fit result without groups")
        return cls(by=by, fits={str(k): FitResult.from_dict(v) for k, v in groups.items()})


def _parse(text: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise AtlasError(f"fit JSON: {err}") from err
    if not isinstance(data, dict):
        raise AtlasError("fit JSON: expected an object")
    return data


def load_fit(text: str) -> FitResult | GroupedFit:
    """A fit from its JSON (one law, or one law per group)."""
    data = _parse(text)
    return GroupedFit.from_dict(data) if "groups" in data else FitResult.from_dict(data)
