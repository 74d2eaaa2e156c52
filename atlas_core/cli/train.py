"""``atlas train``: train one configuration and print its evaluation rows as CSV.

Every ``TrainConfig`` field is an option (``--batch-size``, ``--lr``, ...); ``--config FILE`` (YAML or JSON)
gives a whole configuration that options override. Mixtures: ``--mixture es`` (monolingual),
``--mixture es=0.5,null=0.5`` (weights), ``--mixture es,pt,fr`` (uniform), ``--mixture unimax:en,es,pt``
(Unimax over the listed languages' training tokens, with ``--unimax-max-epochs`` and ``--unimax-pin en=0.05``).
Counts take suffixes: ``--tokens 1.5M``, ``--unique-tokens es=200k``.

Example: ``atlas train --scale 100k --mixture es=0.5,pt=0.5 --tokens 3M --workdir runs/es_pt --out rows.csv``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path

import yaml

from atlas_core.errors import AtlasError
from atlas_core.train import runtime
from atlas_core.train.config import TrainConfig  # no torch: it loads after set_threads

_SUFFIXES = {"k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9}


def parse_count(text: str) -> int:
    """'1.5M' -> 1500000, '200k' -> 200000, '3e6' -> 3000000."""
    t = str(text).strip().lower().replace("_", "")
    scale = _SUFFIXES.get(t[-1:], 1.0)
    try:
        value = float(t[:-1] if t[-1:] in _SUFFIXES else t) * scale
    except ValueError:
        raise AtlasError(f"not a count: {text!r} (examples: 3000000, 3e6, 3M, 200k)") from None
    if value != int(value):
        raise AtlasError(f"not a whole count: {text!r}")
    return int(value)


def parse_weights(text: str, value=float) -> dict:
    """'es=0.5,pt=0.5' -> {'es': 0.5, 'pt': 0.5}."""
    out = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = item.partition("=")
        if not sep:
            raise AtlasError(f"expected name=value in {text!r}, got {item!r}")
        try:
            out[name.strip()] = value(number)
        except ValueError:
            raise AtlasError(f"bad value {number!r} for {name!r} in {text!r}") from None
    return out


def parse_list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _base_type(name: str) -> type:
    """The type of a TrainConfig field, ``X`` for ``X | None``."""
    hint = typing.get_type_hints(TrainConfig)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if isinstance(hint, types.UnionType) and len(args) == 1 else hint


_INT_FIELDS = {f.name for f in dataclasses.fields(TrainConfig) if _base_type(f.name) is int}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML or JSON file of TrainConfig fields (options override)")
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.name == "mixture":
            parser.add_argument(flag, help="es | es=0.5,pt=0.5 | es,pt,fr (uniform) | unimax:en,es,pt")
        elif field.name == "unique_tokens":
            parser.add_argument(flag, help="unique-token caps, e.g. es=200k")
        elif field.name == "eval_langs":
            parser.add_argument(flag, help="comma-separated held-out languages (default: the mixture's)")
        else:  # counts are parsed later, so that a bad one is an AtlasError like any other bad input
            parser.add_argument(flag, type=float if _base_type(field.name) is float else str,
                                help="required" if field.default is dataclasses.MISSING
                                else f"default: {field.default}")
    parser.add_argument("--unimax-max-epochs", type=float, default=4.0, help="Unimax epoch cap (default 4)")
    parser.add_argument("--unimax-pin", default="", help="Unimax pinned shares, e.g. en=0.05")
    parser.add_argument("--run-id", help="identifier in the rows (default: train-<config hash>)")
    parser.add_argument("--workdir", type=Path, help="checkpoint / resume / model.pt folder")
    parser.add_argument("--out", type=Path, help="write the rows to this CSV (default: stdout)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--estimate", action="store_true", help="print the run's plan and estimated time, no training")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-restart", action="store_true",
                        help="do not restart in the fast training environment (atlas_core.train.runtime)")


def _read_config_file(path: Path) -> dict:
    if not path.is_file():
        raise AtlasError(f"--config: no file {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        reason = str(err).splitlines()[0] if isinstance(err, yaml.YAMLError) else "not text"
        raise AtlasError(f"--config {path}: not valid YAML or JSON ({reason})") from None
    if not isinstance(data, dict):
        raise AtlasError(f"--config {path}: expected a mapping of TrainConfig fields")
    return data


def parse_mixture(text: str, unimax: Callable[[list[str]], dict[str, float]]) -> dict[str, float]:
    """The mixture grammar: ``es`` | ``es=0.5,pt=0.5`` (a source named twice adds up) | ``es,pt,fr`` (uniform) |
    ``unimax:en,es,pt`` (``unimax(languages)``)."""
    if text.startswith("unimax:"):
        return unimax(parse_list(text[len("unimax:"):]))
    if "=" in text:
        out: dict[str, float] = {}
        for item in filter(None, (p.strip() for p in text.split(","))):
            out |= {name: out.get(name, 0.0) + weight for name, weight in parse_weights(item).items()}
        return out
    names = parse_list(text)
    return {name: names.count(name) / len(names) for name in names}


def _unimax_mixture(languages: list[str], settings: dict, args: argparse.Namespace) -> dict[str, float]:
    from atlas_core.experiments.catalog import DataCatalog, unimax_mixture

    return unimax_mixture(DataCatalog().train_tokens, languages, settings["tokens"],
                          tokenizer=settings.get("tokenizer", "byte"), caps=settings.get("unique_tokens"),
                          max_epochs=args.unimax_max_epochs, pinned=parse_weights(args.unimax_pin))


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """A TrainConfig from ``--config`` and the options given on the command line."""
    settings = _read_config_file(args.config) if args.config else {}
    for field in dataclasses.fields(TrainConfig):
        value = getattr(args, field.name)
        if value is None:
            continue
        if field.name == "unique_tokens":
            value = parse_weights(value, str)
        elif field.name == "eval_langs":
            value = parse_list(value)
        settings[field.name] = value
    for required in ("scale", "mixture", "tokens"):
        if required not in settings:
            raise AtlasError(f"--{required} is required (or give it in --config)")
    for name, value in settings.items():
        if name in _INT_FIELDS:
            settings[name] = parse_count(value)
    settings["unique_tokens"] = {k: parse_count(v) for k, v in settings.get("unique_tokens", {}).items()}
    if isinstance(settings["mixture"], str):
        settings["mixture"] = parse_mixture(settings["mixture"], lambda langs: _unimax_mixture(langs, settings, args))
    return TrainConfig.from_dict(settings)


def set_threads(n: int) -> None:
    """Torch's thread count for this process (the environment is the restart's: this process's is never changed)."""
    import torch

    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started in this process
        pass


def restart_in_training_environment(threads: int) -> None:
    """Re-run this ``atlas train`` command in ``runtime.environment`` (threads, malloc, MKL shim) unless it runs
    there already. Only a process started as ``atlas train`` restarts (not a caller of ``main`` inside Python),
    and only once."""
    if sys.argv[1:2] != ["train"] or os.environ.get("ATLAS_TRAIN_RESTARTED"):
        return
    env = runtime.environment(os.environ, threads)
    if env != dict(os.environ):
        os.execve(sys.executable, [sys.executable, "-m", "atlas_core.cli", *sys.argv[1:]],
                  env | {"ATLAS_TRAIN_RESTARTED": "1"})


def check_outputs(args: argparse.Namespace) -> None:
    """``AtlasError`` before any work when ``--out`` or ``--workdir`` cannot be written where they point."""
    if args.out is not None and args.out.is_dir():
        raise AtlasError(f"--out {args.out} is a folder; give a file name such as {args.out / 'rows.csv'}")
    if args.workdir is not None and args.workdir.exists() and not args.workdir.is_dir():
        raise AtlasError(f"--workdir {args.workdir} is a file, not a folder")


def run(args: argparse.Namespace) -> int:
    if args.threads < 1:
        raise AtlasError(f"--threads must be >= 1, got {args.threads}")
    if not args.no_restart:
        restart_in_training_environment(args.threads)
    set_threads(args.threads)
    from atlas_core.train import estimate_seconds, train

    cfg = config_from_args(args)
    check_outputs(args)
    run_id = args.run_id or f"train-{cfg.config_hash()}"
    if args.estimate:
        steps = cfg.tokens // (cfg.batch_size * cfg.seq_len)
        print(json.dumps({"run_id": run_id, "steps": steps, "estimated_seconds": round(estimate_seconds(cfg), 1),
                          "config": cfg.to_dict()}, indent=1))
        return 0
    rows = train(cfg, run_id, workdir=args.workdir, progress=not args.no_progress)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        rows.to_csv(args.out, index=False)
    else:
        rows.to_csv(sys.stdout, index=False)
    for row in rows[rows["is_final"]].itertuples():
        print(f"{run_id}: {row.eval_lang} loss {row.loss:.4f} nats/token, {row.bpb:.4f} bits/byte after "
              f"{row.tokens} tokens ({row.wall_s:.1f} s training)", file=sys.stderr)
    return 0
