"""The example project in notebooks/: train then evaluate, and the multistep workflow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from jupyter_mltrack.projects import run
from jupyter_mltrack.projects.rerun import SOURCE_TAG, compare_metrics, rerun
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = [pytest.mark.kernel, pytest.mark.slow]
PROJECT = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackingClient:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    monkeypatch.setenv("MLTRACK_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    return TrackingClient(uri)


def test_train_then_evaluate_with_the_model_uri(client: TrackingClient) -> None:
    trained = run(PROJECT, "main", {"n_estimators": 10}, experiment_name="example")
    assert trained.info.status == "FINISHED"
    assert trained.data.params["n_estimators"] == "10"
    assert trained.data.metrics["accuracy"] > 0.85
    assert trained.data.metrics["accuracy_score"] == trained.data.metrics["accuracy"]
    fit = client.search_runs(trained.info.experiment_id, "tags.`mltrack.parentRunId` != ''")
    assert [r.info.run_name for r in fit] == ["fit"]
    assert fit[0].data.tags["mltrack.parentRunId"] == trained.info.run_id
    for key in ("train_loss", "test_log_loss"):  # one point per boosting iteration
        history = client.get_metric_history(fit[0].info.run_id, key)
        assert [m.step for m in history] == list(range(10))
    assert trained.data.tags["mltrack.project.environment"].endswith("requirements.txt")

    model_uri = f"runs:/{trained.info.run_id}/model"
    evaluated = run(PROJECT, "evaluate", {"model_uri": model_uri}, experiment_name="example")
    assert evaluated.data.tags["evaluated_model"] == model_uri
    assert evaluated.data.metrics["accuracy_score"] == trained.data.metrics["accuracy_score"]


def test_the_workflow_runs_three_child_steps(client: TrackingClient) -> None:
    spec = importlib.util.spec_from_file_location("workflow", PROJECT / "workflow.py")
    assert spec is not None and spec.loader is not None
    workflow = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workflow)

    runs = workflow.main("wf", n_estimators=10)
    parent = runs["parent"]
    children = client.search_runs(
        parent.info.experiment_id, f"tags.`mltrack.parentRunId` = '{parent.info.run_id}'"
    )
    names = sorted(r.info.run_name for r in children)
    assert names == ["evaluate", "evaluate", "main", "main", "prepare"]  # two candidates
    assert all(r.info.status == "FINISHED" for r in children)
    depths = sorted(t.data.params["max_depth"] for t, _ in runs["candidates"])
    assert depths == ["2", "3"]  # trained in parallel, each evaluated
    best = max(e.data.metrics["accuracy_score"] for _, e in runs["candidates"])
    assert runs["evaluate"].data.metrics["accuracy_score"] == best
    train = runs["train"]
    prepared = f"runs:/{runs['prepare'].info.run_id}/data/split.npz"
    assert train.data.params["data_uri"] == prepared
    assert parent.data.metrics["accuracy"] == runs["evaluate"].data.metrics["accuracy_score"]

    # The steps pass URIs, not temporary copies: the train step re-runs after the workflow.
    again = rerun(train.info.run_id)
    assert again.info.status == "FINISHED"
    assert again.data.params["data_uri"] == prepared
    assert again.data.tags[SOURCE_TAG] == "project folder"
    assert all(d.delta == 0 for d in compare_metrics(train, again))
