"""ArtifactBrowser: lazy tree, previews per kind, size caps, downloads and errors (in-process)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import sys
from pathlib import Path

import ipywidgets
import pytest

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.widgets._artifact_view import INLINE_DOWNLOAD_LIMIT, file_icon
from jupyter_mltrack.widgets._previews import (
    OFFLINE_CSP,
    READ_LIMITS,
    build_preview,
    plotly_figure_from_html,
)
from jupyter_mltrack.widgets.artifacts import DATA_URI_LIMIT, ArtifactBrowser


@pytest.fixture
def client(tmp_path: Path) -> TrackingClient:
    return TrackingClient(f"sqlite:///{tmp_path / 'mltrack.db'}")


@pytest.fixture
def run_id(client: TrackingClient) -> str:
    return client.create_run(client.create_experiment("arts")).info.run_id


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _buttons(box: ipywidgets.Widget, css: str) -> list[ipywidgets.Button]:
    found = []
    stack = [box]
    while stack:
        widget = stack.pop()
        if isinstance(widget, ipywidgets.Button) and css in widget._dom_classes:
            found.append(widget)
        stack.extend(getattr(widget, "children", ()))
    return found


def _rows(box: ipywidgets.Widget) -> list[ipywidgets.HBox]:
    """The tree's rows, top to bottom (depth first, as drawn)."""
    found = []
    for child in getattr(box, "children", ()):
        if "mltrack-artifact-row" in child._dom_classes:
            found.append(child)
        else:
            found.extend(_rows(child))
    return found


def _size_of(row: ipywidgets.HBox) -> str:
    return re.sub(r"<[^>]+>", "", row.children[1].value)


def test_tree_lists_one_level_and_opens_directories_on_demand(client, run_id) -> None:
    client.log_text(run_id, "a", "top.txt")
    client.log_text(run_id, "b", "plots/deep/inner.txt")
    browser = ArtifactBrowser(run_id, client=client)
    assert "mltrack-artifact-browser" in browser._dom_classes
    (top,) = _buttons(browser.tree, "mltrack-artifact-file")
    assert (top.description, top.icon) == ("top.txt", "file-text-o")
    assert "mltrack-artifact-tree-header" in browser.tree.children[0]._dom_classes
    assert "Size" in browser.tree.children[0].value
    assert [_size_of(row) for row in _rows(browser.tree)] == ["", "1 B"]  # plots/, top.txt
    (placeholder,) = browser.preview.children
    assert "Select a file to preview" in placeholder.value
    (plots,) = _buttons(browser.tree, "mltrack-artifact-dir")
    assert (plots.description, plots.icon) == ("▸ plots/", "folder")
    assert browser._loaded == set()  # nothing below the root listed yet
    plots.click()
    assert browser._loaded == {"plots"}
    assert (plots.description, plots.icon) == ("▾ plots/", "folder-open")
    (deep,) = [b for b in _buttons(browser.tree, "mltrack-artifact-dir") if "deep" in b.description]
    deep.click()
    (inner,) = [
        b for b in _buttons(browser.tree, "mltrack-artifact-file") if "inner" in b.description
    ]
    top.click()
    inner.click()
    assert browser.selected_path == "plots/deep/inner.txt"
    assert "mltrack-selected" in inner._dom_classes  # highlighted, and only it
    assert "mltrack-selected" not in top._dom_classes
    assert "b</pre>" in browser.last_preview.html
    plots.click()  # collapse
    assert browser._children["plots"].layout.display == "none"


def test_previews_by_kind(client, run_id) -> None:
    import plotly.graph_objects as go

    client.log_text(run_id, "# Title\n\n**bold** <script>alert(1)</script>", "notes/readme.md")
    client.log_dict(run_id, {"lr": 0.1, "layers": [1, 2]}, "config.json")
    client.log_dict(run_id, {"lr": 0.1}, "config.yaml")
    client.log_table(run_id, {"x": [1, 2, 3], "y": ["a", "<b>", "c"]}, "table.csv")
    client.log_table(run_id, {"x": list(range(50))}, "table.parquet")
    client.log_figure(run_id, go.Figure(go.Scatter(y=[1, 3, 2], name="curve")), "plot.html")
    client.log_text(run_id, "<h1>hi</h1><script>alert(1)</script>", "page.html")
    client.log_text(run_id, '<svg xmlns="http://www.w3.org/2000/svg"/>', "icon.svg")
    repo_root = Path(client.get_run(run_id).info.artifact_uri)
    (repo_root / "image.png").write_bytes(_png())
    (repo_root / "blob.bin").write_bytes(b"\x00\x01")
    browser = ArtifactBrowser(run_id, client=client)
    browser.open_directory("notes")

    browser.select("notes/readme.md")
    assert "<h1>Title</h1>" in browser.last_preview.html
    assert "<strong>bold</strong>" in browser.last_preview.html
    assert "<script>" not in browser.last_preview.html

    browser.select("config.json")
    assert "&quot;layers&quot;: [\n    1," in browser.last_preview.html
    browser.select("config.yaml")
    assert "lr: 0.1" in browser.last_preview.html

    browser.select("table.csv")
    assert "<th>y</th>" in browser.last_preview.html
    assert "&lt;b&gt;" in browser.last_preview.html
    browser.select("table.parquet")
    assert browser.last_preview.note == "First 20 of 50 row(s)."
    assert browser.last_preview.html.count("<tr>") == 20  # 20 body rows (the header has a style)

    browser.select("plot.html")
    preview = browser.last_preview
    assert preview.kind == "plotly"
    assert preview.figure["data"][0]["name"] == "curve"
    (plot,) = [w for w in browser.preview.children if "mltrack-preview-plot" in w._dom_classes]
    assert plot.figure.data[0].y == (1, 3, 2)
    assert plot.sent_bytes < 50_000  # the figure JSON, not the 5 MB page with plotly.js

    browser.select("page.html")
    assert '<iframe sandbox=""' in browser.last_preview.html
    assert "<script>" not in browser.last_preview.html  # escaped into srcdoc
    assert "alert(1)" not in browser.last_preview.html  # and scripts are removed

    browser.select("image.png")
    (image,) = [w for w in browser.preview.children if isinstance(w, ipywidgets.Image)]
    assert image.format == "png" and image.value == _png()
    browser.select("icon.svg")
    (image,) = [w for w in browser.preview.children if isinstance(w, ipywidgets.Image)]
    assert image.format == "svg+xml"

    browser.select("blob.bin")
    assert "No preview" in browser.last_preview.note


def test_mlmodel_preview_shows_flavors_and_signature(client, run_id, tmp_path) -> None:
    from jupyter_mltrack.models.mlmodel import Model
    from jupyter_mltrack.models.signature import ModelSignature
    from jupyter_mltrack.models.types import ColSpec, Schema

    signature = ModelSignature(
        inputs=Schema([ColSpec("double", "age"), ColSpec("string", "plan")]),
        outputs=Schema([ColSpec("long", "churned")]),
    )
    model = Model(run_id=run_id, signature=signature)
    model.add_flavor("python_function", loader_module="jupyter_mltrack.sklearn")
    model.add_flavor("sklearn", pickled_model="model.skops", sklearn_version="1.9")
    model.save(tmp_path / "model")
    client.log_artifacts(run_id, tmp_path / "model", "model")
    browser = ArtifactBrowser(run_id, client=client)
    browser.open_directory("model")
    browser.select("model/MLmodel")
    text = browser.last_preview.html
    assert browser.last_preview.kind == "mlmodel"
    assert "<td>sklearn</td>" in text and "pickled_model: model.skops" in text
    assert "<td>age</td><td>double</td>" in text
    assert "<td>churned</td><td>long</td>" in text
    assert run_id in text


def test_large_files_are_capped(client, run_id) -> None:
    root = Path(client.get_run(run_id).info.artifact_uri)
    root.mkdir(parents=True, exist_ok=True)
    limit = READ_LIMITS["csv"]
    line = b"a,b\n" + b"1,2\n" * (limit // 2)  # twice the cap
    (root / "big.csv").write_bytes(line)
    with open(root / "huge.png", "wb") as file:  # sparse: larger than every cap, costs no disk
        file.truncate(2 * DATA_URI_LIMIT)
    browser = ArtifactBrowser(run_id, client=client)
    browser.select("big.csv")
    assert browser.last_preview.note.startswith("Showing the first 5.0 MB of 10.0 MB")
    assert browser.last_preview.html.count("<tr>") == 20
    browser.select("huge.png")
    assert browser.last_preview.image is None
    assert "Too large to preview (20.0 MB, limit 10.0 MB)" in browser.last_preview.note
    (download,) = _buttons(browser.preview, "mltrack-download")
    assert download.disabled


def test_download_link_and_save_to_folder(client, run_id, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # saving is confined to folders under the working directory
    client.log_text(run_id, "payload", "out/result.txt")
    browser = ArtifactBrowser(run_id, client=client)
    browser.open_directory("out")
    browser.select("out/result.txt")
    # A small file is read for its preview anyway: its download is a link, one click.
    (link,) = [w for w in _all(browser.preview) if "mltrack-download" in w._dom_classes]
    assert isinstance(link, ipywidgets.HTML) and "⬇ Download result.txt (7 B)" in link.value
    href = re.search(r'href="data:[^;]+;base64,([^"]+)"', link.value)
    assert href is not None and base64.b64decode(href.group(1)) == b"payload"
    assert 'download="result.txt"' in link.value
    saved = browser.save_to("out/result.txt", "dl")
    assert saved == str(tmp_path / "dl" / "result.txt")
    assert Path(saved).read_text() == "payload"
    assert browser.notice.message == f"Saved to {saved}"


def _all(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found.extend(_all(child))
    return found


def test_files_not_read_for_a_preview_download_on_request(client, run_id) -> None:
    root = Path(client.get_run(run_id).info.artifact_uri)
    root.mkdir(parents=True, exist_ok=True)
    (root / "weights.bin").write_bytes(b"\x00" * (INLINE_DOWNLOAD_LIMIT + 1))
    browser = ArtifactBrowser(run_id, client=client)
    (row,) = _rows(browser.tree)
    assert row.children[0].icon == "file-o" and _size_of(row) == "2.0 MB"
    browser.select("weights.bin")
    (download,) = _buttons(browser.preview, "mltrack-download")  # not sent until asked
    download.click()
    (output,) = [w for w in _all(browser.preview) if "mltrack-download-output" in w._dom_classes]
    assert 'download="weights.bin"' in output.value


def test_notebook_html_preview_fetches_nothing_from_the_internet() -> None:
    page = (
        '<html><head><script src="https://cdnjs.cloudflare.com/require.min.js"></script>'
        '<link rel="stylesheet" href="https://fonts.example.com/x.css">'
        "<style>body{color:red}</style></head>"
        '<body><img src="https://tracker.example.com/p.gif"><p>cell output</p>'
        '<script type="text/x-mathjax-config">MathJax.Hub.Config({})</script></body></html>'
    )
    preview = build_preview("notebook.html", page.encode())
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', preview.html).group(1))
    assert srcdoc.startswith(OFFLINE_CSP)  # before anything that could be fetched
    assert "default-src 'none'" in OFFLINE_CSP and "img-src data:" in OFFLINE_CSP
    assert "<script" not in srcdoc and "cell output" in srcdoc
    assert 'sandbox=""' in preview.html  # no scripts either way


@pytest.mark.parametrize(
    ("path", "icon"),
    [("plot.png", "file-image-o"), ("metrics.csv", "table"), ("model/MLmodel", "cube"),
     ("train.py", "file-code-o"), ("run.ipynb", "book"), ("weights.pt", "file-o"),
     ("notes.md", "file-text-o"), ("conf.json", "file-code-o")],
)  # fmt: skip
def test_file_icons_by_kind(path: str, icon: str) -> None:
    assert file_icon(path) == icon


def test_unknown_run_and_empty_run_show_messages(client, run_id) -> None:
    missing = ArtifactBrowser("f" * 32, client=client)
    assert missing.notice.kind == "error"
    assert "not found" in missing.notice.message
    empty = ArtifactBrowser(run_id, client=client)
    assert empty.notice.kind == "info"
    assert empty.notice.message == "This run has no artifacts yet."
    empty.open_directory("nowhere")
    assert "open its parent first" in empty.notice.message


def test_refresh_shows_new_artifacts(client, run_id) -> None:
    browser = ArtifactBrowser(run_id, client=client)
    client.log_text(run_id, "x", "later.txt")
    browser.refresh_button.click()
    assert browser.notice.kind is None
    assert [b.description for b in _buttons(browser.tree, "mltrack-artifact-file")] == ["later.txt"]


def test_parquet_without_pyarrow_says_how_to_install(monkeypatch) -> None:
    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame({"x": [1]}).to_parquet(buffer)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    preview = build_preview("t.parquet", buffer.getvalue())
    assert "pip install 'jupyter_mltrack[parquet]'" in preview.note


def test_malformed_file_is_a_message_not_an_exception() -> None:
    preview = build_preview("broken.json", b"{not json")
    assert preview.note.startswith("Could not read this json file (JSONDecodeError")
    assert "{not json" in preview.html


def test_plotly_figure_extraction_ignores_other_pages() -> None:
    assert plotly_figure_from_html("<html>no plot</html>") is None
    assert plotly_figure_from_html("Plotly.newPlot(broken") is None
    page = 'Plotly.newPlot(\n "id", [{"y": [1]}], {"title": {"text": "t"}}, {})'
    assert plotly_figure_from_html(page) == {
        "data": [{"y": [1]}],
        "layout": {"title": {"text": "t"}},
    }


def test_plotly_json_artifact_is_drawn_as_a_figure() -> None:
    figure = {"data": [{"type": "bar", "y": [1, 2]}], "layout": {}}
    preview = build_preview("fig.json", json.dumps(figure).encode())
    assert preview.figure == figure


def test_remote_store_large_text_is_not_read(client, tmp_path) -> None:
    """Outside a local folder (here fsspec's memory://) a head cannot be read cheaply, so a file
    over the cap is not read at all; under the cap it is previewed as usual."""
    experiment = client.create_experiment("remote", artifact_location=f"memory://{tmp_path.name}")
    run_id = client.create_run(experiment).info.run_id
    client.log_text(run_id, "x" * (READ_LIMITS["text"] + 1), "big.log")
    client.log_text(run_id, "small", "small.log")
    browser = ArtifactBrowser(run_id, client=client)
    browser.select("big.log")
    assert browser.last_preview.html == ""
    assert browser.last_preview.note.startswith("Too large to preview (512.0 KB")
    browser.select("small.log")
    assert "small</pre>" in browser.last_preview.html


def test_offline_html_disarms_every_remote_reference() -> None:
    from jupyter_mltrack.widgets._previews import offline_html

    page = offline_html(
        '<link rel="stylesheet" href="https://fonts.example/css"><style>@import url('
        '"https://example.com/theme.css"); .a {background: url(//cdn.example/z.png)} @import '
        "'http://e.example/a.css';</style><img src=https://example.com/p.png srcset='//s/x 2x'>"
        '<video poster="HTTPS://v.example/p.jpg"></video><a href="#local">in</a>'
        '<img src="data:image/png;base64,AA">'
    )
    assert page.startswith('<meta http-equiv="Content-Security-Policy"')
    # Nothing a (pre)loader could fetch: no remote URL left in a loading attribute or CSS url().
    loading = r"""(?<![-\w])(src|href|srcset|poster)\s*=\s*["']?\s*(https?:)?//"""
    assert not re.search(loading, page, re.I)
    assert not re.search(r"""(url\(|@import)\s*["']?\s*(https?:)?//""", page, re.I)
    assert 'href="#local"' in page and 'src="data:image/png;base64,AA"' in page
