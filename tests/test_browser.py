"""Open built chapters in headless Chromium with the network off: the charts must draw and the math must typeset.

Chromium records every network request it attempts (``--log-net-log``); the pages must attempt none. Skipped only
when no Chromium is installed (CI's ``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from atlas_core.book.layout import BookLayout

CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

OFFLINE_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
]
NETLOG_URL = re.compile(r'"url":"((?:[^"\\]|\\.)*)"')
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com")  # Chromium's own background calls, not the page's


class ChartFinder(HTMLParser):
    """Collect, for every ``atlas-vegalite`` chart, the tags drawn inside it and the mark groups holding shapes."""

    def __init__(self):
        super().__init__()
        self.charts: list[dict] = []
        self.stack: list[tuple[str, int | None, bool]] = []  # (tag, chart index, is a mark group)
        self.math = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        chart = self.stack[-1][1] if self.stack else None
        if tag == "div" and "atlas-vegalite" in classes:
            self.charts.append({"tags": set(), "marks": 0})
            chart = len(self.charts) - 1
        if tag == "mjx-container":
            self.math += 1
        if chart is not None:
            self.charts[chart]["tags"].add(tag)
            if self.stack and self.stack[-1][2] and tag in ("path", "rect", "line", "text", "circle", "image"):
                self.charts[chart]["marks"] += 1
        self.stack.append((tag, chart, tag == "g" and "role-mark" in classes))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def open_offline(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """The page's DOM after scripts ran, and every URL Chromium requested while loading it."""
    netlog = tmp_path / "netlog.json"
    command = [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--log-net-log={netlog}",
               "--virtual-time-budget=10000", "--dump-dom", page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert netlog.is_file(), "chromium wrote no network log"
    text = netlog.read_text(encoding="utf-8", errors="replace")
    urls = sorted({json.loads(f'"{u}"') for u in NETLOG_URL.findall(text)})
    return result.stdout, urls


@pytest.mark.parametrize("chapter", BookLayout.of_repo().chapters(), ids=lambda c: c.name)
def test_chapter_charts_draw_and_math_typesets_offline(built_book, chapter, tmp_path):
    page = built_book / "executed" / f"{chapter.name}.html"
    dom, urls = open_offline(page, tmp_path)
    finder = ChartFinder()
    finder.feed(dom)
    assert finder.charts, "no chart element on the page"
    for i, chart in enumerate(finder.charts):
        assert "svg" in chart["tags"] or "canvas" in chart["tags"], f"chart {i} did not render"
        assert chart["marks"] > 0, f"chart {i} rendered no marks"
    if 'class="math' in page.read_text(encoding="utf-8"):
        assert finder.math > 0, "MathJax did not typeset the page's math"
    page_urls = [u for u in urls if urlparse(u).scheme in ("http", "https")
                 and not urlparse(u).hostname.endswith(BROWSER_HOSTS)]
    assert page_urls == [], f"the page tried the network: {page_urls}"
