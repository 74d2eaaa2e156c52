"""The planner: a profile expanded into distinct runs, their uses, their order and their cost.

Equal configurations requested by several experiments are merged into one run with several uses; a finetune
depends on its base run, which the plan always lists first. Costs come from the trainer's
``estimate_seconds(cfg)`` (measured throughput); the wall clock on W workers is simulated by the same
longest-critical-path-first list scheduling the executors use.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from atlas_core.errors import AtlasError
from atlas_core.experiments.catalog import Catalog
from atlas_core.experiments.kinds import PlanContext, expand
from atlas_core.experiments.profile import Profile
from atlas_core.experiments.runs import PlannedRun, base_run_of, language_count, mixture_label, run_id_for
from atlas_core.train.config import TrainConfig


@dataclass
class Plan:
    """The distinct runs of a profile, bases before the finetunes that start from them."""

    profile: Profile
    runs: list[PlannedRun]

    def __post_init__(self):
        self.by_id = {r.run_id: r for r in self.runs}

    def kinds(self) -> list[str]:
        return sorted({k for r in self.runs for k in r.kinds})

    def select(self, kinds: Iterable[str] | None) -> list[PlannedRun]:
        """The runs used by any of ``kinds`` (all when None), plus the base runs they depend on."""
        if kinds is None:
            return list(self.runs)
        wanted = set(kinds)
        unknown = sorted(wanted - set(self.kinds()))
        if unknown:
            raise AtlasError(f"profile {self.profile.name!r} has no experiment of kind(s) {', '.join(unknown)} "
                             f"(its kinds: {', '.join(self.kinds())})")
        chosen = {r.run_id for r in self.runs if wanted & set(r.kinds)}
        chosen |= {self.by_id[r].depends_on for r in chosen if self.by_id[r].depends_on}
        return [r for r in self.runs if r.run_id in chosen]

    def table(self, done: set[str] = frozenset()) -> pd.DataFrame:
        """One row per run: run_id, kinds, experiments, scale, mixture, tokens, seed, est_seconds, done, ..."""
        return pd.DataFrame([dict(
            run_id=r.run_id, kinds=",".join(r.kinds), experiments=",".join(r.experiments), scale=r.config.scale,
            mixture=mixture_label(r.config.mixture), mixture_kind=r.mixture_kind, K=language_count(r.config.mixture),
            tokens=r.config.tokens, unique_tokens=r.config.unique_tokens or None, seed=r.config.seed,
            depends_on=r.depends_on, est_seconds=r.est_seconds, done=r.run_id in done) for r in self.runs])

    def uses(self) -> pd.DataFrame:
        """One row per (run, use): run_id, experiment, kind, role, target, partner."""
        return pd.DataFrame([dict(run_id=r.run_id, experiment=u.experiment, kind=u.kind, role=u.role,
                                  target=u.target, partner=u.partner) for r in self.runs for u in r.uses],
                            columns=["run_id", "experiment", "kind", "role", "target", "partner"])


def build_plan(profile: Profile, catalog: Catalog) -> Plan:
    """Expand every experiment of ``profile`` and merge equal configurations into one run each."""
    ctx = PlanContext(profile, catalog)
    runs: dict[str, PlannedRun] = {}
    for name, spec in profile.experiments.items():
        for request in expand(name, spec, ctx):
            run_id = run_id_for(request.config)
            run = runs.get(run_id)
            if run is None:
                runs[run_id] = PlannedRun(run_id, request.config, [request.use], request.mixture_kind,
                                          depends_on=base_run_of(request.config))
            elif request.use not in run.uses:
                run.uses.append(request.use)
    for run in runs.values():
        if run.depends_on and run.depends_on not in runs:
            raise AtlasError(f"run {run.run_id} starts from {run.depends_on}, which is not in the plan")
    return Plan(profile, list(runs.values()))


def estimate(runs: Iterable[PlannedRun], estimator: Callable[[TrainConfig], float]) -> None:
    """Fill each run's ``est_seconds`` from the trainer's estimate."""
    for run in runs:
        run.est_seconds = float(estimator(run.config))


def priorities(runs: list[PlannedRun]) -> dict[str, float]:
    """Critical-path length of each run: its cost plus the longest chain of runs that wait for it."""
    children: dict[str, list[PlannedRun]] = {}
    for r in runs:
        if r.depends_on:
            children.setdefault(r.depends_on, []).append(r)
    out: dict[str, float] = {}

    def path(run: PlannedRun) -> float:
        if run.run_id not in out:
            out[run.run_id] = run.est_seconds + max((path(c) for c in children.get(run.run_id, [])), default=0.0)
        return out[run.run_id]

    for r in runs:
        path(r)
    return out


def simulate_wall(runs: list[PlannedRun], workers: int) -> float:
    """Wall-clock seconds to run ``runs`` on ``workers`` single-thread workers (dependencies respected).

    Runs whose base is not among ``runs`` are taken as ready (their base is finished already).
    """
    if not runs:
        return 0.0
    prio = priorities(runs)
    pending = {r.run_id: r for r in runs}
    ready = [(-prio[r.run_id], r.run_id) for r in runs if r.depends_on not in pending]
    heapq.heapify(ready)
    waiting = {r.run_id for r in runs if r.depends_on in pending}
    busy: list[tuple[float, str]] = []  # (finish time, run id)
    now = 0.0
    while ready or busy:
        while ready and len(busy) < workers:
            _, rid = heapq.heappop(ready)
            heapq.heappush(busy, (now + pending[rid].est_seconds, rid))
        now, done = heapq.heappop(busy)
        for rid in [w for w in waiting if pending[w].depends_on == done]:
            waiting.discard(rid)
            heapq.heappush(ready, (-prio[rid], rid))
    return now
