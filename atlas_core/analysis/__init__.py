"""The paper's derived quantities, computed from plain tables of evaluation rows.

Pure math on pandas DataFrames: nothing here imports torch, the model, the trainer, the data layer or the runner.

- :mod:`~atlas_core.analysis.curves`: monotone fits and log-token interpolation of learning curves, and where a
  curve leaves its initial plateau (:mod:`~atlas_core.analysis.plateau`: per model size, chapter 2);
- :mod:`~atlas_core.analysis.transfer`: the bilingual transfer score, its controls and the transfer matrix;
- :mod:`~atlas_core.analysis.finetune`: the finetuning adaptation score and the B.5-B.6 curve features;
- :mod:`~atlas_core.analysis.crossover`: pretrain-vs-finetune crossover tokens and compute;
- :mod:`~atlas_core.analysis.observations`: the observations table the law fitters consume;
- :mod:`~atlas_core.analysis.matrix`: script / family groups, symmetry and top sources of a transfer matrix;
- :mod:`~atlas_core.analysis.transfer_factors`: does sharing a script or a family raise transfer (chapter 4);
- :mod:`~atlas_core.analysis.transfer_symmetry`: is transfer reciprocal (chapter 4);
- :mod:`~atlas_core.analysis.transfer_agreement`: do our scores agree with the paper's matrix (chapter 4);
- :mod:`~atlas_core.analysis.transfer_controls`: scores against the null, self and language-free controls (4-5);
- :mod:`~atlas_core.analysis.transfer_scale`: transfer over model size and reference horizon (chapter 5);
- :mod:`~atlas_core.analysis.scaling`: per-language laws, repetition, compute-optimal trajectories and the
  multilingual compute tax (chapter 2); :mod:`~atlas_core.analysis.mono_grid`: chapter 2's grid as tables;
- :mod:`~atlas_core.analysis.law_comparison`: the paper's Table 1: held-out R² of every law on every split (chapter 3);
- :mod:`~atlas_core.analysis.curse`: curse-of-multilinguality observations, relative loss over K (chapter 6);
  :mod:`~atlas_core.analysis.curse_tables`: chapter 6's tables and figure data.

The chapter modules are imported as modules (``from atlas_core.analysis import scaling``); the names below are
the building blocks they share.
"""

from atlas_core.analysis.crossover import crossover_compute, crossover_table, finetune_crossover
from atlas_core.analysis.curves import NotReachedError, isotonic_decreasing, loss_at, monotone, tokens_to_reach
from atlas_core.analysis.finetune import fas, finetune_features, finetune_scores
from atlas_core.analysis.matrix import group_means, grouped_order, matrix_pairs, symmetry, top_source_counts
from atlas_core.analysis.observations import observations
from atlas_core.analysis.transfer import bts, bts_table, summarize_transfer, transfer_matrix

__all__ = [
    "NotReachedError", "bts", "bts_table", "crossover_compute", "crossover_table", "fas", "finetune_crossover",
    "finetune_features", "finetune_scores", "group_means", "grouped_order", "isotonic_decreasing", "loss_at",
    "matrix_pairs", "monotone", "observations",
    "summarize_transfer", "symmetry", "tokens_to_reach", "top_source_counts", "transfer_matrix",
]
