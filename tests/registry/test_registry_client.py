"""RegistryClient on real stores: models, versions, stages, aliases, tags and history."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
from jupyter_mltrack import sklearn as mlt_sklearn
from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidParameterError,
    ModelFormatError,
    ModelVersionNotFound,
    NotFoundError,
    RegisteredModelNotFound,
)
from jupyter_mltrack.registry import RegistryClient

LogClassifier = Callable[..., tuple[str, LogisticRegression]]


def test_register_model_records_lineage_signature_and_flavors(
    client: RegistryClient, log_classifier: LogClassifier
) -> None:
    model_uri, _ = log_classifier(experiment="training")
    run_id = model_uri.split("/")[1]
    mv = client.register_model(model_uri, "iris", tags={"data": "v1"})
    assert (mv.name, mv.version, mv.current_stage) == ("iris", 1, ModelStage.NONE)
    assert mv.source == model_uri
    assert mv.run_id == run_id
    assert mv.experiment_id == mlt.get_experiment_by_name("training").experiment_id  # type: ignore[union-attr]
    assert set(mv.flavors) == {"python_function", "sklearn"}
    assert mv.signature is not None
    signature = json.loads(mv.signature)
    assert "sepal length (cm)" in signature["inputs"]
    assert mv.tags == {"data": "v1"}
    assert mv.user_id
    assert client.register_model(model_uri, "iris").version == 2
    model = client.get_registered_model("iris")
    assert model.name == "iris" and model.creation_timestamp > 0


def test_register_local_path_records_absolute_source_and_mlmodel_run(
    client: RegistryClient, log_classifier: LogClassifier, tmp_path: Path, monkeypatch
) -> None:
    model_uri, _ = log_classifier()
    local = client.tracking.download_artifacts(model_uri.split("/")[1], "model", tmp_path / "dl")
    monkeypatch.chdir(tmp_path / "dl")
    mv = client.register_model("model", "from-path")
    assert mv.source == str(tmp_path / "dl" / "model") == local
    assert mv.run_id == model_uri.split("/")[1]  # read from the MLmodel file
    assert mv.experiment_id == "0"


def test_register_without_mlmodel_is_a_model_format_error(
    client: RegistryClient, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFormatError, match="No MLmodel file"):
        client.register_model(tmp_path / "empty", "broken")
    with pytest.raises(ModelFormatError, match="does not exist"):
        client.register_model(tmp_path / "missing", "broken")
    with mlt.start_run() as run:
        mlt.log_text("not a model", "notes/readme.txt")
    with pytest.raises(ModelFormatError, match="MLmodel"):
        client.register_model(f"runs:/{run.run_id}/notes", "broken")
    with pytest.raises(ModelFormatError, match="MLmodel"):
        client.register_model(f"runs:/{run.run_id}/nothing-here", "broken")
    with pytest.raises(RegisteredModelNotFound):
        client.get_registered_model("broken")


def test_registered_model_crud_tags_and_search(client: RegistryClient) -> None:
    created = client.create_registered_model("churn", tags={"team": "growth"}, description="# v1")
    assert created.tags == {"team": "growth"} and created.description == "# v1"
    with pytest.raises(AlreadyExistsError):
        client.create_registered_model("churn")
    client.create_registered_model("fraud")
    client.set_registered_model_tag("fraud", "team", "risk")
    client.set_registered_model_tag("churn", "owner", "ana")
    client.delete_registered_model_tag("churn", "team")
    assert client.get_registered_model("churn").tags == {"owner": "ana"}
    updated = client.update_registered_model("churn", description="**markdown** body")
    assert updated.description == "**markdown** body"
    names = [m.name for m in client.search_registered_models(order_by=["name DESC"])]
    assert names == ["fraud", "churn"]
    assert [m.name for m in client.search_registered_models("tags.team = 'risk'")] == ["fraud"]
    page = client.search_registered_models(max_results=1, order_by="name")
    assert [m.name for m in page] == ["churn"] and page.token
    rest = client.search_registered_models(max_results=1, order_by="name", page_token=page.token)
    assert [m.name for m in rest] == ["fraud"]
    renamed = client.rename_registered_model("churn", "churn-v2")
    assert renamed.name == "churn-v2"
    with pytest.raises(RegisteredModelNotFound, match="'churn'"):
        client.get_registered_model("churn")
    client.delete_registered_model("churn-v2")
    assert [m.name for m in client.search_registered_models()] == ["fraud"]


def test_versions_crud_tags_search_and_latest(
    client: RegistryClient, log_classifier: LogClassifier
) -> None:
    uris = [log_classifier(c)[0] for c in (0.1, 1.0, 10.0)]
    for model_uri in uris:
        client.register_model(model_uri, "iris")
    client.update_model_version("iris", "2", "Tuned *C*")
    assert client.get_model_version("iris", 2).description == "Tuned *C*"
    client.set_model_version_tag("iris", 2, "validated", True)
    assert client.get_model_version("iris", 2).tags == {"validated": "True"}
    client.delete_model_version_tag("iris", 2, "validated")
    assert client.get_model_version("iris", 2).tags == {}
    found = client.search_model_versions(f"run_id = '{uris[0].split('/')[1]}'")
    assert [(mv.name, mv.version) for mv in found] == [("iris", 1)]
    client.transition_model_version_stage("iris", 1, "Production")
    client.transition_model_version_stage("iris", 2, "Production")
    latest = client.get_latest_versions("iris", ["production"])
    assert [mv.version for mv in latest] == [2]
    by_stage = {mv.current_stage: mv.version for mv in client.get_latest_versions("iris")}
    assert by_stage == {ModelStage.NONE: 3, ModelStage.PRODUCTION: 2}
    with pytest.raises(InvalidParameterError, match="None, Staging, Production, Archived"):
        client.get_latest_versions("iris", ["prod"])
    client.delete_model_version("iris", 3)
    with pytest.raises(ModelVersionNotFound) as info:
        client.get_model_version("iris", 3)
    assert (info.value.name, str(info.value.version)) == ("iris", "3")
    assert "iris" in info.value.message and "3" in info.value.message


def test_download_uri_points_at_the_run_artifacts(
    client: RegistryClient, log_classifier: LogClassifier, tmp_path: Path
) -> None:
    model_uri, _ = log_classifier()
    client.register_model(model_uri, "iris")
    run = client.tracking.get_run(model_uri.split("/")[1])
    assert client.get_model_version_download_uri("iris", 1) == f"{run.info.artifact_uri}/model"


def test_stage_transitions_are_canonical_and_archive_others(
    client: RegistryClient, log_classifier: LogClassifier
) -> None:
    model_uri, _ = log_classifier()
    for _ in range(3):
        client.register_model(model_uri, "iris")
    mv = client.transition_model_version_stage("iris", 1, "PRODUCTION", comment="first")
    assert mv.current_stage is ModelStage.PRODUCTION and mv.current_stage.value == "Production"
    client.transition_model_version_stage("iris", 2, "production")
    assert client.get_model_version("iris", 1).current_stage is ModelStage.PRODUCTION
    client.transition_model_version_stage("iris", 3, "Production", archive_existing_versions=True)
    stages = [client.get_model_version("iris", v).current_stage for v in (1, 2, 3)]
    assert stages == [ModelStage.ARCHIVED, ModelStage.ARCHIVED, ModelStage.PRODUCTION]
    with pytest.raises(InvalidParameterError, match="use one of: None, Staging, Production"):
        client.transition_model_version_stage("iris", 1, "Prod")
    history = client.get_model_version_history("iris")
    moves = [(e.version, e.from_value, e.to_value) for e in history if e.kind == "stage"]
    # The archiving and the promotion of version 3 happen in one transaction, in any order.
    assert moves[:2] == [(1, "None", "Production"), (2, "None", "Production")]
    assert sorted(moves[2:]) == [
        (1, "Production", "Archived"),
        (2, "Production", "Archived"),
        (3, "None", "Production"),
    ]
    assert history[0].comment == "first" and history[0].user_id
    assert [e.version for e in client.get_model_version_history("iris", "1")] == [1, 1]


def test_aliases_move_atomically_and_are_recorded(
    client: RegistryClient, log_classifier: LogClassifier
) -> None:
    model_uri, _ = log_classifier()
    for _ in range(2):
        client.register_model(model_uri, "iris")
    client.set_registered_model_alias("iris", "champion", 1)
    client.set_registered_model_alias("iris", "champion", "2", comment="better")
    assert client.get_model_version_by_alias("iris", "champion").version == 2
    assert client.get_registered_model("iris").aliases == {"champion": 2}
    assert client.get_model_version("iris", 2).aliases == ("champion",)
    assert client.get_model_version("iris", 1).aliases == ()
    events = [e for e in client.get_model_version_history("iris") if e.kind.startswith("alias")]
    assert [(e.kind, e.alias, e.from_value, e.to_value) for e in events] == [
        ("alias_set", "champion", None, "1"),
        ("alias_set", "champion", "1", "2"),
    ]
    assert events[1].comment == "better"
    client.delete_registered_model_alias("iris", "champion")
    with pytest.raises(ModelVersionNotFound):
        client.get_model_version_by_alias("iris", "champion")
    with pytest.raises(InvalidParameterError, match="version number"):
        client.set_registered_model_alias("iris", "v2", 2)
    with pytest.raises(InvalidParameterError, match="latest"):
        client.set_registered_model_alias("iris", "latest", 2)
    with pytest.raises(ModelVersionNotFound):
        client.set_registered_model_alias("iris", "champion", 9)


def test_deleting_an_aliased_version_removes_and_records_the_alias(
    client: RegistryClient, log_classifier: LogClassifier
) -> None:
    model_uri, _ = log_classifier()
    client.register_model(model_uri, "iris")
    client.register_model(model_uri, "iris")
    client.set_registered_model_alias("iris", "champion", 2)
    client.delete_model_version("iris", 2)
    assert client.get_registered_model("iris").aliases == {}
    last = client.get_model_version_history("iris")[-1]
    assert (last.kind, last.alias, last.from_value, last.version) == (
        "alias_deleted",
        "champion",
        "2",
        2,
    )


def test_missing_models_and_versions_name_what_is_missing(client: RegistryClient) -> None:
    with pytest.raises(RegisteredModelNotFound, match="'ghost'") as info:
        client.get_registered_model("ghost")
    assert info.value.name == "ghost"
    with pytest.raises(NotFoundError, match="no registered model"):
        client.get_model_version("ghost", 1)
    with pytest.raises(NotFoundError, match="'ghost'"):
        client.transition_model_version_stage("ghost", 1, "Staging")
    client.create_registered_model("real")
    with pytest.raises(ModelVersionNotFound):
        client.transition_model_version_stage("real", 1, "Staging")
    with pytest.raises(InvalidParameterError, match="positive integer"):
        client.get_model_version("real", "one")
    with pytest.raises(InvalidParameterError, match="'/'"):
        client.create_registered_model("a/b")


def test_fluent_register_model_and_log_model_registered_name(
    uri: str, classifier: LogisticRegression
) -> None:
    with mlt.start_run() as run:
        info = mlt_sklearn.log_model(classifier, "model", registered_model_name="iris")
    assert info.registered_model_version == "1"
    mv = mlt.register_model(info.model_uri, "iris", tags={"how": "fluent"})
    assert (mv.version, mv.run_id, mv.tags) == (2, run.run_id, {"how": "fluent"})
    assert mlt.RegistryClient().get_model_version("iris", 1).source == f"runs:/{run.run_id}/model"


def test_the_client_uses_the_tracking_uri_by_default(uri: str) -> None:
    client = RegistryClient()
    assert client.tracking_uri == uri
    client.create_registered_model("x")
    assert RegistryClient(uri).get_registered_model("x").name == "x"
    assert repr(client) == f"RegistryClient({uri!r})"


@pytest.mark.postgres
def test_register_and_promote_on_postgresql(
    server_database_uri, log_classifier: LogClassifier, uri: str
) -> None:
    model_uri, _ = log_classifier()
    pg = RegistryClient(server_database_uri("postgres"))
    local = pg.tracking  # the run lives in the SQLite store; register its files by path
    assert local.tracking_uri != uri
    path = RegistryClient(uri).tracking.download_artifacts(model_uri.split("/")[1], "model")
    mv = pg.register_model(path, "iris")
    pg.register_model(path, "iris")
    pg.transition_model_version_stage("iris", mv.version, "staging")
    pg.set_registered_model_alias("iris", "champion", 2)
    assert pg.get_model_version_by_alias("iris", "champion").version == 2
    assert [e.kind for e in pg.get_model_version_history("iris")] == ["stage", "alias_set"]
    assert pg.get_latest_versions("iris", ["Staging"])[0].version == 1


REGISTRY_METHODS = [
    "create_model_version",
    "create_registered_model",
    "delete_model_version",
    "delete_model_version_tag",
    "delete_registered_model",
    "delete_registered_model_alias",
    "delete_registered_model_tag",
    "get_latest_versions",
    "get_model_version",
    "get_model_version_by_alias",
    "get_model_version_download_uri",
    "get_model_version_history",
    "get_registered_model",
    "promote",
    "register_model",
    "rename_registered_model",
    "search_model_versions",
    "search_registered_models",
    "set_model_version_tag",
    "set_registered_model_alias",
    "set_registered_model_tag",
    "transition_model_version_stage",
    "update_model_version",
    "update_registered_model",
]


def test_the_client_surface_is_documented_and_typed() -> None:
    public = sorted(n for n in dir(RegistryClient) if not n.startswith("_") and n != "tracking")
    assert public == REGISTRY_METHODS
    for name in REGISTRY_METHODS:
        method = getattr(RegistryClient, name)
        doc = inspect.getdoc(method) or ""
        assert doc.splitlines()[0].endswith(".") and "Example:" in doc, name
        signature = inspect.signature(method)
        assert signature.return_annotation is not inspect.Signature.empty, name
        for param in signature.parameters.values():
            assert param.name == "self" or param.annotation is not inspect.Parameter.empty, name
