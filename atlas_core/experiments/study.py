"""A study: a profile's plan, its results store, and the tables the analyses and notebooks read.

    from atlas_core.experiments import Study
    study = Study("quick")
    study.plan()                      # planned runs, their cost and whether they are done
    study.run()                       # trains what is missing (2 local workers), progress bar + ETA
    study.rows(kind="bilingual")      # evaluation rows joined with run metadata and uses

The analyses read these tables (``atlas_core.analysis.observations.observations(study.rows(), "es")``); the
runner never imports them.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from pathlib import Path
from types import ModuleType

import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.experiments.catalog import Catalog, DataCatalog
from atlas_core.experiments.executors import execute, make_cluster
from atlas_core.experiments.kinds import KINDS
from atlas_core.experiments.plan import Plan, build_plan, estimate, simulate_wall
from atlas_core.experiments.profile import Profile, load_profile
from atlas_core.experiments.release import write_manifest
from atlas_core.experiments.runs import PlannedRun, language_count, mixture_label
from atlas_core.experiments.store import REPO_ROOT, ResultsStore



def code_version() -> dict:
    """The atlas version and, in a git checkout, the commit (suffixed ``-dirty`` with uncommitted changes)."""
    from atlas_core import __version__

    git = None
    try:
        head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode == 0:
            dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=10).stdout.strip()
            git = head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return {"atlas_core": __version__, "git": git}


def default_trainer() -> ModuleType:
    """The real trainer, ``atlas_core.train`` (imported on demand: torch loads only when a run trains)."""
    import atlas_core.train

    return atlas_core.train


def _hours(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.2f} h"


class Study:
    """A profile's study. ``root``: results root (default ``$ATLAS_RESULTS`` or ``<repo>/results``).

    ``trainer``: an object (a module) whose ``train(cfg, run_id, *, workdir, progress)`` trains a run and whose
    ``estimate_seconds(cfg)`` plans it (default ``atlas_core.train``); workers import it by its module name. ``catalog``: where languages come from
    (default: the prepared corpora). ``gpu``: apply the profile's ``on_gpu`` section (default: if CUDA is there).
    """

    def __init__(self, profile: str | Path | Profile, root: str | Path | None = None, *,
                 trainer: ModuleType | None = None, catalog: Catalog | None = None, gpu: bool | None = None):
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile, gpu=gpu)
        self.store = ResultsStore.for_profile(self.profile.name, root)
        self.store.check_version()
        self.trainer = trainer or default_trainer()
        self.catalog = catalog or DataCatalog()
        self._plan: Plan | None = None
        self._rows_cache: tuple[tuple[str, ...], pd.DataFrame] | None = None
        self._code_version: dict | None = None

    def __repr__(self) -> str:
        return f"Study({self.profile.name!r}, store={str(self.store.path)!r})"

    @property
    def runs(self) -> Plan:
        """The expanded plan (distinct runs with their uses), built on first use."""
        if self._plan is None:
            self._plan = build_plan(self.profile, self.catalog)
        return self._plan

    def _estimate(self, runs: list[PlannedRun]) -> None:
        todo = [r for r in runs if r.est_seconds != r.est_seconds]  # NaN: not estimated yet
        if todo:
            estimate(todo, self.trainer.estimate_seconds)

    # ---- planning -------------------------------------------------------------------------------------------
    def plan(self) -> pd.DataFrame:
        """Planned runs: run_id, kinds, experiments, scale, mixture, tokens, seed, est_seconds, done, ..."""
        self._estimate(self.runs.runs)
        return self.runs.table(self.store.finished())

    def missing(self) -> pd.DataFrame:
        """The planned runs that are not finished (without cost estimates: no trainer import)."""
        table = self.runs.table(self.store.finished())
        return table[~table["done"]].drop(columns=["done", "est_seconds"]).reset_index(drop=True)

    def status(self) -> pd.DataFrame:
        """Per kind (and ``all``): planned, done and missing runs, and stored evaluation rows."""
        done = self.store.finished()
        n_rows = {r: self.store.read_metadata(r)["n_rows"] for r in done if r in self.runs.by_id}
        out = []
        for kind in [*self.runs.kinds(), "all"]:
            ids = [r.run_id for r in self.runs.runs if kind == "all" or kind in r.kinds]
            finished = [r for r in ids if r in n_rows]
            out.append(dict(kind=kind, planned=len(ids), done=len(finished), missing=len(ids) - len(finished),
                            rows=sum(n_rows[r] for r in finished)))
        return pd.DataFrame(out)

    # ---- running --------------------------------------------------------------------------------------------
    def run(self, kinds: list[str] | None = None, workers: int = 2, executor: str = "local",
            address: str | None = None, *, max_hours: float | None = None, progress: bool = True) -> pd.DataFrame:
        """Train the planned runs (of ``kinds``, default all) that are not in the store yet.

        Prints the planned total first (core-seconds and wall clock on the workers) and refuses with
        ``AtlasError`` when it exceeds ``max_hours``. Returns the runs it attempted with their ``status``
        ("finished", "failed", "skipped": its base failed) and ``wall_s``; raises ``AtlasError`` after the
        sweep if any failed (finished runs stay stored; rerunning retries the rest). Interrupting it (Ctrl-C)
        stops the workers and keeps every finished run.

        The local executor starts a private Dask cluster of ``workers`` single-thread worker processes, exactly
        as the README starts one on a cluster; this process's environment is never changed.
        """
        selected = self.runs.select(kinds)
        self._estimate(selected)
        done = self.store.finished()
        todo = [r for r in selected if r.run_id not in done]
        cluster = make_cluster(executor, workers, address) if executor == "dask" and address else None
        slots = cluster.slots if cluster else workers
        core_s, wall_s = sum(r.est_seconds for r in todo), simulate_wall(todo, slots)
        print(f"atlas study {self.profile.name!r}: {len(selected)} runs planned, {len(selected) - len(todo)} done, "
              f"{len(todo)} to run: {core_s:,.0f} core-s, about {_hours(wall_s)} wall on {slots} worker(s) "
              f"({executor}); store {self.store.path}", flush=True)
        if max_hours is not None and wall_s > max_hours * 3600:
            if cluster:
                cluster.close()
            raise AtlasError(f"the plan needs about {_hours(wall_s)} on {slots} worker(s), more than --max-hours "
                             f"{max_hours:g}; choose a smaller profile or kinds, more workers, or a larger budget")
        if not todo:
            if cluster:
                cluster.close()
            return pd.DataFrame(columns=["run_id", "status", "wall_s"])
        started = time.time()
        cluster = cluster or make_cluster(executor, workers, address)
        try:
            outcome = execute(todo, cluster, lambda run: self._task(run, executor), progress=progress,
                              desc=self.profile.name,
                              reestimate=getattr(self.trainer, "refreshed_estimates", None),
                              on_finished=lambda _: self.write_manifest())
        finally:
            cluster.close()
        print(f"atlas study {self.profile.name!r}: {len(outcome.finished)} finished, {len(outcome.failed)} failed, "
              f"{len(outcome.skipped)} skipped in {_hours(time.time() - started)} wall", flush=True)
        status = {**{r: "finished" for r in outcome.finished}, **{r: "failed" for r in outcome.failed},
                  **{r: "skipped" for r in outcome.skipped}}
        result = pd.DataFrame([dict(run_id=r.run_id, status=status.get(r.run_id, "not run"),
                                    wall_s=outcome.finished.get(r.run_id), est_seconds=r.est_seconds) for r in todo])
        if outcome.failed:
            first = next(iter(outcome.failed.items()))
            raise AtlasError(f"{len(outcome.failed)} run(s) failed ({len(outcome.skipped)} finetunes skipped), first "
                             f"{first[0]}: {first[1]}; finished runs are stored, rerun to retry the rest")
        return result

    def write_manifest(self) -> Path:
        """Rewrite the store's ``MANIFEST.json`` (``release.write_manifest``): the sweep calls it after each run."""
        return write_manifest(self.store, self.profile, self.runs.by_id)

    def _task(self, run: PlannedRun, executor: str) -> dict:
        if self._code_version is None:
            self._code_version = code_version()
        return {"run_id": run.run_id, "config": run.config.to_dict(), "store": str(self.store.path),
                "trainer": self.trainer,
                "metadata": {"profile": self.profile.name, "uses": [dataclasses.asdict(u) for u in run.uses],
                             "mixture_kind": run.mixture_kind, "config_hash": run.config.config_hash(),
                             "code_version": self._code_version, "executor": executor,
                             "est_seconds": run.est_seconds}}

    # ---- reading --------------------------------------------------------------------------------------------
    def _run_table(self, ids: list[str]) -> pd.DataFrame:
        """Per-run metadata joined onto rows: seed, mixture, mixture_kind, K, init_from, kinds, p_<source>."""
        out = []
        for rid in ids:
            run = self.runs.by_id[rid]
            total = sum(run.config.mixture.values())
            out.append(dict(run_id=rid, seed=run.config.seed, mixture=mixture_label(run.config.mixture),
                            mixture_kind=run.mixture_kind, K=language_count(run.config.mixture),
                            init_from=run.depends_on, kinds=",".join(run.kinds), experiments=",".join(run.experiments),
                            **{f"p_{s}": w / total for s, w in run.config.mixture.items()}))
        return pd.DataFrame(out)

    def rows(self, kind: str | None = None) -> pd.DataFrame:
        """Evaluation rows of the finished planned runs, joined with run metadata.

        Without ``kind``: one row per evaluation, with ``kinds`` and ``experiments`` listing every use. With
        ``kind``: one row per (evaluation, use of that kind), adding ``experiment``, ``kind``, ``role``,
        ``target`` and ``partner`` (a bilingual es+pt run appears once as target es / partner pt and once as
        target pt / partner es: filter on ``eval_lang == target``).
        """
        if kind is not None and kind not in KINDS:
            raise AtlasError(f"unknown experiment kind {kind!r} (known: {', '.join(KINDS)})")
        ids = tuple(sorted(self.store.finished() & self.runs.by_id.keys()))
        if self._rows_cache is None or self._rows_cache[0] != ids:
            rows = self.store.read_rows(list(ids))
            if ids:
                meta = self._run_table(list(ids))
                meta = meta.drop(columns=[c for c in meta.columns if c in rows.columns and c != "run_id"])
                rows = rows.merge(meta, on="run_id", how="left")
            self._rows_cache = (ids, rows)
        rows = self._rows_cache[1].copy()
        if kind is None:
            return rows
        uses = self.runs.uses()
        return rows.merge(uses[uses["kind"] == kind], on="run_id", how="inner")
