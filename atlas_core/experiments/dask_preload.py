"""Dask nanny preload: every worker process a nanny starts gets the trainer's process environment.

    dask worker tcp://127.0.0.1:8786 --nthreads 1 --nworkers 2 --preload-nanny atlas_core.experiments.dask_preload

The MKL shim (``LD_PRELOAD``) and the malloc settings only act when a process starts, so they cannot be set from
inside a running worker; the nanny, which starts the worker processes, puts them into their environment instead
(``atlas_core.train.runtime.environment``, one thread each). The sweep refuses workers started without it.
"""

from __future__ import annotations

import os

from atlas_core.train import runtime


def training_variables() -> dict[str, str]:
    """The variables a worker process needs on top of this process's environment."""
    env = runtime.environment(os.environ, threads=1)
    return {k: v for k, v in env.items() if os.environ.get(k) != v}


def dask_setup(nanny) -> None:
    """Called by the nanny before it starts its worker process: set them at spawn and inside the worker."""
    variables = training_variables()
    nanny.pre_spawn_env.update(variables)
    nanny.env.update(variables)
