"""Registered models: create, read, rename, describe, tag, delete - on every backend."""

from __future__ import annotations

import pytest

from jupyter_mltrack.entities import ModelStage, RegisteredModel
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidParameterError,
    ModelVersionNotFound,
    NotFoundError,
    RegisteredModelNotFound,
)


def test_create_and_get_registered_model(store):
    created = store.create_registered_model("fraud", tags={"team": "risk"}, description="# Fraud")
    assert isinstance(created, RegisteredModel)
    got = store.get_registered_model("fraud")
    assert got == created
    assert got.name == "fraud"
    assert got.tags == {"team": "risk"}
    assert got.description == "# Fraud"
    assert got.aliases == {}
    assert got.latest_versions == ()
    assert got.creation_timestamp == got.last_updated_timestamp > 0


def test_create_taken_name_raises(store):
    store.create_registered_model("fraud")
    with pytest.raises(AlreadyExistsError, match="'fraud' already exists"):
        store.create_registered_model("fraud")


def test_names_are_exact_on_every_backend(store):
    store.create_registered_model("Fraud")
    store.create_registered_model("fraud")  # differs by case only: a different model
    store.create_registered_model("fräud")  # differs by an accent only
    assert store.get_registered_model("Fraud").name == "Fraud"
    assert store.get_registered_model("fräud").name == "fräud"
    for near_miss in ("FRAUD", "fraud ", "fraüd"):
        with pytest.raises(RegisteredModelNotFound):
            store.get_registered_model(near_miss)


@pytest.mark.parametrize("bad", ["", "   ", None, "x" * 257, " lead", "trail "])
def test_invalid_model_names_are_refused(store, bad):
    with pytest.raises(InvalidParameterError, match="Registered model name"):
        store.create_registered_model(bad)


def test_missing_model_names_the_model(store):
    with pytest.raises(RegisteredModelNotFound, match="'ghost' not found") as info:
        store.get_registered_model("ghost")
    assert info.value.name == "ghost"
    assert isinstance(info.value, NotFoundError)
    for call in (
        lambda: store.update_registered_model("ghost", "d"),
        lambda: store.rename_registered_model("ghost", "g2"),
        lambda: store.delete_registered_model("ghost"),
        lambda: store.set_registered_model_tag("ghost", "k", "v"),
        lambda: store.get_latest_versions("ghost"),
        lambda: store.get_model_version_history("ghost"),
    ):
        with pytest.raises(RegisteredModelNotFound, match="ghost"):
            call()


def test_update_description_bumps_timestamp(store):
    before = store.create_registered_model("m")
    after = store.update_registered_model("m", "**new** text")
    assert after.description == "**new** text"
    assert after.last_updated_timestamp >= before.last_updated_timestamp
    assert after.creation_timestamp == before.creation_timestamp


def test_rename_keeps_versions_aliases_tags_and_history(store):
    store.create_registered_model("old", tags={"k": "v"})
    store.create_model_version("old", "s3://bucket/r1/model")
    store.create_model_version("old", "s3://bucket/r2/model")
    store.transition_model_version_stage("old", 2, ModelStage.PRODUCTION)
    store.set_registered_model_alias("old", "champion", 2)
    renamed = store.rename_registered_model("old", "new")
    assert renamed.name == "new"
    assert renamed.tags == {"k": "v"}
    assert renamed.aliases == {"champion": 2}
    assert [v.version for v in renamed.latest_versions] == [1, 2]
    assert all(v.name == "new" for v in renamed.latest_versions)
    assert store.get_model_version("new", 2).current_stage is ModelStage.PRODUCTION
    assert [e.kind for e in store.get_model_version_history("new")] == ["stage", "alias_set"]
    with pytest.raises(RegisteredModelNotFound):
        store.get_registered_model("old")
    # The old name is free again.
    assert store.create_registered_model("old").latest_versions == ()


def test_rename_onto_existing_name_raises(store):
    store.create_registered_model("a")
    store.create_registered_model("b")
    with pytest.raises(AlreadyExistsError, match="'b'"):
        store.rename_registered_model("a", "b")
    assert store.get_registered_model("a").name == "a"


def test_model_tags_set_overwrite_delete(store):
    store.create_registered_model("m")
    store.set_registered_model_tag("m", "stage.owner", "ann")
    store.set_registered_model_tag("m", "stage.owner", "bob")
    store.set_registered_model_tag("m", "other", "x")
    assert store.get_registered_model("m").tags == {"other": "x", "stage.owner": "bob"}
    store.delete_registered_model_tag("m", "other")
    store.delete_registered_model_tag("m", "never-set")  # absent: no error
    assert store.get_registered_model("m").tags == {"stage.owner": "bob"}


def test_invalid_tag_key_is_refused(store):
    store.create_registered_model("m")
    with pytest.raises(InvalidParameterError, match="Tag key"):
        store.set_registered_model_tag("m", "", "v")


def test_delete_model_removes_everything_under_it(store):
    store.create_registered_model("gone", tags={"k": "v"})
    store.create_model_version("gone", "s3://bucket/r/model", tags={"t": "1"})
    store.set_registered_model_alias("gone", "champion", 1)
    store.transition_model_version_stage("gone", 1, "Staging")
    store.create_model_version("kept", "s3://bucket/r/model")
    store.delete_registered_model("gone")
    with pytest.raises(RegisteredModelNotFound):
        store.get_registered_model("gone")
    with pytest.raises(ModelVersionNotFound):
        store.get_model_version("gone", 1)
    assert [v.name for v in store.search_model_versions()] == ["kept"]
    # A new model of the same name starts from scratch: version 1, no history, no alias.
    fresh = store.create_model_version("gone", "s3://bucket/r2/model")
    assert fresh.version == 1
    assert fresh.tags == {}
    assert store.get_model_version_history("gone") == []
    assert store.get_registered_model("gone").aliases == {}


def test_to_dict_is_mlflow_shaped(store):
    store.create_registered_model("m", tags={"k": "v"}, description="d")
    store.create_model_version("m", "s3://bucket/r/model")
    store.set_registered_model_alias("m", "champion", 1)
    data = store.get_registered_model("m").to_dict()
    assert data["name"] == "m"
    assert data["tags"] == [{"key": "k", "value": "v"}]
    assert data["aliases"] == [{"alias": "champion", "version": "1"}]
    assert data["latest_versions"][0]["version"] == "1"
    assert data["latest_versions"][0]["current_stage"] == "None"
    assert data["latest_versions"][0]["status"] == "READY"
