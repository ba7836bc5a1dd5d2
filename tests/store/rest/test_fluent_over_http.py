"""The fluent API, TrackingClient, RegistryClient and model logging, unchanged, over HTTP.

Everything points at our tracking server through ``set_tracking_uri("http://...")`` (or the
environment); nothing in these tests knows it is not a local store except the URI.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.store.rest import RestStore

pytestmark = pytest.mark.server

X = np.array([[0.0], [1.0], [2.0], [3.0]])
Y = np.array([0, 0, 1, 1])


def test_fluent_runs_metrics_and_artifacts(tracking_server, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MLTRACK_TRACKING_URI", tracking_server.url)
    assert isinstance(mlt.TrackingClient().store, RestStore)
    experiment = mlt.set_experiment("over-http")
    (tmp_path / "notes.txt").write_text("hello")
    with mlt.start_run(run_name="fluent") as run:
        mlt.log_params({"lr": 0.01, "model": "rf"})
        mlt.set_tags({"team": "vision"})
        for step in range(3000):  # through the background writer, in log-batch requests
            mlt.log_metric("loss", 1 / (step + 1), step=step)
        mlt.log_metrics({"nan": math.nan, "inf": -math.inf})
        mlt.log_artifact(tmp_path / "notes.txt", "docs")
        mlt.log_dict({"depth": 4}, "config.yaml")
        mlt.log_text("done", "status.txt")
        with mlt.start_run(run_name="child", nested=True) as child:
            mlt.log_metric("acc", 0.75)
    batches = tracking_server.calls("/runs/log-batch")
    assert 3 <= len(batches) < 100  # batched, never one request per point
    assert all(len(b.json().get("metrics", [])) <= 1000 for b in batches)

    client = mlt.TrackingClient()
    got = client.get_run(run.info.run_id)
    assert got.info.status is RunStatus.FINISHED
    assert (
        got.info.artifact_uri
        == f"mlflow-artifacts:/{experiment.experiment_id}/{run.info.run_id}/artifacts"
    )
    assert got.data.params == {"lr": "0.01", "model": "rf"}
    assert got.data.tags["team"] == "vision"
    assert math.isnan(got.data.metrics["nan"]) and got.data.metrics["inf"] == -math.inf
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 3000
    assert client.get_run(child.info.run_id).data.tags["mltrack.parentRunId"] == run.info.run_id

    assert [f.path for f in client.list_artifacts(run.info.run_id)] == [
        "config.yaml",
        "docs",
        "status.txt",
    ]
    local = client.download_artifacts(run.info.run_id, "docs", tmp_path / "back")
    assert (Path(local) / "notes.txt").read_text() == "hello"
    on_server = tracking_server.artifacts / experiment.experiment_id / run.info.run_id
    assert (on_server / "artifacts" / "status.txt").read_text() == "done"

    frame = mlt.search_runs(experiment_ids=[experiment.experiment_id], order_by=["metrics.loss"])
    assert list(frame["run_id"]) == [run.info.run_id, child.info.run_id]
    assert frame.loc[0, "metrics.loss"] == 1 / 3000
    assert frame.loc[0, "params.lr"] == "0.01"
    filtered = mlt.search_runs(
        experiment_ids=[experiment.experiment_id], filter_string="metrics.acc > 0.5"
    )
    assert list(filtered["run_id"]) == [child.info.run_id]


def test_log_model_load_model_and_registry(tracking_server, tmp_path: Path):
    from sklearn.linear_model import LogisticRegression

    import jupyter_mltrack.pyfunc as pyfunc
    import jupyter_mltrack.sklearn as mls

    mlt.set_tracking_uri(tracking_server.url)
    mlt.set_experiment("models-over-http")
    with mlt.start_run() as run:
        info = mls.log_model(
            LogisticRegression().fit(X, Y),
            "model",
            registered_model_name="clf",
            input_example=X[:2],
        )
    assert info.model_uri == f"runs:/{run.info.run_id}/model"
    assert info.registered_model_version == "1"
    assert list(mls.load_model(info.model_uri).predict(X)) == [0, 0, 1, 1]

    registry = mlt.RegistryClient()
    assert isinstance(registry.store, RestStore)
    registry.set_registered_model_alias("clf", "champion", 1)
    registry.transition_model_version_stage("clf", 1, "Production")
    for uri in ("models:/clf/1", "models:/clf@champion", "models:/clf/Production"):
        assert list(pyfunc.load_model(uri).predict(X)) == [0, 0, 1, 1], uri
    model = registry.get_registered_model("clf")
    assert model.aliases == {"champion": 1}
    assert [v.current_stage.value for v in model.latest_versions] == ["Production"]
    moves = [(e.kind, e.to_value) for e in registry.store.get_model_version_history("clf")]
    assert moves == [("alias_set", "1"), ("stage", "Production")]
    files = [f.path for f in mlt.TrackingClient().list_artifacts(run.info.run_id, "model")]
    assert "model/MLmodel" in files and "model/model.skops" in files


def test_a_client_for_another_server_keeps_its_artifacts_apart(tracking_server, tmp_path: Path):
    # The current tracking URI is a local store; the client names the server explicitly.
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/local.db")
    client = mlt.TrackingClient(tracking_server.url)
    run = client.create_run("0", run_name="explicit")
    client.log_text(run.info.run_id, "remote", "where.txt")
    assert client.list_artifacts(run.info.run_id)[0].path == "where.txt"
    assert (
        tracking_server.artifacts / "0" / run.info.run_id / "artifacts" / "where.txt"
    ).read_text() == "remote"
    client.set_terminated(run.info.run_id)
    assert client.get_run(run.info.run_id).info.status is RunStatus.FINISHED


def test_widgets_read_through_the_server(tracking_server):
    from jupyter_mltrack.widgets.artifacts import ArtifactBrowser
    from jupyter_mltrack.widgets.runs_table import RunsTable

    mlt.set_tracking_uri(tracking_server.url)
    mlt.set_experiment("widgets-over-http")
    for name in ("a", "b"):
        with mlt.start_run(run_name=name) as run:
            mlt.log_metric("acc", 0.5 if name == "a" else 0.9)
            mlt.log_text(f"run {name}", "notes/readme.md")
    table = RunsTable("widgets-over-http", order_by=["metrics.acc DESC"])
    assert [row["run_name"] for row in table.rows_shown()] == ["b", "a"]
    assert table.notice.message == ""
    browser = ArtifactBrowser(run.info.run_id)
    browser.open_directory("notes")
    browser.select("notes/readme.md")
    assert browser.notice.message == ""
    assert browser.last_preview is not None and "run b" in browser.last_preview.html
