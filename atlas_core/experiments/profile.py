"""Study profiles: named YAML files that declare every experiment of a study as data.

A profile has a ``name``, a ``description``, default ``seeds``, default training settings ``train`` (fields of
:class:`~atlas_core.train.config.TrainConfig`), and ``experiments``: a mapping from experiment name to a spec
whose ``kind`` says how it expands into runs (see :mod:`atlas_core.experiments.kinds`). An optional ``on_gpu``
section is a partial profile merged over the rest when a CUDA device is present (bigger grids on a GPU).

The bundled profiles live in ``atlas_core/experiments/profiles/{smoke,quick,full}.yaml``; any other YAML file
with the same layout can be given by path.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

from atlas_core.errors import AtlasError
from atlas_core.experiments.kinds import check_experiment
from atlas_core.experiments.spec import Profile, check_seeds
from atlas_core.train.config import TrainConfig

PROFILE_DIR = Path(__file__).parent / "profiles"
TOP_LEVEL_KEYS = {"name", "description", "seeds", "train", "experiments", "on_gpu"}


def bundled_profiles() -> list[str]:
    """Names of the profiles shipped with atlas."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def _merge(base: dict, over: dict) -> dict:
    """``over`` deep-merged into a copy of ``base`` (mappings merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _cuda_available() -> bool:
    import torch  # only profiles with an on_gpu section pay for this import

    return bool(torch.cuda.is_available())


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise AtlasError(f"profile {path}: not valid YAML ({' '.join(str(err).split())})") from None
    except UnicodeDecodeError:
        raise AtlasError(f"profile {path}: not a text file (expected YAML)") from None
    except OSError as err:
        raise AtlasError(f"profile {path}: cannot be read ({err.strerror})") from None
    if not isinstance(data, dict):
        raise AtlasError(f"profile {path}: expected a mapping at the top level")
    return data


def load_profile(profile: str | Path, *, gpu: bool | None = None) -> Profile:
    """Load a bundled profile by name (``"smoke"``, ``"quick"``, ``"full"``) or any profile YAML by path.

    ``gpu``: apply the profile's ``on_gpu`` section (None: when ``torch.cuda.is_available()``).
    """
    path = Path(profile)
    if not path.suffix:
        path = PROFILE_DIR / f"{profile}.yaml"
        if not path.exists():
            raise AtlasError(f"unknown profile {str(profile)!r}: bundled profiles are {', '.join(bundled_profiles())}, "
                             f"or give the path of a profile YAML file")
    elif not path.exists():
        raise AtlasError(f"profile file {path} does not exist")
    data = _read_yaml(path)
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise AtlasError(f"profile {path}: unknown key(s) {', '.join(unknown)} "
                         f"(allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    on_gpu = data.pop("on_gpu", None)
    if on_gpu is not None:
        if not isinstance(on_gpu, dict):
            raise AtlasError(f"profile {path}: on_gpu must be a mapping")
        if _cuda_available() if gpu is None else gpu:
            data = _merge(data, on_gpu)
    return _build(data, path)


def _build(data: dict, path: Path) -> Profile:
    name = str(data.get("name") or path.stem)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise AtlasError(f"profile {path}: name {name!r} may contain only letters, digits, '_', '.', '-'")
    seeds = check_seeds(data.get("seeds", [0]), f"profile {path}")
    train = data.get("train") or {}
    if not isinstance(train, dict):
        raise AtlasError(f"profile {path}: train must be a mapping of training settings")
    TrainConfig.from_dict({"scale": "", "mixture": {}, "tokens": 1, **train})  # unknown settings fail here
    experiments = data.get("experiments")
    if not isinstance(experiments, dict) or not experiments:
        raise AtlasError(f"profile {path}: experiments must be a non-empty mapping of name -> spec")
    for exp_name, spec in experiments.items():
        check_experiment(str(exp_name), spec, experiments, where=f"profile {path}")
    return Profile(name=name, description=str(data.get("description", "")).strip(), seeds=tuple(seeds),
                   train=train, experiments={str(k): v for k, v in experiments.items()}, path=path)
