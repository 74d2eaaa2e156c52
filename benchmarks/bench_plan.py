"""Plan against actual: a profile's planned CPU-seconds per run against the CPU-seconds the runs really take.

Each selected run of ``--profile`` (finetunes left out: they need their base) trains, one after another, in one
long-lived worker process in the training environment (``atlas_core.train.runtime.environment``), as in a
sweep's worker pool, and reports the CPU time of its ``train`` call.
Three plans are compared with it:

* ``ladder``: the ladder's constant rates (``Rates.ladder()``), the planner before calibration;
* ``calibrated``: this machine's calibration only, every run planned before any ran (a fresh sweep's plan);
* ``refined``: each run planned just before it runs, with the runs before it observed (what a re-plan or an
  ETA that learns sees).

CPU-seconds, not wall: the machine may be shared. The calibration is the one cached for this machine (measured
on first use); point ``ATLAS_CACHE`` at a fresh folder (with the prepared data linked in) to start from scratch.

    python benchmarks/bench_plan.py [--profile smoke] [--max-runs 12] [--max-est-s 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def serve() -> None:
    """The worker: for each config (a JSON line on stdin), train it and print its CPU and wall seconds."""
    import torch

    from atlas_core.train import TrainConfig, train

    torch.set_num_threads(1)
    for line in sys.stdin:
        cfg = TrainConfig.from_dict(json.loads(line))
        with tempfile.TemporaryDirectory() as tmp:
            cpu, wall = time.process_time(), time.perf_counter()
            train(cfg, "bench-plan", workdir=tmp)
            print(json.dumps({"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--max-runs", type=int, default=12, help="at most this many runs, spread over the plan")
    parser.add_argument("--max-est-s", type=float, default=30.0, help="skip runs planned longer than this")
    parser.add_argument("--json", help="write the per-run figures here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        serve()
        return

    from atlas_core.experiments.catalog import DataCatalog
    from atlas_core.experiments.plan import build_plan
    from atlas_core.experiments.profile import load_profile
    from atlas_core.train import estimate_seconds, runtime
    from atlas_core.train.calibrate import Rates, machine_rates
    from atlas_core.train.estimate import refreshed_estimates

    plan = build_plan(load_profile(args.profile), DataCatalog())
    calibrated = {r.run_id: estimate_seconds(r.config, machine_rates()) for r in plan.runs}
    candidates = [r for r in plan.runs if not r.depends_on and calibrated[r.run_id] <= args.max_est_s]
    stride = max(1, len(candidates) // args.max_runs)
    chosen = candidates[::stride][: args.max_runs]
    print(f"{args.profile}: {len(chosen)} of {len(plan.runs)} runs (planned <= {args.max_est_s:g} CPU-s, every "
          f"{stride}th)\n\n| run | ladder s | calibrated s | refined s | CPU s | wall s |\n|---|---|---|---|---|---|",
          flush=True)
    worker = subprocess.Popen([sys.executable, __file__, "--worker"], env=runtime.environment(os.environ),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    rows = []
    for run in chosen:
        refined, = refreshed_estimates([run.config])
        worker.stdin.write(json.dumps(run.config.to_dict()) + "\n")
        worker.stdin.flush()
        answer = worker.stdout.readline()
        if not answer:
            raise SystemExit(f"run {run.run_id} failed (worker exit status {worker.wait()})")
        measured = json.loads(answer)
        row = {"run_id": run.run_id, "ladder_s": estimate_seconds(run.config, Rates.ladder()),
               "calibrated_s": calibrated[run.run_id], "refined_s": refined, **measured}
        rows.append(row)
        print(f"| {run.run_id} | {row['ladder_s']:.1f} | {row['calibrated_s']:.1f} | {row['refined_s']:.1f} | "
              f"{row['cpu_s']:.1f} | {row['wall_s']:.1f} |", flush=True)
    worker.stdin.close()
    worker.wait()
    cpu = sum(r["cpu_s"] for r in rows)
    totals = {k: sum(r[k] for r in rows) for k in ("ladder_s", "calibrated_s", "refined_s")}
    print(f"\ntotal measured {cpu:.1f} CPU-s; planned / measured: "
          + ", ".join(f"{k[:-2]} {v:.1f} s ({v / cpu:.2f}x)" for k, v in totals.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
