"""The one place that checks observation tables before any law or fitter touches them.

Every entry point (``Law.prepare``, ``fit_law``, ``bootstrap_fit``, ``heldout_r2``, the CLI) goes through
``validate_columns``, so a bad table always fails the same way: an ``AtlasError`` naming the column, the first bad
row (the DataFrame's index label; for a table read from CSV that is the 0-based data row) and the bad value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError

# What a column's values may be.
POSITIVE = "positive"        # finite and > 0 (N, D, loss, K)
NONNEGATIVE = "nonnegative"  # finite and >= 0 (tokens of a transfer source, which may be absent from a mixture)
CAP = "cap"                  # > 0, and +inf allowed: a unique-token cap U (inf = no repetition limit)
RATIO = "ratio"              # finite, 0 < p <= 1 (a sampling ratio)

_RULES = {
    POSITIVE: ("must be finite and > 0", lambda v: np.isfinite(v) & (v > 0)),
    NONNEGATIVE: ("must be finite and >= 0", lambda v: np.isfinite(v) & (v >= 0)),
    CAP: ("must be > 0 (inf means no cap)", lambda v: (v > 0) & ~np.isnan(v)),
    RATIO: ("must be a sampling ratio in (0, 1]", lambda v: np.isfinite(v) & (v > 0) & (v <= 1)),
}


@dataclass(frozen=True)
class Column:
    """One numeric input column of a law: its name, what its values may be, and whether it must be present."""

    name: str
    kind: str = POSITIVE
    required: bool = True


def _first_bad(frame: pd.DataFrame, mask: np.ndarray) -> tuple[object, int]:
    position = int(np.flatnonzero(mask)[0])
    return frame.index[position], position


def numeric_column(frame: pd.DataFrame, name: str, *, what: str = "table") -> np.ndarray:
    """Column ``name`` as float64, or an ``AtlasError`` naming the first non-numeric or empty cell."""
    if name not in frame.columns:
        raise AtlasError(f"{what}: missing column '{name}'")
    raw = frame[name]
    values = pd.to_numeric(raw, errors="coerce")
    if not (pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw)):
        bad = values.isna().to_numpy() & raw.notna().to_numpy()
        if bad.any():
            label, position = _first_bad(frame, bad)
            raise AtlasError(f"{what}: column '{name}' row {label}: non-numeric value {raw.iloc[position]!r}")
    array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(array).any():
        label, _ = _first_bad(frame, np.isnan(array))
        raise AtlasError(f"{what}: column '{name}' row {label}: missing or NaN value")
    return array


def validate_columns(frame: pd.DataFrame, columns: Iterable[Column], *, what: str = "table") -> dict[str, np.ndarray]:
    """Check ``frame`` against ``columns`` and return each present column as a float64 array.

    Raises ``AtlasError`` for: not a DataFrame, no rows, a missing required column, a non-numeric or empty cell,
    NaN, +-inf (except +inf in a ``CAP`` column) and values outside the column's range.
    """
    if not isinstance(frame, pd.DataFrame):
        raise AtlasError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise AtlasError(f"{what}: the table has no rows")
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        raise AtlasError(f"{what}: column '{repeated[0]}' appears more than once")
    columns = list(columns)
    missing = [c.name for c in columns if c.required and c.name not in frame.columns]
    if missing:
        needed = ", ".join(c.name for c in columns if c.required)
        raise AtlasError(f"{what}: missing column(s) {', '.join(map(repr, missing))} (needs {needed})")
    arrays: dict[str, np.ndarray] = {}
    for column in columns:
        if column.name not in frame.columns:
            continue
        values = numeric_column(frame, column.name, what=what)
        rule, check = _RULES[column.kind]
        ok = check(values)
        if not ok.all():
            label, position = _first_bad(frame, ~ok)
            raise AtlasError(f"{what}: column '{column.name}' row {label}: value {float(values[position])!r} {rule}")
        arrays[column.name] = values
    return arrays
