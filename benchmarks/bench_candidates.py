"""The speed-ups tried on the trainer's measured hotspots, each against today's step, interleaved in one process.

One thread, training environment (``atlas_core.train.runtime.environment``), byte vocabulary, batch 16 x 128.
Each candidate and its reference take turns in windows of ``--seconds`` CPU-seconds; the figure is the median
tokens per CPU-second (the machine may be shared). ``profile_train.py`` shows where the time goes.

* ``cross-entropy``: ``F.cross_entropy`` against one autograd function whose backward turns the saved
  log-probabilities into ``softmax - onehot`` in place (no zero fill, no separate NLL backward);
* ``gelu``: exact (erf) GELU against the tanh approximation, forward + backward of the MLP's activation;
* ``compile``: the eager step against ``torch.compile`` of model + loss (optimizer eager), after the first
  compiled step; the first step's CPU and wall seconds are reported (cold, or warm from the inductor cache);
* ``eval-batch``: held-out evaluation in batches of 64 rows (today) against 256.

    python benchmarks/bench_candidates.py [--scales 25k,100k] [--seconds 0.7] [--repeats 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def compare(variants: dict, tokens: int, seconds: float, repeats: int) -> dict[str, float]:
    """Median tokens per CPU-second of each variant, windows interleaved."""
    for fn in variants.values():
        fn()
    rates: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            calls, started = 0, time.process_time()
            while calls < 2 or time.process_time() - started < seconds:
                fn()
                calls += 1
            rates[name].append(calls * tokens / (time.process_time() - started))
    return {k: statistics.median(v) for k, v in rates.items()}


def candidates(scale: str, seconds: float, repeats: int) -> dict:
    import torch
    import torch.nn.functional as F

    import atlas_core.train.evaluate as evaluate_module
    from atlas_core.model import GPT, get_scale

    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = get_scale(scale).config()
    model = GPT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    x, y = torch.randint(0, 256, (16, 128)), torch.randint(0, 256, (16, 128))
    tokens = x.numel()

    class FusedCrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, logits, targets):
            log_probs = torch.log_softmax(logits, dim=-1)
            ctx.save_for_backward(log_probs, targets)
            return log_probs.gather(-1, targets[:, None]).mean().neg()

        @staticmethod
        def backward(ctx, grad):
            log_probs, targets = ctx.saved_tensors
            out = log_probs.exp_()
            out.scatter_add_(-1, targets[:, None], out.new_full((len(targets), 1), -1.0))
            return out.mul_(grad / len(targets)), None

    def step(loss_fn):
        def run():
            loss_fn(x, y).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
        return run

    def eager_loss(a, b):
        return F.cross_entropy(model(a).flatten(0, 1), b.flatten())

    def fused_loss(a, b):
        return FusedCrossEntropy.apply(model(a).flatten(0, 1), b.flatten())

    out = {"cross-entropy": compare({"aten": step(eager_loss), "fused": step(fused_loss)}, tokens, seconds,
                                    repeats)}
    h = torch.randn(16, 128, 4 * cfg.d_model, requires_grad=True)
    out["gelu"] = compare({"erf": lambda: F.gelu(h).sum().backward(),
                           "tanh": lambda: F.gelu(h, approximate="tanh").sum().backward()}, tokens, seconds, repeats)

    windows = torch.randint(0, 256, (256, 129)).numpy()
    es = evaluate_module.EvalSet("x", windows, windows[:, 1:].size, float("nan"))

    def evaluation(rows):
        def run():
            evaluate_module.EVAL_BATCH_ROWS = rows
            evaluate_module.evaluate(model, es, torch.device("cpu"), None)
        return run

    out["eval-batch"] = compare({"64": evaluation(64), "256": evaluation(256)}, es.n_tokens, seconds, repeats)
    evaluate_module.EVAL_BATCH_ROWS = 64

    compiled = torch.compile(eager_loss)
    cpu, wall = time.process_time(), time.perf_counter()
    step(compiled)()
    first = {"first_step_cpu_s": time.process_time() - cpu, "first_step_wall_s": time.perf_counter() - wall}
    out["compile"] = compare({"eager": step(eager_loss), "compiled": step(compiled)}, tokens, seconds, repeats)
    out["compile"] |= first
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="25k,100k")
    parser.add_argument("--seconds", type=float, default=0.7)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(candidates(args.worker, args.seconds, args.repeats)))
        return
    from atlas_core.train import runtime

    env = runtime.environment(os.environ)
    print("| scale | candidate | reference tok/CPU-s | candidate tok/CPU-s | ratio | note |\n|---|---|---|---|---|---|")
    for scale in args.scales.split(","):
        done = subprocess.run([sys.executable, __file__, "--worker", scale, "--seconds", str(args.seconds),
                               "--repeats", str(args.repeats)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"worker {scale} failed: {done.stderr.strip()[-500:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        for name, figures in result.items():
            (ref, ref_rate), (cand, cand_rate) = list(figures.items())[:2]
            note = (f"first compiled step {figures['first_step_cpu_s']:.1f} CPU-s, "
                    f"{figures['first_step_wall_s']:.1f} s wall" if name == "compile" else "")
            print(f"| {scale} | {name}: {ref} -> {cand} | {ref_rate:,.0f} | {cand_rate:,.0f} | "
                  f"{cand_rate / ref_rate:.2f} | {note} |", flush=True)


if __name__ == "__main__":
    main()
