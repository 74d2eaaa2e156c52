"""The planner: expansion of each kind, one run per distinct configuration, dependencies, cost and ordering."""

import dataclasses
import hashlib
import json
import textwrap

import pytest
from test_experiments_fake import FakeCatalog, estimate_seconds

from atlas_core.errors import AtlasError
from atlas_core.experiments import load_profile
from atlas_core.experiments.plan import build_plan, estimate, priorities, simulate_wall
from atlas_core.experiments.runs import PlannedRun, Use, mixture_kind, run_id_for
from atlas_core.train.config import RunRef, TrainConfig

PROFILE = """
name: t
train: {n_evals: 5}
experiments:
  scaling: {kind: mono, languages: [es, sw], scales: [10k, 25k], tokens: [1M, 2M], unique_tokens: {sw: [50K, 200K]}}
  transfer:
    kind: bilingual
    languages: [es, pt, ru]
    targets: [es]
    controls: [self, null, utf3]
    scales: [25k]
    mono_tokens: 1M
  capacity: {kind: capacity, languages: [es, ru, pt], targets: [es, ru], K: [1, 2, all], scales: [25k], tokens: 2M}
  base: {kind: unimax, languages: all, scales: [25k], tokens: [1M, 2M], pinned: {es: 0.2}}
  crossover: {kind: finetune, base: base, languages: [es], tokens: 2M, eval_langs: [ru]}
"""


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(PROFILE))
    return build_plan(load_profile(path), FakeCatalog(["es", "pt", "ru", "sw"]))


def runs_of(plan, kind, role=None):
    return [r for r in plan.runs if any(u.kind == kind and (role is None or u.role == role) for u in r.uses)]


def test_equal_configurations_are_one_run_with_every_use(plan):
    es_2m = [r for r in plan.runs if r.config.mixture == {"es": 1.0} and r.config.scale == "25k"
             and r.config.tokens == 2_000_000 and not r.config.init_from and not r.config.unique_tokens]
    assert len(es_2m) == 1
    assert {(u.experiment, u.role) for u in es_2m[0].uses} == {("scaling", "mono"), ("capacity", "uniform"),
                                                              ("crossover", "scratch")}
    assert len({r.run_id for r in plan.runs}) == len(plan.runs)


def test_mono_expands_languages_caps_scales_budgets(plan):
    mono = [r for r in plan.runs if any(u.experiment == "scaling" for u in r.uses)]
    assert len(mono) == (1 + 2) * 2 * 2  # es, sw x 2 caps; 2 scales; 2 budgets
    assert sorted({r.config.unique_tokens.get("sw") for r in mono if "sw" in r.config.mixture}) == [50_000, 200_000]


def test_bilingual_expands_monos_pairs_and_controls(plan):
    uses = plan.uses()
    transfer = uses[uses["experiment"] == "transfer"]
    assert sorted(transfer["partner"].dropna()) == ["null", "pt", "ru", "self", "utf3"]
    runs = {r.run_id: r for r in plan.runs}
    by_partner = {p: runs[rid].config for p, rid in zip(transfer["partner"], transfer["run_id"])}
    mono = runs[transfer.loc[transfer["role"] == "mono", "run_id"].item()].config
    assert mono.tokens == 1_000_000 and mono.schedule == "wsd"
    assert by_partner["pt"].mixture == {"es": 0.5, "pt": 0.5} and by_partner["pt"].tokens == 2_000_000
    assert by_partner["self"].mixture == {"es": 1.0} and by_partner["self"].unique_tokens == {"es": 1_000_000}
    assert by_partner["null"].mixture == {"es": 0.5, "null": 0.5} and by_partner["null"].eval_langs == []
    assert by_partner["pt"].eval_langs == []  # both languages of a pair are evaluated, whichever is the target


def test_capacity_nests_targets_first_and_reuses_monolingual_runs(plan):
    cap = runs_of(plan, "capacity")
    mixtures = sorted(tuple(sorted(r.config.mixture)) for r in cap)
    assert mixtures == [("es",), ("es", "pt", "ru"), ("es", "ru"), ("ru",)]
    three = next(r for r in cap if len(r.config.mixture) == 3)
    assert three.config.eval_langs == ["es", "ru"] and three.mixture_kind == "uniform-3"


def test_finetunes_start_from_their_base_which_comes_first(plan):
    bases = runs_of(plan, "finetune", "base")
    assert len(bases) == 1 and bases[0].config.tokens == 2_000_000  # the base's largest budget
    assert bases[0].mixture_kind == "unimax" and bases[0].config.mixture["es"] == pytest.approx(0.2)
    assert {u.experiment for u in bases[0].uses} == {"base", "crossover"}
    (ft,) = runs_of(plan, "finetune", "finetune")
    assert ft.depends_on == bases[0].run_id and ft.config.init_from == RunRef(bases[0].run_id)
    assert ft.config.eval_langs == ["es", "ru"]
    order = [r.run_id for r in plan.runs]
    assert order.index(bases[0].run_id) < order.index(ft.run_id)
    selected = plan.select(["finetune"])
    assert {r.run_id for r in selected} >= {ft.run_id, bases[0].run_id}
    with pytest.raises(AtlasError, match="no experiment of kind.*mixtures"):
        plan.select(["mixtures"])


def test_run_ids_are_stable_readable_and_change_with_any_setting():
    cfg = TrainConfig(scale="100k", mixture={"pt": 0.5, "es": 0.5}, tokens=3_000_000, seed=2)
    rid = run_id_for(cfg)
    assert rid.startswith("100k-es+pt-3M-s2-") and rid.endswith(cfg.config_hash())
    assert run_id_for(TrainConfig(scale="100k", mixture={"es": 0.5, "pt": 0.5}, tokens=3_000_000, seed=2)) == rid
    assert run_id_for(TrainConfig(scale="100k", mixture={"pt": 0.5, "es": 0.5}, tokens=3_000_000, seed=2,
                                  lr=1e-3)) != rid
    capped = TrainConfig(scale="25k", mixture={"es": 1.0}, tokens=2_000_000, unique_tokens={"es": 1_000_000})
    assert run_id_for(capped).startswith("25k-es-u1M-2M-s0-")


def test_mixture_kinds():
    assert mixture_kind({"es": 1.0}) == "mono"
    assert mixture_kind({"es": 0.5, "pt": 0.5}) == "bilingual"
    assert mixture_kind({"es": 0.5, "null": 0.5}) == "control-null"
    assert mixture_kind({"a": 1, "b": 1, "c": 1}) == "uniform-3"
    assert mixture_kind({"a": 0.2, "b": 0.8}) == "weighted"
    assert mixture_kind({"a": 0.2, "b": 0.8}, unimax=True) == "unimax"


def _run(rid, seconds, depends_on=None):
    cfg = TrainConfig(scale="10k", mixture={"es": 1.0}, tokens=1)
    return PlannedRun(rid, cfg, [Use("e", "mono", "mono")], "mono", depends_on=depends_on, est_seconds=seconds)


def test_wall_clock_simulation_respects_workers_and_dependencies():
    runs = [_run("a", 10), _run("b", 10), _run("c", 10), _run("d", 10)]
    assert simulate_wall(runs, 1) == 40 and simulate_wall(runs, 2) == 20 and simulate_wall(runs, 8) == 10
    chain = [_run("base", 30), _run("ft1", 10, "base"), _run("ft2", 10, "base"), _run("x", 5), _run("y", 5)]
    assert priorities(chain)["base"] == 40  # its own cost plus the longest finetune after it
    assert simulate_wall(chain, 2) == 40  # base first; x, y fill the other worker; then both finetunes
    assert simulate_wall([], 2) == 0


def test_estimates_come_from_the_trainer(plan):
    estimate(plan.runs, estimate_seconds)
    assert all(r.est_seconds > 3 for r in plan.runs)
    table = plan.table()
    assert {"run_id", "kinds", "scale", "mixture", "tokens", "est_seconds", "done"} <= set(table.columns)
    assert table["est_seconds"].sum() == pytest.approx(sum(r.est_seconds for r in plan.runs))


def test_a_run_reference_survives_the_task_dict_and_keeps_the_string_era_hash():
    plan = build_plan(load_profile("smoke"), FakeCatalog())
    ft = next(r for r in plan.runs if r.depends_on)
    back = TrainConfig.from_dict(ft.config.to_dict())
    assert back == ft.config and back.init_from == RunRef(ft.depends_on)
    payload = {k: v for k, v in dataclasses.asdict(ft.config).items() if k != "device"}
    payload["init_from"] = f"run:{ft.depends_on}"  # how finetunes were identified before RunRef: same hash
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    assert ft.config.config_hash() == hashlib.sha256(blob.encode()).hexdigest()[:12]
