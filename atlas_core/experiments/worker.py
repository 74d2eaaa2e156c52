"""What a worker does for one run: check its process environment, claim the run, train it unless it is already
stored, store it.

The task checks the store itself, under the run's claim, so a run is never trained twice: not when Dask reruns a
task whose worker died after storing it, not when two sweeps share a results root.

A stored run's metadata is one record with one source per fact: the plan's (profile, uses, configuration, code
version: ``task["metadata"]``), this execution's (wall time, host, Python) and the trainer's own record of the
training (``training``: steps, model, device, threads, torch, the process environment; the trainer's
``run.json``, absent for trainers that keep none).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from pathlib import Path

from atlas_core.errors import AtlasError
from atlas_core.experiments.runs import base_run_of
from atlas_core.experiments.store import ResultsStore
from atlas_core.train import runtime
from atlas_core.train.config import RUN_RECORD, TrainConfig


def worker_environment_gaps() -> list[str]:
    """What this worker process lacks of the trainer's process environment, one thread per worker."""
    return runtime.missing(threads=1)


def run_task(task: dict, base: dict | None = None) -> dict:
    """Train one planned run and store it; returns its id, wall seconds and whether it trained here.

    ``task``: run_id, config (a TrainConfig dict; a finetune's ``init_from`` is a ``RunRef``), store (the
    profile's store folder), trainer (an object with ``train(cfg, run_id, *, workdir, progress)``), metadata
    (merged into the run's metadata). ``base``: the base run's result, only there to order the tasks.
    """
    gaps = worker_environment_gaps()
    if gaps:
        raise AtlasError(f"worker {socket.gethostname()} (pid {os.getpid()}) lacks {', '.join(gaps)}: start Dask "
                         "workers with --preload-nanny atlas_core.experiments.dask_preload")
    run_id, store = task["run_id"], ResultsStore(task["store"])
    cfg = TrainConfig.from_dict(task["config"])
    with store.claim(run_id):
        if store.has(run_id):
            return {"run_id": run_id, "wall_s": store.read_metadata(run_id)["wall_s"], "trained": False}
        if base_ref := base_run_of(cfg):
            model = store.model_path(base_ref)
            if not model.exists():
                raise AtlasError(f"run {run_id} starts from run {base_ref}, whose model {model} does not exist")
            cfg.init_from = str(model)
        workdir = store.workdir(run_id)
        workdir.mkdir(parents=True, exist_ok=True)
        started = time.time()
        rows = task["trainer"].train(cfg, run_id, workdir=workdir, progress=False)
        wall = time.time() - started
        meta = {**task["metadata"], "config": task["config"], "init_from_path": cfg.init_from, "seed": cfg.seed,
                "wall_s": wall, "started": started, "finished": time.time(), "host": socket.gethostname(),
                "python": platform.python_version(), "training": _trainer_record(workdir)}
        store.write_run(run_id, rows, meta)
        store.release_workdir(run_id)
    return {"run_id": run_id, "wall_s": wall, "trained": True}


def _trainer_record(workdir: Path) -> dict | None:
    """The trainer's record of the run (``run.json`` in its workdir), if it keeps one."""
    try:
        return json.loads((workdir / RUN_RECORD).read_text())
    except FileNotFoundError:
        return None
