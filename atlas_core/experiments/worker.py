"""What a worker process does for one run: pin one thread, train, store the result.

Two single-thread workers per two cores is the fast layout here; multi-threaded workers side by side are ~16x
slower (cpu-training.md §5). The thread variables only work if they are set before numpy or torch is imported,
so this module imports nothing heavy at the top: a fresh worker process loads it, sets the variables, and only
then imports the store (numpy, pandas) and the trainer (torch).
"""

from __future__ import annotations

import importlib
import os
import platform
import socket
import sys
import time

THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def single_thread_env() -> None:
    """Pin BLAS/OpenMP to one thread (takes effect for libraries imported afterwards)."""
    os.environ.update(THREAD_ENV)


def _pin_torch() -> None:
    """One torch thread, if the trainer loaded torch (if it loads it later, OMP_NUM_THREADS=1 does the same)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _device_facts(device: str) -> dict:
    """What the run ran on: device name, torch threads and version."""
    torch = sys.modules.get("torch")
    if torch is None:
        return {"device": "cpu", "threads": 1, "torch": None}
    cuda = device != "cpu" and torch.cuda.is_available()
    return {"device": torch.cuda.get_device_name(0) if cuda else "cpu", "threads": torch.get_num_threads(),
            "torch": torch.__version__}


def run_task(task: dict) -> dict:
    """Train one planned run and store it; returns its id, wall seconds and row count.

    ``task``: run_id, config (a TrainConfig dict; ``init_from`` may be ``"run:<base id>"``), store (the
    profile's store folder), trainer (a module with ``train``), metadata (merged into the run's metadata).
    """
    single_thread_env()
    from atlas_core.errors import AtlasError
    from atlas_core.experiments.runs import base_run_of
    from atlas_core.experiments.store import ResultsStore
    from atlas_core.train.config import TrainConfig

    trainer = importlib.import_module(task["trainer"])
    run_id, store = task["run_id"], ResultsStore(task["store"])
    _pin_torch()
    cfg = TrainConfig.from_dict(task["config"])
    base = base_run_of(cfg)
    if base:
        model = store.model_path(base)
        if not model.exists():
            raise AtlasError(f"run {run_id} starts from run {base}, whose model {model} does not exist")
        cfg.init_from = str(model)
    workdir = store.workdir(run_id)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    rows = trainer.train(cfg, run_id, workdir=workdir, progress=False)
    wall = time.time() - started
    meta = {**task["metadata"], "config": task["config"], "init_from_path": cfg.init_from, "seed": cfg.seed,
            "wall_s": wall, "started": started, "finished": time.time(), "host": socket.gethostname(),
            "python": platform.python_version(), **_device_facts(cfg.device)}
    store.write_run(run_id, rows, meta)
    return {"run_id": run_id, "wall_s": wall, "rows": len(rows)}
