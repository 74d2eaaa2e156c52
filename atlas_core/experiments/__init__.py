"""The miniature ATLAS study: declarative experiments, profiles, the results store and Dask execution.

    from atlas_core.experiments import load_profile, Study

Names are imported on first use, so that a Dask worker's preload (:mod:`atlas_core.experiments.dask_preload`)
and task (:mod:`atlas_core.experiments.worker`) load only what they need.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Study": "atlas_core.experiments.study",
    "load_profile": "atlas_core.experiments.profile",
    "bundled_profiles": "atlas_core.experiments.profile",
    "Profile": "atlas_core.experiments.profile",
    "ResultsStore": "atlas_core.experiments.store",
    "KINDS": "atlas_core.experiments.kinds",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'atlas_core.experiments' has no attribute {name!r}")
