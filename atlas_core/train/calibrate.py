"""This machine's training throughput: a short calibration per machine, refined by every run that finishes.

The ladder's ``tokens_per_s`` were measured once, on one machine, in short best-of windows; plans built on them
were 1.57x optimistic on a machine of the same class. So the planner asks the machine it runs on:

* **Calibration** (once per machine, about 15 CPU-seconds): a fresh process in the training environment
  (``runtime.environment``) trains and evaluates the probe scales ``PROBES`` for a few CPU-seconds each and
  records their sustained tokens per CPU-second. Other scales take the ladder's rate times the probes' measured /
  ladder ratio, interpolated in log N; evaluation tokens cost the probes' measured eval/train ratio.
* **Refinement**: every run the trainer finishes appends what it measured (tokens and CPU seconds of its
  training steps and evaluations, and everything else it spent) to the machine's observation log; a shape that
  has been run takes its observed rates (all its runs' tokens over all their seconds), the other shapes take the
  probes' model times the median drift the observed shapes showed against it
  (``atlas_core.train.estimate.drift``), and the per-run overhead is the median observed one.

Both live under ``$ATLAS_CACHE/calibration/``, keyed by the machine: CPU model, torch version, and whether the
training environment is complete (``runtime.missing()``), so a process without the MKL shim (a test run, say)
never mixes with the workers.
Rates are per CPU-second of one single-thread process: what a plan's core-seconds count.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from atlas_core.data.cache import cache_root, read_json, write_json_atomic
from atlas_core.errors import AtlasError
from atlas_core.model import get_scale
from atlas_core.train import runtime

PROBES = ("10k", "100k", "1m")
PROBE_SECONDS = 2.0          # CPU-seconds of training per probe (evaluation gets half)
CALIBRATION_FORMAT = 1
DEFAULT_OVERHEAD_S = 1.0     # per-run cost outside steps and evaluations before any run was observed
LADDER_EVAL_COST = 0.35      # a held-out token's cost in training tokens, the ladder's reference (forward only)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def workers_complete() -> bool:
    """Whether a study worker's environment (``runtime.environment``) has every part of the fast one."""
    return runtime.shim_library() is not None or not runtime.shim_helps_here()


def machine_key(complete: bool) -> dict:
    """What makes throughput comparable: the CPU, torch, and whether the training environment is ``complete``
    (``runtime.missing()`` empty)."""
    import torch

    return {"cpu": cpu_model(), "torch": torch.__version__, "environment_complete": complete, "threads": 1}


def _stem(key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_root() / "calibration" / digest


def shape_of(scale: str, vocab_size: int, seq_len: int, batch_size: int) -> str:
    """The key of a training shape: runs of one shape run at one rate."""
    return f"{scale}/V{vocab_size}/T{seq_len}/B{batch_size}"


def parse_shape(shape: str) -> tuple[str, int, int, int]:
    """(scale, vocab size, context, batch size) of a ``shape_of`` key."""
    scale, vocab, context, batch = shape.split("/")
    return scale, int(vocab[1:]), int(context[1:]), int(batch[1:])


# ---- measuring --------------------------------------------------------------------------------------------------

def probe(scale: str, seconds: float = PROBE_SECONDS) -> dict:
    """Training and evaluation tokens per CPU-second of ``scale`` in this process (byte vocabulary, batch 16 x 128,
    the trainer's real step and evaluation of one 64-window batch), each the median of four windows."""
    import numpy as np

    from atlas_core.train.config import TrainConfig
    from atlas_core.train.run_data import RunData
    from atlas_core.train.evaluate import evaluate
    from atlas_core.train.trainer import Run

    data = np.random.default_rng(0).integers(0, 256, 1 << 22, dtype=np.uint8)
    run_data = RunData(train={"rand": data}, test={"rand": data[: 1 << 20]}, vocab_size=256)
    cfg = TrainConfig(scale=scale, mixture={"rand": 1.0}, tokens=10 ** 12, eval_tokens=8192, device="cpu")
    run = Run(cfg, "calibration", run_data, None)
    es = run.eval_sets["rand"][0]

    def rate(step, tokens: int, budget: float, windows: int = 4) -> float:
        """The median over ``windows`` windows (a burst of foreign load skews one window, not the median)."""
        step()  # warm-up: allocator, kernels
        rates = []
        for _ in range(windows):
            calls, started = 0, time.process_time()
            while calls < 1 or time.process_time() - started < budget / windows:
                step()
                calls += 1
            rates.append(calls * tokens / (time.process_time() - started))
        return statistics.median(rates)

    return {"train": rate(run.train_step, cfg.batch_size * cfg.seq_len, seconds),
            "eval": rate(lambda: evaluate(run.model, es, run.device, None), es.n_tokens, seconds / 2)}


def calibrate(seconds: float = PROBE_SECONDS) -> dict:
    """Measure the probes in a fresh process in the training environment and cache the result; returns it."""
    import torch

    env = runtime.environment(os.environ)
    command = [sys.executable, "-m", "atlas_core.train.calibrate", "--seconds", str(seconds)]
    print(f"atlas: calibrating training throughput on this machine ({', '.join(PROBES)}; once, about "
          f"{len(PROBES) * 1.5 * seconds + 5:.0f} CPU-seconds)", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as err:
        raise AtlasError("calibrating training throughput took more than 10 minutes; is the machine overloaded?") \
            from err
    if done.returncode != 0:
        raise AtlasError(f"calibrating training throughput failed: {done.stderr.strip()[-300:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if measured["torch"] != torch.__version__:
        raise AtlasError(f"calibration ran torch {measured['torch']}, this process {torch.__version__}")
    return save_calibration(measured["probes"], measured["environment_complete"])


def save_calibration(probes: dict[str, dict[str, float]], complete: bool) -> dict:
    """Cache ``probes`` (scale -> {"train", "eval"} tokens per CPU-second) as the calibration of this machine in
    a ``complete`` training environment or not; returns what was stored."""
    key = machine_key(complete)
    result = {"format": CALIBRATION_FORMAT, "key": key, "created": time.time(), "probes": probes}
    write_json_atomic(_stem(key).with_suffix(".json"), result)
    machine_rates.cache_clear()
    return result


# ---- the rates a plan uses -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    """Training and evaluation tokens per CPU-second by shape, and the per-run overhead, on one machine.

    ``Rates.ladder()`` is the ladder's constants (``Scale.tokens_per_s``, eval cost 0.35 of a training token,
    1 s overhead): the planner's reference from before calibration, kept for comparison and for tests.
    """

    probes: dict[str, dict[str, float]] = field(default_factory=dict)   # scale -> {"train", "eval"} tokens/CPU-s
    observed: dict[str, dict[str, float]] = field(default_factory=dict)  # shape -> summed tokens and seconds
    overhead_s: float = DEFAULT_OVERHEAD_S

    @classmethod
    def ladder(cls) -> "Rates":
        return cls()

    def _log_ratio(self, scale: str, kind: str) -> float:
        """log(measured / reference) at ``scale``, linear in log N between the probes (constant outside)."""
        points = sorted((math.log(get_scale(s).n_params_non_embedding),
                         math.log(r[kind] / self._reference(s, kind))) for s, r in self.probes.items())
        if not points:
            return 0.0
        x = math.log(get_scale(scale).n_params_non_embedding)
        if x <= points[0][0]:
            return points[0][1]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            if x <= x1:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        return points[-1][1]

    def _reference(self, scale: str, kind: str) -> float:
        train = get_scale(scale).tokens_per_s
        return train if kind == "train" else train / LADDER_EVAL_COST

    def byte_rate(self, scale: str, kind: str) -> float:
        """Tokens per CPU-second of ``kind`` ("train" or "eval") at the byte vocabulary, batch 16 x 128."""
        return self._reference(scale, kind) * math.exp(self._log_ratio(scale, kind))

    def observed_rate(self, shape: str, kind: str) -> float | None:
        """Tokens per CPU-second of ``kind`` that finished runs of ``shape`` achieved, None if none ran."""
        seen = self.observed.get(shape, {})
        tokens, seconds = seen.get(f"{kind}_tokens", 0.0), seen.get(f"{kind}_cpu_s", 0.0)
        return tokens / seconds if tokens > 0 and seconds > 0 else None


def _observations(path: Path) -> tuple[dict[str, dict[str, float]], list[float]]:
    """Summed tokens and CPU seconds per shape, and the per-run overheads, from an observation log."""
    by_shape: dict[str, dict[str, float]] = {}
    overheads = []
    if not path.is_file():
        return by_shape, overheads
    for line in path.read_text().splitlines():
        try:
            obs = json.loads(line)
        except ValueError:  # a line cut short by a crash: skip it
            continue
        sums = by_shape.setdefault(obs["shape"], {})
        for name in ("train_tokens", "train_cpu_s", "eval_tokens", "eval_cpu_s"):
            sums[name] = sums.get(name, 0.0) + obs[name]
        overheads.append(obs["overhead_cpu_s"])
    return by_shape, overheads


@functools.lru_cache(maxsize=1)
def machine_rates() -> Rates:
    """This machine's rates for study workers: the cached calibration (measured now if missing) and the runs
    observed so far. ``machine_rates.cache_clear()`` makes the next call read new observations."""
    stem = _stem(machine_key(workers_complete()))
    path = stem.with_suffix(".json")
    stem.parent.mkdir(parents=True, exist_ok=True)
    with open(stem.with_suffix(".lock"), "w") as lock:  # processes planning at once calibrate once, not together
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = read_json(path) if path.is_file() else None
        if stored is None or stored.get("format") != CALIBRATION_FORMAT:
            stored = calibrate()
    observed, overheads = _observations(stem.with_suffix(".runs.jsonl"))
    return Rates(probes=stored["probes"], observed=observed,
                 overhead_s=statistics.median(overheads) if overheads else DEFAULT_OVERHEAD_S)


def observe(shape: str, *, train_tokens: int, train_cpu_s: float, eval_tokens: int, eval_cpu_s: float,
            overhead_cpu_s: float) -> None:
    """Append one finished run's measurements to this process's machine log (one line: concurrent workers'
    appends do not interleave)."""
    path = _stem(machine_key(not runtime.missing())).with_suffix(".runs.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"shape": shape, "train_tokens": train_tokens, "train_cpu_s": round(train_cpu_s, 4),
                       "eval_tokens": eval_tokens, "eval_cpu_s": round(eval_cpu_s, 4),
                       "overhead_cpu_s": round(overhead_cpu_s, 4), "time": round(time.time())})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def main() -> None:
    """The calibration process: print the probes' rates as JSON (run by ``calibrate``)."""
    import argparse

    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=PROBE_SECONDS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(json.dumps({"probes": {s: probe(s, args.seconds) for s in PROBES},
                      "environment_complete": not runtime.missing(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
