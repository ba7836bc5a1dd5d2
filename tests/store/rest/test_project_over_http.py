"""A papermill project run and the ``%%track`` magic, in a real kernel, logging over HTTP."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.projects import run
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.server, pytest.mark.kernel, pytest.mark.slow]

BODY = [
    "import jupyter_mltrack as mlt\nmlt.log_metric('score', alpha * 2)",
    "%load_ext jupyter_mltrack",
    "%%track --name inner\nmlt.log_metric('inner_metric', 7.0)",
]


def _notebook(path: Path) -> None:
    parameters = new_code_cell("alpha = 0.1")
    parameters.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[parameters, *(new_code_cell(src) for src in BODY)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))


def test_project_run_and_track_magic_log_through_the_server(
    tracking_server, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("MLTRACK_TRACKING_URI", tracking_server.url)
    project = tmp_path / "proj"
    project.mkdir()
    _notebook(project / "train.ipynb")

    finished = run(project, "train", {"alpha": 0.5}, experiment_name="projects-over-http")

    client = TrackingClient()
    assert finished.info.status is RunStatus.FINISHED
    assert finished.data.metrics["score"] == 1.0  # logged by the kernel, over HTTP
    assert finished.data.params["alpha"] == "0.5"
    children = client.search_runs(
        [finished.info.experiment_id],
        f"tags.`mltrack.parentRunId` = '{finished.info.run_id}'",
    )
    assert [(c.info.run_name, c.data.metrics) for c in children] == [
        ("inner", {"inner_metric": 7.0})
    ]
    assert children[0].info.status is RunStatus.FINISHED
    stored = {f.path for f in client.list_artifacts(finished.info.run_id)}
    assert any(p.endswith(".ipynb") for p in stored), stored
    uploads = [r for r in tracking_server.requests if r.method == "PUT"]
    assert uploads, "the executed notebook went up through the artifact proxy"
