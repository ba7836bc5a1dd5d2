"""RunComparison: param and metric tables, parallel coordinates, histories, source diffs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from registry_seed import seed_registry

from jupyter_mltrack.widgets import _direction
from jupyter_mltrack.widgets._compare import (
    axis_choices,
    differs,
    metric_rows,
    param_rows,
    source_diff_html,
)
from jupyter_mltrack.widgets._direction import direction_tag
from jupyter_mltrack.widgets._parcoords import VIRIDIS, parcoords_dimension, parcoords_figure
from jupyter_mltrack.widgets.comparison import RunComparison


@pytest.fixture(autouse=True)
def _forget_kernel_directions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_direction, "_DECLARED", {})


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
    assert acc["values"] == [0.8, 0.9] and acc["ticktext"] == ["0.8", "0.9"]  # the values
    many = parcoords_dimension("metrics.loss", [0.1, 0.2, 0.3, 0.4, 0.5, 0.7])
    assert many["ticktext"] == ["0.1", "0.4", "0.7"]  # many values: the ends and the middle


def test_parcoords_figure_names_runs_and_colours_by_the_objective():
    columns = {
        "params.learning_rate": ["0.05", "0.1", "0.2"],
        "params.a_rather_long_parameter_name_indeed": ["x", "y", None],
        "metrics.roc_auc": [0.97, 0.99, 0.98],
    }
    fig = parcoords_figure(["t0", "t1", "t2"], columns, color_by="metrics.roc_auc")
    lines = [t for t in fig["data"] if "colorbar" not in t["meta"]]
    assert [t["name"] for t in lines] == ["t0", "t1", "t2"]
    assert all(t["hovertemplate"].startswith(f"<b>{t['name']}</b>") for t in lines)
    assert lines[1]["customdata"][2] == ["<b>roc_auc</b>", "0.99"]
    # Coloured by roc_auc: the best run is the yellow end of Viridis, the worst the purple.
    assert lines[1]["line"]["color"] == VIRIDIS[-1] and lines[0]["line"]["color"] == VIRIDIS[0]
    colorbar = next(t for t in fig["data"] if "colorbar" in t["meta"])
    assert colorbar["marker"]["colorbar"]["title"]["text"] == "<b>roc_auc</b>"
    titles = fig["layout"]["xaxis"]["ticktext"]
    assert titles == ["learning_rate", "a_rather_long_paramet…", "<b>roc_auc</b>"]
    assert fig["layout"]["xaxis"]["automargin"] is True  # plotly tilts colliding titles
    assert all(0 <= y <= 1 or y < 0 for t in lines for y in t["y"])


def test_axis_choices_are_the_varying_params_and_the_objective(seeded):
    runs = [seeded.client.get_run(seeded.runs[n]) for n in ("rf-1", "rf-2")]
    choices, default = axis_choices(runs, "acc")
    assert default == ["params.n_estimators", "metrics.acc"]  # model and max_depth are equal
    assert "params.model" not in choices
    assert set(choices) == {"params.n_estimators", "metrics.acc", "metrics.loss"}
    _choices, without = axis_choices(runs, None)
    assert without == ["params.n_estimators", "metrics.acc", "metrics.loss"]


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
    assert comparison.baseline == ids[2]  # gbm-1: the best by acc, the experiment's objective
    assert "best by acc" in comparison.baseline_note.value
    assert [b.description for b in comparison.run_links.children] == [
        f"{name} · {seeded.runs[name][:8]}" for name in ("rf-1", "rf-2", "gbm-1")
    ]
    assert all("mltrack-run-link" in b._dom_classes for b in comparison.run_links.children)
    params = comparison.params_html.value
    assert params.count("mltrack-param-row") == 4  # lr, max_depth, model, n_estimators
    assert "gbm-1 (baseline)" in comparison.metrics_html.value
    assert "▼ -0.05" in comparison.metrics_html.value  # rf-2's acc against gbm-1
    assert comparison.sections["source"].layout.display == "none"  # no cell.py recorded


def test_only_differences_toggle_and_baseline_change(seeded):
    ids = [seeded.runs["rf-1"], seeded.runs["rf-2"]]
    comparison = RunComparison(ids, client=seeded.client, baseline=ids[0])
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
    spec = comparison.parcoords.spec
    titles = spec["layout"]["xaxis"]["ticktext"]
    assert titles == ["lr", "max_depth", "model", "n_estimators", "<b>acc</b>"]
    model = comparison.parcoords.figure.data[0]  # rf-1's line, as a go.Figure for inspection
    assert model.name == "rf-1" and model.customdata[2][1] == "rf"
    comparison.dims_select.value = ("params.n_estimators", "metrics.loss")
    assert comparison.parcoords.spec["layout"]["xaxis"]["ticktext"] == [
        "n_estimators",
        "<b>loss</b>",
    ]
    comparison.dims_select.value = ("metrics.loss",)
    assert comparison.parcoords.figure is None  # one axis is no plot


def test_metric_history_overlay(seeded):
    ids = [seeded.runs["rf-1"], seeded.runs["gbm-1"]]
    comparison = RunComparison(ids, client=seeded.client)
    assert comparison.history_key.value == "acc"  # the objective, which has a history
    assert [t.name for t in comparison.history.figure.data] == ["rf-1", "gbm-1"]
    comparison.history_key.value = "loss"
    loss = comparison.history.figure.data
    assert [t.meta["key"] for t in loss] == ["loss", "loss"]
    assert loss[1].y[-1] == pytest.approx(0.3)


def test_history_opens_on_a_metric_with_a_history(seeded):
    client = seeded.client
    ids = []
    for name, steps in (("h-1", [0.9, 0.5, 0.3]), ("h-2", [0.8, 0.4])):
        run_id = client.create_run(seeded.experiments["vision"], run_name=name).info.run_id
        client.log_metric(run_id, "aaa_final", 0.5)  # first by name, one value only
        for step, value in enumerate(steps):
            client.log_metric(run_id, "train_loss", value, step=step)
        ids.append(run_id)
    comparison = RunComparison(ids, client=client)
    assert comparison.history_key.value == "train_loss"
    assert comparison.history.figure.data[0].type == "scatter"


def test_single_values_are_drawn_as_bars(seeded):
    ids = [seeded.runs["sweep-a"], seeded.runs["sweep-b"]]  # acc logged once each
    comparison = RunComparison(ids, client=seeded.client)
    assert comparison.history_key.value == "acc"
    bars = comparison.history.spec["data"]
    assert [t["type"] for t in bars] == ["bar"]
    assert bars[0]["x"] == ["sweep-a", "sweep-b"] and bars[0]["y"] == [0.7, 0.75]
    assert comparison.history.figure.data[0].type == "bar"  # plotly accepts the figure dict


def test_the_production_run_is_the_baseline(seeded):
    seed_registry(seeded)  # churn-model v1 (rf-1) in Production
    ids = [seeded.runs[n] for n in ("gbm-1", "rf-2", "rf-1")]
    comparison = RunComparison(ids, client=seeded.client)
    assert comparison.baseline == seeded.runs["rf-1"]
    assert "Production" in comparison.baseline_note.value
    assert ("rf-1 (Production)", seeded.runs["rf-1"]) in comparison.baseline_dropdown.options


def test_directions_declared_by_argument_and_by_tag(seeded):
    ids = [seeded.runs["rf-1"], seeded.runs["rf-2"]]
    comparison = RunComparison(ids, client=seeded.client, baseline=ids[0])
    acc_row = comparison.metrics_html.value.split("<b>acc</b>")[1].split("</tr>")[0]
    assert "mltrack-better" in acc_row  # acc 0.80 -> 0.85
    flipped = RunComparison(ids, client=seeded.client, baseline=ids[0], directions={"acc": "min"})
    acc_row = flipped.metrics_html.value.split("<b>acc</b>")[1].split("</tr>")[0]
    assert "mltrack-worse" in acc_row
    assert flipped.senses["acc"] == "min"
    _direction._DECLARED.clear()  # forget the argument, then declare through a tag instead
    seeded.client.set_experiment_tag(seeded.experiments["churn"], direction_tag("loss"), "max")
    tagged = RunComparison(ids, client=seeded.client, baseline=ids[0])
    loss_row = tagged.metrics_html.value.split("<b>loss</b>")[1].split("</tr>")[0]
    assert "mltrack-worse" in loss_row  # loss 0.40 -> 0.35, declared higher-is-better


def test_cell_source_and_slice_diffs(seeded):
    ids = [seeded.runs["cell-1"], seeded.runs["cell-2"]]
    comparison = RunComparison(ids, client=seeded.client, baseline=ids[0])
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


def test_a_comparison_never_imports_plotly(seeded):
    """plotly's figure classes cost a second of a cold comparison: the dicts need none of it."""
    ids = [seeded.runs[n] for n in ("rf-1", "rf-2", "gbm-1")]
    code = (
        "import sys\n"
        "from jupyter_mltrack import TrackingClient\n"
        "from jupyter_mltrack.widgets import RunComparison\n"
        f"w = RunComparison({ids!r}, client=TrackingClient({seeded.uri!r}))\n"
        "assert w.notice.kind is None, w.notice.message\n"
        "assert w.parcoords.outputs and w.history.outputs\n"
        "print(sorted(m for m in sys.modules if m.startswith('plotly')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
