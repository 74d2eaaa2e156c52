"""One law per group (per target language, per language family): ``fit_groups``."""

from __future__ import annotations

from typing import Callable, Union

import pandas as pd
from tqdm import tqdm

from atlas_core.errors import AtlasError
from atlas_core.fit.core import fit_law
from atlas_core.fit.result import GroupedFit
from atlas_core.laws import Law

# A law, or a factory building each group's law from its key and rows (e.g. ATLAS with its own K_t per target).
LawSpec = Union[Law, Callable[[str, pd.DataFrame], Law]]


def law_for(spec: LawSpec, key: str, frame: pd.DataFrame) -> Law:
    return spec if isinstance(spec, Law) else spec(key, frame)


def split_groups(df: pd.DataFrame, by: str) -> dict[str, pd.DataFrame]:
    """Rows of ``df`` per value of column ``by`` (keys as str, sorted); empty cells are an error."""
    if not isinstance(df, pd.DataFrame):
        raise AtlasError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if by not in df.columns:
        raise AtlasError(f"missing group column '{by}'")
    if df[by].isna().any():
        raise AtlasError(f"column '{by}' row {df.index[df[by].isna().to_numpy()][0]}: empty group value")
    return {str(key): rows for key, rows in sorted(df.groupby(df[by].astype(str)), key=lambda kv: kv[0])}


def fit_groups(law: LawSpec, df: pd.DataFrame, by: str = "lang", *, progress: bool = False,
               **fit_kwargs) -> GroupedFit:
    """Fit one law per value of column ``by``; ``law`` is a Law or a factory ``(key, rows) -> Law``.

    ``fit_kwargs`` go to ``fit_law`` (objective, delta, tie_exponents, starts, seed, fixed).
    """
    groups = split_groups(df, by)
    fits = {}
    for key, rows in tqdm(groups.items(), desc=f"fit per {by}", disable=not progress):
        try:
            fits[key] = fit_law(law_for(law, key, rows), rows, **fit_kwargs)
        except AtlasError as err:
            raise AtlasError(f"{by} = {key}: {err}") from err
    return GroupedFit(by=by, fits=fits)
