"""Previews of artifact files as HTML, images or plotly figures: pure functions, no widgets.

:func:`build_preview` turns the bytes of one file into a :class:`Preview`; the artifact browser
turns that into widgets. Every kind has a size cap (:data:`READ_LIMITS`): a larger file is not
read at all (or only its head, for text-like files in a local store), so a 1 GB artifact never
travels to the browser.

HTML artifacts are mostly plotly figures saved by ``log_figure``/``evaluate()`` as
self-contained pages (~5 MB, most of it plotly.js). The figure's JSON is taken out of the page
and shown as a native plotly figure: no iframe, no second copy of plotly.js. Other HTML is shown
in an ``<iframe sandbox srcdoc>`` with scripts disabled and a Content-Security-Policy that lets it
fetch nothing (:func:`offline_html`) — the one place an iframe is used, since an arbitrary page
cannot be embedded into the notebook's DOM safely.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import json
import posixpath
import re
from typing import Any

__all__ = [
    "OFFLINE_CSP",
    "READ_LIMITS",
    "Preview",
    "build_preview",
    "data_uri_link",
    "format_size",
    "offline_html",
    "plotly_figure_from_html",
    "preview_kind",
]

_MB = 1024 * 1024
#: Largest file (bytes) read for a preview, per kind.
READ_LIMITS: dict[str, int] = {
    "image": 10 * _MB,
    "svg": 2 * _MB,
    "text": 512 * 1024,
    "markdown": 512 * 1024,
    "json": 2 * _MB,
    "yaml": 2 * _MB,
    "csv": 5 * _MB,
    "parquet": 50 * _MB,
    "html": 20 * _MB,  # self-contained plotly pages are ~5 MB; only the figure JSON is sent on
    "mlmodel": 1 * _MB,
    "notebook": 5 * _MB,
}
#: Kinds whose first bytes make a useful preview when the whole file is too large.
HEAD_KINDS = frozenset({"text", "markdown", "csv", "json", "yaml"})
#: Largest non-plotly HTML page put into a sandboxed iframe.
SANDBOX_HTML_LIMIT = 1 * _MB
TABLE_ROWS = 20
_IMAGE_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}
_KINDS_BY_EXTENSION = {
    **dict.fromkeys(_IMAGE_FORMATS, "image"),
    "svg": "svg",
    "md": "markdown",
    "markdown": "markdown",
    "json": "json",
    "yaml": "yaml",
    "yml": "yaml",
    "csv": "csv",
    "tsv": "csv",
    "parquet": "parquet",
    "html": "html",
    "htm": "html",
    "ipynb": "notebook",
    **dict.fromkeys(
        ("txt", "log", "py", "cfg", "ini", "toml", "sh", "sql", "r", "out", "err", "tex"), "text"
    ),
}
_TEXT_NAMES = {"requirements.txt", "license", "readme", "dockerfile", "makefile"}
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
# An attribute that loads a remote resource (absolute or protocol-relative URL).
_REMOTE_ATTRIBUTE = re.compile(
    r"\b(src|href|srcset|poster|data|action|background|formaction)\s*=\s*"
    r"([\"']?\s*(?:[a-z][a-z0-9+.-]*:)?//)",
    re.IGNORECASE,
)
# A CSS url(...) or @import of a remote resource.
_REMOTE_CSS = re.compile(
    r"((?:url\(|@import)\s*[\"']?\s*)(?=(?:[a-z][a-z0-9+.-]*:)?//)", re.IGNORECASE
)
#: Put first in a previewed HTML page: nothing may be fetched, inline styles and data: kept.
OFFLINE_CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; media-src data:; font-src data:; style-src 'unsafe-inline'\">"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Preview:
    """What to show for one file: HTML, an image, or a plotly figure, plus a note line."""

    kind: str
    html: str = ""
    image: bytes | None = None
    image_format: str = ""
    figure: dict[str, Any] | None = None
    note: str = ""


def preview_kind(path: str) -> str:
    """Return the preview kind of an artifact path, e.g. ``"csv"``; ``"binary"`` if none fits."""
    name = posixpath.basename(path)
    if name == "MLmodel":
        return "mlmodel"
    if name.lower() in _TEXT_NAMES:
        return "text"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _KINDS_BY_EXTENSION.get(ext, "binary")


def format_size(size: int | None) -> str:
    """Return a byte count as ``"512 B"``, ``"1.5 KB"``, ``"20.0 MB"``; ``""`` when unknown."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""  # unreachable


def build_preview(path: str, data: bytes, *, total_size: int | None = None) -> Preview:
    """Return the preview of ``path`` whose content (or head, when shorter) is ``data``.

    ``total_size`` larger than ``len(data)`` means ``data`` is only the head of the file.
    """
    kind = preview_kind(path)
    truncated = total_size is not None and total_size > len(data)
    note = (
        f"Showing the first {format_size(len(data))} of {format_size(total_size)}."
        if truncated
        else ""
    )
    try:
        preview = _RENDERERS.get(kind, _binary)(data, truncated)
    except Exception as exc:  # a malformed file is shown as a message, not a traceback
        shown = _text_html(data) if kind in HEAD_KINDS | {"mlmodel"} else ""
        reason = f"Could not read this {kind} file ({type(exc).__name__}: {exc})."
        return Preview(kind=kind, html=shown, note=f"{reason} {note}".strip())
    return dataclasses.replace(preview, note=" ".join(n for n in (note, preview.note) if n))


# -- renderers: (data, truncated) -> Preview ------------------------------------------------------
def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _text_html(data: bytes) -> str:
    return f'<pre class="mltrack-preview-text">{html.escape(_decode(data))}</pre>'


def _text(data: bytes, truncated: bool) -> Preview:
    return Preview(kind="text", html=_text_html(data))


def _markdown(data: bytes, truncated: bool) -> Preview:
    from jupyter_mltrack.widgets._markdown import render_markdown

    body = render_markdown(_decode(data))
    return Preview(kind="markdown", html=f'<div class="mltrack-preview-markdown">{body}</div>')


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, default=str)


def _json(data: bytes, truncated: bool) -> Preview:
    if truncated:
        return Preview(kind="json", html=_text_html(data))
    value = json.loads(_decode(data))
    figure = _figure_dict(value)
    if figure is not None:
        return Preview(kind="plotly", figure=figure, note="A plotly figure saved as JSON.")
    return Preview(kind="json", html=_text_html(_pretty(value).encode()))


def _yaml(data: bytes, truncated: bool) -> Preview:
    import yaml

    if truncated:
        return Preview(kind="yaml", html=_text_html(data))
    value = yaml.safe_load(_decode(data))
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return Preview(kind="yaml", html=_text_html(text.encode()))


def _image(data: bytes, truncated: bool) -> Preview:
    return Preview(kind="image", image=data, image_format=_image_format(data))


def _image_format(data: bytes) -> str:
    signatures = {b"\x89PNG": "png", b"\xff\xd8": "jpeg", b"GIF8": "gif", b"RIFF": "webp"}
    return next((fmt for sig, fmt in signatures.items() if data.startswith(sig)), "png")


def _svg(data: bytes, truncated: bool) -> Preview:
    # Shown through an <img> (ipywidgets.Image): scripts inside an SVG never run there.
    return Preview(kind="image", image=data, image_format="svg+xml")


def _csv(data: bytes, truncated: bool) -> Preview:
    import pandas as pd

    text = _decode(data)
    if truncated:  # drop the last, probably cut, line
        text = text[: text.rfind("\n") + 1] or text
    sep = "\t" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
    frame = pd.read_csv(io.StringIO(text), sep=sep, nrows=TABLE_ROWS)
    return Preview(kind="table", html=table_html(frame), note=f"First {len(frame)} row(s).")


def _parquet(data: bytes, truncated: bool) -> Preview:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return Preview(
            kind="parquet",
            note="Install pyarrow to preview parquet files: "
            "pip install 'jupyter_mltrack[parquet]'.",
        )
    parquet = pq.ParquetFile(io.BytesIO(data))
    batch = next(parquet.iter_batches(batch_size=TABLE_ROWS), None)
    frame = (
        batch.to_pandas() if batch is not None else parquet.schema_arrow.empty_table().to_pandas()
    )
    rows = parquet.metadata.num_rows
    return Preview(
        kind="table", html=table_html(frame), note=f"First {len(frame)} of {rows} row(s)."
    )


def table_html(frame: Any) -> str:
    """Return a DataFrame as an escaped HTML table (pandas escapes cell values)."""
    rendered: str = frame.to_html(
        index=False, escape=True, max_cols=30, classes="mltrack-preview-table", border=0
    )
    return rendered


def _html(data: bytes, truncated: bool) -> Preview:
    text = _decode(data)
    figure = plotly_figure_from_html(text)
    if figure is not None:
        return Preview(kind="plotly", figure=figure)
    page = offline_html(text)
    if len(page.encode("utf-8")) > SANDBOX_HTML_LIMIT:
        return Preview(
            kind="html",
            note=f"HTML page over {format_size(SANDBOX_HTML_LIMIT)}: download it to view it.",
        )
    # sandbox="" : no scripts, no forms, an opaque origin — the page cannot reach the notebook.
    frame = (
        f'<iframe sandbox="" srcdoc="{html.escape(page, quote=True)}" '
        'style="width:100%;height:480px;border:1px solid var(--jp-border-color2,#ddd);'
        'background:#fff"></iframe>'
    )
    return Preview(kind="html", html=frame, note="Shown without scripts, offline.")


def offline_html(text: str) -> str:
    """Return an HTML page that can fetch nothing: scripts removed, a blocking CSP first.

    Notebook pages written by nbconvert (a project run's ``notebook.html``) load require.js,
    MathJax and mermaid from a CDN, and any page may link stylesheets, fonts or images on the
    internet: shown in a notebook, that would leak the viewer's address to those hosts (and
    hang offline). The sandbox already stops scripts; the Content-Security-Policy placed before
    anything else stops every other request, leaving inline styles and ``data:`` images. Remote
    references are disarmed too (``src=`` becomes ``data-blocked-src=``, CSS ``url(//…)`` points
    nowhere): a browser's speculative preloader may fetch what it sees before the policy applies.
    """
    text = _REMOTE_ATTRIBUTE.sub(r"data-blocked-\1=\2", _SCRIPT.sub("", text))
    return OFFLINE_CSP + _REMOTE_CSS.sub(r"\1about:blank#", text)


def plotly_figure_from_html(text: str) -> dict[str, Any] | None:
    """Return ``{"data", "layout"}`` of the plotly figure in an HTML page, or None.

    Reads the arguments of the page's last ``Plotly.newPlot(id, data, layout, ...)`` call, the
    form ``plotly.io.to_html`` writes.
    """
    start = text.rfind("Plotly.newPlot(")
    if start < 0:
        return None
    decoder = json.JSONDecoder()
    pos = start + len("Plotly.newPlot(")
    values: list[Any] = []
    try:
        for _ in range(3):  # div id, data, layout
            pos = _skip(text, pos)
            value, pos = decoder.raw_decode(text, pos)
            values.append(value)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos += 1
    except (ValueError, IndexError):
        return None
    if len(values) < 3 or not isinstance(values[1], list) or not isinstance(values[2], dict):
        return None
    return {"data": values[1], "layout": values[2]}


def _skip(text: str, pos: int) -> int:
    while text[pos].isspace():
        pos += 1
    return pos


def _figure_dict(value: Any) -> dict[str, Any] | None:
    if (
        isinstance(value, dict)
        and isinstance(value.get("data"), list)
        and isinstance(value.get("layout"), dict)
        and set(value) <= {"data", "layout", "frames", "config"}
    ):
        return {"data": value["data"], "layout": value["layout"]}
    return None


def _notebook(data: bytes, truncated: bool) -> Preview:
    notebook = json.loads(_decode(data))
    cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
    parts = []
    for cell in cells[:50]:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        label = html.escape(str(cell.get("cell_type", "cell")))
        parts.append(f"<div><small>{label}</small>{_text_html(source.encode())}</div>")
    more = f"<p><em>... {len(cells) - 50} more cell(s)</em></p>" if len(cells) > 50 else ""
    return Preview(kind="notebook", html="".join(parts) + more, note=f"{len(cells)} cell(s).")


def _binary(data: bytes, truncated: bool) -> Preview:
    return Preview(kind="binary", note="No preview for this file type; use Download.")


def _mlmodel(data: bytes, truncated: bool) -> Preview:
    from jupyter_mltrack.widgets._mlmodel import mlmodel_html

    return Preview(kind="mlmodel", html=mlmodel_html(_decode(data)))


_RENDERERS = {
    "text": _text,
    "markdown": _markdown,
    "json": _json,
    "yaml": _yaml,
    "image": _image,
    "svg": _svg,
    "csv": _csv,
    "parquet": _parquet,
    "html": _html,
    "notebook": _notebook,
    "mlmodel": _mlmodel,
    "binary": _binary,
}


# Looks like a widget button on every JupyterLab theme.
_LINK_STYLE = (
    "display:inline-block;padding:0 12px;line-height:28px;text-decoration:none;"
    "color:var(--jp-ui-font-color1,#000);background:var(--jp-layout-color2,#eee);border-radius:2px"
)


def data_uri_link(name: str, data: bytes, *, mime: str = "application/octet-stream") -> str:
    """Return an ``<a download>`` anchor holding ``data`` as a base64 data URI."""
    encoded = base64.b64encode(data).decode("ascii")
    safe_name = html.escape(posixpath.basename(name), quote=True)
    return (
        f'<a class="mltrack-download-link jupyter-button" download="{safe_name}" '
        f'title="Download {safe_name}" style="{_LINK_STYLE}" '
        f'href="data:{mime};base64,{encoded}">⬇ Download {safe_name} '
        f"({format_size(len(data))})</a>"
    )
