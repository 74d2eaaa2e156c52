"""The book's offline JavaScript, generated from installed Python packages at every build (never committed).

* ``book/_static/vega-embed-bundle.js``: vega, vega-lite and vega-embed from ``vl_convert.javascript_bundle()``,
  wrapped in an IIFE. Unwrapped, the bundle's top-level ``const _`` collides with Sphinx's ``doctools.js`` and no
  chart draws; inside the wrapper it still sets ``window.vegaEmbed``. jupyter-book loads it on every page.
* MathJax 3 (``tex-chtml.js``, with the ams, newcommand and configmacros TeX packages built in, and its woff-v2
  fonts; 1.6 MB instead of the 30 MB of the ``sphinx-mathjax-offline`` package it is copied from) goes to
  ``book/_build/offline/_static/mathjax/``, which ``_config.yml`` lists in ``html_extra_path``: the site gets it at
  ``_static/mathjax/``, where ``mathjax_path`` points. It must not sit in ``book/_static``: jupyter-book adds every
  ``.js`` file found there as a ``<script>`` to every page, which would load MathJax twice.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

from atlas_core.errors import AtlasError

VEGA_BUNDLE = "vega-embed-bundle.js"
MATHJAX_IN_SITE = Path("_static") / "mathjax"  # where the site serves it; _config.yml: mathjax_path
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2")


def write_vega_bundle(static_dir: Path) -> Path:
    """Write the IIFE-wrapped vega-embed bundle into ``static_dir``, unless the installed vl-convert already wrote
    it there (bundling takes seconds; the first line records the version that made the file)."""
    import vl_convert

    path = static_dir / VEGA_BUNDLE
    stamp = f"// vega-embed bundle from vl-convert-python {importlib.metadata.version('vl-convert-python')}\n"
    if path.exists():
        with path.open(encoding="utf-8") as existing:
            if existing.readline() == stamp:
                return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(stamp + "(function () {\n" + vl_convert.javascript_bundle() + "\n})();\n", encoding="utf-8")
    return path


def mathjax_source() -> Path:
    """The MathJax 3 folder inside the installed ``sphinx-mathjax-offline`` package."""
    try:
        dist = importlib.metadata.distribution("sphinx-mathjax-offline")
    except importlib.metadata.PackageNotFoundError as err:
        raise AtlasError("sphinx-mathjax-offline is not installed (see requirements.txt); math needs it offline") from err
    source = Path(dist.locate_file("sphinx-mathjax-offline/static/mathjax"))
    if not (source / "tex-chtml.js").is_file():
        raise AtlasError(f"no MathJax tex-chtml.js in {source}: reinstall sphinx-mathjax-offline==0.0.2")
    return source


def copy_mathjax(extra_dir: Path) -> Path:
    """Copy the parts of MathJax the book needs under ``extra_dir/_static/mathjax`` (fresh each time)."""
    source, target = mathjax_source(), extra_dir / MATHJAX_IN_SITE
    shutil.rmtree(target, ignore_errors=True)
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    return target / "tex-chtml.js"


def write_assets(static_dir: Path, extra_dir: Path) -> None:
    """Generate every offline asset the book's pages load."""
    write_vega_bundle(static_dir)
    copy_mathjax(extra_dir)
