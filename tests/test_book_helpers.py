"""Unit tests of the book machinery that need no kernel: parameter checks, the renderer,
the myst-nb plugin, the table of contents and the freshness rule of the builder."""

from __future__ import annotations

import base64
import json
import os
import re
from types import SimpleNamespace

import nbformat
import pytest

from atlas_core.book import check_parameters
from atlas_core.book.execute import hide_parameter_inputs, is_fresh, newest_mtime
from atlas_core.book.layout import REPO_ROOT, BookLayout, Chapter, toc_files
from atlas_core.book.parameters import parameter_type
from atlas_core.errors import AtlasError

# ---- check_parameters ------------------------------------------------------------------------------------------


def test_check_parameters_accepts_valid_values():
    check_parameters(profile="smoke", seed=0, n_bootstrap=200, choices={"target": ["en", "fr"]}, target="fr")
    check_parameters(choices={"languages": ["en", "fr", "zh"]}, languages=["zh", "en"])


def test_a_profile_file_is_a_valid_profile_parameter(tmp_path):
    from atlas_core.experiments.profile import PROFILE_DIR

    custom = tmp_path / "mine.yaml"
    custom.write_text((PROFILE_DIR / "smoke.yaml").read_text().replace("name: smoke", "name: mine"))
    check_parameters(profile=str(custom))
    custom.write_bytes(bytes(range(256)))
    with pytest.raises(AtlasError, match=f"profile {re.escape(str(custom))}: not a text file"):
        check_parameters(profile=str(custom))
    custom.write_text("experiments: [unclosed\n")
    with pytest.raises(AtlasError, match="not valid YAML"):
        check_parameters(profile=str(custom))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"profile": "quik"}, "parameter profile='quik' is not one of: full, quick, smoke (or the path of a profile"),
        ({"profile": ["smoke"]}, "parameter profile=['smoke'] must be a str (with papermill: -p profile text)"),
        ({"seed": -1}, "parameter seed=-1 must be an integer >= 0"),
        ({"seed": 1.5}, "parameter seed=1.5 must be an int (with papermill: -p seed 3)"),
        ({"n_bootstrap": 0}, "parameter n_bootstrap=0 must be an integer >= 1"),
        ({"n_bootstrap": "200"}, "parameter n_bootstrap='200' must be an int"),
        ({"n_bootstrap": True}, "parameter n_bootstrap=True must be an int"),
        ({"target": 3, "choices": {"target": ["es"]}}, "parameter target=3 must be a str"),
        ({"languages": "es", "choices": {"languages": ["es", "ru"]}},
         "parameter languages='es' must be a list (with papermill: -y 'languages: [a, b]')"),
        ({"colour": "red"}, "no type for parameter 'colour'"),
    ],
)
def test_check_parameters_names_the_bad_value(params, message):
    with pytest.raises(AtlasError, match=re.escape(message)) as err:
        check_parameters(**params)
    assert "\n" not in str(err.value)


def test_check_parameters_checks_each_list_element_and_rejects_empty_lists():
    allowed = {"languages": ["en", "fr"]}
    with pytest.raises(AtlasError, match="parameter languages contains 'xx' is not one of: en, fr"):
        check_parameters(choices=allowed, languages=["en", "xx"])
    with pytest.raises(AtlasError, match=r"languages=\[\] is empty"):
        check_parameters(choices=allowed, languages=[])


def test_choices_override_the_builtin_rule():
    check_parameters(choices={"profile": ["tiny"]}, profile="tiny")
    with pytest.raises(AtlasError):
        check_parameters(choices={"profile": ["tiny"]}, profile="smoke")


def _declared_parameters(path) -> dict[str, str]:
    """``name -> annotation`` of the annotated assignments in a notebook's ``parameters`` cell."""
    import ast

    notebook = nbformat.read(path, as_version=4)
    [cell] = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    return {node.target.id: ast.unparse(node.annotation) for node in ast.parse(cell.source).body
            if isinstance(node, ast.AnnAssign)}


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_parameter_types_match_every_notebooks_declarations(path):
    declared = _declared_parameters(path)
    assert declared, "a parameters cell declares its parameters with types"
    for name, annotation in declared.items():
        assert parameter_type(name).__name__ == annotation.split("[")[0], f"{path.name}: {name}: {annotation}"


# ---- renderer and plugin ---------------------------------------------------------------------------------------


def test_renderer_emits_spec_png_and_text_that_nbformat_accepts():
    import altair as alt
    import pandas as pd

    from atlas_core.book import viz

    assert alt.renderers.active == viz.RENDERER_NAME
    chart = alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})).mark_line().encode(x="x", y="y")
    bundle, metadata = alt.renderers.get()(chart.to_dict())
    assert bundle[viz.VEGALITE_MIME]["mark"]["type"] == "line"
    assert bundle["image/png"].startswith(b"\x89PNG")
    assert metadata["image/png"]["width"] > 0
    assert bundle["text/plain"] == viz.PLAIN_TEXT
    as_sent = {**bundle, "image/png": base64.b64encode(bundle["image/png"]).decode()}  # what ipykernel sends
    output = nbformat.v4.new_output("display_data", data=as_sent, metadata=metadata)
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("chart", outputs=[output])]))


def _mime(content, mime="application/vnd.vegalite.v6+json", cell=3, out=0):
    return SimpleNamespace(mime_type=mime, content=content, cell_index=cell, output_index=out)


def test_plugin_embeds_the_spec_safely_with_a_stable_id():
    from atlas_core.book.mystnb_vegalite import VegaLitePlugin

    renderer = SimpleNamespace(source="/book/executed/08_published_laws.ipynb")
    spec = {"data": {"values": [{"name": "</script><script>alert(1)"}]}, "mark": "point"}
    [node] = VegaLitePlugin.handle_mime(renderer, _mime(json.dumps(spec)), inline=False)
    html = node.astext()
    assert '<div id="vl-08_published_laws-c3-o0" class="atlas-vegalite">' in html
    assert "</script><script>alert" not in html and "<\\/script>" in html
    assert html.count("</script>") == 1
    [again] = VegaLitePlugin.handle_mime(renderer, _mime(spec), inline=False)  # dict content, same id
    assert again.astext() == html


def test_plugin_leaves_other_outputs_alone_and_outranks_png():
    from atlas_core.book.mystnb_vegalite import VegaLitePlugin

    renderer = SimpleNamespace(source="x.ipynb")
    assert VegaLitePlugin.handle_mime(renderer, _mime("{}", mime="image/png"), inline=False) is None
    assert VegaLitePlugin.handle_mime(renderer, _mime("{}"), inline=True) is None
    priorities = {(b, m): p for b, m, p in VegaLitePlugin.mime_priority_overrides}
    assert priorities[("html", "application/vnd.vegalite.v6+json")] < 50  # myst-nb ranks image/png at 50


def test_plugin_is_registered_as_a_mystnb_entry_point():
    from importlib.metadata import entry_points

    [entry] = [e for e in entry_points(group="myst_nb.mime_renderers") if e.name == "vegalite"]
    assert entry.value == "atlas_core.book.mystnb_vegalite:VegaLitePlugin"


# ---- table of contents and freshness ---------------------------------------------------------------------------


def test_toc_files_walks_parts_chapters_and_sections_in_order():
    toc = {
        "root": "intro",
        "parts": [
            {"caption": "A", "chapters": [{"file": "executed/01_a", "sections": [{"file": "executed/02_b"}]}]},
            {"caption": "B", "chapters": [{"file": "reproducing"}, {"file": "executed/03_c.ipynb"}]},
        ],
    }
    assert toc_files(toc) == ["executed/01_a", "executed/02_b", "reproducing", "executed/03_c.ipynb"]


def _write_notebook(path, source="x = 1", profile=None):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})])
    if profile is not None:
        notebook.metadata["papermill"] = {"parameters": {"profile": profile}}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def test_chapters_come_from_the_toc_and_need_their_notebook(tmp_path):
    layout = BookLayout(book_dir=tmp_path / "book", notebooks_dir=tmp_path / "nb", config=tmp_path / "_config.yml")
    layout.book_dir.mkdir()
    layout.toc.write_text("root: intro\nchapters:\n  - file: executed/02_b\n  - file: about\n  - file: executed/01_a\n")
    _write_notebook(layout.notebooks_dir / "02_b.ipynb")
    with pytest.raises(AtlasError, match="entry 'executed/01_a' has no notebook .*01_a.ipynb"):
        layout.chapters()
    _write_notebook(layout.notebooks_dir / "01_a.ipynb")
    chapters = layout.chapters()
    assert [c.name for c in chapters] == ["02_b", "01_a"]
    assert chapters[0].executed == layout.book_dir / "executed" / "02_b.ipynb"


def test_repo_toc_lists_existing_notebooks():
    chapters = BookLayout.of_repo().chapters()
    assert chapters, "book/_toc.yml lists no notebook chapter"
    assert all(c.source.is_file() for c in chapters)


def test_freshness_needs_same_profile_and_newer_than_every_input(tmp_path):
    chapter = Chapter("01_a", tmp_path / "nb" / "01_a.ipynb", tmp_path / "executed" / "01_a.ipynb")
    results = tmp_path / "results"
    _write_notebook(chapter.source)
    (results / "runs").mkdir(parents=True)
    (results / "runs" / "r1.parquet").write_text("rows")
    assert not is_fresh(chapter, "smoke", [results])  # never executed
    _write_notebook(chapter.executed, profile="smoke")
    stamp = newest_mtime(results) + 10
    os.utime(chapter.executed, (stamp, stamp))
    assert is_fresh(chapter, "smoke", [results])
    assert not is_fresh(chapter, "quick", [results])  # executed with another profile
    os.utime(results / "runs" / "r1.parquet", (stamp + 5, stamp + 5))  # a new result arrived
    assert not is_fresh(chapter, "smoke", [results])


def test_newest_mtime_ignores_bytecode_and_missing_paths(tmp_path):
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "mod.py").write_text("")
    (tmp_path / "pkg" / "__pycache__" / "mod.pyc").write_text("")
    os.utime(tmp_path / "pkg" / "mod.py", (1000, 1000))
    os.utime(tmp_path / "pkg" / "__pycache__" / "mod.pyc", (5000, 5000))
    assert newest_mtime(tmp_path / "pkg") == 1000
    assert newest_mtime(tmp_path / "absent") == 0.0


def test_hide_parameter_inputs_tags_both_parameter_cells_once(tmp_path):
    path = tmp_path / "nb.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("profile = 'quick'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("profile = 'smoke'", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(profile)"),
    ])
    nbformat.write(notebook, path)
    hide_parameter_inputs(path)
    hide_parameter_inputs(path)
    tags = [cell.metadata.get("tags", []) for cell in nbformat.read(path, as_version=4).cells]
    assert tags == [["parameters", "hide-input"], ["injected-parameters", "hide-input"], []]


def test_repo_chapters_depend_on_the_code_and_their_profiles_results():
    from atlas_core.experiments.store import default_root

    layout = BookLayout.of_repo()
    assert layout.dependencies("quick") == (layout.code_dir, default_root() / "quick")
    assert layout.code_dir.name == "atlas_core" and (layout.code_dir / "book" / "build.py").is_file()


def test_vega_bundle_is_kept_when_the_same_vl_convert_wrote_it(tmp_path):
    from importlib.metadata import version

    from atlas_core.book.assets import VEGA_BUNDLE, write_vega_bundle

    stamp = f"// vega-embed bundle from vl-convert-python {version('vl-convert-python')}\n"
    (tmp_path / VEGA_BUNDLE).write_text(stamp + "kept\n", encoding="utf-8")
    assert write_vega_bundle(tmp_path).read_text(encoding="utf-8") == stamp + "kept\n"


def test_ensure_kernel_installs_the_atlas_kernel_for_this_python_only_when_missing(tmp_path, monkeypatch):
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    from atlas_core.book.execute import KERNEL, ensure_kernel

    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(KernelSpecManager, "find_kernel_specs", lambda self: {})
    logged = []
    ensure_kernel(logged.append)
    spec = json.loads((tmp_path / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["display_name"] == "Python (atlas)"
    assert len(logged) == 1 and KERNEL in logged[0]

    monkeypatch.setattr(KernelSpecManager, "find_kernel_specs", lambda self: {KERNEL: "/somewhere"})
    ensure_kernel(logged.append)
    assert len(logged) == 1
