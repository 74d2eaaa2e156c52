"""Execute a chapter notebook with papermill, exactly as a user would, and prepare the result for the book."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import nbformat

from atlas_core.book.layout import Chapter
from atlas_core.errors import AtlasError

KERNEL = "atlas"  # the project's kernelspec (this Python, where atlas_core is installed); notebooks name it too
KERNEL_DISPLAY_NAME = "Python (atlas)"
PARAMETER_TAGS = ("parameters", "injected-parameters")


def newest_mtime(path: Path) -> float:
    """The latest modification time of a file, or of any file under a folder (0 when absent).

    Python bytecode caches are ignored: importing the package after a run must not make the run look stale.
    """
    if path.is_file():
        return path.stat().st_mtime
    if not path.is_dir():
        return 0.0
    times = (p.stat().st_mtime for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return max(times, default=0.0)


def executed_profile(path: Path) -> str | None:
    """The ``profile`` parameter papermill recorded in an executed notebook, or None."""
    notebook = nbformat.read(path, as_version=4)
    return notebook.metadata.get("papermill", {}).get("parameters", {}).get("profile")


def is_fresh(chapter: Chapter, profile: str, dependencies: Iterable[Path]) -> bool:
    """True when the executed copy ran with ``profile`` after its source and every dependency last changed."""
    if not chapter.executed.is_file() or executed_profile(chapter.executed) != profile:
        return False
    inputs = max(newest_mtime(p) for p in (chapter.source, *dependencies))
    return chapter.executed.stat().st_mtime > inputs


def hide_parameter_inputs(path: Path) -> None:
    """Fold the code of the parameters and injected-parameters cells behind a toggle in the book."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if any(tag in tags for tag in PARAMETER_TAGS) and "hide-input" not in tags:
            tags.append("hide-input")
    nbformat.write(notebook, path)


def ensure_kernel(log=print) -> None:
    """Install the ``atlas`` kernelspec into this environment (as ``make venv`` does) when Jupyter cannot find it."""
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        path = install(kernel_name=KERNEL, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix)
        log(f"installed the Jupyter kernel {KERNEL!r} at {path}")


def execute_chapter(chapter: Chapter, parameters: dict, *, progress_bar: bool = True) -> float:
    """Run one notebook with papermill (cwd: its folder, kernel ``atlas``) into its executed path; return seconds.

    The run writes to a ``.partial`` file first, so a crash never leaves a stale or half-run notebook under the
    executed name; a failed run is kept as ``<name>.failed.ipynb`` for inspection and raises ``AtlasError``.
    """
    import papermill

    ensure_kernel()
    chapter.executed.parent.mkdir(parents=True, exist_ok=True)
    partial = chapter.executed.with_name(f"{chapter.name}.partial.ipynb")
    failed = chapter.executed.with_name(f"{chapter.name}.failed.ipynb")
    chapter.executed.unlink(missing_ok=True)
    failed.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(chapter.source), str(partial), parameters=parameters, kernel_name=KERNEL,
            cwd=str(chapter.source.parent), progress_bar=progress_bar,
        )
    except papermill.PapermillExecutionError as err:
        os.replace(partial, failed)
        raise AtlasError(
            f"notebook {chapter.source.name} failed in cell {err.cell_index} ({err.ename}: {err.evalue}); "
            f"see {failed}"
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)  # no kernel, Ctrl-C, ...: leave nothing half-written behind
        raise
    hide_parameter_inputs(partial)
    os.replace(partial, chapter.executed)
    return time.perf_counter() - start
