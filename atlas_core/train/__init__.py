"""Training: one configuration (``TrainConfig``) in, a table of evaluation rows (``ROW_COLUMNS``) out.

``train``, ``estimate_seconds``, ``refreshed_estimates``, ``RunData`` and ``load_run_data`` load on first use, so
that importing the configuration alone (to plan a study, or before ``atlas train`` sets its thread count) does
not import torch.
"""

import importlib

from atlas_core.train.config import CONTROL_SOURCES, ROW_COLUMNS, TrainConfig

_LAZY = {"train": "trainer", "estimate_seconds": "estimate", "refreshed_estimates": "estimate", "RunData": "run_data",
         "load_run_data": "run_data"}

__all__ = ["CONTROL_SOURCES", "ROW_COLUMNS", "TrainConfig", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"atlas_core.train.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'atlas_core.train' has no attribute {name!r}")
