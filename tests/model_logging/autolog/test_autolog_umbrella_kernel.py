"""``mlt.autolog()`` in real kernels: a ``%%track`` cell's run and a papermill project's run.

The library is imported after ``mlt.autolog()`` in both, so the import hook does the patching;
the training logs into the run already there, and no run of its own appears.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.entities import Run
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = pytest.mark.kernel

ENABLE = "import jupyter_mltrack as mlt\nmlt.autolog(log_models=False)"
FIT = (
    "from sklearn.linear_model import LogisticRegression\n"
    "LogisticRegression(C={c}, max_iter=40).fit([[0.0], [1.0], [0.0], [1.0]], [0, 1, 0, 1])"
)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    monkeypatch.setenv("MLTRACK_HEARTBEAT_INTERVAL", "0.2")
    return TrackingClient(uri)


def notebook(*sources: str, parameters: str | None = None) -> nbformat.NotebookNode:
    cells = [new_code_cell(src) for src in sources]
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.insert(0, cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def all_runs(client: TrackingClient) -> list[Run]:
    ids = [e.experiment_id for e in client.search_experiments()]
    return list(client.search_runs(ids, order_by=["start_time ASC"]))


def test_track_cell_run_is_used_and_no_autolog_turns_it_off(
    client: TrackingClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "analysis.ipynb"
    nb = notebook(
        "%load_ext jupyter_mltrack",
        ENABLE,
        "%%track --quiet --no-live --name on\n" + FIT.format(c=0.25),
        "%%track --quiet --no-live --no-autolog --name off\n" + FIT.format(c=0.75),
    )
    nbformat.write(nb, path)
    monkeypatch.setenv("MLTRACK_NOTEBOOK_PATH", str(path))
    NotebookClient(
        nb, kernel_name="python3", timeout=90, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    runs = {r.info.run_name: r for r in all_runs(client)}
    assert set(runs) == {"on", "off"}, "autolog logs into the cell's run, no run of its own"
    on, off = runs["on"].data, runs["off"].data
    assert on.params["C"] == "0.25" and on.params["max_iter"] == "40"
    assert "training_accuracy_score" in on.metrics
    assert "max_iter" not in off.params and "training_accuracy_score" not in off.metrics


def test_papermill_project_run_is_used(client: TrackingClient, tmp_path: Path) -> None:
    from jupyter_mltrack.projects import run

    project = tmp_path / "proj"
    project.mkdir()
    (project / "mltrack.yaml").write_text(
        "name: auto\nentry_points:\n  main:\n    notebook: train.ipynb\n"
        "    parameters:\n      c: {type: float, default: 0.5}\n"
    )
    nbformat.write(
        notebook(ENABLE, FIT.format(c="c"), parameters="c = 0.5"), project / "train.ipynb"
    )
    finished = run(project, parameters={"c": 0.125}, experiment_name="auto")
    assert finished.info.status == "FINISHED"
    (only,) = all_runs(client)
    assert only.info.run_id == finished.info.run_id, "the training made no run of its own"
    params = only.data.params
    assert params["c"] == "0.125" and params["C"] == "0.125" and params["max_iter"] == "40"
    assert "training_accuracy_score" in only.data.metrics
