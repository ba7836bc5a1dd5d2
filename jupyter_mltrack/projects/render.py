"""The evidence of a project run: the executed notebook (widget state stripped) and its HTML."""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "HTML_ARTIFACT",
    "NOTEBOOK_ARTIFACT",
    "render_html",
    "store_notebook",
    "strip_widgets",
    "warm_up",
]

logger = logging.getLogger(__name__)

NOTEBOOK_ARTIFACT = "notebook.ipynb"
HTML_ARTIFACT = "notebook.html"
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_EXPORT_LOCK = threading.Lock()


def store_notebook(client: TrackingClient, run_id: str, notebook: Path, workdir: str) -> None:
    """Log ``notebook`` as the run's ``notebook.ipynb`` and ``notebook.html`` artifacts."""
    import nbformat

    nb = strip_widgets(nbformat.read(str(notebook), as_version=4))  # type: ignore[no-untyped-call]
    out = Path(workdir) / "evidence"
    out.mkdir(exist_ok=True)
    nb_path = out / NOTEBOOK_ARTIFACT
    nbformat.write(nb, str(nb_path))  # type: ignore[no-untyped-call]
    html_path = out / HTML_ARTIFACT
    html_path.write_text(render_html(nb), encoding="utf-8")
    client.log_artifact(run_id, nb_path)
    client.log_artifact(run_id, html_path)


def strip_widgets(nb: Any) -> Any:
    """Drop ipywidgets state (notebook metadata and widget-view outputs) from ``nb`` in place."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("widgets", None)
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data and _WIDGET_MIME in data:
                del data[_WIDGET_MIME]
                if not data:
                    data["text/plain"] = "[widget]"
    return nb


def render_html(nb: Any) -> str:
    """Return ``nb`` as HTML: nbconvert's rendering if installed, else a plain one."""
    try:
        exporter = _html_exporter()
    except ImportError:
        return _plain_html(nb)
    try:
        with _EXPORT_LOCK:
            body, _ = exporter.from_notebook_node(nb)
        return str(body)
    except Exception:  # a broken template or theme must not lose the evidence
        logger.warning("nbconvert could not render the notebook; using a plain rendering")
        return _plain_html(nb)


def warm_up() -> None:
    """Load the HTML exporter and compile its templates (~0.4 s of CPU), before the first run.

    A sweep worker calls it in a background thread while its first kernel starts and runs.
    """
    from nbformat.v4 import new_code_cell, new_notebook

    with contextlib.suppress(Exception):  # a failure here shows up, logged, in the first run
        cell = new_code_cell("1", outputs=[])  # type: ignore[no-untyped-call]
        render_html(new_notebook(cells=[cell]))  # type: ignore[no-untyped-call]


@functools.cache
def _html_exporter() -> Any:
    """One exporter per process: it compiles its templates once (~0.1 s), not per run."""
    from nbconvert import HTMLExporter

    return HTMLExporter()  # type: ignore[no-untyped-call]


def _plain_html(nb: Any) -> str:
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>notebook</title></head>"]
    parts.append("<body style='font-family:sans-serif'>")
    for index, cell in enumerate(nb.cells):
        parts.append(f"<div class='cell' id='cell-{index}'>")
        if cell.cell_type == "code":
            count = cell.get("execution_count") or " "
            parts.append(f"<div>In [{count}]:</div><pre>{html.escape(str(cell.source))}</pre>")
            parts.extend(_output_html(output) for output in cell.get("outputs", []))
        else:
            parts.append(f"<pre>{html.escape(str(cell.source))}</pre>")
        parts.append("</div><hr>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _output_html(output: Any) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{html.escape(str(output.get('text', '')))}</pre>"
    if kind == "error":
        trace = "\n".join(output.get("traceback", [])) or f"{output.ename}: {output.evalue}"
        return f"<pre style='color:#b00'>{html.escape(_strip_ansi(trace))}</pre>"
    data = output.get("data", {})
    if "text/html" in data:
        return f"<div>{''.join(data['text/html'])}</div>"
    if "image/png" in data:
        return f"<img src='data:image/png;base64,{data['image/png']}'>"
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
