"""Scaling laws as small vectorised classes on pandas tables (pure math: no torch, no training stack).

Every law predicts the loss of a table of observations; all share one log-space LSE engine with exact
reverse-mode gradients (``engine``), one validation module (``validate``) and the repetition saturation
(``saturation``). Canonical columns: ``N`` parameters, ``D`` tokens, ``loss`` (nats per token; only for fitting),
``U`` unique tokens. Multilingual columns are documented in each law's module.

    Chinchilla        L = E + A/N^alpha + B/D^beta                           columns N, D
    DataConstrained   Muennighoff et al.'s D', N' with R_D, R_N              columns N, D, U
    MultilingualSL    (E + A/N^alpha + B/D^beta) p^-gamma, per family        columns N, D, p [family]
    Atlas             E + A/N^alpha + B/D_eff^beta, transfer + repetition    columns N, D, U [D_<s>, U_<s>, D_total]
    CurseLaw          E + A K^phi/N^alpha + B K^psi/D^beta                   columns K, N, D
"""

from atlas_core.laws.allocation import compute_optimal, loss_on_frontier, optimal_allocation
from atlas_core.laws.atlas import Atlas, atlas_factory, tau_from_bts
from atlas_core.laws.base import Law, ParamSpec
from atlas_core.laws.chinchilla import Chinchilla
from atlas_core.laws.crossover import crossover_tokens, fit_crossover_law
from atlas_core.laws.curse import CurseLaw, iso_loss_frontier, iso_loss_multipliers, term_share
from atlas_core.laws.data_constrained import DataConstrained
from atlas_core.laws.multilingual import MultilingualSL
from atlas_core.laws.saturation import saturation

LAWS: dict[str, type[Law]] = {law.name: law for law in (Chinchilla, DataConstrained, MultilingualSL, Atlas, CurseLaw)}


def make_law(name: str, **config) -> Law:
    """A law by its CLI name (``chinchilla``, ``data-constrained``, ``msl``, ``atlas``, ``curse``) and config."""
    from atlas_core.errors import AtlasError

    if name not in LAWS:
        raise AtlasError(f"unknown law {name!r}; choose one of {', '.join(LAWS)}")
    return LAWS[name](**config)


__all__ = [
    "Atlas", "Chinchilla", "atlas_factory", "tau_from_bts", "CurseLaw", "DataConstrained", "LAWS", "Law", "MultilingualSL", "ParamSpec",
    "compute_optimal", "crossover_tokens", "loss_on_frontier", "fit_crossover_law", "iso_loss_frontier", "iso_loss_multipliers",
    "make_law", "optimal_allocation", "saturation", "term_share",
]
