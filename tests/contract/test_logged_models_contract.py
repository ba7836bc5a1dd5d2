"""MLflow 3 logged models and run inputs/outputs - on every backend, through store methods only."""

from __future__ import annotations

import re

import pytest
from contract_helpers import make_run

from jupyter_mltrack.entities import (
    DatasetInput,
    LoggedModel,
    LoggedModelStatus,
    ModelInput,
    ModelOutput,
)
from jupyter_mltrack.errors import InvalidParameterError, InvalidStateError, NotFoundError


def _names(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.name for m in found]


def test_create_get_and_artifact_location(store):
    run = make_run(store)
    created = store.create_logged_model(
        "0",
        name="model",
        source_run_id=run.info.run_id,
        tags={"mlflow.user": "me", "team": "risk"},
        params={"alpha": "0.5"},
        model_type="classifier",
    )
    assert isinstance(created, LoggedModel)
    assert re.fullmatch(r"m-[0-9a-f]{32}", created.model_id)
    assert created.status is LoggedModelStatus.PENDING
    assert created.experiment_id == "0"
    assert created.source_run_id == run.info.run_id
    assert created.model_type == "classifier"
    assert created.tags == {"mlflow.user": "me", "team": "risk"}
    assert created.params == {"alpha": "0.5"}
    assert created.creation_timestamp_ms == created.last_updated_timestamp_ms > 0
    location = store.get_experiment("0").artifact_location.rstrip("/")
    assert created.artifact_uri == f"{location}/models/{created.model_id}/artifacts"
    assert store.get_logged_model(created.model_id) == created


def test_minimal_model_gets_a_name_and_no_run(store):
    model = store.create_logged_model("0")
    assert model.name
    assert model.source_run_id is None
    assert model.tags == {} and model.params == {}
    assert model.model_type == ""


def test_to_dict_is_mlflows_shape(store):
    run = make_run(store)
    model = store.create_logged_model(
        "0", name="model", source_run_id=run.info.run_id, tags={"b": "2", "a": "1"}
    )
    payload = model.to_dict()
    assert payload["data"] == {}
    info = payload["info"]
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["model_type"] == ""
    assert info["experiment_id"] == "0"
    assert info["tags"] == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    assert LoggedModel.from_dict(payload) == model


def test_finalize(store):
    model = store.create_logged_model("0", name="model")
    ready = store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status is LoggedModelStatus.READY
    assert ready.last_updated_timestamp_ms >= model.last_updated_timestamp_ms
    assert store.get_logged_model(model.model_id).status is LoggedModelStatus.READY
    failed = store.finalize_logged_model(model.model_id, LoggedModelStatus.FAILED)
    assert failed.status.value == "LOGGED_MODEL_UPLOAD_FAILED"


def test_tags_set_overwrite_delete(store):
    model = store.create_logged_model("0", name="model", tags={"keep": "1", "mlflow.x": "a"})
    store.set_logged_model_tags(model.model_id, {"mlflow.x": "b", "new": "n"})
    assert store.get_logged_model(model.model_id).tags == {"keep": "1", "mlflow.x": "b", "new": "n"}
    store.delete_logged_model_tag(model.model_id, "keep")
    assert store.get_logged_model(model.model_id).tags == {"mlflow.x": "b", "new": "n"}
    with pytest.raises(NotFoundError, match="keep"):
        store.delete_logged_model_tag(model.model_id, "keep")


def test_missing_model_raises_not_found(store):
    ghost = "m-" + "0" * 32
    for call in (
        lambda: store.get_logged_model(ghost),
        lambda: store.finalize_logged_model(ghost, LoggedModelStatus.READY),
        lambda: store.set_logged_model_tags(ghost, {"a": "b"}),
        lambda: store.delete_logged_model_tag(ghost, "a"),
        lambda: store.log_logged_model_params(ghost, {"a": "b"}),
        lambda: store.delete_logged_model(ghost),
    ):
        with pytest.raises(NotFoundError, match=ghost):
            call()


def test_params_are_added_once_and_never_changed(store):
    model = store.create_logged_model("0", name="model", params={"alpha": "0.1"})
    store.log_logged_model_params(model.model_id, {"beta": "2", "alpha": "0.1"})
    assert store.get_logged_model(model.model_id).params == {"alpha": "0.1", "beta": "2"}
    with pytest.raises(InvalidParameterError, match="alpha"):
        store.log_logged_model_params(model.model_id, {"alpha": "0.5", "gamma": "3"})
    assert store.get_logged_model(model.model_id).params == {"alpha": "0.1", "beta": "2"}


def test_delete_logged_model_unlinks_it_from_runs(store):
    run = make_run(store)
    model = store.create_logged_model("0", name="gone", tags={"t": "1"}, params={"p": "1"})
    kept = store.create_logged_model("0", name="kept")
    store.log_outputs(run.info.run_id, [(model.model_id, 0), (kept.model_id, 0)])
    store.delete_logged_model(model.model_id)
    with pytest.raises(NotFoundError, match=model.model_id):
        store.get_logged_model(model.model_id)
    outputs = store.get_run(run.info.run_id).outputs.model_outputs
    assert outputs == (ModelOutput(model_id=kept.model_id, step=0),)
    assert _names(store.search_logged_models(["0"])) == ["kept"]


def test_create_checks_experiment_and_accepts_any_source_run(store):
    with pytest.raises(NotFoundError):
        store.create_logged_model("424242", name="model")
    # As MLflow: the source run is a reference, not checked (it may live in another store).
    ghost_run = store.create_logged_model("0", name="model", source_run_id="f" * 32)
    assert store.get_logged_model(ghost_run.model_id).source_run_id == "f" * 32
    exp = store.create_experiment("gone")
    store.delete_experiment(exp)
    with pytest.raises(InvalidStateError, match="deleted"):
        store.create_logged_model(exp, name="model")


@pytest.mark.parametrize("bad", ["", "x" * 501])
def test_invalid_names_are_refused(store, bad):
    with pytest.raises(InvalidParameterError, match="name"):
        store.create_logged_model("0", name=bad)


@pytest.fixture
def models(store):  # type: ignore[no-untyped-def]
    """Four models in two experiments, created in a known order (newest last)."""
    other = store.create_experiment("other")
    run = make_run(store)
    made = [
        store.create_logged_model("0", name="model", source_run_id=run.info.run_id),
        store.create_logged_model("0", name="Model", tags={"team": "risk"}, params={"k": "3"}),
        store.create_logged_model("0", name="dir", tags={"team": "growth"}),
        store.create_logged_model(other, name="model"),
    ]
    store.finalize_logged_model(made[1].model_id, LoggedModelStatus.READY)
    return store, run.info.run_id, other, made


def test_search_by_name_within_experiments(models):
    store, run_id, other, made = models
    found = store.search_logged_models(["0"], filter_string="name = 'model'")
    assert [m.model_id for m in found] == [made[0].model_id]
    assert found[0].source_run_id == run_id
    both = store.search_logged_models(["0", other], filter_string="name = 'model'")
    assert {m.model_id for m in both} == {made[0].model_id, made[3].model_id}
    assert list(store.search_logged_models(["0"], filter_string="name = 'nothing'")) == []


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", {"model", "Model", "dir"}),
        ("name != 'model'", {"Model", "dir"}),
        ("name LIKE 'mod%'", {"model"}),
        ("name ILIKE 'mod%'", {"model", "Model"}),
        ("status = 'LOGGED_MODEL_READY'", {"Model"}),
        ("status = 'READY'", {"Model"}),
        ("status != 'READY'", {"model", "dir"}),
        ("tags.team = 'risk'", {"Model"}),
        ("tags.team != 'risk'", {"dir"}),
        ("tags.`team` IS NULL", {"model"}),
        ("params.k = '3'", {"Model"}),
        ("tags.team LIKE '%r%' AND name = 'dir'", {"dir"}),
        ("creation_timestamp > 0", {"model", "Model", "dir"}),
    ],
)
def test_search_filters(models, filter_string, expected):
    store = models[0]
    assert set(_names(store.search_logged_models(["0"], filter_string=filter_string))) == expected


def test_search_by_source_run(models):
    store, run_id, _, made = models
    found = store.search_logged_models(["0"], filter_string=f"source_run_id = '{run_id}'")
    assert [m.model_id for m in found] == [made[0].model_id]


def test_search_order_and_pages(models):
    store, _, _, made = models
    default = store.search_logged_models(["0"])
    assert [m.model_id for m in default] == sorted(
        (m.model_id for m in made[:3]),
        key=lambda i: (-store.get_logged_model(i).creation_timestamp_ms, i),
    )
    by_name = store.search_logged_models(["0"], order_by=["name ASC"])
    assert _names(by_name) == ["Model", "dir", "model"]
    assert _names(store.search_logged_models(["0"], order_by=["name DESC"]))[0] == "model"
    first = store.search_logged_models(["0"], order_by=["name"], max_results=2)
    assert len(first) == 2 and first.token
    second = store.search_logged_models(
        ["0"], order_by=["name"], max_results=2, page_token=first.token
    )
    assert second.token is None
    assert _names(first) + _names(second) == ["Model", "dir", "model"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filter_string": "nme = 'x'"}, "unknown attribute 'nme'"),
        ({"filter_string": "name = model"}, "quoted string"),
        ({"filter_string": "status = 'DONE'"}, "status"),
        ({"order_by": ["tags.team"]}, "cannot order by"),
        ({"max_results": 0}, "max_results"),
    ],
)
def test_search_errors(models, kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        models[0].search_logged_models(["0"], **kwargs)


def test_search_needs_experiments(store):
    with pytest.raises(InvalidParameterError, match="experiment"):
        store.search_logged_models([])


def test_outputs_show_on_the_run(store):
    run = make_run(store)
    assert run.outputs.model_outputs == ()
    assert "outputs" not in run.to_dict()
    model = store.create_logged_model("0", name="model", source_run_id=run.info.run_id)
    store.log_outputs(run.info.run_id, [(model.model_id, 0)])
    store.log_outputs(run.info.run_id, [(model.model_id, 0)])  # again: no duplicate
    got = store.get_run(run.info.run_id)
    assert got.outputs.model_outputs == (ModelOutput(model_id=model.model_id, step=0),)
    assert got.to_dict()["outputs"] == {"model_outputs": [{"model_id": model.model_id, "step": 0}]}
    searched = store.search_runs(["0"])
    assert searched[0].outputs == got.outputs


def test_outputs_need_a_live_run_and_a_real_model(store):
    run = make_run(store)
    with pytest.raises(NotFoundError):
        store.log_outputs(run.info.run_id, [("m-" + "1" * 32, 0)])
    model = store.create_logged_model("0", name="model")
    with pytest.raises(NotFoundError):
        store.log_outputs("e" * 32, [(model.model_id, 0)])
    store.delete_run(run.info.run_id)
    with pytest.raises(InvalidStateError):
        store.log_outputs(run.info.run_id, [(model.model_id, 0)])


def _dataset(name: str = "iris", digest: str = "affdde7d", context: str = "training"):  # type: ignore[no-untyped-def]
    return DatasetInput(
        name=name,
        digest=digest,
        source_type="code",
        source='{"tags": {}}',
        schema='{"mlflow_colspec": []}',
        profile='{"num_rows": 5}',
        tags={"mlflow.data.context": context},
    )


def test_inputs_show_on_the_run(store):
    run = make_run(store)
    model = store.create_logged_model("0", name="model")
    store.log_inputs(run.info.run_id, [_dataset(), _dataset("b", "1234")], [model.model_id])
    # The same (name, digest) again keeps the first input, as in MLflow.
    store.log_inputs(run.info.run_id, [_dataset(context="eval")])
    got = store.get_run(run.info.run_id)
    assert got.inputs.dataset_inputs == (_dataset("b", "1234"), _dataset())
    assert got.inputs.model_inputs == (ModelInput(model_id=model.model_id),)
    payload = got.to_dict()["inputs"]
    assert payload["dataset_inputs"][1] == {
        "tags": [{"key": "mlflow.data.context", "value": "training"}],
        "dataset": {
            "name": "iris",
            "digest": "affdde7d",
            "source_type": "code",
            "source": '{"tags": {}}',
            "schema": '{"mlflow_colspec": []}',
            "profile": '{"num_rows": 5}',
        },
    }
    assert payload["model_inputs"] == [{"model_id": model.model_id}]
    assert DatasetInput.from_dict(payload["dataset_inputs"][1]) == _dataset()
    assert store.search_runs(["0"])[0].inputs == got.inputs


def test_runs_without_links_keep_their_json(store):
    run = make_run(store)
    assert run.to_dict()["inputs"] == {}
    assert "outputs" not in store.search_runs(["0"])[0].to_dict()


def test_purged_runs_take_their_links_but_not_their_models(store):
    run = make_run(store)
    model = store.create_logged_model("0", name="model", source_run_id=run.info.run_id)
    store.log_outputs(run.info.run_id, [(model.model_id, 3)])
    store.log_inputs(run.info.run_id, [_dataset()], [model.model_id])
    store.delete_run(run.info.run_id)
    store.purge_runs([run.info.run_id])
    with pytest.raises(NotFoundError):
        store.get_run(run.info.run_id)
    assert store.get_logged_model(model.model_id).source_run_id == run.info.run_id
