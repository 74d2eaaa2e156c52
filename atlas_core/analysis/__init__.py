"""The paper's derived quantities, computed from plain tables of evaluation rows.

Pure math on pandas DataFrames: nothing here imports torch, the model, the trainer, the data layer or the runner.

- :mod:`~atlas_core.analysis.curves`: monotone fits and log-token interpolation of learning curves;
- :mod:`~atlas_core.analysis.transfer`: the bilingual transfer score, its controls and the transfer matrix;
- :mod:`~atlas_core.analysis.finetune`: the finetuning adaptation score and the B.5-B.6 curve features;
- :mod:`~atlas_core.analysis.crossover`: pretrain-vs-finetune crossover tokens and compute;
- :mod:`~atlas_core.analysis.observations`: the observations table the law fitters consume.
"""

from atlas_core.analysis.crossover import crossover_compute, crossover_table, finetune_crossover
from atlas_core.analysis.curves import NotReachedError, isotonic_decreasing, loss_at, monotone, tokens_to_reach
from atlas_core.analysis.finetune import fas, finetune_features, finetune_scores
from atlas_core.analysis.observations import observations
from atlas_core.analysis.transfer import bts, bts_table, summarize_transfer, transfer_matrix

__all__ = [
    "NotReachedError", "bts", "bts_table", "crossover_compute", "crossover_table", "fas", "finetune_crossover",
    "finetune_features", "finetune_scores", "isotonic_decreasing", "loss_at", "monotone", "observations",
    "summarize_transfer", "transfer_matrix",
]
