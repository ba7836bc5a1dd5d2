"""TrackingClient: explicit-id experiments, runs, logging, paging, validation and artifacts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from jupyter_mltrack import Metric, Param, RunStatus, RunTag, TrackingClient, ViewType
from jupyter_mltrack.entities import LifecycleStage
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
    NotFoundError,
    RunNotFound,
)
from jupyter_mltrack.tracking import tags as t


@pytest.fixture
def client(tmp_path: Path) -> TrackingClient:
    return TrackingClient(f"sqlite:///{tmp_path}/c.db")


@pytest.fixture
def run_id(client: TrackingClient) -> str:
    return client.create_run("0", run_name="r").info.run_id


def test_client_defaults_to_current_tracking_uri(tmp_path: Path) -> None:
    assert TrackingClient().tracking_uri == f"sqlite:///{tmp_path}/mltrack/mltrack.db"
    assert TrackingClient(tmp_path / "x.db").tracking_uri == f"sqlite:///{tmp_path}/x.db"
    assert "x.db" in repr(TrackingClient(tmp_path / "x.db"))


def test_experiment_lifecycle(client: TrackingClient) -> None:
    exp_id = client.create_experiment("e1", tags={"a": 1})
    assert client.get_experiment(exp_id).tags == {"a": "1"}
    client.set_experiment_tag(exp_id, "b", "2")
    client.rename_experiment(exp_id, "e2")
    exp = client.get_experiment_by_name("e2")
    assert exp is not None and exp.experiment_id == exp_id and exp.tags == {"a": "1", "b": "2"}
    assert client.get_experiment_by_name("e1") is None
    with pytest.raises(AlreadyExistsError):
        client.create_experiment("e2")
    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidStateError):
        client.create_run(exp_id)
    client.restore_experiment(exp_id)
    assert client.create_run(int(exp_id)).info.experiment_id == exp_id  # type: ignore[arg-type]
    with pytest.raises(ExperimentNotFound):
        client.get_experiment("12345")


def test_search_experiments_pages(client: TrackingClient) -> None:
    for i in range(5):
        client.create_experiment(f"exp-{i}")
    seen: list[str] = []
    token = None
    while True:
        page = client.search_experiments(max_results=2, page_token=token, order_by=["name"])
        assert len(page) <= 2
        seen += [e.name for e in page]
        token = page.token
        if token is None:
            break
    assert seen == ["Default", *(f"exp-{i}" for i in range(5))]
    assert len(client.search_experiments(view_type="ALL")) == 6


def test_create_run_names_and_tags(client: TrackingClient) -> None:
    named = client.create_run("0", run_name="given", tags={"x": "1"}, start_time=1234)
    assert named.info.run_name == "given"
    assert named.info.start_time == 1234
    assert named.info.status is RunStatus.RUNNING
    assert named.data.tags["x"] == "1" and named.data.tags[t.RUN_NAME] == "given"
    assert named.info.user_id == named.data.tags[t.USER]
    from_tag = client.create_run("0", tags={t.RUN_NAME: "tagged"})
    assert from_tag.info.run_name == "tagged"
    generated = client.create_run("0")
    assert generated.info.run_name and generated.data.tags[t.RUN_NAME] == generated.info.run_name


def test_update_run_and_set_terminated(client: TrackingClient, run_id: str) -> None:
    client.update_run(run_id, name="renamed")
    run = client.get_run(run_id)
    assert run.info.run_name == "renamed" and run.data.tags[t.RUN_NAME] == "renamed"
    client.set_terminated(run_id, "FAILED", end_time=999)
    info = client.get_run(run_id).info
    assert (info.status, info.end_time) == (RunStatus.FAILED, 999)
    client.update_run(run_id, status=RunStatus.RUNNING)
    assert client.get_run(run_id).info.status is RunStatus.RUNNING
    with pytest.raises(InvalidParameterError, match="terminal"):
        client.set_terminated(run_id, "RUNNING")
    with pytest.raises(InvalidParameterError, match="RunStatus"):
        client.update_run(run_id, status="DONE")


def test_set_tag_run_name_renames(client: TrackingClient, run_id: str) -> None:
    client.set_tag(run_id, t.RUN_NAME, "via-tag")
    assert client.get_run(run_id).info.run_name == "via-tag"


def test_client_logs_to_finished_run(client: TrackingClient, run_id: str) -> None:
    client.set_terminated(run_id)
    client.log_metric(run_id, "late", 1.0)
    client.log_param(run_id, "p", "v")
    client.set_tag(run_id, "k", "v")
    data = client.get_run(run_id).data
    assert (data.metrics, data.params, data.tags["k"]) == ({"late": 1.0}, {"p": "v"}, "v")


def test_log_metric_history_order_and_special_values(client: TrackingClient, run_id: str) -> None:
    client.log_metric(run_id, "m", 3.0, step=2, timestamp=30)
    client.log_metric(run_id, "m", math.nan, step=0, timestamp=10)
    client.log_metric(run_id, "m", -math.inf, step=1, timestamp=20)
    history = client.get_metric_history(run_id, "m")
    assert [(m.step, m.timestamp) for m in history] == [(0, 10), (1, 20), (2, 30)]
    assert math.isnan(history[0].value) and history[1].value == -math.inf
    assert client.get_run(run_id).data.metrics["m"] == 3.0


def test_log_batch_and_delete_tag(client: TrackingClient, run_id: str) -> None:
    client.log_batch(
        run_id,
        metrics=[Metric(key="a", value=1, timestamp=5, step=1)],
        params=[Param(key="p", value="1"), Param(key="p", value="1")],
        tags=[RunTag(key="k", value="v")],
    )
    client.log_batch(run_id)  # empty: no-op
    data = client.get_run(run_id).data
    assert (data.metrics, data.params, data.tags["k"]) == ({"a": 1.0}, {"p": "1"}, "v")
    client.delete_tag(run_id, "k")
    assert "k" not in client.get_run(run_id).data.tags
    with pytest.raises(NotFoundError):
        client.delete_tag(run_id, "k")


def test_log_batch_conflicting_params_in_one_batch(client: TrackingClient, run_id: str) -> None:
    with pytest.raises(InvalidParameterError, match="'1' and '2'"):
        client.log_batch(run_id, params=[Param(key="p", value="1"), Param(key="p", value="2")])


def test_param_conflict_is_enforced_by_store(client: TrackingClient, run_id: str) -> None:
    client.log_param(run_id, "lr", 0.1)
    client.log_param(run_id, "lr", 0.1)
    with pytest.raises(InvalidParameterError, match=r"'0\.1'.*'0\.2'"):
        client.log_param(run_id, "lr", 0.2)


def test_delete_restore_run_and_deleted_run_refuses_writes(
    client: TrackingClient, run_id: str
) -> None:
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidStateError):
        client.log_metric(run_id, "m", 1.0)
    with pytest.raises(InvalidStateError):
        client.log_text(run_id, "x", "x.txt")
    assert client.search_runs(["0"]) == []
    assert len(client.search_runs(["0"], run_view_type=ViewType.DELETED_ONLY)) == 1
    client.restore_run(run_id)
    client.log_metric(run_id, "m", 1.0)


def test_unknown_run_raises_run_not_found(client: TrackingClient) -> None:
    with pytest.raises(RunNotFound):
        client.get_run("0" * 32)
    with pytest.raises(RunNotFound):
        client.log_metric("0" * 32, "m", 1.0)
    with pytest.raises(RunNotFound):
        client.list_artifacts("0" * 32)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c, r: c.log_metric(r, "bad key!", 1.0), "Invalid Metric key"),
        (lambda c, r: c.log_metric(r, "m", "x"), "must be a number"),
        (lambda c, r: c.log_metric(r, "m", 1.0, step=2**63), "int64"),
        (lambda c, r: c.log_metric(r, "m", 1.0, timestamp=1.5), "integer milliseconds"),
        (lambda c, r: c.log_param(r, "", 1), "non-empty"),
        (lambda c, r: c.log_param(r, "p", "x" * 6001), "6000"),
        (lambda c, r: c.set_tag(r, "t", "x" * 8001), "8000"),
        (lambda c, r: c.set_tag(r, "/abs", "v"), "leading '/'"),
        (lambda c, r: c.get_run(""), "Run id must be a non-empty string"),
        (lambda c, r: c.get_experiment(None), "Experiment id"),
        (lambda c, r: c.create_experiment(""), "Experiment name"),
        (lambda c, r: c.search_runs(["0"], max_results=0), "max_results"),
        (lambda c, r: c.search_experiments(view_type="SOME"), "ViewType"),
        (lambda c, r: c.update_run(r, name=""), "Run name"),
    ],
)
def test_client_validates_inputs(
    client: TrackingClient, run_id: str, call: Any, match: str
) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call(client, run_id)


def test_search_runs_page_tokens(client: TrackingClient) -> None:
    ids = set()
    for i in range(7):
        run = client.create_run("0", run_name=f"r{i}")
        client.log_metric(run.info.run_id, "i", i)
        ids.add(run.info.run_id)
    collected: list[str] = []
    token = None
    pages = 0
    while True:
        page = client.search_runs(
            "0", "metrics.i >= 0", max_results=3, page_token=token, order_by=["metrics.i"]
        )
        pages += 1
        collected += [r.info.run_id for r in page]
        token = page.token
        if token is None:
            break
    assert pages == 3
    assert len(collected) == 7 and set(collected) == ids
    values = [client.get_run(r).data.metrics["i"] for r in collected]
    assert values == sorted(values)


def test_artifacts_list_download_and_log(
    client: TrackingClient, run_id: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "f.txt").write_text("F")
    (src / "d" / "g.txt").write_text("G")
    client.log_artifact(run_id, src / "f.txt")
    client.log_artifacts(run_id, src, "all")
    client.log_text(run_id, "T", "t/x.txt")
    client.log_dict(run_id, {"a": [1, 2]}, "t/d.yaml")
    listed = client.list_artifacts(run_id)
    assert [(f.path, f.is_dir) for f in listed] == [("all", True), ("f.txt", False), ("t", True)]
    assert listed[1].file_size == 1
    assert [f.path for f in client.list_artifacts(run_id, "t")] == ["t/d.yaml", "t/x.txt"]
    local = Path(client.download_artifacts(run_id, "all", tmp_path / "dl"))
    assert (local / "d" / "g.txt").read_text() == "G"
    assert Path(client.download_artifacts(run_id, "t/d.yaml", tmp_path / "dl2")).read_text() == (
        "a:\n- 1\n- 2\n"
    )
    with pytest.raises(NotFoundError):
        client.download_artifacts(run_id, "missing.txt", tmp_path / "dl3")


def test_client_log_table_and_figure(client: TrackingClient, run_id: str, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    client.log_table(run_id, pd.DataFrame({"a": [1.5]}), "tab.parquet")
    back = pd.read_parquet(client.download_artifacts(run_id, "tab.parquet", tmp_path / "d"))
    assert back["a"].tolist() == [1.5]
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    client.log_figure(run_id, fig, "fig.svg")
    plt.close(fig)
    svg = Path(client.download_artifacts(run_id, "fig.svg", tmp_path / "e")).read_text()
    assert "<svg" in svg
