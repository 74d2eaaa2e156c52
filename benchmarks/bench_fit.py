"""Speed of the scaling-law fitter against a plain scipy loop, on Epoch AI's Chinchilla data and a full ATLAS law.

Cases (each timed by wall clock and by CPU time of this process, since the machine may be shared):

* ``epoch-grid``: Hoffmann's 4500-start grid on Epoch's 240 runs with ``fit_law`` (batched L-BFGS, pruning,
  scipy polish), checked against Epoch's published grid optimum;
* ``scipy-fd``: the plain recipe Epoch ran ("replicate exactly"): scipy L-BFGS-B with finite-difference gradients
  from each grid start, on a seeded subsample of ``--baseline-starts`` starts, extrapolated to 4500;
* ``scipy-exact``: the same loop with our exact gradients (subsample, extrapolated);
* ``atlas-500``: the full ATLAS law (3 transfer languages + other, 10 parameters) on 500 noisy synthetic runs with
  ``--atlas-starts`` starts drawn from its grid;
* ``bootstrap``: 200 resamples of the Epoch fit and 100 of the ATLAS fit;
* ``large-<n>``: Chinchilla's 4500-start grid on ``--large-rows`` noisy synthetic runs (10,000 and 200,000), each
  in a fresh child process so that its peak resident memory (``ru_maxrss``) is its own.

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_fit.py [--baseline-starts 40] [--json out.json]
    python benchmarks/bench_fit.py --large-only   # just the large tables
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

from atlas_core import published  # noqa: E402
from atlas_core.fit import bootstrap_fit, fit_law  # noqa: E402
from atlas_core.fit.objectives import HuberObjective  # noqa: E402
from atlas_core.fit.params import FreeParams  # noqa: E402
from atlas_core.fit.synthetic import EXAMPLE_ATLAS, EXAMPLE_PARAMS, synthetic_runs  # noqa: E402
from atlas_core.laws import Chinchilla  # noqa: E402

EPOCH_CSV = Path(__file__).resolve().parents[1] / "tests" / "data" / "epoch_chinchilla" / "svg_extracted_data.csv"


def timed(fn):
    """(result, wall seconds, CPU seconds of this process)."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - t0, time.process_time() - c0


def scipy_loop(objective: HuberObjective, starts: np.ndarray, exact: bool) -> np.ndarray:
    """Plain per-start scipy L-BFGS-B (finite differences unless ``exact``); best point among successes."""
    def value(x):
        return float(objective.value(x[None, :])[0])

    def value_and_grad(x):
        f, g = objective.value_and_grad(x[None, :])
        return float(f[0]), g[0]

    best, best_f = None, np.inf
    for x0 in starts:
        result = (minimize(value_and_grad, x0, jac=True, method="L-BFGS-B") if exact
                  else minimize(value, x0, method="L-BFGS-B"))
        if result.success and result.fun < best_f:
            best, best_f = result.x, result.fun
    return best


def relative_errors(params: dict, reference: dict) -> dict:
    return {k: abs(params[k] / reference[k] - 1) for k in reference}


def large_table(n_rows: int) -> dict:
    """Fit Chinchilla's full grid to ``n_rows`` synthetic runs in this process; time, peak RSS and the error."""
    law = Chinchilla()
    runs = synthetic_runs(law, EXAMPLE_PARAMS["chinchilla"], n_rows, noise=0.02, seed=0)
    fit, wall, cpu = timed(lambda: fit_law(law, runs))
    return {"rows": n_rows, "wall_s": wall, "cpu_s": cpu, "status": fit.status, "n_agree": fit.n_agree,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "max_rel_err_vs_truth": max(relative_errors(fit.params, EXAMPLE_PARAMS["chinchilla"]).values())}


def large_tables(sizes: list[int]) -> dict:
    """``large_table`` of each size in a child process of its own."""
    report = {}
    for n in sizes:
        done = subprocess.run([sys.executable, __file__, "--one-large-table", str(n)], capture_output=True,
                              text=True, check=True)
        report[f"large-{n}"] = json.loads(done.stdout)
    return report


def print_large(report: dict) -> None:
    for name, r in report.items():
        print(f"{name:<26}{r['wall_s']:>10.2f}{r['cpu_s']:>10.2f}  {r['status']}, peak RSS {r['peak_rss_mb']:.0f} MB, "
              f"{r['n_agree']}/5 polished agree, max rel. err vs truth {r['max_rel_err_vs_truth']:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-starts", type=int, default=40, help="grid starts the scipy loops run (of 4500)")
    parser.add_argument("--atlas-starts", type=int, default=1000)
    parser.add_argument("--large-rows", type=int, nargs="+", default=[10_000, 200_000])
    parser.add_argument("--large-only", action="store_true", help="only the large-table cases")
    parser.add_argument("--one-large-table", type=int, help=argparse.SUPPRESS)  # the child process of a large case
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    if args.one_large_table:
        print(json.dumps(large_table(args.one_large_table), default=float))
        return
    if args.large_only:
        report = large_tables(args.large_rows)
        print_large(report)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2, default=float))
        return
    runs = published.epoch_chinchilla_runs(EPOCH_CSV)
    law = Chinchilla()
    report: dict = {}

    fit, wall, cpu = timed(lambda: fit_law(law, runs))
    report["epoch-grid"] = {"wall_s": wall, "cpu_s": cpu, "starts": fit.n_starts, "status": fit.status,
                            "objective": fit.objective, "params": fit.params,
                            "rel_err_vs_epoch": relative_errors(fit.params, published.EPOCH["grid"])}

    free = FreeParams(law)
    objective = HuberObjective(free, law.prepare(runs, with_loss=True))
    grid = free.grid()
    sample = grid[np.random.default_rng(0).choice(len(grid), size=args.baseline_starts, replace=False)]
    for name, exact in (("scipy-fd", False), ("scipy-exact", True)):
        best, wall_s, cpu_s = timed(lambda: scipy_loop(objective, sample, exact))
        scale = len(grid) / len(sample)
        report[name] = {"starts_run": len(sample), "wall_s": wall_s, "cpu_s": cpu_s,
                        "extrapolated_wall_s": wall_s * scale, "extrapolated_cpu_s": cpu_s * scale,
                        "best_objective_in_sample": float(objective.value(best[None, :])[0])}
    report["speedup_vs_scipy_fd_cpu"] = report["scipy-fd"]["extrapolated_cpu_s"] / report["epoch-grid"]["cpu_s"]
    report["speedup_vs_scipy_exact_cpu"] = (report["scipy-exact"]["extrapolated_cpu_s"]
                                            / report["epoch-grid"]["cpu_s"])

    atlas_runs = synthetic_runs(EXAMPLE_ATLAS, EXAMPLE_PARAMS["atlas"], 500, noise=0.02, seed=0)
    atlas_fit, wall, cpu = timed(lambda: fit_law(EXAMPLE_ATLAS, atlas_runs, starts=args.atlas_starts))
    report["atlas-500"] = {"wall_s": wall, "cpu_s": cpu, "starts": atlas_fit.n_starts, "status": atlas_fit.status,
                           "n_agree": atlas_fit.n_agree,
                           "max_rel_err_vs_truth": max(relative_errors(atlas_fit.params,
                                                                       EXAMPLE_PARAMS["atlas"]).values())}

    _, wall, cpu = timed(lambda: bootstrap_fit(law, runs, n=200, seed=0, fit=fit))
    report["bootstrap-epoch-200"] = {"wall_s": wall, "cpu_s": cpu}
    _, wall, cpu = timed(lambda: bootstrap_fit(EXAMPLE_ATLAS, atlas_runs, n=100, seed=0, fit=atlas_fit))
    report["bootstrap-atlas-500x100"] = {"wall_s": wall, "cpu_s": cpu}
    large = large_tables(args.large_rows)
    report |= large

    print(f"{'case':<26}{'wall s':>10}{'cpu s':>10}  notes")
    g = report["epoch-grid"]
    print(f"{'epoch-grid (4500 starts)':<26}{g['wall_s']:>10.2f}{g['cpu_s']:>10.2f}  {g['status']}, max rel. err vs "
          f"Epoch grid {max(g['rel_err_vs_epoch'].values()):.1e}")
    for name in ("scipy-fd", "scipy-exact"):
        r = report[name]
        print(f"{name + ' (x4500, extrap.)':<26}{r['extrapolated_wall_s']:>10.1f}{r['extrapolated_cpu_s']:>10.1f}  "
              f"ran {r['starts_run']} starts in {r['wall_s']:.1f} s wall; best objective "
              f"{r['best_objective_in_sample']:.10g} (ours {g['objective']:.10g})")
    a = report["atlas-500"]
    print(f"{'atlas-500 (' + str(a['starts']) + ' starts)':<26}{a['wall_s']:>10.2f}{a['cpu_s']:>10.2f}  "
          f"{a['status']}, {a['n_agree']}/5 polished agree, max rel. err vs truth {a['max_rel_err_vs_truth']:.1e}")
    for name in ("bootstrap-epoch-200", "bootstrap-atlas-500x100"):
        print(f"{name:<26}{report[name]['wall_s']:>10.2f}{report[name]['cpu_s']:>10.2f}")
    print_large(large)
    print(f"speed-up (CPU time) vs plain scipy L-BFGS-B + finite differences: {report['speedup_vs_scipy_fd_cpu']:.0f}x;"
          f" vs scipy + exact gradients: {report['speedup_vs_scipy_exact_cpu']:.0f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
