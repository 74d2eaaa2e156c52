"""Fitting scaling laws: multi-start summed Huber (default) or Huber-likelihood MLE, bootstrap, held-out R^2.

    fit_law(law, df, *, objective="huber"|"mle", delta=1e-3, tie_exponents=False, starts=None, seed=0,
            fixed=None) -> FitResult
    fit_groups(law, df, by="lang", **fit_kwargs) -> GroupedFit           one law per language / family
    bootstrap_fit(law, df, n=200, seed=0, ...) -> BootstrapSamples      .ci(level), .se()
    heldout_r2(law, df, split="random"|"N"|"D"|"C"|"M", ...) -> HeldoutR2   per language and averaged
    score_heldout(law, rows, mask, ...) -> HeldoutScore                  one fit, scored on held-out rows
    fit_two_stage(DataConstrained(), df) -> FitResult                    Muennighoff et al.'s two-stage DCSL
    fit_beyond(law, df, fit, nested) -> FitResult                        a law never worse than one it extends
    load_fit(json_text) -> FitResult | GroupedFit

Pure math on tables: never imports torch or the training stack.
"""

from atlas_core.fit.bootstrap import BootstrapSamples, bootstrap_fit
from atlas_core.fit.core import fit_law
from atlas_core.fit.groups import fit_groups
from atlas_core.fit.heldout import (SPLITS, HeldoutR2, HeldoutScore, heldout_mask, heldout_r2, heldout_sizes,
                                    score_heldout, training_compute)
from atlas_core.fit.nested import fit_beyond, nested_start
from atlas_core.fit.polish import STATUSES
from atlas_core.fit.result import FAILED, FitResult, GroupedFit, load_fit, r_squared
from atlas_core.fit.two_stage import fit_two_stage

__all__ = [
    "BootstrapSamples", "FAILED", "FitResult", "GroupedFit", "HeldoutR2", "HeldoutScore", "SPLITS", "STATUSES",
    "bootstrap_fit", "fit_beyond", "fit_groups", "fit_law", "fit_two_stage", "heldout_mask", "heldout_r2",
    "heldout_sizes", "load_fit", "nested_start", "r_squared", "score_heldout", "training_compute",
]
