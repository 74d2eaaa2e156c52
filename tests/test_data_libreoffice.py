"""LibreOffice-help extraction and splits on fake help pages (the Debian download itself is replaced)."""

from __future__ import annotations

from pathlib import Path

import pytest

from atlas_core.data import available_languages, load_split, resolve_corpus
from atlas_core.data import libreoffice
from atlas_core.errors import AtlasError
from data_fixtures import cache  # noqa: F401

PAGE = """<html><head><title>T</title><script>var x = "<p id='par_id0'>no</p>";</script></head><body>
<header><p id="par_id99">header text</p></header>
<div id="DisplayArea">
<h1 id="hd_id1" dir="auto">{title}</h1>
<p id="par_id2" class="paragraph">{body} <span class="emph">{emph}</span> &amp; more<br>text</p>
<p id="par_id3"><span id="par_id4">nested</span> <span hidden="true" class="MAC">mac-only</span>{common}</p>
<p class="noid">{unlabelled}</p>
</div></body></html>
"""


def write_help(root: Path, texts: dict[str, dict[str, str]]) -> Path:
    for page, fields in texts.items():
        path = root / "text" / page
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PAGE.format(**fields), encoding="utf-8")
    return root


def fields(lang: str, i: int, translated: bool = True) -> dict[str, str]:
    lang = lang if translated else "en"
    word = {"en": "Open", "de": "Öffnen"}[lang]
    return {"title": f"{word} {i}", "body": f"{word} file {i}", "emph": "now", "unlabelled": "ignored",
            "common": {"en": "Shared line", "de": "Gemeinsame Zeile"}[lang]}


def test_paragraph_parser_keeps_labelled_units_and_skips_hidden_and_chrome(tmp_path):
    root = write_help(tmp_path / "de", {"a/x.html": fields("de", 1)})
    units = libreoffice.read_help(root)
    assert units == {("a/x.html", "hd_id1"): "Öffnen 1",
                     ("a/x.html", "par_id2"): "Öffnen file 1 now & more text",
                     ("a/x.html", "par_id3"): "nested Gemeinsame Zeile"}


def test_untranslated_and_repeated_units_are_dropped_and_pages_split_in_parallel(tmp_path):
    pages = [f"shared/p{i}.html" for i in range(60)]
    en = libreoffice.read_help(write_help(tmp_path / "en", {p: fields("en", i) for i, p in enumerate(pages)}))
    de = libreoffice.read_help(write_help(tmp_path / "de", {p: fields("de", i, translated=i % 2 == 0)
                                                             for i, p in enumerate(pages)}))
    train, test = libreoffice.language_lines(de, en)
    lines = train + test
    assert "Öffnen 0" in lines and "Open 1" not in lines, "a unit identical to en-US is an untranslated fallback"
    assert lines.count("nested Gemeinsame Zeile") == 1, "a repeated unit is kept once"
    held_out = {i for i, p in enumerate(pages) if libreoffice.is_test_page(p)}
    assert 0 < len(held_out) < 20
    assert {f"Öffnen {i}" for i in held_out if i % 2 == 0} <= set(test)
    assert not set(train) & set(test)


def test_test_pages_are_about_twelve_percent_and_fixed():
    paths = [f"text/swriter/guide/page{i}.html" for i in range(5000)]
    share = sum(map(libreoffice.is_test_page, paths)) / len(paths)
    assert 0.11 < share < 0.13
    assert libreoffice.is_test_page(paths[0]) == libreoffice.is_test_page(paths[0])


def test_prepare_libreoffice_writes_source_tagged_corpora(cache, monkeypatch):
    pages = [f"shared/p{i}.html" for i in range(80)]

    def fake_fetch(code: str, workdir: Path):
        root = write_help(workdir / code / "x" / code, {p: fields(code, i) for i, p in enumerate(pages)})
        return root, {"package": f"libreoffice-help-{code}_fake_all.deb", "sha256": "0" * 64}

    monkeypatch.setattr(libreoffice, "fetch_help", fake_fetch)
    monkeypatch.setattr(libreoffice, "libreoffice_languages", lambda: ["de"])
    assert libreoffice.prepare_libreoffice(["de"], progress=False) == ["de"]
    assert available_languages() == ["de@libreoffice"]
    text = bytes(load_split("de@libreoffice", "train").ids).decode()
    assert "Öffnen" in text and "Open" not in text
    assert libreoffice.prepare_libreoffice(["de"], progress=False) == []
    assert resolve_corpus("de@libreoffice").path("test").stat().st_size > 0


def test_apt_failure_is_a_clear_error(cache, tmp_path):
    with pytest.raises(AtlasError, match=r"apt-get download libreoffice-help-qq failed"):
        libreoffice.fetch_help("qq", tmp_path)
