"""Sweeps end to end with the fake trainer: local pool, resume after kill -9, parallel sweeps, failures, Dask."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import types
import warnings
from pathlib import Path

import pandas as pd
import pytest
import test_experiments_fake
from test_experiments_fake import FakeCatalog

from atlas_core.analysis.observations import observations
from atlas_core.cli import main
from atlas_core.errors import AtlasError
from atlas_core.experiments import Study
from atlas_core.experiments.worker import run_task

TESTS = Path(__file__).parent
FAKE = test_experiments_fake


def study(root, profile="smoke") -> Study:
    return Study(profile, root, trainer=FAKE, catalog=FakeCatalog())


def store_contents(s: Study) -> pd.DataFrame:
    ids = sorted(s.store.finished())
    return s.store.read_rows(ids).sort_values(["run_id", "step", "eval_lang"], ignore_index=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The smoke profile swept once on the local pool (shared by the tests that only read it)."""
    s = study(tmp_path_factory.mktemp("clean"))
    result = s.run(workers=2, progress=False)
    return s, result


def test_local_sweep_trains_every_run_once_in_single_thread_workers(finished, capsys):
    s, result = finished
    plan = s.plan()
    assert (result["status"] == "finished").all() and len(result) == len(plan) == plan["run_id"].nunique()
    assert plan["done"].all()
    for run_id in plan["run_id"]:
        assert json.loads((s.store.workdir(run_id) / "env.json").read_text()) == {
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        meta = s.store.read_metadata(run_id)
        assert meta["config"]["seed"] == meta["seed"] == 0 and meta["wall_s"] >= 0
        assert meta["code_version"]["atlas_core"] and meta["profile"] == "smoke" and meta["uses"]
    again = s.run(workers=2, progress=False)
    assert again.empty
    n = len(plan)
    assert f"{n} runs planned, {n} done, 0 to run" in capsys.readouterr().out


def test_rows_status_and_observations_of_a_finished_study(finished):
    s, _ = finished
    status = s.status().set_index("kind")
    assert status.loc["all", "done"] == len(s.plan()) and status.loc["all", "missing"] == 0
    assert status.loc["all", "rows"] == len(s.rows())
    bilingual = s.rows(kind="bilingual")
    assert {"experiment", "role", "target", "partner", "mixture_kind", "p_es"} <= set(bilingual.columns)
    assert set(bilingual["partner"].dropna()) == {"pt", "ru", "self", "null", "utf3"}
    obs = observations(s.rows(), "es")  # the analyses read the study's tables
    assert (obs["lang"] == "es").all() and obs["D"].gt(0).all()
    assert not obs["run_id"].str.contains("-ft-").any()  # finetunes are not from-scratch observations
    capacity = s.rows()[s.rows()["run_id"].isin(set(s.rows("capacity")["run_id"]))]
    assert set(observations(capacity, "es")["mixture_kind"]) == {"mono", "bilingual", "uniform-4"}
    with pytest.raises(AtlasError, match="unknown experiment kind 'pairs'"):
        s.rows(kind="pairs")


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import test_experiments_fake
from test_experiments_fake import FakeCatalog
from atlas_core.experiments import Study
Study("smoke", {root!r}, trainer=test_experiments_fake, catalog=FakeCatalog()).run(workers=2, progress=False)
"""


def start_sweep(tmp_path, root, seconds: float) -> subprocess.Popen:
    script = tmp_path / f"sweep_{time.monotonic_ns()}.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), root=str(root)))
    env = {**os.environ, "ATLAS_FAKE_SECONDS": str(seconds), "ATLAS_FAKE_LOG": str(tmp_path / "trained.log")}
    return subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_a_sweep_killed_mid_way_resumes_without_losing_or_duplicating_runs(tmp_path, finished):
    clean, _ = finished
    root = tmp_path / "killed"
    proc = start_sweep(tmp_path, root, seconds=0.3)
    runs_dir = root / "smoke" / "runs"
    deadline = time.monotonic() + 60
    while len(list(runs_dir.glob("*.parquet"))) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, mid-run
    proc.wait()
    s = study(root)
    survived = s.store.finished()
    assert 4 <= len(survived) < 26
    for run_id in survived:  # every file that counts as finished is complete
        assert len(pd.read_parquet(s.store.rows_path(run_id))) == s.store.read_metadata(run_id)["n_rows"]
    result = s.run(workers=2, progress=False)
    assert set(result["run_id"]) == set(s.runs.by_id) - survived
    pd.testing.assert_frame_equal(store_contents(s), store_contents(clean))


def test_two_sweeps_on_one_store_at_once_train_each_run_once(tmp_path, finished):
    clean, _ = finished
    root = tmp_path / "shared"
    procs = [start_sweep(tmp_path, root, seconds=0.05) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    s = study(root)
    assert s.store.finished() == set(s.runs.by_id)
    assert sorted(p.name for p in s.store.runs_dir.iterdir() if p.suffix == ".parquet") == sorted(
        f"{r}.parquet" for r in s.runs.by_id)
    pd.testing.assert_frame_equal(store_contents(s), store_contents(clean))
    trained = (tmp_path / "trained.log").read_text().split()
    assert sorted(trained) == sorted(s.runs.by_id)  # claimed: the other sweep waited and found it stored


def test_a_finished_run_is_never_trained_again_nor_its_record_overwritten(tmp_path, monkeypatch):
    s = study(tmp_path)
    run = s.runs.runs[0]
    task = s._task(run, "local")
    monkeypatch.setattr("atlas_core.experiments.worker.worker_environment_gaps", lambda: [])
    monkeypatch.setenv("ATLAS_FAKE_LOG", str(tmp_path / "trained.log"))
    first = run_task(task)
    record = s.store.meta_path(run.run_id).read_text()
    second = run_task(task)
    assert first["trained"] and not second["trained"] and second["wall_s"] == first["wall_s"]
    assert s.store.meta_path(run.run_id).read_text() == record
    assert (tmp_path / "trained.log").read_text().split() == [run.run_id]


def test_a_corrupt_stored_run_is_reported_and_trained_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("atlas_core.experiments.study.DataCatalog", FakeCatalog)
    s = study(tmp_path)
    s.run(["mono"], workers=2, progress=False)
    victim = sorted(s.store.finished())[0]
    path = s.store.rows_path(victim)
    path.write_bytes(path.read_bytes()[:100])
    assert victim not in s.store.finished() and victim not in set(s.rows()["run_id"])
    assert main(["results", "--profile", "smoke", "--root", str(tmp_path)]) == 0
    assert f"1 stored run(s) are corrupt and will be trained again by the next sweep: {victim}" in capsys.readouterr().out
    result = s.run(["mono"], workers=2, progress=False)
    assert list(result["run_id"]) == [victim]
    assert s.store.corrupt() == set()


def test_a_failed_run_writes_nothing_skips_its_finetunes_and_is_retried(tmp_path, monkeypatch, capsys):
    s = study(tmp_path)
    base = next(r.run_id for r in s.runs.runs if r.mixture_kind == "unimax" and r.config.scale == "25k")
    dependents = {r.run_id for r in s.runs.runs if r.depends_on == base}
    monkeypatch.setenv("ATLAS_FAKE_FAIL", base)
    with pytest.raises(AtlasError, match=f"1 run\\(s\\) failed \\(2 finetunes skipped\\), first {base}: RuntimeError"):
        s.run(workers=2, progress=False)
    assert s.store.finished() == set(s.runs.by_id) - {base} - dependents
    assert not s.store.meta_path(base).exists()
    monkeypatch.delenv("ATLAS_FAKE_FAIL")
    result = s.run(workers=2, progress=False)
    assert set(result["run_id"]) == {base} | dependents and (result["status"] == "finished").all()


def test_a_plan_over_the_time_budget_is_refused_before_anything_runs(tmp_path):
    s = study(tmp_path)
    with pytest.raises(AtlasError, match="more than --max-hours 0.001"):
        s.run(workers=2, max_hours=0.001, progress=False)
    assert not s.store.path.exists()


def test_selected_kinds_bring_their_bases(tmp_path):
    s = study(tmp_path)
    result = s.run(["finetune"], workers=2, progress=False)
    kinds = s.plan().set_index("run_id").loc[result["run_id"], "kinds"]
    assert all("finetune" in k for k in kinds) and len(result) == 10


def test_the_dask_executor_runs_the_same_sweep_on_a_local_cluster(tmp_path, finished):
    clean, _ = finished  # the workers find the fake trainer because spawned processes inherit sys.path
    s = study(tmp_path)
    result = s.run(workers=2, executor="dask", progress=False)
    assert (result["status"] == "finished").all() and len(result) == len(clean.plan())
    for run_id in result["run_id"]:
        assert json.loads((s.store.workdir(run_id) / "env.json").read_text())["OMP_NUM_THREADS"] == "1"
        assert s.store.read_metadata(run_id)["executor"] == "dask"
    pd.testing.assert_frame_equal(store_contents(s), store_contents(clean))


def test_cli_sweep_and_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("atlas_core.experiments.study.DataCatalog", FakeCatalog)
    monkeypatch.setattr("atlas_core.experiments.study.default_trainer", lambda: FAKE)
    profile = tmp_path / "mini.yaml"
    profile.write_text(textwrap.dedent("""
        name: mini
        experiments:
          scaling: {kind: mono, languages: [es, ru], scales: [10k], tokens: [100K, 200K]}
    """))
    args = ["--profile", str(profile), "--root", str(tmp_path)]
    assert main(["results", *args, "--missing"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"mono\s+4\s+0\s+4\s+0\n", out) and "10k-es-100K-s0-" in out
    assert main(["sweep", *args, "--plan"]) == 0
    assert "4 runs, 0 done; to run: 4 runs" in capsys.readouterr().out
    assert main(["sweep", *args, "--max-hours", "0.000001"]) == 2
    assert "more than --max-hours" in capsys.readouterr().err
    assert main(["sweep", *args, "--kinds", "capacity"]) == 2
    assert "no experiment of kind(s) capacity" in capsys.readouterr().err
    assert main(["sweep", *args, "--workers", "1", "--no-progress"]) == 0
    assert "1 worker(s)" in capsys.readouterr().out
    assert main(["results", *args]) == 0
    rows = len(Study(profile, tmp_path, catalog=FakeCatalog()).rows())
    assert re.search(rf"mono\s+4\s+4\s+0\s+{rows}\n", capsys.readouterr().out)
    assert main(["sweep", "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


CLI_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import test_experiments_fake
from atlas_core.cli import main
from atlas_core.experiments import study
study.default_trainer = lambda: test_experiments_fake
study.DataCatalog = test_experiments_fake.FakeCatalog
sys.exit(main(["sweep", "--profile", "smoke", "--root", {root!r}, "--no-progress"]))
"""


def test_ctrl_c_in_a_sweep_is_one_line_and_a_rerun_continues(tmp_path):
    script = tmp_path / "cli_sweep.py"
    script.write_text(CLI_SCRIPT.format(tests=str(TESTS), root=str(tmp_path)))
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "ATLAS_FAKE_SECONDS": "0.3"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    runs_dir = tmp_path / "smoke" / "runs"
    deadline = time.monotonic() + 60
    while len(list(runs_dir.glob("*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted: rerun to continue (finished runs are stored)"
    assert "Traceback" not in err
    s = study(tmp_path)
    assert 2 <= len(s.store.finished()) < len(s.runs.runs) and not s.store.corrupt()


def test_sweep_plan_as_json_and_the_end_of_a_sweep_says_what_next(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("atlas_core.experiments.study.DataCatalog", FakeCatalog)
    monkeypatch.setattr("atlas_core.experiments.study.default_trainer", lambda: FAKE)
    args = ["sweep", "--profile", "smoke", "--root", str(tmp_path), "--kinds", "mono"]
    assert main([*args, "--plan", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["to_run"] == len(plan["runs"]) == 12 and plan["core_seconds"] > 0
    assert main([*args, "--no-progress"]) == 0
    assert f"results in {tmp_path / 'smoke'}; next: `atlas results --profile smoke --root {tmp_path}`" in (
        capsys.readouterr().out)
    assert main(["results", "--profile", "smoke", "--root", str(tmp_path), "--json"]) == 0
    status = {row["kind"]: row for row in json.loads(capsys.readouterr().out)["status"]}
    assert status["mono"]["done"] == status["mono"]["planned"] == 12


def test_the_progress_bar_counts_runs_without_stray_comma_negative_eta_or_clamping(tmp_path, capsys):
    estimates = iter([0.1, 0.7, 0.2, 0.30000000000000004] * 10)  # sums that round differently in another order
    trainer = types.SimpleNamespace(train=FAKE.train, estimate_seconds=lambda cfg: next(estimates))
    s = Study("smoke", tmp_path, trainer=trainer, catalog=FakeCatalog())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm's "clamping frac to range [0, 1]" is a warning
        s.run(["mono"], workers=2, progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n")
    assert "smoke 12/12 runs: 100%" in bar
    assert ": ," not in bar and "<-" not in bar and "runs=" not in bar


def test_the_eta_re_estimates_the_pending_runs_after_each_finished_one(tmp_path, capsys):
    calls: list[int] = []

    def refreshed_estimates(cfgs):
        calls.append(len(cfgs))
        return [5.0] * len(cfgs)

    trainer = types.SimpleNamespace(train=FAKE.train, estimate_seconds=lambda cfg: 1.0,
                                    refreshed_estimates=refreshed_estimates)
    Study("smoke", tmp_path, trainer=trainer, catalog=FakeCatalog()).run(["mono"], workers=2, progress=True)
    assert len(calls) == 12 and calls[-1] == 0  # once per finished run, over the runs not yet done
    assert calls == sorted(calls, reverse=True)
    assert "smoke 12/12 runs: 100%" in capsys.readouterr().err.replace("\r", "\n")


def test_the_sweep_writes_a_manifest_that_verifies_and_names_each_damage(finished, tmp_path):
    import shutil

    from atlas_core.experiments.release import read_manifest, verify_release

    s, _ = finished
    release = tmp_path / "release"
    shutil.copytree(s.store.path, release, ignore=shutil.ignore_patterns("work"))
    manifest = read_manifest(release)
    assert manifest["profile"] == "smoke" and manifest["finished"] == manifest["planned"] == len(s.plan())
    assert not manifest["missing"] and manifest["bytes"] > 0
    assert verify_release(release) == []
    first, second = sorted(manifest["runs"])[:2]
    (release / "runs" / f"{first}.parquet").write_bytes(b"edited")
    (release / "runs" / f"{second}.json").unlink()
    (release / "runs" / "stray.json").write_text("{}")
    problems = verify_release(release)
    assert len(problems) == 3
    assert any(f"{first}.parquet: differs" in p for p in problems)
    assert any(f"{second}.json: listed in the manifest but missing" in p for p in problems)
    assert any("stray.json: not in the manifest" in p for p in problems)
    (release / "MANIFEST.json").write_text("[1, 2]")
    with pytest.raises(AtlasError, match="not a manifest of format 1"):
        verify_release(release)


def test_atlas_results_verify_checks_the_manifest(finished, capsys):
    s, _ = finished
    assert main(["results", "--profile", "smoke", "--root", str(s.store.path.parent), "--verify"]) == 0
    assert "every file matches" in capsys.readouterr().out
