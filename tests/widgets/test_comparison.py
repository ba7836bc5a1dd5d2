"""RunComparison: param and metric tables, parallel coordinates, histories, source diffs."""

from __future__ import annotations

import pytest

from jupyter_mltrack.widgets._compare import (
    differs,
    metric_rows,
    param_rows,
    source_diff_html,
)
from jupyter_mltrack.widgets._figures import parcoords_dimension, parcoords_figure
from jupyter_mltrack.widgets.comparison import RunComparison


# -- pure helpers ----------------------------------------------------------------------------------
def test_differs_treats_missing_as_a_value():
    assert not differs(["5", "5"])
    assert differs(["5", None])
    assert differs(["5", "6"])


def test_param_and_metric_rows(seeded):
    runs = [seeded.client.get_run(seeded.runs[n]) for n in ("rf-1", "rf-2", "gbm-1")]
    all_params = dict(param_rows(runs))
    assert all_params["model"] == ["rf", "rf", "gbm"]
    assert all_params["lr"] == [None, None, "0.1"]
    only = dict(param_rows(runs[:2], only_differences=True))
    assert list(only) == ["n_estimators"]
    rows = dict(metric_rows(runs, runs[0].info.run_id))
    base, rf2, gbm = rows["acc"]
    assert base.value == pytest.approx(0.8) and base.delta is None
    assert rf2.delta == pytest.approx(0.05) and rf2.relative == pytest.approx(0.0625)
    assert gbm.delta == pytest.approx(0.1)


def test_categorical_and_missing_parcoords_dimensions():
    model = parcoords_dimension("params.model", ["rf", "gbm", None])
    assert model["ticktext"] == ["∅", "gbm", "rf"]
    assert model["values"] == [2, 1, 0]
    depth = parcoords_dimension("params.max_depth", ["5", None, "7"])
    assert depth["ticktext"][0] == "∅"
    assert depth["values"][1] == depth["tickvals"][0] < 5  # missing drawn below the range
    acc = parcoords_dimension("metrics.acc", [0.8, 0.9])
    assert acc == {"label": "metrics.acc", "values": [0.8, 0.9]}
    fig = parcoords_figure(["a", "b", "c"], {"params.model": ["rf", "gbm", None], "m": [1, 2, 3]})
    assert fig.data[0].type == "parcoords"
    assert list(fig.data[0].line.color) == [1, 2, 3]  # coloured by the numeric column


def test_source_diff_html():
    texts = {"a": "x = 1\ny = 2\n", "b": "x = 1\ny = 3\n", "c": "x = 1\ny = 2\n", "d": None}
    html = source_diff_html("cell.py", texts, "a")
    assert 'class="mltrack-diff"' in html
    assert "a → b" in html and "diff_chg" in html
    assert "#difflib_" not in html
    assert "a → c: <i>identical</i>" in html
    assert "d has no cell.py" in html
    assert source_diff_html("cell.py", {"a": "x"}, "a") == ""


# -- the widget ------------------------------------------------------------------------------------
def test_comparison_of_three_runs(seeded):
    ids = [seeded.runs[n] for n in ("rf-1", "rf-2", "gbm-1")]
    comparison = RunComparison(ids, client=seeded.client)
    assert "mltrack-run-comparison" in comparison._dom_classes
    assert comparison.notice.kind is None
    assert comparison.baseline == ids[0]
    assert [b.description for b in comparison.run_links.children] == [
        f"{name} · {seeded.runs[name][:8]}" for name in ("rf-1", "rf-2", "gbm-1")
    ]
    assert all("mltrack-run-link" in b._dom_classes for b in comparison.run_links.children)
    params = comparison.params_html.value
    assert params.count("mltrack-param-row") == 4  # lr, max_depth, model, n_estimators
    assert "rf-1 (baseline)" in comparison.metrics_html.value
    assert "+0.05" in comparison.metrics_html.value  # rf-2's acc against rf-1
    assert comparison.sections["source"].layout.display == "none"  # no cell.py recorded


def test_only_differences_toggle_and_baseline_change(seeded):
    ids = [seeded.runs["rf-1"], seeded.runs["rf-2"]]
    comparison = RunComparison(ids, client=seeded.client)
    assert comparison.params_html.value.count("mltrack-param-row") == 3
    comparison.diff_toggle.value = True
    assert comparison.only_differences
    assert comparison.params_html.value.count("mltrack-param-row") == 1
    assert "n_estimators" in comparison.params_html.value
    comparison.baseline_dropdown.value = ids[1]
    assert "rf-2 (baseline)" in comparison.metrics_html.value
    assert "-0.05" in comparison.metrics_html.value


def test_parallel_coordinates_over_chosen_axes(seeded):
    ids = [seeded.runs[n] for n in ("rf-1", "rf-2", "gbm-1")]
    comparison = RunComparison(ids, client=seeded.client)
    assert "mltrack-parcoords" in comparison.parcoords._dom_classes
    dims = comparison.parcoords.figure.data[0].dimensions
    labels = [d.label for d in dims]
    assert "metrics.acc" in labels and "params.model" in labels
    model = dims[labels.index("params.model")]
    assert list(model.ticktext) == ["gbm", "rf"] and list(model.values) == [1, 1, 0]
    comparison.dims_select.value = ("params.n_estimators", "metrics.loss")
    assert [d.label for d in comparison.parcoords.figure.data[0].dimensions] == [
        "params.n_estimators",
        "metrics.loss",
    ]
    comparison.dims_select.value = ("metrics.loss",)
    assert comparison.parcoords.figure is None  # one axis is no plot


def test_metric_history_overlay(seeded):
    ids = [seeded.runs["rf-1"], seeded.runs["gbm-1"]]
    comparison = RunComparison(ids, client=seeded.client)
    assert comparison.history_key.value == "acc"
    assert [t.name for t in comparison.history.figure.data] == ["rf-1", "gbm-1"]
    comparison.history_key.value = "loss"
    loss = comparison.history.figure.data
    assert [t.meta["key"] for t in loss] == ["loss", "loss"]
    assert loss[1].y[-1] == pytest.approx(0.3)


def test_cell_source_and_slice_diffs(seeded):
    ids = [seeded.runs["cell-1"], seeded.runs["cell-2"]]
    comparison = RunComparison(ids, client=seeded.client)
    assert comparison.sections["source"].layout.display is None
    html = comparison.source_html.value
    assert "cell-1 → cell-2" in html
    assert 'n_estimators=<span class="diff_chg">3</span>00' in html
    assert 'href="#difflib' not in html  # HtmlDiff's jump links are stripped
    assert "<b>slice.py</b>: cell-1 → cell-2: <i>identical</i>" in html
    assert comparison.sources["cell.py"]["cell-1"].startswith("model = RandomForestClassifier")


def test_run_links_open_the_run_view(seeded):
    comparison = RunComparison([seeded.runs["rf-1"], seeded.runs["rf-2"]], client=seeded.client)
    comparison.run_links.children[1].click()
    view = comparison.run_view
    assert view is not None, comparison.notice.message
    assert comparison.detail_box.children == (view,)
    assert "mltrack-run-view" in view._dom_classes


def test_unknown_ids_and_empty_input(seeded):
    comparison = RunComparison([seeded.runs["rf-1"], "f" * 32], client=seeded.client)
    assert comparison.notice.kind == "error" and "f" * 32 in comparison.notice.message
    assert [b.description.split(" · ")[0] for b in comparison.run_links.children] == ["rf-1"]
    empty = RunComparison([], client=seeded.client)
    assert empty.notice.kind == "info"


def test_unreachable_store(closed_port_uri):
    comparison = RunComparison(["a" * 32, "b" * 32], tracking_uri=closed_port_uri)
    assert comparison.notice.kind == "error"
    assert "Cannot reach the tracking store" in comparison.notice.message


@pytest.mark.parametrize(
    ("key", "delta", "color"),
    [
        ("accuracy", 0.1, "#2e7d32"),  # higher accuracy: better
        ("accuracy", -0.1, "#c62828"),
        ("val_loss", 0.1, "#c62828"),  # higher loss: worse
        ("val_loss", -0.1, "#2e7d32"),
        ("rmse", -1.0, "#2e7d32"),
    ],
)
def test_deltas_are_green_when_the_metric_improves(key: str, delta: float, color: str) -> None:
    from jupyter_mltrack.widgets._compare import MetricCell, metric_table_html

    cells = [MetricCell(1.0), MetricCell(1.0 + delta, delta, delta)]
    html_out = metric_table_html(["base", "other"], [(key, cells)], "base")
    assert f"color:{color}" in html_out
    assert ("▲" if delta > 0 else "▼") in html_out
