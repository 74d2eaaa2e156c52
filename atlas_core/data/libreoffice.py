"""The LibreOffice-help source: translated help paragraphs from Debian's ``libreoffice-help-<ll>`` packages.

A second, technical-software domain with 15 languages the Bible lacks (el ca cs da nl sv fi hu sl et eu gl km
dz om). Its corpora are keyed ``<lang>@libreoffice`` for languages the Bible also has, so domains never mix.
The packages are fetched with ``apt-get download`` and unpacked with ``dpkg -x`` in a temporary folder (apt
verifies them against the signed archive index; their version and sha256 go into the manifest, since Debian
serves only the current point release).

Units are the paragraphs and headings with a ``par_id``/``hd_id`` id in ``<lang>/text/**/*.html`` (hidden
platform variants skipped), whitespace collapsed. A paragraph identical to the en-US paragraph with the same
file and id is an untranslated fallback and is dropped; repeated paragraphs are kept once (English, the
reference, keeps all its units). Split: whole help pages are held out, the same pages in every language: a page
is in the test split when the first 8 hex digits of sha256(its path under text/) are below ``TEST_FRACTION`` of
16**8. 12% rather than the Bible's 7.5%, so that every language but Hindi (0.46 MB translated in all) has the
131K test bytes of a final evaluation.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from tqdm import tqdm

from atlas_core.data.cache import temp_dir
from atlas_core.data.corpora import read_manifest, resolve_corpus, update_manifest, write_corpus
from atlas_core.data.integrity import sha256_of
from atlas_core.data.languages import LANGUAGES, LIBREOFFICE
from atlas_core.errors import AtlasError

TEST_FRACTION = 0.12
REFERENCE = "en"
# atlas code -> (Debian package suffix, help folder inside the package) where they differ from the code
_PACKAGE = {"en": ("en-us", "en-US"), "zh": ("zh-cn", "zh-CN")}
_UNIT_ID = re.compile(r"(par_id|hd_id)")


def package_of(code: str) -> tuple[str, str]:
    suffix, folder = _PACKAGE.get(code, (code, code))
    return f"libreoffice-help-{suffix}", folder


def manifest_header() -> dict:
    return {"source": LIBREOFFICE, "held_out": f"help pages with sha256(path) below {TEST_FRACTION:.0%}"}


def is_test_page(relative_path: str) -> bool:
    return int(hashlib.sha256(relative_path.encode()).hexdigest()[:8], 16) < TEST_FRACTION * 16**8


class _Paragraphs(HTMLParser):
    """Collects (id, text) of every element whose id starts with par_id or hd_id, outside page chrome
    (header, nav, aside, script, style) and hidden elements."""

    _VOID = frozenset(("br", "img", "input", "meta", "link", "hr", "wbr"))
    _CHROME = frozenset(("header", "nav", "aside", "script", "style", "head"))

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.units: list[tuple[str, str]] = []
        self._open: list[tuple[str, str | None, bool]] = []  # (tag, unit id, skipped) of open elements
        self._text: list[str] = []

    def _collecting(self) -> bool:
        return any(uid for _, uid, _ in self._open) and not any(skip for _, _, skip in self._open)

    def handle_starttag(self, tag, attrs):
        if tag in self._VOID:
            if self._collecting():
                self._text.append(" ")
            return
        attrs = dict(attrs)
        uid = attrs.get("id") or ""
        is_unit = bool(_UNIT_ID.match(uid)) and not any(u for _, u, _ in self._open)
        self._open.append((tag, uid if is_unit else None, tag in self._CHROME or "hidden" in attrs))

    def handle_endtag(self, tag):
        if not any(open_tag == tag for open_tag, _, _ in self._open):
            return  # a stray end tag
        while self._open:
            open_tag, uid, skip = self._open.pop()
            if uid:
                text = " ".join("".join(self._text).split())
                if text and not skip and not any(s for _, _, s in self._open):
                    self.units.append((uid, text))
                self._text = []
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._collecting():
            self._text.append(data)


def read_help(root: Path) -> dict[tuple[str, str], str]:
    """{(page path under text/, unit id): text} of one unpacked help folder."""
    units = {}
    for page in sorted((root / "text").rglob("*.html")):
        parser = _Paragraphs()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        relative = page.relative_to(root / "text").as_posix()
        for uid, text in parser.units:
            units.setdefault((relative, uid), text)
    return units


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as err:
        raise AtlasError(f"the libreoffice source needs Debian's {cmd[0]}, which is not installed here") from err


def fetch_help(code: str, workdir: Path) -> tuple[Path, dict]:
    """Download and unpack one language's help package; return its help folder and provenance."""
    package, folder = package_of(code)
    target = workdir / code
    target.mkdir()
    done = _run(["apt-get", "download", "-q", package], target)
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("E:")] or ["(no error message)"]
        raise AtlasError(f"apt-get download {package} failed (exit {done.returncode}): {errors[0]}")
    debs = list(target.glob("*.deb"))
    if len(debs) != 1:
        raise AtlasError(f"apt-get download {package} produced {len(debs)} .deb files in {target}")
    done = _run(["dpkg", "-x", str(debs[0]), str(target / "x")], target)
    if done.returncode != 0:
        raise AtlasError(f"dpkg -x {debs[0].name} failed: {done.stderr.strip()}")
    root = target / "x" / "usr/share/libreoffice/help" / folder
    if not (root / "text").is_dir():
        raise AtlasError(f"{debs[0].name} has no usr/share/libreoffice/help/{folder}/text")
    return root, {"package": debs[0].name, "sha256": sha256_of(debs[0])}


def language_lines(units: dict, reference: dict | None) -> tuple[list[str], list[str]]:
    """Train and test lines: units that differ from the en-US ``reference`` (all for ``None``), each text once,
    test pages held out."""
    reference = reference or {}
    train, test, seen = [], [], set()
    for (page, uid), text in units.items():
        if text == reference.get((page, uid)) or text in seen:
            continue
        seen.add(text)
        (test if is_test_page(page) else train).append(text)
    return train, test


def libreoffice_languages() -> list[str]:
    return [code for code, lang in LANGUAGES.items() if LIBREOFFICE in lang.sources]


def prepare_libreoffice(languages: list[str] | None = None, progress: bool = True) -> list[str]:
    """Fetch, extract and split the help languages not yet prepared; return the codes written."""
    codes = libreoffice_languages() if languages is None else [
        resolve_corpus(f"{key.split('@')[0]}@{LIBREOFFICE}").language.code for key in languages]
    manifest = read_manifest(LIBREOFFICE, rebuilding=True)
    if {k: manifest.get(k) for k in manifest_header()} != manifest_header():
        manifest = {}
    todo = [c for c in codes if not (c in manifest.get("languages", {})
                                     and resolve_corpus(f"{c}@{LIBREOFFICE}").prepared)]
    if not todo:
        return []
    with temp_dir("libreoffice") as tmp:
        reference_root, reference_provenance = fetch_help(REFERENCE, tmp)
        reference = read_help(reference_root)
        for code in tqdm(todo, desc="libreoffice: fetch and split", unit="lang", disable=not progress):
            if code == REFERENCE:
                units, provenance = reference, reference_provenance
            else:
                root, provenance = fetch_help(code, tmp)
                units = read_help(root)
                shutil.rmtree(tmp / code)  # the unpacked package: ~30 MB of HTML
            train, test = language_lines(units, None if code == REFERENCE else reference)
            entry = {**write_corpus(LIBREOFFICE, code, train, test), **provenance}
            update_manifest(LIBREOFFICE, manifest_header(), {code: entry})  # per language: a rerun resumes
    return todo
