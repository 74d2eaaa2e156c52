"""Study-runner overheads: planning, the results store, and the scheduler around an instant trainer.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 200] [--rows 100]

Measures (wall clock, best of 3 where cheap):
- planning each bundled profile (expansion, dedup, cost estimates) with the real catalog and estimator;
- the store: writing one run (metadata + rows, both atomic with fsync), listing finished runs, reading all rows
  back, and ``Study.rows()`` (read + join with run metadata);
- the runner: instant runs (the tests' fake trainer) through the local executor's 2 Dask workers, i.e. the
  per-run cost of the runner itself (scheduling, task hop, claim, store check and write) on top of training, and
  the cluster's start-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the fake trainer the runner tests use

os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_planning() -> None:
    from atlas_core.experiments import load_profile
    from atlas_core.experiments.catalog import DataCatalog
    from atlas_core.experiments.plan import build_plan, estimate, simulate_wall
    from atlas_core.train import estimate_seconds

    for name in ("smoke", "quick", "full"):
        started = time.perf_counter()
        plan = build_plan(load_profile(name, gpu=False), DataCatalog())
        estimate(plan.runs, estimate_seconds)
        elapsed = time.perf_counter() - started
        core = sum(r.est_seconds for r in plan.runs)
        print(f"plan {name:5s}: {len(plan.runs):4d} runs in {elapsed * 1e3:7.1f} ms; planned {core:10,.0f} core-s, "
              f"{simulate_wall(plan.runs, 2) / 60:7.1f} min wall on 2 workers")


def bench_store(n_runs: int, n_rows: int) -> None:
    from test_experiments_fake import train

    from atlas_core.experiments import ResultsStore
    from atlas_core.train.config import TrainConfig

    cfg = TrainConfig(scale="25k", mixture={"es": 0.5, "pt": 0.5}, tokens=10_000_000, n_evals=n_rows // 2)
    rows = train(cfg, "r")
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(Path(tmp) / "bench")
        started = time.perf_counter()
        for i in range(n_runs):
            store.write_run(f"r{i:04d}", rows.assign(run_id=f"r{i:04d}"), {"config": cfg.to_dict()})
        write = (time.perf_counter() - started) / n_runs
        ids = sorted(store.finished())
        listing = best_of(store.finished)
        read = best_of(lambda: store.read_rows(ids))
    print(f"store: write {write * 1e3:.1f} ms/run ({len(rows)} rows), list {n_runs} runs {listing * 1e3:.1f} ms, "
          f"read all {n_runs * len(rows)} rows {read * 1e3:.0f} ms ({read / n_runs * 1e3:.2f} ms/run)")


def bench_scheduler(n_runs: int) -> None:
    import textwrap

    import test_experiments_fake
    from test_experiments_fake import FakeCatalog

    from atlas_core.experiments import Study

    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "bench.yaml"
        budgets = ", ".join(str(100_000 + 2048 * i) for i in range(n_runs // 2))
        profile.write_text(textwrap.dedent(f"""
            name: bench
            train: {{n_evals: 10}}
            experiments:
              grid: {{kind: mono, languages: [es, ru], scales: [10k], tokens: [{budgets}]}}
        """))
        study = Study(profile, tmp, trainer=test_experiments_fake, catalog=FakeCatalog())
        started = time.perf_counter()
        study.run(workers=2, progress=False)
        total = time.perf_counter() - started
        rows = best_of(lambda: Study(profile, tmp, catalog=FakeCatalog()).rows())
    n = len(study.runs.runs)
    print(f"runner: {n} instant runs on 2 local workers in {total:.2f} s (cluster start-up included): "
          f"{total / n * 1e3:.0f} ms per run; Study.rows() {rows * 1e3:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs written to the store benchmark")
    parser.add_argument("--rows", type=int, default=100, help="evaluation rows per run")
    args = parser.parse_args()
    bench_planning()
    bench_store(args.runs, args.rows)
    bench_scheduler(60)


if __name__ == "__main__":
    main()
