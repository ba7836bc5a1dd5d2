"""The widgets the artifact browser is made of: tree rows with icons and a size column, the
"select a file" placeholder, previews, and the one-click download link.

Icons are Font Awesome 4 names, the set JupyterLab, Notebook 7 and Voila ship with the widgets:
nothing is fetched from the internet to draw them.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Mapping
from typing import Any

import ipywidgets

from jupyter_mltrack.widgets._previews import Preview, data_uri_link, format_size, preview_kind

__all__ = [
    "INLINE_DOWNLOAD_LIMIT",
    "TREE_STYLE",
    "dir_row",
    "download_link",
    "figure_widget",
    "file_icon",
    "file_row",
    "placeholder",
    "preview_widgets",
    "tree_header",
]

#: Files up to this size get their download link at once (one click); larger ones are sent to
#: the browser only when asked (a "Download" button), so selecting a file stays cheap.
INLINE_DOWNLOAD_LIMIT = 2 * 1024 * 1024
_INDENT = 16
_SIZE_WIDTH = "80px"
_ICONS = {
    "image": "file-image-o",
    "svg": "file-image-o",
    "text": "file-text-o",
    "markdown": "file-text-o",
    "yaml": "file-text-o",
    "json": "file-code-o",
    "html": "file-code-o",
    "csv": "table",
    "parquet": "table",
    "notebook": "book",
    "mlmodel": "cube",
    "binary": "file-o",
}
_CODE_EXTENSIONS = {"py", "r", "sh", "sql", "toml", "cfg", "ini"}
# Rows read as a file tree, not as a stack of buttons; colours from the JupyterLab theme (and a
# translucent highlight) so the tree reads on the light and the dark theme alike.
TREE_STYLE = """<style>
.mltrack-artifact-row .widget-button {text-align:left; background:transparent; box-shadow:none;
  padding:0 4px; color:var(--jp-ui-font-color1)}
.mltrack-artifact-row .widget-button:hover {background:rgba(128,128,128,.15)}
.mltrack-artifact-row .widget-button.mltrack-selected {background:rgba(33,150,243,.25)}
.mltrack-artifact-size {text-align:right; line-height:var(--jp-widgets-inline-height,28px)}
</style>"""


def file_icon(path: str) -> str:
    """The Font Awesome icon of an artifact file, by its kind (``file-image-o``, ``table``...)."""
    ext = path.rsplit(".", 1)[-1].lower() if "." in posixpath.basename(path) else ""
    if ext in _CODE_EXTENSIONS:
        return "file-code-o"
    return _ICONS.get(preview_kind(path), "file-o")


def _name_button(label: str, icon: str, depth: int, css: str) -> ipywidgets.Button:
    button = ipywidgets.Button(
        description=label,
        tooltip=label,
        icon=icon,
        layout=ipywidgets.Layout(
            margin=f"0 0 0 {depth * _INDENT}px",
            width="auto",
            flex="1 1 auto",
            justify_content="flex-start",
        ),
    )
    button.add_class(css)
    return button


def _size_cell(text: str) -> ipywidgets.HTML:
    cell = ipywidgets.HTML(
        f'<div style="color:var(--jp-ui-font-color2,#666);padding-right:4px">'
        f"{html.escape(text)}</div>",
        layout=ipywidgets.Layout(
            width=_SIZE_WIDTH, min_width=_SIZE_WIDTH, justify_content="flex-end"
        ),
    )
    cell.add_class("mltrack-artifact-size")
    return cell


def _row(button: ipywidgets.Button, size: str) -> ipywidgets.HBox:
    row = ipywidgets.HBox([button, _size_cell(size)], layout=ipywidgets.Layout(width="100%"))
    row.add_class("mltrack-artifact-row")
    return row


def tree_header() -> ipywidgets.HTML:
    """The column titles above the tree: Name, Size."""
    header = ipywidgets.HTML(
        TREE_STYLE + '<div style="display:flex;font-weight:bold;padding:2px 4px;'
        'border-bottom:1px solid var(--jp-border-color2,#ddd)">'
        f'<span style="flex:1">Name</span><span style="width:{_SIZE_WIDTH};text-align:right">'
        "Size</span></div>"
    )
    header.add_class("mltrack-artifact-tree-header")
    return header


def dir_row(path: str, depth: int) -> tuple[ipywidgets.HBox, ipywidgets.Button]:
    """A directory's row (closed) and its name button, which opens and closes it."""
    button = _name_button(f"▸ {posixpath.basename(path)}/", "folder", depth, "mltrack-artifact-dir")
    return _row(button, ""), button


def file_row(path: str, size: int | None, depth: int) -> tuple[ipywidgets.HBox, ipywidgets.Button]:
    """A file's row: an icon and its name (the button that selects it), its size in a column."""
    button = _name_button(posixpath.basename(path), file_icon(path), depth, "mltrack-artifact-file")
    return _row(button, format_size(size)), button


def placeholder() -> ipywidgets.HTML:
    """What the preview pane shows before a file is selected."""
    text = ipywidgets.HTML(
        '<div style="padding:24px;color:var(--jp-ui-font-color2,#666)">'
        "Select a file to preview it here.</div>"
    )
    text.add_class("mltrack-preview-placeholder")
    return text


def download_link(path: str, data: bytes) -> ipywidgets.HTML:
    """A link, styled as a button, that saves ``data`` under the file's name in one click."""
    link = ipywidgets.HTML(data_uri_link(path, data))
    link.add_class("mltrack-download")
    return link


def preview_widgets(preview: Preview) -> list[ipywidgets.Widget]:
    """The widgets showing one preview: its note, then the image, figure or HTML."""
    out: list[ipywidgets.Widget] = []
    if preview.note:
        note = ipywidgets.HTML(f"<i>{html.escape(preview.note)}</i>")
        note.add_class("mltrack-preview-note")
        out.append(note)
    if preview.image is not None:
        image = ipywidgets.Image(value=preview.image, format=preview.image_format)
        image.layout.max_width = "100%"
        image.add_class("mltrack-preview-image")
        out.append(image)
    if preview.figure is not None:
        out.append(figure_widget(preview.figure))
    if preview.html:
        body = ipywidgets.HTML(preview.html, layout=ipywidgets.Layout(overflow="auto"))
        body.add_class("mltrack-preview-body")
        out.append(body)
    return out


def figure_widget(figure: Mapping[str, Any]) -> ipywidgets.Widget:
    """Return an output showing a ``{"data", "layout"}`` plotly figure (see ``_figure_output``).

    The dict goes to plotly.js as it is: properties written by another plotly version are
    ignored there, and no plotly import is needed.
    """
    from jupyter_mltrack.widgets._figure_output import FigureOutput

    output = FigureOutput()
    output.show(figure)
    output.add_class("mltrack-preview-plot")
    return output
