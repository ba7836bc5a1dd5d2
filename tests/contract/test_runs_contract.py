"""Run lifecycle behaviour, identical on every backend."""

from __future__ import annotations

import pytest
from contract_helpers import make_run

from jupyter_mltrack.entities import LifecycleStage, Metric, Param, RunStatus, RunTag, ViewType
from jupyter_mltrack.errors import (
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
    NotFoundError,
    RunNotFound,
)


def test_create_run_and_read_it_back(store):
    exp_id = store.create_experiment("runs")
    created = store.create_run(
        experiment_id=exp_id,
        user_id="ada",
        start_time=1234,
        tags={"mltrack.source.type": "LOCAL"},
        run_name="first",
    )
    run = store.get_run(created.info.run_id)
    assert run.info == created.info
    assert len(run.info.run_id) == 32
    assert run.info.status is RunStatus.RUNNING
    assert run.info.run_name == "first"
    assert run.info.user_id == "ada"
    assert run.info.start_time == 1234
    assert run.info.end_time is None
    assert run.data.tags == {"mltrack.source.type": "LOCAL", "mltrack.runName": "first"}
    assert run.info.artifact_uri.endswith(f"/{exp_id}/{run.info.run_id}/artifacts")


def test_create_run_in_unknown_experiment(store):
    with pytest.raises(ExperimentNotFound):
        store.create_run(experiment_id="999", user_id="u", start_time=0, tags={}, run_name="x")


def test_unknown_run_raises_run_not_found(store):
    missing = "f" * 32
    with pytest.raises(RunNotFound, match=missing):
        store.get_run(missing)
    with pytest.raises(RunNotFound):
        store.log_batch(missing, params=[Param(key="a", value="b")])
    with pytest.raises(RunNotFound):
        store.get_metric_history(missing, "m")
    with pytest.raises(RunNotFound):
        store.update_run_info(missing, status=RunStatus.FINISHED)


def test_update_run_status_end_time_and_name(store):
    run = make_run(store)
    info = store.update_run_info(
        run.info.run_id, status=RunStatus.FINISHED, end_time=99, run_name="renamed"
    )
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 99, "renamed")
    assert store.get_run(run.info.run_id).data.tags["mltrack.runName"] == "renamed"
    assert store.get_run(run.info.run_id).info == info


def test_finished_runs_still_accept_data(store):
    run = make_run(store)
    store.update_run_info(run.info.run_id, status=RunStatus.FINISHED, end_time=5)
    store.log_metric(run.info.run_id, Metric(key="post_hoc", value=0.5, timestamp=6))
    assert store.get_run(run.info.run_id).data.metrics == {"post_hoc": 0.5}


def test_deleted_run_refuses_data_and_is_hidden(store):
    run = make_run(store, name="gone")
    run_id = run.info.run_id
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidStateError, match="deleted"):
        store.log_metric(run_id, Metric(key="m", value=1.0, timestamp=1))
    with pytest.raises(InvalidStateError):
        store.log_metric_points(run_id, [("m", 1.0, 1, 0)])
    assert store.search_runs(["0"]) == []
    assert [r.info.run_id for r in store.search_runs(["0"], run_view_type=ViewType.ALL)] == [run_id]
    deleted = store.search_runs(["0"], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_id]
    store.restore_run(run_id)
    assert [r.info.run_id for r in store.search_runs(["0"])] == [run_id]


def test_tags_are_mutable_and_deletable(store):
    run = make_run(store, tags={"stage": "dev"})
    run_id = run.info.run_id
    store.set_tag(run_id, RunTag(key="stage", value="prod"))
    assert store.get_run(run_id).data.tags["stage"] == "prod"
    store.delete_tag(run_id, "stage")
    assert "stage" not in store.get_run(run_id).data.tags
    with pytest.raises(NotFoundError, match="stage"):
        store.delete_tag(run_id, "stage")


def test_params_are_immutable(store):
    run = make_run(store, params={"lr": "0.1"})
    run_id = run.info.run_id
    store.log_param(run_id, Param(key="lr", value="0.1"))  # same value: fine
    with pytest.raises(InvalidParameterError, match=r"'0\.1'.*'0\.2'"):
        store.log_param(run_id, Param(key="lr", value="0.2"))
    with pytest.raises(InvalidParameterError, match=r"'a'.*'b'"):
        store.log_batch(run_id, params=[Param(key="x", value="a"), Param(key="x", value="b")])
    with pytest.raises(InvalidParameterError, match=r"'0\.1'.*'0\.3'"):  # a new key goes down too
        store.log_batch(run_id, params=[Param(key="a", value="4"), Param(key="lr", value="0.3")])
    assert store.get_run(run_id).data.params == {"lr": "0.1"}


def test_failed_batch_writes_nothing(store):
    run = make_run(store, params={"lr": "0.1"})
    run_id = run.info.run_id
    with pytest.raises(InvalidParameterError):
        store.log_batch(
            run_id,
            metrics=[Metric(key="m", value=1.0, timestamp=1)],
            params=[Param(key="lr", value="9")],
            tags=[RunTag(key="t", value="v")],
        )
    data = store.get_run(run_id).data
    assert data.metrics == {} and "t" not in data.tags
    assert store.get_metric_history(run_id, "m") == []


def test_purge_removes_deleted_runs_only(store):
    keep = make_run(store, metrics={"m": 1.0})
    purge = make_run(store, metrics={"m": 2.0}, params={"p": "1"})
    with pytest.raises(InvalidStateError, match="not deleted"):
        store.purge_runs([purge.info.run_id])
    store.delete_run(purge.info.run_id)
    assert store.list_deleted_run_ids() == [purge.info.run_id]
    assert store.list_deleted_run_ids(older_than_ms=0) == []
    store.purge_runs([purge.info.run_id])
    with pytest.raises(RunNotFound):
        store.get_run(purge.info.run_id)
    assert store.list_deleted_run_ids() == []
    assert store.get_run(keep.info.run_id).data.metrics == {"m": 1.0}


def test_repeated_and_empty_updates_are_fine(store):
    run = make_run(store)
    first = store.update_run_info(run.info.run_id, status=RunStatus.FINISHED, end_time=7)
    again = store.update_run_info(run.info.run_id, status=RunStatus.FINISHED, end_time=7)
    assert store.update_run_info(run.info.run_id) == first == again


def test_keys_and_names_are_case_sensitive_on_every_backend(store):
    # MySQL's default collation would fold these together; the schema uses a binary one.
    run_id = make_run(store, params={"lr": "1"}, tags={"team": "a"}).info.run_id
    store.log_batch(
        run_id,
        metrics=[
            Metric(key="acc", value=1.0, timestamp=1),
            Metric(key="Acc", value=2.0, timestamp=1),
        ],
        params=[Param(key="LR", value="2")],
        tags=[RunTag(key="Team", value="b")],
    )
    data = store.get_run(run_id).data
    assert data.metrics == {"acc": 1.0, "Acc": 2.0}
    assert data.params == {"lr": "1", "LR": "2"}
    assert (data.tags["team"], data.tags["Team"]) == ("a", "b")
    first = store.create_experiment("Exp")
    second = store.create_experiment("exp")
    assert first != second
    assert store.get_experiment_by_name("exp").experiment_id == second
