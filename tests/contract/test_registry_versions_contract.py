"""Model versions: numbering, lineage fields, descriptions, tags, deletion - on every backend."""

from __future__ import annotations

import json

import pytest

from jupyter_mltrack.entities import ModelStage, ModelVersion
from jupyter_mltrack.errors import InvalidParameterError, ModelVersionNotFound


def test_first_version_creates_the_model(store):
    version = store.create_model_version(
        "fraud",
        "runs:/abc123/model",
        run_id="abc123",
        run_link="http://host/#/runs/abc123",
        experiment_id="0",
        tags={"k": "v"},
        description="first",
        user_id="ann",
        signature=json.dumps({"inputs": "[]"}),
        flavors=("python_function", "sklearn"),
    )
    assert isinstance(version, ModelVersion)
    assert version.name == "fraud"
    assert version.version == 1
    assert version.source == "runs:/abc123/model"
    assert version.run_id == "abc123"
    assert version.run_link == "http://host/#/runs/abc123"
    assert version.experiment_id == "0"
    assert version.tags == {"k": "v"}
    assert version.description == "first"
    assert version.user_id == "ann"
    assert json.loads(version.signature or "") == {"inputs": "[]"}
    assert version.flavors == ("python_function", "sklearn")
    assert version.current_stage is ModelStage.NONE
    assert version.status == "READY"
    assert version.aliases == ()
    assert store.get_registered_model("fraud").latest_versions == (version,)
    assert store.get_model_version("fraud", 1) == version


def test_versions_are_numbered_per_model(store):
    numbers = [store.create_model_version("a", f"s3://bucket/s{i}").version for i in range(3)]
    assert numbers == [1, 2, 3]
    assert store.create_model_version("b", "s3://bucket/s").version == 1
    assert store.create_model_version("a", "s3://bucket/s").version == 4


def test_deleted_numbers_are_not_reused(store):
    for _ in range(3):
        store.create_model_version("m", "s3://bucket/s")
    store.delete_model_version("m", 3)
    assert store.create_model_version("m", "s3://bucket/s").version == 4


def test_new_version_bumps_model_timestamp(store):
    model = store.create_registered_model("m")
    version = store.create_model_version("m", "s3://bucket/s")
    after = store.get_registered_model("m")
    assert after.last_updated_timestamp >= version.creation_timestamp
    assert after.last_updated_timestamp >= model.last_updated_timestamp


def test_string_version_numbers_are_accepted(store):
    store.create_model_version("m", "s3://bucket/s")
    assert store.get_model_version("m", "1").version == 1  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, "x", "1.5", True, None])
def test_invalid_version_numbers_are_refused(store, bad):
    store.create_model_version("m", "s3://bucket/s")
    with pytest.raises(InvalidParameterError, match="positive integers"):
        store.get_model_version("m", bad)


@pytest.mark.parametrize("bad", ["", None, "x" * 2001])
def test_invalid_source_is_refused(store, bad):
    with pytest.raises(InvalidParameterError, match="source"):
        store.create_model_version("m", bad)


def test_missing_version_names_model_and_version(store):
    store.create_model_version("m", "s3://bucket/s")
    with pytest.raises(ModelVersionNotFound, match="version 7 of registered model 'm'") as info:
        store.get_model_version("m", 7)
    assert (info.value.name, info.value.version) == ("m", 7)
    with pytest.raises(ModelVersionNotFound, match="no registered model of that name"):
        store.get_model_version("ghost", 1)
    for call in (
        lambda: store.update_model_version("m", 7, "d"),
        lambda: store.delete_model_version("m", 7),
        lambda: store.set_model_version_tag("m", 7, "k", "v"),
        lambda: store.delete_model_version_tag("m", 7, "k"),
        lambda: store.transition_model_version_stage("m", 7, ModelStage.STAGING),
        lambda: store.set_registered_model_alias("m", "champion", 7),
    ):
        with pytest.raises(ModelVersionNotFound, match="7"):
            call()


def test_update_version_description(store):
    created = store.create_model_version("m", "s3://bucket/s")
    updated = store.update_model_version("m", 1, "## better")
    assert updated.description == "## better"
    assert updated.last_updated_timestamp >= created.last_updated_timestamp
    assert updated.creation_timestamp == created.creation_timestamp


def test_version_tags_set_overwrite_delete(store):
    store.create_model_version("m", "s3://bucket/s", tags={"a": "1"})
    store.create_model_version("m", "s3://bucket/s")
    store.set_model_version_tag("m", 1, "a", "2")
    store.set_model_version_tag("m", 1, "b", "3")
    store.delete_model_version_tag("m", 1, "b")
    store.delete_model_version_tag("m", 1, "never-set")
    assert store.get_model_version("m", 1).tags == {"a": "2"}
    assert store.get_model_version("m", 2).tags == {}


def test_delete_version(store):
    store.create_model_version("m", "s3://bucket/s1", tags={"k": "v"})
    store.create_model_version("m", "s3://bucket/s2")
    store.delete_model_version("m", 1)
    with pytest.raises(ModelVersionNotFound):
        store.get_model_version("m", 1)
    assert [v.version for v in store.search_model_versions("name = 'm'")] == [2]
    assert [v.version for v in store.get_registered_model("m").latest_versions] == [2]


def test_latest_versions_per_stage(store):
    for _ in range(5):
        store.create_model_version("m", "s3://bucket/s")
    store.transition_model_version_stage("m", 1, "Production")
    store.transition_model_version_stage("m", 2, "Production")
    store.transition_model_version_stage("m", 3, "staging")
    store.transition_model_version_stage("m", 4, "Archived")
    by_stage = {v.current_stage: v.version for v in store.get_latest_versions("m")}
    assert by_stage == {
        ModelStage.NONE: 5,
        ModelStage.STAGING: 3,
        ModelStage.PRODUCTION: 2,
        ModelStage.ARCHIVED: 4,
    }
    # In MLflow's stage order, the same as the model's latest_versions.
    latest = store.get_registered_model("m").latest_versions
    assert [v.version for v in latest] == [5, 3, 2, 4]
    only = store.get_latest_versions("m", stages=["production", ModelStage.STAGING])
    assert [(v.version, v.current_stage) for v in only] == [
        (3, ModelStage.STAGING),
        (2, ModelStage.PRODUCTION),
    ]
    assert store.get_latest_versions("m", stages=[]) == []
    with pytest.raises(InvalidParameterError, match="None, Staging, Production, Archived"):
        store.get_latest_versions("m", stages=["Prod"])


def test_version_to_dict_is_mlflow_shaped(store):
    store.create_model_version("m", "runs:/r/model", run_id="r", tags={"k": "v"})
    store.set_registered_model_alias("m", "champion", 1)
    data = store.get_model_version("m", 1).to_dict()
    assert data["version"] == "1"
    assert data["run_id"] == "r"
    assert data["tags"] == [{"key": "k", "value": "v"}]
    assert data["aliases"] == ["champion"]
