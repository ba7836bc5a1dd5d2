"""Experiment behaviour, identical on every backend."""

from __future__ import annotations

import pytest
from contract_helpers import make_run

from jupyter_mltrack.entities import LifecycleStage, ViewType
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
    NotFoundError,
)


def test_default_experiment_exists(store):
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert default.artifact_location.endswith("/0")
    assert store.get_experiment_by_name("Default") == default


def test_create_and_get_experiment(store):
    exp_id = store.create_experiment("exp-a", tags={"team": "vision"})
    exp = store.get_experiment(exp_id)
    assert exp.name == "exp-a"
    assert exp.tags == {"team": "vision"}
    assert exp.lifecycle_stage is LifecycleStage.ACTIVE
    assert exp.artifact_location.endswith(f"/{exp_id}")
    assert exp.creation_time is not None and exp.creation_time == exp.last_update_time


def test_explicit_artifact_location_is_kept(store):
    exp_id = store.create_experiment("located", artifact_location="memory://bucket/located")
    assert store.get_experiment(exp_id).artifact_location == "memory://bucket/located"
    run = make_run(store, exp_id)
    assert run.info.artifact_uri == f"memory://bucket/located/{run.info.run_id}/artifacts"


def test_duplicate_name_is_refused(store):
    store.create_experiment("dup")
    with pytest.raises(AlreadyExistsError, match="'dup' already exists"):
        store.create_experiment("dup")


@pytest.mark.parametrize("bad", ["", "   ", None, "x" * 501])
def test_bad_experiment_name_is_refused(store, bad):
    with pytest.raises(InvalidParameterError, match="Experiment name"):
        store.create_experiment(bad)


def test_unknown_experiment_raises(store):
    with pytest.raises(ExperimentNotFound, match="'12345'"):
        store.get_experiment("12345")
    with pytest.raises(ExperimentNotFound):
        store.get_experiment("not-a-number")
    assert store.get_experiment_by_name("nope") is None


def test_delete_and_restore_experiment_with_its_runs(store):
    exp_id = store.create_experiment("doomed")
    run = make_run(store, exp_id)
    store.delete_experiment(exp_id)
    assert store.get_experiment(exp_id).lifecycle_stage is LifecycleStage.DELETED
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidStateError, match="deleted"):
        make_run(store, exp_id)
    names = [e.name for e in store.search_experiments()]
    assert "doomed" not in names
    deleted = [e.name for e in store.search_experiments(view_type=ViewType.DELETED_ONLY)]
    assert deleted == ["doomed"]
    store.restore_experiment(exp_id)
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.ACTIVE
    with pytest.raises(InvalidParameterError, match="already active"):
        store.restore_experiment(exp_id)


def test_restore_keeps_runs_deleted_before_the_experiment(store):
    exp_id = store.create_experiment("partial")
    kept = make_run(store, exp_id)
    deleted_first = make_run(store, exp_id)
    store.delete_run(deleted_first.info.run_id)
    store.delete_experiment(exp_id)
    store.restore_experiment(exp_id)
    assert store.get_run(kept.info.run_id).info.lifecycle_stage is LifecycleStage.ACTIVE
    stage = store.get_run(deleted_first.info.run_id).info.lifecycle_stage
    assert stage is LifecycleStage.DELETED


def test_default_experiment_cannot_be_deleted(store):
    with pytest.raises(InvalidParameterError, match="Default"):
        store.delete_experiment("0")


def test_rename_experiment(store):
    exp_id = store.create_experiment("old")
    store.create_experiment("taken")
    store.rename_experiment(exp_id, "new")
    assert store.get_experiment(exp_id).name == "new"
    assert store.get_experiment_by_name("old") is None
    with pytest.raises(AlreadyExistsError):
        store.rename_experiment(exp_id, "taken")


def test_experiment_tags_are_mutable(store):
    exp_id = store.create_experiment("tagged")
    store.set_experiment_tag(exp_id, "stage", "dev")
    store.set_experiment_tag(exp_id, "stage", "prod")
    assert store.get_experiment(exp_id).tags == {"stage": "prod"}


def test_experiment_tags_can_be_deleted(store):
    exp_id = store.create_experiment("untag", tags={"stage": "dev", "team": "a"})
    store.delete_experiment_tag(exp_id, "stage")
    assert store.get_experiment(exp_id).tags == {"team": "a"}
    with pytest.raises(NotFoundError, match="stage"):
        store.delete_experiment_tag(exp_id, "stage")
    with pytest.raises(NotFoundError):
        store.delete_experiment_tag("987654", "team")
    assert store.get_experiment(exp_id).tags == {"team": "a"}


def test_search_experiments_filter_order_and_pages(store):
    for name in ("alpha", "beta", "alphabet", "gamma"):
        store.create_experiment(name, tags={"kind": name[0]})
    found = store.search_experiments(filter_string="name LIKE 'alpha%'", order_by=["name DESC"])
    assert [e.name for e in found] == ["alphabet", "alpha"]
    found = store.search_experiments(filter_string="tags.kind = 'g'")
    assert [e.name for e in found] == ["gamma"]
    page1 = store.search_experiments(max_results=2, order_by=["name"])
    assert [e.name for e in page1] == ["Default", "alpha"]
    page2 = store.search_experiments(max_results=2, order_by=["name"], page_token=page1.token)
    page3 = store.search_experiments(max_results=2, order_by=["name"], page_token=page2.token)
    assert [e.name for e in page2] == ["alphabet", "beta"]
    assert [e.name for e in page3] == ["gamma"]
    assert page3.token is None


def test_search_experiments_rejects_bad_arguments(store):
    with pytest.raises(InvalidParameterError):
        store.search_experiments(max_results=0)
    with pytest.raises(InvalidParameterError, match="page_token"):
        store.search_experiments(page_token="garbage!")
