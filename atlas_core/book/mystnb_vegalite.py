"""myst-nb plugin: turn a Vega-Lite output into an interactive chart in the HTML book.

Registered in ``pyproject.toml`` under the ``myst_nb.mime_renderers`` entry point, so any ``jupyter-book build``
in this environment picks it up. The chart is drawn by ``vegaEmbed`` from ``_static/vega-embed-bundle.js``, a local
bundle the book builder writes (see :mod:`atlas_core.book.assets`), so no page ever reaches a CDN. Without this
plugin myst-nb warns ``skipping unknown output mime type`` and the ``-W`` build fails: a useful tripwire.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from docutils import nodes

VEGALITE_MIMES = ("application/vnd.vegalite.v6+json", "application/vnd.vegalite.v5+json")
HTML_BUILDERS = ("html", "dirhtml", "singlehtml")
EMBED_OPTIONS = {"actions": False, "renderer": "svg"}  # SVG: crisp text, and marks a test can find in the DOM


def chart_html(spec: dict, div_id: str) -> str:
    """The ``<div>`` + ``<script>`` pair that draws ``spec`` into a fresh element with id ``div_id``."""
    spec_js = json.dumps(spec).replace("</", "<\\/")  # data must never close the <script> early
    options_js = json.dumps(EMBED_OPTIONS)
    return (
        f'<div id="{div_id}" class="atlas-vegalite"></div>\n'
        f'<script>vegaEmbed("#{div_id}", {spec_js}, {options_js}).catch(console.error);</script>'
    )


class VegaLitePlugin:
    """Render Vega-Lite outputs in HTML builders (before PNG, which myst-nb ranks at 50)."""

    mime_priority_overrides = [(builder, mime, 5) for builder in HTML_BUILDERS for mime in VEGALITE_MIMES]

    @staticmethod
    def handle_mime(renderer, data, inline: bool) -> list[nodes.Element] | None:
        if inline or data.mime_type not in VEGALITE_MIMES:
            return None
        spec = json.loads(data.content) if isinstance(data.content, (str, bytes)) else data.content
        return [nodes.raw("", chart_html(spec, _div_id(renderer, data)), format="html")]


def _div_id(renderer, data) -> str:
    """An element id unique across the whole site (even ``singlehtml``) and stable from build to build."""
    if data.cell_index is None or data.output_index is None:
        return f"vl-{uuid.uuid4().hex}"
    page = re.sub(r"[^A-Za-z0-9_-]", "-", Path(renderer.source).stem)
    return f"vl-{page}-c{data.cell_index}-o{data.output_index}"
