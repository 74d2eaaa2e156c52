"""Run every benchmark in turn (`make bench`): fitter, trainer (and what was tried on it), plan against actual,
study runner, data pipeline.

Each script prints its own table; copy the figures into benchmarks/README.md with the date and whether the
machine was quiet. Run on a quiet machine: the trainer benchmark measures per wall second and per CPU second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["bench_fit.py", "--baseline-starts", "100"],
    ["bench_train.py", "--parallel"],
    ["bench_candidates.py"],
    ["bench_plan.py"],
    ["bench_sweep.py"],
    ["bench_data.py"],
]


def main() -> int:
    failed = []
    for script, *args in SCRIPTS:
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *args]).returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
