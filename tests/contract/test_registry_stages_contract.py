"""Stages, aliases and the transition history - on every backend."""

from __future__ import annotations

import pytest

from jupyter_mltrack.entities import ModelStage, ModelVersionEvent
from jupyter_mltrack.errors import InvalidParameterError, ModelVersionNotFound


def _model_with_versions(store, count: int, name: str = "m") -> None:
    for i in range(count):
        store.create_model_version(name, f"s3://bucket/r{i}/model")


def _moves(store, name: str = "m") -> list[tuple[object, ...]]:
    return [
        (e.kind, e.version, e.alias, e.from_value, e.to_value)
        for e in store.get_model_version_history(name)
    ]


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("production", ModelStage.PRODUCTION),
        ("STAGING", ModelStage.STAGING),
        ("archived", ModelStage.ARCHIVED),
        ("none", ModelStage.NONE),
        (ModelStage.PRODUCTION, ModelStage.PRODUCTION),
    ],
)
def test_stage_names_are_case_insensitive_and_canonical(store, given, canonical):
    _model_with_versions(store, 1)
    moved = store.transition_model_version_stage("m", 1, given)
    assert moved.current_stage is canonical
    assert store.get_model_version("m", 1).current_stage is canonical


def test_unknown_stage_lists_the_valid_ones(store):
    _model_with_versions(store, 1)
    with pytest.raises(InvalidParameterError, match="None, Staging, Production, Archived"):
        store.transition_model_version_stage("m", 1, "Prod")
    assert store.get_model_version_history("m") == []


def test_transition_records_who_when_why_and_evidence(store):
    _model_with_versions(store, 1)
    before = store.get_model_version("m", 1)
    moved = store.transition_model_version_stage(
        "m",
        1,
        ModelStage.STAGING,
        user_id="ann",
        comment="passed checks",
        evidence_uri="runs:/abc/validation/executed.ipynb",
        metrics={"auc": 0.91, "n": 1000},
    )
    assert moved.last_updated_timestamp >= before.last_updated_timestamp
    [event] = store.get_model_version_history("m")
    assert isinstance(event, ModelVersionEvent)
    assert (event.name, event.version, event.kind) == ("m", 1, "stage")
    assert (event.from_value, event.to_value) == ("None", "Staging")
    assert (event.user_id, event.comment) == ("ann", "passed checks")
    assert event.evidence_uri == "runs:/abc/validation/executed.ipynb"
    assert event.metrics == {"auc": 0.91, "n": 1000.0}
    assert event.timestamp >= before.last_updated_timestamp
    assert event.alias is None


def test_archive_existing_versions_moves_the_others_in_one_go(store):
    _model_with_versions(store, 4)
    store.transition_model_version_stage("m", 1, "Production")
    store.transition_model_version_stage("m", 2, "Production")
    store.transition_model_version_stage("m", 3, "Staging")
    store.transition_model_version_stage(
        "m", 4, "Production", archive_existing_versions=True, user_id="bob"
    )
    stages = {v.version: v.current_stage for v in store.search_model_versions("name = 'm'")}
    assert stages == {
        1: ModelStage.ARCHIVED,
        2: ModelStage.ARCHIVED,
        3: ModelStage.STAGING,  # other stages are left alone
        4: ModelStage.PRODUCTION,
    }
    history = store.get_model_version_history("m")
    assert [(e.version, e.from_value, e.to_value) for e in history[-3:]] == [
        (4, "None", "Production"),
        (1, "Production", "Archived"),
        (2, "Production", "Archived"),
    ]
    assert {e.user_id for e in history[-3:]} == {"bob"}
    assert "version 4" in (history[-1].comment or "")


def test_archive_existing_only_applies_to_staging_and_production(store):
    _model_with_versions(store, 1)
    with pytest.raises(InvalidParameterError, match="Staging or Production"):
        store.transition_model_version_stage("m", 1, "Archived", archive_existing_versions=True)


def test_alias_set_move_and_lookup(store):
    _model_with_versions(store, 3)
    store.set_registered_model_alias("m", "champion", 1, user_id="ann")
    assert store.get_model_version_by_alias("m", "champion").version == 1
    store.set_registered_model_alias("m", "champion", 3, comment="better", metrics={"auc": 0.9})
    store.set_registered_model_alias("m", "challenger", 3)
    assert store.get_model_version_by_alias("m", "champion").version == 3
    assert store.get_model_version("m", 1).aliases == ()
    assert store.get_model_version("m", 3).aliases == ("challenger", "champion")
    assert store.get_registered_model("m").aliases == {"challenger": 3, "champion": 3}
    assert _moves(store) == [
        ("alias_set", 1, "champion", None, "1"),
        ("alias_set", 3, "champion", "1", "3"),
        ("alias_set", 3, "challenger", None, "3"),
    ]
    moved = store.get_model_version_history("m", 3)[0]
    assert (moved.comment, moved.metrics) == ("better", {"auc": 0.9})


def test_aliases_are_case_sensitive(store):
    _model_with_versions(store, 2)
    store.set_registered_model_alias("m", "Champion", 1)
    store.set_registered_model_alias("m", "champion", 2)
    assert store.get_model_version_by_alias("m", "Champion").version == 1
    assert store.get_model_version_by_alias("m", "champion").version == 2


def test_delete_alias_records_it(store):
    _model_with_versions(store, 1)
    store.set_registered_model_alias("m", "champion", 1)
    store.delete_registered_model_alias("m", "champion", user_id="ann")
    store.delete_registered_model_alias("m", "champion")  # already gone: no error, no event
    with pytest.raises(ModelVersionNotFound, match="no alias 'champion'"):
        store.get_model_version_by_alias("m", "champion")
    assert _moves(store)[-1] == ("alias_deleted", 1, "champion", "1", None)
    assert len(_moves(store)) == 2
    assert store.get_model_version_history("m")[-1].user_id == "ann"


def test_deleting_a_version_removes_its_aliases_and_records_it(store):
    _model_with_versions(store, 2)
    store.set_registered_model_alias("m", "champion", 2)
    store.set_registered_model_alias("m", "prod", 2)
    store.set_registered_model_alias("m", "old", 1)
    store.delete_model_version("m", 2)
    assert store.get_registered_model("m").aliases == {"old": 1}
    with pytest.raises(ModelVersionNotFound):
        store.get_model_version_by_alias("m", "champion")
    deleted = [m for m in _moves(store) if m[0] == "alias_deleted"]
    assert deleted == [
        ("alias_deleted", 2, "champion", "2", None),
        ("alias_deleted", 2, "prod", "2", None),
    ]
    # The deleted version's history stays readable.
    assert len(store.get_model_version_history("m", 2)) == 4


@pytest.mark.parametrize("bad", ["", "has space", "3", "v3", "V12", "latest", "LATEST", "a" * 256])
def test_invalid_aliases_are_refused(store, bad):
    _model_with_versions(store, 1)
    with pytest.raises(InvalidParameterError, match="alias"):
        store.set_registered_model_alias("m", bad, 1)


def test_alias_on_missing_model_names_it(store):
    with pytest.raises(ModelVersionNotFound, match="'ghost'"):
        store.get_model_version_by_alias("ghost", "champion")


def test_history_is_oldest_first_and_filterable_by_version(store):
    _model_with_versions(store, 2)
    store.transition_model_version_stage("m", 1, "Staging")
    store.transition_model_version_stage("m", 2, "Staging")
    store.transition_model_version_stage("m", 1, "Production")
    store.set_registered_model_alias("m", "champion", 1)
    assert _moves(store) == [
        ("stage", 1, None, "None", "Staging"),
        ("stage", 2, None, "None", "Staging"),
        ("stage", 1, None, "Staging", "Production"),
        ("alias_set", 1, "champion", None, "1"),
    ]
    only_2 = store.get_model_version_history("m", 2)
    assert [(e.version, e.to_value) for e in only_2] == [(2, "Staging")]
    stamps = [e.timestamp for e in store.get_model_version_history("m")]
    assert stamps == sorted(stamps)


def test_history_of_models_is_separate(store):
    _model_with_versions(store, 1, "a")
    _model_with_versions(store, 1, "b")
    store.transition_model_version_stage("a", 1, "Staging")
    assert store.get_model_version_history("b") == []
    assert len(store.get_model_version_history("a")) == 1
