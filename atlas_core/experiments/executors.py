"""Executors: where runs train, and the scheduler that feeds them in dependency and priority order.

``local`` is a pool of ``spawn``-ed single-thread worker processes on this machine (default: 2, one per core).
``dask`` runs the same tasks on a Dask ``distributed`` cluster: ``address`` of a running scheduler
(``tcp://host:8786``), or none to start a ``LocalCluster`` with one single-thread worker process per slot.
Cluster workers need atlas installed, the corpora prepared (``atlas data prepare``) and the results root on a
filesystem they all share.

The scheduler keeps at most one run per worker slot in flight, always starting the ready run with the longest
critical path (a base and its finetunes count together), never a finetune before its base. A failed run is
reported and its dependents skipped; everything else goes on; the store is only written by runs that finish.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
from dataclasses import dataclass, field

from tqdm import tqdm

from atlas_core.errors import AtlasError
from atlas_core.experiments.plan import priorities
from atlas_core.experiments.runs import PlannedRun
from atlas_core.experiments.worker import run_task, single_thread_env
from atlas_core.train.runtime import environment as training_environment

EXECUTORS = ("local", "dask")


def enter_training_environment() -> dict[str, str]:
    """Put this process's environment into the trainer's fast training environment and return the old one.

    Worker processes spawned from here (the local pool's, a LocalCluster's) inherit os.environ when they start,
    and the MKL shim and malloc settings only work if present at process start. Restore with
    ``restore_environment`` once the workers are gone.
    """
    saved = dict(os.environ)
    os.environ.update(training_environment(os.environ, threads=1))
    return saved


def restore_environment(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)


class LocalBackend:
    """A process pool of ``workers`` fresh single-thread interpreters (``spawn``), started in the trainer's fast
    process environment (``atlas_core.train.runtime``: one thread, malloc settings, MKL's AVX-512 kernels)."""

    def __init__(self, workers: int):
        if workers < 1:
            raise AtlasError(f"workers must be at least 1, got {workers}")
        self.slots = workers
        self.saved_environ = enter_training_environment()
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=single_thread_env)

    def submit(self, task: dict):
        try:
            return self.pool.submit(run_task, task)
        except cf.process.BrokenProcessPool:
            raise AtlasError("a worker process died (killed, out of memory, or started from a script that lacks "
                             "the `if __name__ == '__main__':` guard that multiprocessing needs); finished runs "
                             "are stored, rerun to continue") from None

    def wait_first(self, futures: list) -> set:
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return done

    def close(self, abort: bool = False) -> None:
        if abort:  # stop the workers now; their runs resume from their checkpoints next time
            for proc in list(getattr(self.pool, "_processes", {}).values()):
                proc.terminate()
        self.pool.shutdown(wait=True, cancel_futures=abort)
        restore_environment(self.saved_environ)


class DaskBackend:
    """A Dask ``distributed`` client: on the cluster at ``address``, or on a new local cluster of ``workers``."""

    def __init__(self, address: str | None, workers: int):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise AtlasError("the dask executor needs dask and distributed: "
                             "pip install 'atlas-core[cluster]'") from None
        self.cluster, self.saved_environ = None, None
        if address:
            try:
                self.client = Client(address, timeout="20s")
            except OSError as err:
                raise AtlasError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        else:
            self.saved_environ = enter_training_environment()
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        self.client.wait_for_workers(1, timeout=120)
        self.slots = sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())

    def submit(self, task: dict):
        return self.client.submit(run_task, task, key=f"atlas-{task['run_id']}", pure=False, retries=0)

    def wait_first(self, futures: list) -> set:
        from distributed import wait

        return set(wait(futures, return_when="FIRST_COMPLETED").done)

    def close(self, abort: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
            restore_environment(self.saved_environ)


def make_backend(executor: str, workers: int, address: str | None = None):
    if executor == "local":
        if address:
            raise AtlasError("--address is for the dask executor; the local executor runs on this machine")
        return LocalBackend(workers)
    if executor == "dask":
        return DaskBackend(address, workers)
    raise AtlasError(f"unknown executor {executor!r} (known: {', '.join(EXECUTORS)})")


@dataclass
class Outcome:
    """What a sweep did: finished run ids with their wall seconds, failures with their error, skipped ids."""

    finished: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def execute(runs: list[PlannedRun], backend, make_task, *, progress: bool = True, desc: str = "sweep") -> Outcome:
    """Run ``runs`` (all missing from the store) on ``backend``; a run starts once its base has finished.

    ``make_task(run) -> dict`` builds the worker's task. The progress bar counts estimated core-seconds, so its
    ETA tracks how fast this machine really goes. The caller closes the backend (``abort=True`` on Ctrl-C: the
    workers stop, every finished run stays in the store).
    """
    prio = priorities(runs)
    pending = {r.run_id: r for r in runs}
    in_flight: dict = {}
    outcome = Outcome()
    bar = tqdm(total=sum(r.est_seconds for r in runs), desc=desc, disable=not progress, dynamic_ncols=True,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]",
               postfix={"runs": f"0/{len(runs)}"})
    try:
        while pending or in_flight:
            busy = set(pending) | {r.run_id for r in in_flight.values()}
            ready = sorted((r for r in pending.values() if r.depends_on not in busy),
                           key=lambda r: -prio[r.run_id])
            for run in ready[: backend.slots - len(in_flight)]:
                in_flight[backend.submit(make_task(run))] = pending.pop(run.run_id)
            if not in_flight:
                break
            for future in backend.wait_first(list(in_flight)):
                run = in_flight.pop(future)
                try:
                    outcome.finished[run.run_id] = future.result()["wall_s"]
                except Exception as err:  # a failed run must not stop the others
                    outcome.failed[run.run_id] = f"{type(err).__name__}: {err}"
                    bar.write(f"run {run.run_id} failed: {type(err).__name__}: {err}")
                    _skip_dependents(run.run_id, pending, outcome)
                bar.update(run.est_seconds)
                bar.set_postfix(runs=f"{len(outcome.finished)}/{len(runs)}", failed=len(outcome.failed))
    finally:
        bar.close()
    return outcome


def _skip_dependents(run_id: str, pending: dict[str, PlannedRun], outcome: Outcome) -> None:
    for rid in [r for r, run in pending.items() if run.depends_on == run_id]:
        del pending[rid]
        outcome.skipped.append(rid)
