"""Where a training step's CPU time goes: torch.profiler over atlas's real step, one thread, fast environment.

For each scale (byte vocabulary, batch 16 x 128) it runs ``--steps`` steps of ``atlas_core.train.trainer.Run``
under ``torch.profiler`` in a fresh process started in ``atlas_core.train.runtime.environment()`` and prints
the operators with the largest self CPU time, grouped into matmul / attention / GELU / log-softmax / optimizer /
fill / other, as shares of the profiled time. ``benchmarks/bench_candidates.py`` measures what was tried
against these hotspots.

    python benchmarks/profile_train.py [--scales 25k,100k] [--steps 30]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

GROUPS = {  # operator-name fragment -> group (first match wins)
    "flash_attention": "attention", "scaled_dot_product": "attention",
    "mm": "matmul", "addmm": "matmul", "bmm": "matmul", "linear": "matmul",
    "gelu": "gelu", "log_softmax": "log-softmax", "nll_loss": "log-softmax", "cross_entropy": "log-softmax",
    "adam": "optimizer", "_foreach": "optimizer/clip", "layer_norm": "layernorm", "norm": "clip",
    "fill_": "fill", "zero_": "fill", "embedding": "embedding",
    "Torch-Compiled": "compiled region", "CompiledFunction": "compiled region",
}


def group_of(name: str) -> str:
    return next((g for frag, g in GROUPS.items() if frag.lower() in name.lower()), "other")


def profile(scale: str, steps: int) -> dict:
    import numpy as np
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from atlas_core.train import RunData, TrainConfig
    from atlas_core.train.trainer import Run

    torch.set_num_threads(1)
    data = np.random.default_rng(0).integers(0, 256, 4 << 20, dtype=np.uint8)
    corpus = RunData(train={"rand": data}, test={"rand": data[: 1 << 20]}, vocab_size=256)
    cfg = TrainConfig(scale=scale, mixture={"rand": 1.0}, tokens=10 ** 12, device="cpu")
    run = Run(cfg, "profile", corpus, None)
    for _ in range(5):
        run.train_step()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            run.train_step()
    ops = [(e.key, e.self_cpu_time_total) for e in prof.key_averages()]
    total = sum(t for _, t in ops)
    groups: dict[str, float] = {}
    for name, t in ops:
        groups[group_of(name)] = groups.get(group_of(name), 0.0) + t / total
    top = sorted(ops, key=lambda kv: -kv[1])[:12]
    return {"ms_per_step": total / steps / 1e3, "groups": groups,
            "top": [(name, t / total) for name, t in top]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="25k,100k")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(profile(args.worker, args.steps)))
        return
    from atlas_core.train import runtime

    env = runtime.environment(os.environ)
    for scale in args.scales.split(","):
        out = subprocess.run([sys.executable, __file__, "--worker", scale, "--steps", str(args.steps)], env=env,
                             capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        shares = ", ".join(f"{g} {s:.0%}" for g, s in sorted(result["groups"].items(), key=lambda kv: -kv[1]))
        print(f"\n{scale}: {result['ms_per_step']:.2f} ms of profiled CPU per step: {shares}")
        for name, share in result["top"]:
            print(f"  {share:6.1%}  {name}")


if __name__ == "__main__":
    main()
