"""Training throughput of every CPU ladder scale: atlas's trainer against a plain nanoGPT-style loop.

For each scale (byte vocabulary, batch 16 x 128, one thread) it reports training tokens/s of
  * ``atlas``: ``atlas_core.train.trainer.Run.train_step`` (sampler, schedule, AdamW, clipping: the real loop),
  * ``plain``: a self-contained nanoGPT-style model and loop of the same shape (random windows, fused AdamW),
the achieved FLOP/s (``GPTConfig.flops_per_token`` x tokens/s) against the machine's fp32 matmul rate measured
here, and the held-out evaluation rate (forward only). Every figure comes from a fresh worker process, in each
process environment of ``mode_environments`` (torch defaults; + malloc settings; + MKL's AVX-512 kernels on AMD).
``--parallel`` also compares two single-thread processes side by side with one two-thread process. Each figure
is the best of ``--repeats`` windows of ``--seconds``, per wall second and per CPU second of the process (the
machine may be shared: compare the two).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_train.py [--scales 25k,100k] [--parallel]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from atlas_core.model import LADDER  # noqa: E402
from atlas_core.train import RunData, TrainConfig  # noqa: E402
from atlas_core.train import runtime  # noqa: E402
from atlas_core.train.evaluate import evaluate  # noqa: E402
from atlas_core.train.trainer import Run  # noqa: E402

BATCH, CONTEXT, VOCAB = 16, 128, 256
CPU_SCALES = [name for name, s in LADDER.items() if not s.gpu_only]


def timed_windows(steps: dict, tokens_per_call: int, seconds: float, repeats: int) -> dict:
    """Best tokens/s of each step function over ``repeats`` windows of at least ``seconds`` (and 2 calls), by
    wall and by CPU time; the functions take turns window by window, so a load change hits them alike."""
    for step in steps.values():
        step()
        step()  # warm up allocator and kernels
    wall, cpu = {k: [] for k in steps}, {k: [] for k in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            calls, t0, c0 = 0, time.perf_counter(), time.process_time()
            while calls < 2 or time.perf_counter() - t0 < seconds:
                step()
                calls += 1
            wall[name].append(calls * tokens_per_call / (time.perf_counter() - t0))
            cpu[name].append(calls * tokens_per_call / (time.process_time() - c0))
    return {k: {"wall": max(wall[k]), "cpu": max(cpu[k])} for k in steps}


def matmul_rate(seconds: float, repeats: int, n: int = 1024) -> dict:
    """fp32 GFLOP/s of an n x n x n matmul in this process."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    rate = timed_windows({"mm": lambda: a @ b}, 2 * n ** 3, seconds, repeats)["mm"]
    return {k: v / 1e9 for k, v in rate.items()}


# ---- the plain nanoGPT-style reference -----------------------------------------------------------------------

class PlainBlock(nn.Module):
    def __init__(self, d: int, h: int):
        super().__init__()
        self.h = h
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class PlainGPT(nn.Module):
    def __init__(self, d: int, n_layer: int, h: int):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, d), nn.Embedding(CONTEXT, d)
        self.blocks = nn.ModuleList(PlainBlock(d, h) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def plain_step(scale: str, data: np.ndarray):
    s = LADDER[scale]
    torch.manual_seed(0)
    model = PlainGPT(s.d_model, s.n_layer, s.n_head)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1, fused=True)

    def step():
        ix = torch.randint(len(data) - CONTEXT - 1, (BATCH,))
        x = torch.stack([torch.from_numpy(data[i:i + CONTEXT].astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy(data[i + 1:i + 1 + CONTEXT].astype(np.int64)) for i in ix])
        loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


# ---- atlas ---------------------------------------------------------------------------------------------------

def atlas_run(scale: str, data: np.ndarray) -> Run:
    corpus = RunData(train={"rand": data}, test={"rand": data[: 1 << 20]}, vocab_size=VOCAB)
    cfg = TrainConfig(scale=scale, mixture={"rand": 1.0}, tokens=10 ** 12, batch_size=BATCH, seq_len=CONTEXT,
                      eval_tokens=64 * CONTEXT, final_eval_tokens=64 * CONTEXT, device="cpu")
    return Run(cfg, "bench", corpus, None)


def bench_scale(scale: str, seconds: float, repeats: int, plain: bool = True) -> dict:
    """Training tokens/s of atlas (and of the plain loop), and atlas's evaluation tokens/s, at one scale."""
    data = np.random.default_rng(0).integers(0, VOCAB, 8 << 20, dtype=np.uint8)
    run = atlas_run(scale, data)
    steps = {"atlas": run.train_step} | ({"plain": plain_step(scale, data)} if plain else {})
    out = timed_windows(steps, BATCH * CONTEXT, seconds, repeats)
    es = run.eval_sets["rand"][0]
    out |= timed_windows({"eval": lambda: evaluate(run.model, es, run.device, None)}, es.n_tokens, seconds / 2,
                         repeats)
    return out


def mode_environments() -> dict[str, dict]:
    """The process environments compared: torch's defaults (one thread), + atlas's malloc settings, + the MKL
    shim where it helps (``atlas_core.train.runtime.environment``, what ``atlas train`` runs in)."""
    default = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and k not in runtime.MALLOC_SETTINGS}
    modes = {"default": default, "malloc": default | runtime.MALLOC_SETTINGS}
    if runtime.shim_library() is not None:
        modes["malloc+mkl"] = runtime.environment(default)
    return modes


def workers(env: dict, task: str, args, threads: int = 1, copies: int = 1) -> list[dict]:
    """Run ``copies`` concurrent worker processes of ``task`` with ``threads`` threads each; their results."""
    env = dict(env, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    cmd = [sys.executable, __file__, "--worker", task, "--threads", str(threads), "--seconds", str(args.seconds),
           "--repeats", str(args.repeats)] + (["--no-plain"] if copies > 1 or threads > 1 else [])
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    outs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit(f"benchmark worker {task} failed")
    return [json.loads(out) for out in outs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(CPU_SCALES))
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timing window")
    parser.add_argument("--repeats", type=int, default=3, help="timing windows per figure (best is kept)")
    parser.add_argument("--parallel", action="store_true", help="also 2 x 1-thread processes vs 1 x 2 threads")
    parser.add_argument("--json", help="write the results here as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--no-plain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        torch.set_num_threads(args.threads)
        if args.worker == "matmul":
            print(json.dumps(matmul_rate(args.seconds, args.repeats) | {"mkl_shim": runtime.shim_active()}))
        else:
            print(json.dumps(bench_scale(args.worker, args.seconds, args.repeats, plain=not args.no_plain)))
        return

    modes = mode_environments()
    results = {"torch": torch.__version__, "matmul_gflops": {}, "scales": {}}
    for mode, env in modes.items():
        peak = results["matmul_gflops"][mode] = workers(env, "matmul", args)[0]
        print(f"fp32 matmul 1024^3, 1 thread, {mode}: {peak['wall']:.1f} GFLOP/s wall, "
              f"{peak['cpu']:.1f} per CPU-s")
    header = ("| scale | N | MFLOP/tok | environment | atlas tok/s (wall / CPU-s) | plain tok/s (wall / CPU-s) | "
              "atlas/plain | GFLOP/s (CPU-s) | of matmul | eval tok/s (CPU-s) |")
    print("\n" + header + "\n|" + "---|" * (header.count("|") - 1))
    for scale in args.scales.split(","):
        cfg = LADDER[scale].config()
        results["scales"][scale] = {"N": cfg.n_params_non_embedding, "flops_per_token": cfg.flops_per_token}
        for mode, env in modes.items():
            measured = workers(env, scale, args)[0]
            atlas, plain = measured["atlas"], measured["plain"]
            gflops = atlas["cpu"] * cfg.flops_per_token / 1e9
            results["scales"][scale][mode] = measured | {"gflops_cpu": gflops}
            print(f"| {scale} | {cfg.n_params_non_embedding:,} | {cfg.flops_per_token / 1e6:.2f} | {mode} | "
                  f"{atlas['wall']:,.0f} / {atlas['cpu']:,.0f} | {plain['wall']:,.0f} / {plain['cpu']:,.0f} | "
                  f"{atlas['cpu'] / plain['cpu']:.2f} | {gflops:.1f} | "
                  f"{gflops / results['matmul_gflops'][mode]['cpu']:.0%} | {measured['eval']['cpu']:,.0f} |",
                  flush=True)
    if args.parallel:
        mode = list(modes)[-1]
        print(f"\nBoth cores, environment {mode}, total training tokens/s (wall)\n\n"
              "| scale | 1 proc x 1 thr | 1 proc x 2 thr | 2 procs x 1 thr (sum) |\n|---|---|---|---|")
        for scale in args.scales.split(","):
            one, = workers(modes[mode], scale, args)
            two_threads, = workers(modes[mode], scale, args, threads=2)
            two_procs = workers(modes[mode], scale, args, copies=2)
            figures = {"1x1": one["atlas"]["wall"], "1x2": two_threads["atlas"]["wall"],
                       "2x1": sum(w["atlas"]["wall"] for w in two_procs)}
            results["scales"][scale]["parallel"] = figures
            print(f"| {scale} | {figures['1x1']:,.0f} | {figures['1x2']:,.0f} | {figures['2x1']:,.0f} |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
