"""ATLAS, the adaptive transfer scaling law (Longpre et al., Eqs. 1-3), for one target language t.

    L = E + A / N^alpha + B / D_eff^beta
    D_eff = S(D_t; U_t) + sum_{s in K_t} tau_s S(D_s; U_s) + tau_other S(D_other; U_other)

with S the repetition saturation (``atlas_core.laws.saturation``) and one shared lambda for every source.

Columns (one row per evaluation of target t):

* ``N`` parameters; ``D`` = D_t, tokens of the target seen so far (> 0); ``U`` = U_t, its unique tokens
  (``inf`` = no cap);
* for each transfer language s in K_t: ``D_<s>`` (>= 0) and ``U_<s>`` (> 0 or ``inf``);
* with the other-languages term: ``D_total`` (all training tokens) and optionally ``U_other`` (absent: no
  saturation on that term). D_other = D_total - D - sum_s D_s must not be negative.

Variants: ``Atlas()`` is monolingual ATLAS (D_t only: E, A, B, alpha, beta, lambda); ``Atlas(other=True)`` adds
D_other; ``Atlas(transfer=["es", "pt", "fr"], other=True)`` is the full law. ``Atlas.for_target`` picks K_t as the
k sources co-sampled with t in the most distinct mixtures and starts tau_s from a transfer matrix of BTS (rows =
target, columns = source; e.g. ``atlas_core.published.transfer_matrix()`` or a measured BTS). ``atlas_factory`` is
the one per-target ATLAS factory (the CLI, the Table 1 comparison and chapter 3 all build the law with it).
``atlas_core.analysis.observations`` builds this layout from a study's evaluation rows.

tau is unconstrained in sign (negative = interference) but bounded to [-1, 10]; where the effective data would
not be positive it is floored at ``D_EFF_FLOOR`` times S(D_t; U_t), which makes such parameters a very poor fit
rather than a NaN (the gradient through the floor is exact: it depends on lambda through S(D_t; U_t), not on tau).

Starting tau from a transfer score: under ATLAS a 50/50 bilingual run that has seen d tokens has
D_eff = (1 + tau) d / 2 of the target, so it reaches the monolingual loss at d_mono after d_bi = 2 d_mono / (1 + tau)
tokens and its bilingual transfer score is BTS = 2 - d_bi / d_mono = 2 tau / (1 + tau); ``tau_from_bts`` inverts
that, tau = BTS / (2 - BTS).
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.laws.base import IDENTITY, LOG, Law, Observations, ParamSpec
from atlas_core.laws.chinchilla import chinchilla_params
from atlas_core.laws.engine import Linear, LogSumExp, Scaled, Sum, Term
from atlas_core.laws.saturation import Repetition, Saturation
from atlas_core.laws.validate import CAP, NONNEGATIVE, Column, numeric_column

D_EFF_FLOOR = 1e-6
TAU_BOUNDS = (-1.0, 10.0)
TAU_GRID = (0.0, 0.5)
TAU_OTHER_GRID = (0.0, 0.1)
LAMBDA_GRID = tuple(np.log([0.01, 0.1, 1.0]))
LAMBDA_BOUNDS = (float(np.log(1e-6)), float(np.log(1e3)))  # log lambda; at the floor: no repetition effect
RESERVED = {"total", "other"}  # D_total, U_other are not sources


class _LogEffectiveData:
    """log D_eff as a function of theta (lambda and the tau's enter). Every source is saturated at once on the
    stacked (m, n) token arrays: row 0 is the target, then the tau'd sources in parameter order."""

    def __init__(self, theta: np.ndarray, obs: Observations, j_lam: int, j_taus: Sequence[int]):
        self.j_taus, self.j_lam = list(j_taus), j_lam
        self.lam = np.exp(theta[:, j_lam])
        self.sat = Saturation(obs["repetition"], self.lam[:, None, None])  # (S, m, n)
        self.weight = np.hstack([np.ones((theta.shape[0], 1)), theta[:, self.j_taus]])  # (S, m)
        total = np.einsum("sm,smn->sn", self.weight, self.sat.S)
        floor = D_EFF_FLOOR * self.sat.S[:, 0]
        self.floored = total <= floor
        self.D_eff = np.where(self.floored, floor, total)
        self.value = np.log(self.D_eff)

    def vjp(self, cot: np.ndarray, grad: np.ndarray) -> None:
        # unfloored: d log D_eff = d(sum_m w_m S_m) / D_eff; floored: D_eff = floor * S_t, d log D_eff = dS_t / S_t
        c = np.where(self.floored, 0.0, cot / self.D_eff)
        c_floor = np.where(self.floored, cot / self.sat.S[:, 0], 0.0)
        dS_dlam = self.sat.d_dlam()
        d_lam = np.einsum("sm,smn->sn", self.weight, dS_dlam) * self.lam[:, None]
        grad[:, self.j_lam] += np.einsum("sn,sn->s", c, d_lam) \
            + np.einsum("sn,sn->s", c_floor, dS_dlam[:, 0] * self.lam[:, None])
        if self.j_taus:
            grad[:, self.j_taus] += np.einsum("sn,smn->sm", c, self.sat.S[:, 1:])


class Atlas(Law):
    """ATLAS for one target: transfer languages ``transfer`` (K_t), an optional other-languages term, one lambda.

    ``tau_init`` (source -> score) sets the start of each tau_s (the only start value for it); sources without
    one start from {0, 0.5}.
    """

    name = "atlas"

    def __init__(self, transfer: Iterable[str] = (), other: bool = False,
                 tau_init: Mapping[str, float] | None = None):
        self.transfer = [str(s) for s in transfer]
        self.other = bool(other)
        bad = [s for s in self.transfer if s in RESERVED or not s]
        if bad or len(set(self.transfer)) != len(self.transfer):
            raise AtlasError(f"law 'atlas': invalid or repeated transfer languages {self.transfer}")
        self.tau_init = {s: float(v) for s, v in (tau_init or {}).items() if s in self.transfer}
        if not all(np.isfinite(v) for v in self.tau_init.values()):
            raise AtlasError(f"law 'atlas': tau starts must be finite, got {self.tau_init}")
        tau_specs = tuple(
            ParamSpec(f"tau_{s}", IDENTITY, (self._clip_tau(self.tau_init[s]),) if s in self.tau_init else TAU_GRID,
                      *TAU_BOUNDS)
            for s in self.transfer
        )
        other_spec = (ParamSpec("tau_other", IDENTITY, TAU_OTHER_GRID, *TAU_BOUNDS),) if self.other else ()
        self.params = chinchilla_params() + (ParamSpec("lambda", LOG, LAMBDA_GRID, *LAMBDA_BOUNDS),) + tau_specs \
            + other_spec

    @staticmethod
    def _clip_tau(value: float) -> float:
        return float(np.clip(value, *TAU_BOUNDS))

    @property
    def sources(self) -> list[str]:
        """Sources with a tau, in parameter order ("other" last when present)."""
        return self.transfer + (["other"] if self.other else [])

    def config(self) -> dict:
        return {"transfer": list(self.transfer), "other": self.other}

    def input_columns(self):
        columns = [Column("N"), Column("D"), Column("U", CAP)]
        for s in self.transfer:
            columns += [Column(f"D_{s}", NONNEGATIVE), Column(f"U_{s}", CAP)]
        if self.other:
            columns += [Column("D_total"), Column("U_other", CAP, required=False)]
        return tuple(columns)

    def features(self, columns, frame: pd.DataFrame) -> Observations:
        obs = {"logN": np.log(columns["N"])} | {k: v for k, v in columns.items() if k != "N"}
        if self.other:
            named = columns["D"] + sum((columns[f"D_{s}"] for s in self.transfer), np.zeros_like(columns["D"]))
            d_other = columns["D_total"] - named
            negative = d_other < -1e-9 * columns["D_total"]
            if negative.any():
                i = int(np.flatnonzero(negative)[0])
                parts = " + ".join(["D", *(f"D_{s}" for s in self.transfer)])
                total = float(columns["D_total"][i])
                raise AtlasError(f"law 'atlas': column 'D_total' row {frame.index[i]}: {total!r} is smaller than "
                                 f"{parts} = {float(named[i])!r}")
            obs["D_other"] = np.maximum(d_other, 0.0)
            obs["U_other"] = columns.get("U_other", np.full_like(d_other, np.inf))
        stack = ["", *(f"_{s}" for s in self.sources)]
        obs["repetition"] = Repetition(np.stack([obs[f"D{suffix}"] for suffix in stack]),
                                       np.stack([obs[f"U{suffix}"] for suffix in stack]))
        return obs

    def log_loss(self, theta: np.ndarray, obs: Observations) -> Term:
        taus = [self.index(f"tau_{s}") for s in self.sources]
        log_d = _LogEffectiveData(theta, obs, self.index("lambda"), taus)
        return LogSumExp(
            Linear(theta, [(0, 1.0)]),
            Linear(theta, [(1, 1.0), (3, -obs["logN"])]),
            Sum(Linear(theta, [(2, 1.0)]), Scaled(theta, 4, -1.0, log_d)),
        )

    @classmethod
    def for_target(cls, frame: pd.DataFrame, target: str | None = None, *, k: int = 3,
                   transfer_matrix: pd.DataFrame | None = None, candidates: Iterable[str] | None = None,
                   other: bool | None = None) -> "Atlas":
        """The full law for one target: K_t = the ``k`` sources co-sampled with the target in the most mixtures.

        Candidates are the ``D_<s>`` columns (except ``D_total`` and the target's own ``D_<target>``) unless
        given. A mixture is a distinct composition of the training tokens (``mixture_ids``), so a mixture trained
        at many sizes or evaluated at many points counts once; ties go to more total tokens, then the name.
        ``other`` defaults to whether a ``D_total`` column exists. tau_s starts from
        ``tau_from_bts(transfer_matrix.loc[target, s])`` where that entry exists.
        """
        target_d = numeric_column(frame, "D", what="law 'atlas'")
        names = list(candidates) if candidates is not None else [
            c[2:] for c in frame.columns if c.startswith("D_") and c[2:] not in RESERVED and c[2:] != target]
        missing = [s for s in names if f"D_{s}" not in frame.columns]
        if missing:
            raise AtlasError(f"law 'atlas': missing column 'D_{missing[0]}' for candidate transfer language "
                             f"'{missing[0]}'")
        mixtures = mixture_ids(frame)
        ranked = []
        for s in names:
            d_s = pd.to_numeric(frame[f"D_{s}"], errors="coerce").fillna(0.0).to_numpy()
            count = len(set(mixtures[(target_d > 0) & (d_s > 0)]))
            if count:
                ranked.append((-count, -float(d_s.sum()), s))
        transfer = [s for _, _, s in sorted(ranked)[:k]]
        return cls(transfer, other="D_total" in frame.columns if other is None else other,
                   tau_init=transfer_starts(transfer_matrix, target, transfer))


def mixture_ids(frame: pd.DataFrame) -> np.ndarray:
    """One label per row naming its mixture: the shares of D and of every ``D_<s>`` in the row's tokens (of
    ``D_total`` when present), to 4 significant digits. Rows of one mixture at any size, seed or point of
    training agree."""
    columns = ["D", *(c for c in frame.columns if c.startswith("D_") and c[2:] not in RESERVED)]
    tokens = frame[columns].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    total = (pd.to_numeric(frame["D_total"], errors="coerce").to_numpy(dtype=np.float64)
             if "D_total" in frame.columns else tokens.sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = tokens / total[:, None]
    return np.array([" ".join(f"{v:.4g}" for v in row) for row in shares])


def tau_from_bts(bts) -> np.ndarray:
    """The tau at which ATLAS gives a 50/50 bilingual run transfer score ``bts``: tau = BTS / (2 - BTS)
    (BTS = 2 tau / (1 + tau), see the module docstring); +inf for BTS >= 2, which no finite tau reaches."""
    bts = np.asarray(bts, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bts < 2.0, bts / (2.0 - bts), np.inf)


def transfer_starts(matrix: pd.DataFrame | None, target: str | None, sources: Iterable[str]) -> dict[str, float]:
    """tau starts for ``sources`` from row ``target`` of a BTS matrix (rows = target, columns = source), each
    ``tau_from_bts`` of its entry (clipped to the tau bounds by ``Atlas``); sources without a finite entry are left
    out (they start from the default grid)."""
    if matrix is None or target is None or target not in matrix.index:
        return {}
    row = matrix.loc[target]
    return {s: float(tau_from_bts(row[s])) for s in sources if s in row.index and np.isfinite(row[s])}


def atlas_factory(*, k: int = 3, transfer: Sequence[str] | None = None, other: bool | None = None,
                  transfer_matrix: pd.DataFrame | None = None,
                  languages: Iterable[str] | None = None) -> Callable[[str | None, pd.DataFrame], Atlas]:
    """The one way to build ATLAS for a target from its rows: ``(target, rows) -> Atlas``.

    K_t is ``transfer`` when given, else the ``k`` sources co-sampled with the target in the most mixtures
    (among ``languages`` that have a ``D_<s>`` column, when given); the D_other term is on when ``other`` is True
    (default: when the rows have ``D_total``); tau starts from ``transfer_matrix`` (BTS, via ``tau_from_bts``).
    """
    pool = None if languages is None else list(languages)

    def build(target: str | None, rows: pd.DataFrame) -> Atlas:
        with_other = "D_total" in rows.columns if other is None else other
        if transfer is not None:
            return Atlas(transfer, other=with_other, tau_init=transfer_starts(transfer_matrix, target, transfer))
        candidates = None if pool is None else [s for s in pool if s != target and f"D_{s}" in rows.columns]
        return Atlas.for_target(rows, target, k=k, transfer_matrix=transfer_matrix, candidates=candidates,
                                other=with_other)

    return build
