"""log_model: models saved as run artifacts, recorded on the run, loaded back from runs:/ URIs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
from jupyter_mltrack import pyfunc
from jupyter_mltrack import sklearn as mlt_sklearn
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError
from jupyter_mltrack.model_logging.core import LOGGED_MODELS_TAG, ModelInfo, _fit_tag


class Twice(pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return model_input * 2


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    while mlt.active_run() is not None:
        mlt.end_run()


@pytest.fixture
def iris() -> tuple[pd.DataFrame, pd.Series]:
    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture
def classifier(iris):  # type: ignore[no-untyped-def]
    return LogisticRegression(max_iter=500).fit(*iris)


def test_log_model_uploads_and_loads_from_runs_uri(store, iris, classifier):
    with mlt.start_run() as run:
        info = mlt_sklearn.log_model(classifier, "model", input_example=iris[0][:3])
    assert isinstance(info, ModelInfo)
    assert info.model_uri == f"runs:/{run.run_id}/model"
    assert info.run_id == run.run_id
    assert info.artifact_path == "model"
    assert set(info.flavors) == {"python_function", "sklearn"}
    assert info.signature is not None
    assert info.signature.inputs.input_names() == list(iris[0].columns)
    files = {f.path for f in mlt.TrackingClient().list_artifacts(run.run_id, "model")}
    assert {"model/MLmodel", "model/model.skops", "model/input_example.json"} <= files
    expected = classifier.predict(iris[0])
    np.testing.assert_array_equal(pyfunc.load_model(info.model_uri).predict(iris[0]), expected)
    np.testing.assert_array_equal(mlt_sklearn.load_model(info.model_uri).predict(iris[0]), expected)


def test_mlmodel_records_run_id_and_artifact_path(store, classifier):
    with mlt.start_run() as run:
        info = mlt_sklearn.log_model(classifier, "nested/clf")
    local = mlt.TrackingClient().download_artifacts(run.run_id, "nested/clf")
    with open(f"{local}/MLmodel") as handle:
        mlmodel = yaml.safe_load(handle)
    assert mlmodel["run_id"] == run.run_id
    assert mlmodel["artifact_path"] == "nested/clf"
    assert mlmodel["model_uuid"] == info.model_uuid
    # Integrity still holds: MLmodel is not hashed, the files it lists are unchanged.
    assert pyfunc.load_model(info.model_uri).metadata.run_id == run.run_id


def test_logged_models_tag_lists_each_model(store, iris, classifier):
    with mlt.start_run() as run:
        first = mlt_sklearn.log_model(classifier, "clf", input_example=iris[0][:2])
        second = pyfunc.log_model("twice", python_model=Twice())
        replaced = mlt_sklearn.log_model(classifier, "clf", serialization_format="cloudpickle")
    tag = json.loads(mlt.get_run(run.run_id).data.tags[LOGGED_MODELS_TAG])
    assert [entry["artifact_path"] for entry in tag] == ["twice", "clf"]
    twice, clf = tag
    assert twice["model_uuid"] == second.model_uuid
    assert twice["signature"] is None
    assert twice["flavors"]["python_function"]["loader_module"] == "mlflow.pyfunc.model"
    assert clf["model_uuid"] == replaced.model_uuid != first.model_uuid
    assert clf["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    assert clf["utc_time_created"] == replaced.utc_time_created
    assert set(clf) == {"artifact_path", "flavors", "signature", "model_uuid", "utc_time_created"}


def test_signature_in_tag_is_mlflow_form(store, iris, classifier):
    with mlt.start_run() as run:
        info = mlt_sklearn.log_model(classifier, "clf", input_example=iris[0][:2])
    (entry,) = json.loads(mlt.get_run(run.run_id).data.tags[LOGGED_MODELS_TAG])
    assert entry["signature"] == info.signature.to_dict()
    assert json.loads(entry["signature"]["inputs"])[0]["name"] == "sepal length (cm)"


def test_log_model_starts_a_run_when_none_is_active(store, classifier):
    assert mlt.active_run() is None
    info = pyfunc.log_model("twice", python_model=Twice())
    active = mlt.active_run()
    assert active is not None and active.run_id == info.run_id
    mlt.end_run()
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    pd.testing.assert_frame_equal(pyfunc.load_model(info.model_uri).predict(frame), frame * 2)


def test_custom_model_artifacts_from_runs_uri(store, tmp_path):
    (tmp_path / "vocab.txt").write_text("a b c")
    with mlt.start_run() as run:
        mlt.log_artifact(tmp_path / "vocab.txt", "data")
        info = pyfunc.log_model(
            "twice", python_model=Twice(), artifacts={"vocab": f"runs:/{run.run_id}/data/vocab.txt"}
        )
    model = pyfunc.load_model(info.model_uri)
    assert model.metadata.flavors["python_function"]["artifacts"]["vocab"]["path"] == (
        "artifacts/vocab.txt"
    )
    assert (tmp_path / "vocab.txt").read_text() == "a b c"


def test_bad_names_and_uris(store, classifier):
    with mlt.start_run() as run:
        with pytest.raises(InvalidParameterError, match="escape"):
            mlt_sklearn.log_model(classifier, "../outside")
        with pytest.raises(InvalidParameterError, match="relative path"):
            mlt_sklearn.log_model(classifier, "")
    with pytest.raises(NotFoundError):
        pyfunc.load_model(f"runs:/{run.run_id}/missing")
    with pytest.raises(InvalidParameterError, match="runs:/<run_id>"):
        pyfunc.load_model("runs:/")


def test_fit_tag_drops_old_signatures_then_old_entries():
    big = {"inputs": "x" * 3000, "outputs": None, "params": None}
    entries = [
        {"artifact_path": f"m{i}", "flavors": {"sklearn": {}}, "signature": big} for i in range(4)
    ]
    text = _fit_tag(entries)
    assert len(text) <= 8000
    kept = json.loads(text)
    assert kept[-1]["artifact_path"] == "m3" and kept[-1]["signature"] == big
    assert [entry["signature"] is None for entry in kept] == [True, True, False, False]
    many = [{"artifact_path": f"m{i}", "flavors": {}, "signature": None} for i in range(400)]
    kept = json.loads(_fit_tag(many))
    assert kept[-1]["artifact_path"] == "m399"
    assert 100 < len(kept) < 400  # the oldest entries went first
