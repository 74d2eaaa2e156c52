"""Fitting scaling laws: multi-start summed Huber (default) or Huber-likelihood MLE, bootstrap, held-out R^2.

    fit_law(law, df, *, objective="huber"|"mle", delta=1e-3, tie_exponents=False, starts=None, seed=0,
            fixed=None) -> FitResult
    fit_groups(law, df, by="lang", **fit_kwargs) -> GroupedFit           one law per language / family
    bootstrap_fit(law, df, n=200, seed=0, ...) -> BootstrapSamples      .ci(level), .se()
    heldout_r2(law, df, split="random"|"N"|"D"|"C"|"M", ...) -> HeldoutR2   per language and averaged
    load_fit(json_text) -> FitResult | GroupedFit

Pure math on tables: never imports torch or the training stack.
"""

from atlas_core.fit.bootstrap import BootstrapSamples, bootstrap_fit
from atlas_core.fit.core import fit_law
from atlas_core.fit.groups import fit_groups
from atlas_core.fit.heldout import SPLITS, HeldoutR2, heldout_mask, heldout_r2
from atlas_core.fit.polish import STATUSES
from atlas_core.fit.result import FitResult, GroupedFit, load_fit, r_squared

__all__ = [
    "BootstrapSamples", "FitResult", "GroupedFit", "HeldoutR2", "SPLITS", "STATUSES", "bootstrap_fit",
    "fit_groups", "fit_law", "heldout_mask", "heldout_r2", "load_fit", "r_squared",
]
