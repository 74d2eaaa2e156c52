"""A real Dask cluster started as the README says (a scheduler and two workers on 127.0.0.1, subprocesses):
the same numbers as a local sweep, a worker killed mid-sweep, workers without the training environment, wrong
addresses. Uses the real trainer on a tiny profile (a few seconds of training) and the fake one for the kill."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import test_experiments_fake
from test_experiments_fake import FakeCatalog

from atlas_core.errors import AtlasError
from atlas_core.experiments import Study, executors
from atlas_core.experiments.executors import PRELOAD

TESTS = Path(__file__).parent
DASK = str(Path(sys.executable).parent / "dask")
TINY = """
name: tiny
train: {n_evals: 2, eval_tokens: 2048, final_eval_tokens: 4096}
experiments:
  scaling: {kind: mono, languages: [es, pt], scales: [10k], tokens: [40K]}
  unimax: {kind: unimax, languages: [es, pt], scales: [10k], tokens: [40K]}
  crossover: {kind: finetune, base: unimax, languages: [es], tokens: 20K, eval_langs: [es]}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``dask scheduler`` and ``dask worker`` as subprocesses (their own process groups), stopped by PID."""

    def __init__(self, tmp: Path, preload: bool = True, workers: int = 2):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)]),
               "ATLAS_FAKE_SECONDS": "0.3"}
        self.procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                        "--no-dashboard"], env=env, start_new_session=True,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        self.worker_args = [DASK, "worker", self.address, "--nthreads", "1", "--nworkers", str(workers),
                            "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(tmp / "dask-scratch")]
        if preload:
            self.worker_args += ["--preload-nanny", PRELOAD]
        self.env = env

    def start_workers(self) -> None:
        self.procs.append(subprocess.Popen(self.worker_args, env=self.env, start_new_session=True,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    c.start_workers()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("profile") / "tiny.yaml"
    path.write_text(TINY)
    return path


def rows_of(s: Study) -> pd.DataFrame:
    return s.rows().drop(columns=["wall_s"]).sort_values(["run_id", "step", "eval_lang"], ignore_index=True)


def test_a_cluster_started_as_the_readme_says_gives_the_local_numbers(cluster, tiny, tmp_path):
    on_cluster = Study(tiny, tmp_path / "cluster")
    result = on_cluster.run(workers=2, executor="dask", address=cluster.address, progress=False)
    assert len(result) == len(on_cluster.runs.runs) == 5 and (result["status"] == "finished").all()
    local = Study(tiny, tmp_path / "local")
    local.run(workers=2, progress=False)
    pd.testing.assert_frame_equal(rows_of(on_cluster), rows_of(local))
    for run_id in result["run_id"]:
        meta = on_cluster.store.read_metadata(run_id)
        assert meta["executor"] == "dask" and meta["wall_s"] > 0 and meta["training"]["status"] == "done"
        # the store is the run's one record: its workdir keeps only the model finetunes start from
        assert [p.name for p in on_cluster.store.workdir(run_id).iterdir()] == ["model.pt"]


def test_a_worker_killed_mid_sweep_trains_each_run_once(cluster, tmp_path):
    s = Study("smoke", tmp_path, trainer=test_experiments_fake, catalog=FakeCatalog())
    done = threading.Event()
    outcome = {}

    def sweep():
        outcome["result"] = s.run(workers=2, executor="dask", address=cluster.address, progress=False)
        done.set()

    thread = threading.Thread(target=sweep)
    thread.start()
    deadline = time.monotonic() + 60
    while len(list(s.store.runs_dir.glob("*.parquet"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    from distributed import Client

    with Client(cluster.address, timeout="10s") as client:
        victim = next(iter(client.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)  # the nanny restarts it; Dask reruns its task elsewhere
    thread.join(timeout=120)
    assert done.is_set() and (outcome["result"]["status"] == "finished").all()
    assert s.store.finished() == set(s.runs.by_id) and not s.store.corrupt()
    for run_id in s.runs.by_id:  # every run trained once, with the fake's 0.3 s sleep, none overwritten
        assert s.store.read_metadata(run_id)["wall_s"] >= 0.3
    assert not list(s.store.runs_dir.glob("*.claim"))


def test_workers_without_the_training_environment_are_refused_on_the_client(tmp_path, tiny, monkeypatch):
    bare = Cluster(tmp_path, preload=False, workers=1)
    try:
        monkeypatch.setattr(executors, "WORKER_WAIT_S", 3.0)
        s = Study(tiny, tmp_path / "results")
        with pytest.raises(AtlasError, match="no worker joined the Dask scheduler"):
            s.run(executor="dask", address=bare.address, progress=False)
        bare.start_workers()
        monkeypatch.setattr(executors, "WORKER_WAIT_S", 60.0)
        with pytest.raises(AtlasError, match=f"lack the training environment .*--preload-nanny {PRELOAD}"):
            s.run(executor="dask", address=bare.address, progress=False)
        assert not s.store.finished()
    finally:
        bare.stop()


@pytest.mark.parametrize("address, message", [
    ("tcp://127.0.0.1", "needs a host and a port"),
    ("carrier-pigeon://host:1", "unknown scheme 'carrier-pigeon'"),
    ("tcp://127.0.0.1:{closed}", "cannot reach the Dask scheduler at tcp://127.0.0.1:"),
])
def test_a_wrong_address_is_one_clear_error(tmp_path, tiny, address, message):
    s = Study(tiny, tmp_path)
    with pytest.raises(AtlasError, match=message):
        s.run(executor="dask", address=address.format(closed=free_port()), progress=False)


def test_local_workers_that_cannot_start_are_one_line_with_their_log(tmp_path, tiny, monkeypatch):
    monkeypatch.setattr(executors, "WORKER_WAIT_S", 20.0)
    monkeypatch.setattr(executors, "PRELOAD", "atlas_core.no_such_preload")
    with pytest.raises(AtlasError, match="no worker joined .* the local cluster within 20 s: the workers' log ends: "):
        Study(tiny, tmp_path).run(workers=1, progress=False)
