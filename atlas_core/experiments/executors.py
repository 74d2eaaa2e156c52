"""Where runs train: a Dask ``distributed`` cluster, started here or already running.

``local`` starts a private cluster on this machine: a scheduler in this process and ``workers`` single-thread
worker processes started exactly as the README starts them on a cluster (``dask worker --nthreads 1
--preload-nanny atlas_core.experiments.dask_preload``), so a local sweep and a cluster sweep train in the same
process environment and give the same numbers. ``dask`` connects to the scheduler at ``address``
(``tcp://host:8786``); its workers need atlas installed, the corpora prepared, the results root on a shared
filesystem and the preload (workers without the training environment are refused).

Dask does the scheduling: every run is submitted at once with its priority (longest critical path first), a
finetune depends on its base's task, and a task whose worker dies is rerun on another worker. A failed run is
reported and its finetunes skipped; everything else goes on.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from tqdm import tqdm

from atlas_core.errors import AtlasError
from atlas_core.experiments.plan import priorities
from atlas_core.experiments.runs import PlannedRun
from atlas_core.experiments.worker import run_task, worker_environment_gaps
from atlas_core.train.config import TrainConfig

EXECUTORS = ("local", "dask")
PRELOAD = "atlas_core.experiments.dask_preload"
WORKER_WAIT_S = 60.0  # how long to wait for the first worker before giving up


def worker_command(address: str, workers: int, local_directory: str, host: str = "127.0.0.1") -> list[str]:
    """The ``dask worker`` command of the README: single-thread workers with the training environment."""
    return [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
            "--nworkers", str(workers), "--preload-nanny", PRELOAD, "--host", host, "--no-dashboard",
            "--local-directory", local_directory, "--death-timeout", "30"]


def check_address(address: str) -> None:
    """``AtlasError`` unless ``address`` is ``scheme://host:port`` with a scheme Dask knows."""
    from distributed.comm import registry

    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in registry.backends:
        raise AtlasError(f"--address {address!r}: unknown scheme {scheme!r} (known: {', '.join(registry.backends)})")
    host, _, port = rest.rpartition(":")
    if scheme in ("tcp", "tls", "ws", "wss") and (not host or not port.isdigit()):
        raise AtlasError(f"--address {address!r} needs a host and a port, e.g. tcp://127.0.0.1:8786")


class Cluster:
    """A Dask client on a running scheduler (``address``) or on a private local cluster of ``workers``."""

    def __init__(self, address: str | None, workers: int):
        from distributed import Client, LocalCluster  # loads only when a sweep runs (not for plans, results)

        self.local, self.workers_proc, self.scratch = None, None, None
        if address:
            check_address(address)
            try:
                self.client = Client(address, timeout="15s")
            except (OSError, TimeoutError) as err:
                raise AtlasError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        else:
            if workers < 1:
                raise AtlasError(f"workers must be at least 1, got {workers}")
            self.local = LocalCluster(n_workers=0, host="127.0.0.1", scheduler_port=0, dashboard_address=None,
                                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its HTTP server: a
                                      silence_logs=logging.ERROR)                            # free local port
            self.scratch = tempfile.TemporaryDirectory(prefix="atlas-dask-")
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # a copy: ours is untouched
            with open(self.worker_log, "w") as log:
                self.workers_proc = subprocess.Popen(worker_command(self.local.scheduler_address, workers,
                                                                    self.scratch.name),
                                                     env=env, stdout=subprocess.DEVNULL, stderr=log)
            self.client = Client(self.local)
        self._wait_for_workers(address or "the local cluster", 1 if address else workers)

    @property
    def worker_log(self) -> str:
        """Where the local cluster's ``dask worker`` writes its log."""
        return os.path.join(self.scratch.name, "workers.log")

    def _wait_for_workers(self, where: str, n: int) -> None:
        try:
            self.client.wait_for_workers(n, timeout=WORKER_WAIT_S)
        except TimeoutError:
            hint = (f"start workers with `dask worker ADDRESS --nthreads 1 --preload-nanny {PRELOAD}`"
                    if self.local is None else f"the workers' log ends: {self._log_tail()}")
            self.close()
            raise AtlasError(f"no worker joined the Dask scheduler at {where} within {WORKER_WAIT_S:.0f} s: "
                             f"{hint}") from None
        gaps = {addr: g for addr, g in self.client.run(worker_environment_gaps).items() if g}
        if gaps:
            self.close()
            addr, what = next(iter(gaps.items()))
            raise AtlasError(f"{len(gaps)} Dask worker(s) lack the training environment (worker {addr}: "
                             f"{', '.join(what)}), so their numbers would differ from a local run: start them "
                             f"with `--preload-nanny {PRELOAD}`")

    def _log_tail(self) -> str:
        with open(self.worker_log, errors="replace") as log:
            lines = [line.strip() for line in log if line.strip()]
        return lines[-1] if lines else "(empty)"

    @property
    def slots(self) -> int:
        return sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())

    def close(self) -> None:
        self.client.close()
        if self.workers_proc is not None:
            self.workers_proc.terminate()
            try:
                self.workers_proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.workers_proc.kill()
                self.workers_proc.wait()
        if self.local is not None:
            self.local.close()
            self.scratch.cleanup()


def make_cluster(executor: str, workers: int, address: str | None = None) -> Cluster:
    if executor not in EXECUTORS:
        raise AtlasError(f"unknown executor {executor!r} (known: {', '.join(EXECUTORS)})")
    if executor == "local" and address:
        raise AtlasError("--address is for the dask executor; the local executor runs on this machine")
    return Cluster(address, workers)


@dataclass
class Outcome:
    """What a sweep did: finished run ids with their wall seconds, failures with their error, skipped ids."""

    finished: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def execute(runs: list[PlannedRun], cluster: Cluster, make_task, *, progress: bool = True,
            desc: str = "sweep", reestimate: Callable[[list[TrainConfig]], list[float]] | None = None,
            on_finished: Callable[[str], None] | None = None) -> Outcome:
    """Run ``runs`` (bases before finetunes, as the plan lists them) on ``cluster``; ``make_task(run) -> dict``.

    The progress bar counts estimated core-seconds, so its ETA tracks how fast the workers really go; with
    ``reestimate`` (the trainer's ``refreshed_estimates``), the runs still pending are re-estimated after each
    finished one from the throughput measured so far, and the bar's total follows; ``on_finished(run_id)`` is
    called after each run that finished (the study rewrites its manifest there).
    """
    from distributed import as_completed

    prio = priorities(runs)
    futures: dict[str, object] = {}
    for run in runs:
        base = futures.get(run.depends_on)  # None when the base finished earlier
        futures[run.run_id] = cluster.client.submit(run_task, make_task(run), base, key=f"atlas-{run.run_id}",
                                                    priority=prio[run.run_id], pure=False)
    by_key = {f.key: run_id for run_id, f in futures.items()}
    by_id = {r.run_id: r for r in runs}
    outcome = Outcome()
    total = sum(r.est_seconds for r in runs)
    bar = tqdm(total=total, desc=f"{desc} 0/{len(runs)} runs", disable=not progress, dynamic_ncols=True,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")
    try:
        for future in as_completed(list(futures.values())):
            run = by_id[by_key[future.key]]
            if future.status == "finished":
                outcome.finished[run.run_id] = future.result()["wall_s"]
                if on_finished is not None:
                    on_finished(run.run_id)
            elif run.depends_on in futures and futures[run.depends_on].status == "error":  # its base failed
                outcome.skipped.append(run.run_id)
            else:
                err = future.exception()
                outcome.failed[run.run_id] = f"{type(err).__name__}: {err}"
                bar.write(f"run {run.run_id} failed: {type(err).__name__}: {err}")
            bar.update(min(run.est_seconds, bar.total - bar.n))
            done = len(outcome.finished) + len(outcome.failed) + len(outcome.skipped)
            if reestimate is not None and future.status == "finished":
                pending = [r for r in runs if not futures[r.run_id].done()]
                for r, seconds in zip(pending, reestimate([r.config for r in pending])):
                    r.est_seconds = float(seconds)
                bar.total = bar.n + sum(r.est_seconds for r in pending)
            bar.set_description_str(f"{desc} {done}/{len(runs)} runs" + (f", {len(outcome.failed)} failed"
                                                                     if outcome.failed else ""), refresh=False)
    finally:
        bar.close()
        for future in futures.values():
            future.release()
    return outcome
