"""Altair charts that work without internet: interactive in the book, a PNG in JupyterLab.

Importing this module registers and enables the ``atlas`` renderer. Every chart output then carries three
MIME types:

* ``application/vnd.vegalite.v6+json``: the spec, which the book's myst-nb plugin
  (:mod:`atlas_core.book.mystnb_vegalite`) embeds with a local vega bundle, so selections and sliders work offline;
* ``image/png``: a static picture rendered locally by vl-convert, which JupyterLab shows even in untrusted
  (papermill-executed) notebooks;
* ``text/plain``: a one-line note for consoles.

It also shows every table cell in full: pandas cuts text at 50 characters, and a claim's reason is longer.

altair's own ``mimetype`` renderer cannot be used: its key ``...v6.json`` (no ``+``) fails nbformat validation, and
its default renderer loads vega from a CDN.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
from altair.vegalite.v6.display import png_renderer

RENDERER_NAME = "atlas"
VEGALITE_MIME = "application/vnd.vegalite.v6+json"
PLAIN_TEXT = "<altair chart: interactive in the book, PNG in JupyterLab>"


def atlas_renderer(spec: dict, **metadata) -> tuple[dict, dict]:
    """Render a Vega-Lite spec as a MIME bundle of the spec, a local PNG and a text note."""
    png_bundle, png_metadata = png_renderer(spec, scale=metadata.get("scale", 1))
    bundle = {**png_bundle, VEGALITE_MIME: spec, "text/plain": PLAIN_TEXT}
    return bundle, png_metadata


def enable() -> None:
    """Register the ``atlas`` renderer (idempotent) and make it altair's active renderer."""
    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, atlas_renderer)
    alt.renderers.enable(RENDERER_NAME)
    pd.set_option("display.max_colwidth", None)


enable()
