"""%%track in real notebooks: success, failure, rerun tagging, nesting, options."""

from __future__ import annotations

from pathlib import Path

import pytest
from track_helpers import RunNotebook, cell_errors, client, run_notebook, text_of, tracking_uri

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["client", "run_notebook", "tracking_uri"]  # fixtures

pytestmark = pytest.mark.kernel

LOAD = "%load_ext jupyter_mltrack\n%load_ext jupyter_mltrack"


def _runs(client: TrackingClient, experiment: str = "Default") -> list:
    experiment_obj = client.get_experiment_by_name(experiment)
    assert experiment_obj is not None
    runs = client.search_runs([experiment_obj.experiment_id], order_by=["start_time ASC"])
    return list(runs)


def test_success_records_params_cell_and_status(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    body = (
        'max_depth = 5\nlr = 1e-3\nmodel = "rf"\nlayers = [64, 32]\nobj = object()\nmax_depth * 2'
    )
    nb = run_notebook(LOAD, "%%track --name baseline\n" + body, "print(max_depth, model)")
    assert "10" in text_of(nb.cells[1])
    assert "baseline" in text_of(nb.cells[1])
    assert "5 rf" in text_of(nb.cells[2])
    (run,) = _runs(client)
    assert run.info.status is RunStatus.FINISHED
    assert run.info.run_name == "baseline"
    assert run.data.params == {"max_depth": "5", "lr": "0.001", "model": "rf", "layers": "[64, 32]"}
    tags = run.data.tags
    assert tags["mltrack.source.type"] == "NOTEBOOK"
    assert tags["mltrack.source.name"].endswith("analysis.ipynb")
    assert tags["mltrack.notebook.executionCount"] == "2"
    assert tags["mltrack.kernel.pid"].isdigit()
    assert tags["mltrack.owner.pid"] == tags["mltrack.kernel.pid"]
    assert "mltrack.heartbeat" not in tags  # dropped when the run ended
    cell_py = client.download_artifacts(run.info.run_id, "cell.py")
    assert Path(cell_py).read_text().rstrip("\n") == body


def test_failure_marks_failed_and_later_cells_work(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    nb = run_notebook(
        LOAD,
        "%%track --quiet\nx = 1\nraise ValueError('bad value\\nsecond line')",
        "%%track --quiet\ny = x + 1",
        "print(y)",
        allow_errors=True,
    )
    assert cell_errors(nb) == [None, "ValueError", None, None]
    assert "2" in text_of(nb.cells[3])
    failed, ok = _runs(client)
    assert failed.info.status is RunStatus.FAILED
    assert failed.data.tags["mltrack.error"] == "ValueError: bad value"
    tb = Path(client.download_artifacts(failed.info.run_id, "traceback.txt")).read_text()
    assert "ValueError: bad value" in tb and "raise ValueError" in tb
    assert "cell_run.py" not in tb
    assert ok.info.status is RunStatus.FINISHED


def test_rerun_is_tagged_with_previous_run(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    cell = "%%track --quiet\nalpha = 0.5"
    run_notebook(LOAD, cell, "%%track --quiet\nbeta = 1", cell)
    first, other, rerun = _runs(client)
    assert "mltrack.rerunOf" not in first.data.tags
    assert "mltrack.rerunOf" not in other.data.tags
    assert rerun.data.tags["mltrack.rerunOf"] == first.info.run_id


def test_nested_under_outer_run(run_notebook: RunNotebook, client: TrackingClient) -> None:
    nb = run_notebook(
        LOAD,
        "import jupyter_mltrack as mlt\nouter = mlt.start_run(run_name='outer')",
        "%%track --quiet --name inner\nmlt.log_metric('acc', 0.9)",
        "%%track --quiet --no-nested --name alone\nk = 3",
        "print(mlt.active_run().run_id == outer.run_id)\nmlt.end_run()",
    )
    assert "True" in text_of(nb.cells[4])
    runs = {r.info.run_name: r for r in _runs(client)}
    outer_id = runs["outer"].info.run_id
    assert runs["inner"].data.tags["mltrack.parentRunId"] == outer_id
    assert runs["inner"].data.metrics == {"acc": 0.9}
    assert "mltrack.parentRunId" not in runs["alone"].data.tags
    assert runs["outer"].data.metrics == {}


def test_explicit_options(run_notebook: RunNotebook, client: TrackingClient) -> None:
    run_notebook(
        LOAD,
        "%%track --experiment churn --name tuned --param C=0.1 --tag team=vision --no-params\n"
        "depth = 4",
    )
    (run,) = _runs(client, "churn")
    assert run.info.run_name == "tuned"
    assert run.data.params == {"C": "0.1"}
    assert run.data.tags["team"] == "vision"


def test_bad_arguments_raise_usage_error(run_notebook: RunNotebook, client: TrackingClient) -> None:
    nb = run_notebook(
        LOAD, "%%track --bogus\nx = 1", "%%track --param novalue\nx = 1", allow_errors=True
    )
    for cell in nb.cells[1:]:
        (line,) = text_of(cell).strip().splitlines()  # IPython prints a UsageError as one line
        assert line.startswith("UsageError: %%track: ")
    assert _runs(client) == []


def test_summary_slice_and_saved_notebook(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    nb = run_notebook(
        LOAD,
        "data = [1, 2, 3]\nunused = 0",
        "%%track --save-notebook --no-live\n"
        "import jupyter_mltrack as mlt\nmlt.log_metric('total', sum(data))\nsum(data)",
    )
    outputs = nb.cells[2].outputs
    html = next(o.data["text/html"] for o in outputs if "text/html" in o.get("data", {}))
    assert "FINISHED" in html and "total=6" in html
    result, summary = outputs[-2:]  # the value as Out[n], then the summary
    assert result.output_type == "execute_result"
    assert result.data["text/plain"] == "6"
    assert "text/html" in summary.data
    (run,) = _runs(client)
    paths = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"cell.py", "slice.py", "analysis.ipynb"} <= paths
    slice_text = Path(client.download_artifacts(run.info.run_id, "slice.py")).read_text()
    assert "data = [1, 2, 3]" in slice_text
    assert run.data.tags["mltrack.nonLinear"] == "false"


def test_quiet_shows_only_the_cell_outputs(run_notebook: RunNotebook) -> None:
    nb = run_notebook(LOAD, "%%track --quiet --no-live\nprint('hi')\n41 + 1")
    kinds = [
        (o.output_type, o.get("text", o.get("data", {}).get("text/plain")))
        for o in nb.cells[1].outputs
    ]
    assert kinds == [("stream", "hi\n"), ("execute_result", "42")]


def test_displayed_dataframe_is_captured_and_out_is_set(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    nb = run_notebook(
        LOAD,
        "%%track --quiet --no-live\nimport pandas as pd\npd.DataFrame({'a': [1, 2]})",
        "print(type(_).__name__, len(Out[2]))",
    )
    assert "DataFrame 2" in text_of(nb.cells[2])
    (run,) = _runs(client)
    captured = client.list_artifacts(run.info.run_id, "cell_outputs")
    assert captured, "the DataFrame the cell showed is saved under cell_outputs/"


def test_autolog_logs_into_the_cell_run_unless_no_autolog(
    run_notebook: RunNotebook, client: TrackingClient
) -> None:
    fit = (
        "from sklearn.linear_model import LogisticRegression\n"
        "LogisticRegression(max_iter=50).fit([[0], [1], [0], [1]], [0, 1, 0, 1])"
    )
    run_notebook(
        LOAD,
        "from jupyter_mltrack.sklearn import autolog\nautolog(log_models=False)",
        "%%track --quiet --no-live --name on\n" + fit,
        "%%track --quiet --no-live --no-autolog --name off\n" + fit,
    )
    runs = {r.info.run_name: r for r in _runs(client)}
    assert set(runs) == {"on", "off"}, "autolog logs into the cell's run, no run of its own"
    assert runs["on"].data.params.get("max_iter") == "50"
    assert "max_iter" not in runs["off"].data.params
