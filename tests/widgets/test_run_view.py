"""RunView on the seeded store: info, params, metrics with sparklines, tags, source, artifacts."""

from __future__ import annotations

import re

from widget_seed import CELL_1, Seeded

from jupyter_mltrack.entities import Metric
from jupyter_mltrack.widgets import ArtifactBrowser, RunView
from jupyter_mltrack.widgets.run_view import SPARK_POINTS, source_html, sparkline


def test_shows_info_params_metrics_and_tags(seeded: Seeded) -> None:
    view = RunView(seeded.runs["rf-1"], client=seeded.client)
    html = view.details.value
    assert "mltrack-run-view" in view._dom_classes
    assert view.notice.kind is None
    assert "<h3>rf-1 " in html and "mltrack-status-finished" in html
    assert f"<td>run id</td><td>{seeded.runs['rf-1']}</td>" in html
    assert f"churn (id {seeded.experiments['churn']})" in html
    assert "<td>n_estimators</td><td>100</td>" in html
    assert "<td>acc</td><td>0.8</td>" in html and "<td>loss</td><td>0.4</td>" in html
    assert html.count("<polyline") == 2  # one sparkline per metric (10 points each)
    assert "<td>team</td><td>a</td>" in html
    assert '<details class="mltrack-system-tags">' in html  # collapsed


def test_notebook_source_cell_and_slice(seeded: Seeded) -> None:
    run_id = seeded.runs["cell-1"]
    seeded.client.set_tag(run_id, "mltrack.source.name", "/work/nb/train.ipynb")
    seeded.client.set_tag(run_id, "mltrack.source.type", "NOTEBOOK")
    view = RunView(run_id, client=seeded.client)
    html = view.details.value
    assert "<td>notebook</td><td>/work/nb/train.ipynb</td>" in html
    assert "<td>cell id</td><td>id-cell-1</td>" in html
    assert "<td>execution count</td><td>3</td>" in html
    assert "model = RandomForestClassifier(n_estimators=100)" in html
    assert CELL_1.splitlines()[1] in html
    assert '<details class="mltrack-slice">' in html and "read_csv(&quot;data.csv&quot;)" in html
    assert isinstance(view.artifact_browser, ArtifactBrowser)
    rows = view.artifact_browser.tree.children[1:]  # below the Name/Size header
    assert [row.children[0].description for row in rows] == ["cell.py", "slice.py"]


def test_run_without_source_says_so() -> None:
    html = source_html({}, None, None)
    assert "No notebook or source recorded" in html


def test_user_values_are_escaped(seeded: Seeded) -> None:
    run_id = seeded.runs["gbm-1"]
    seeded.client.set_tag(run_id, "owner", "<img src=x onerror=alert(1)>")
    seeded.client.log_param(run_id, "p", "<i>v</i>")
    html = RunView(run_id, client=seeded.client, artifacts=False).details.value
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<td>p</td><td>&lt;i&gt;v&lt;/i&gt;</td>" in html


def test_sparkline_is_downsampled() -> None:
    history = [Metric(key="m", value=float(i % 7), timestamp=i, step=i) for i in range(5000)]
    svg = sparkline(history)
    points = re.search(r'points="([^"]+)"', svg)
    assert points is not None
    assert len(points.group(1).split()) == SPARK_POINTS
    assert sparkline(history[:1]) == ""


def test_unknown_run_shows_an_error_not_a_traceback(seeded: Seeded) -> None:
    view = RunView("0" * 32, client=seeded.client)
    assert view.notice.kind == "error"
    assert "'00000000000000000000000000000000' not found" in view.notice.message
    assert view.body.children == ()


def test_refresh_picks_up_new_metrics(seeded: Seeded) -> None:
    run_id = seeded.runs["live-1"]
    view = RunView(run_id, client=seeded.client, artifacts=False)
    assert "<td>f1</td>" not in view.details.value
    seeded.client.log_metric(run_id, "f1", 0.5)
    view.refresh_button.click()
    assert "<td>f1</td><td>0.5</td>" in view.details.value
    assert "mltrack-status-running" in view.details.value


def test_unreachable_store_shows_a_message(closed_port_uri: str) -> None:
    view = RunView("0" * 32, tracking_uri=closed_port_uri)
    assert view.notice.kind == "error"
    assert view.notice.message  # one line from the driver, not a traceback
