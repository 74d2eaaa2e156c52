"""The observations table for the law fitters, derived from evaluation rows of any mixture."""

import math

import numpy as np
import pandas as pd
import pytest

from atlas_core.analysis import observations
from atlas_core.errors import AtlasError


def run_rows(run_id, mixture, tokens, evals, *, caps=None, kind="mono", init_from=None, scale="25k", n=25_000):
    caps = caps or {}
    out = []
    for t in tokens:
        for lang in evals:
            row = dict(run_id=run_id, seed=0, scale=scale, N=n, N_total=n + 4096, step=t // 2048, tokens=t,
                       is_final=t == tokens[-1], eval_lang=lang, loss=3.0, bpb=2.0, K=sum(s != "null" for s in mixture),
                       mixture_kind=kind, init_from=init_from)
            for s, w in mixture.items():
                row |= {f"D_{s}": t * w, f"U_{s}": caps.get(s, 3e6), f"p_{s}": w}
            out.append(row)
    return out


def rows() -> pd.DataFrame:
    return pd.DataFrame(
        run_rows("mono", {"es": 1.0}, [1000, 2000], ["es"], caps={"es": 1500})
        + run_rows("bi", {"es": 0.5, "pt": 0.5}, [2000, 4000], ["es", "pt"], kind="bilingual")
        + run_rows("null", {"es": 0.5, "null": 0.5}, [2000, 4000], ["es"], kind="control-null")
        + run_rows("other", {"pt": 1.0}, [1000], ["pt"])
        + run_rows("ft", {"es": 1.0}, [1000], ["es"], init_from="base"))


def test_columns_follow_the_target_and_every_source():
    obs = observations(rows(), "es")
    assert sorted(obs["run_id"].unique()) == ["bi", "mono", "null"]  # pt-only run and the finetune left out
    assert (obs["lang"] == "es").all()
    bi = obs[obs["run_id"] == "bi"].iloc[-1]
    assert (bi["D"], bi["U"], bi["D_pt"], bi["D_total"], bi["p"], bi["K"]) == (2000, 3e6, 2000, 4000, 0.5, 2)
    mono = obs[obs["run_id"] == "mono"].iloc[-1]
    assert (mono["D"], mono["U"], mono["D_pt"]) == (2000, 1500, 0.0)  # absent source: 0 tokens
    assert mono["U_pt"] == 3e6  # ... and the largest U recorded for it
    null = obs[obs["run_id"] == "null"].iloc[-1]
    assert null["D_total"] == 2000 and null["p"] == 0.5 and "D_null" not in obs  # the empty share is no data
    assert np.allclose(obs["loss"], 2.0 * math.log(2))  # nats per byte
    assert not obs.isna().any().any()


def test_missing_target_or_columns_are_named():
    with pytest.raises(AtlasError, match="no run in these rows trained on 'ru'"):
        observations(rows(), "ru")
    with pytest.raises(AtlasError, match="missing column.*mixture_kind"):
        observations(rows().drop(columns="mixture_kind"), "es")
    only_ft = pd.DataFrame(run_rows("ft", {"es": 1.0}, [1000], ["es"], init_from="base"))
    with pytest.raises(AtlasError, match="no evaluation of 'es' from a run trained from scratch"):
        observations(only_ft, "es")
