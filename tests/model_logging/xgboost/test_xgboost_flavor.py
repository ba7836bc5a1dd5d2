"""The xgboost flavor: MLflow's layout, round trips, pyfunc predict, integrity, runs:/ models:/."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
import yaml
from xgb_helpers import booster, classifier, iris, xgboost

import jupyter_mltrack as mlt
from jupyter_mltrack import pyfunc
from jupyter_mltrack import xgboost as mlt_xgb
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidParameterError,
    ModelFormatError,
)

__all__ = ["booster", "classifier", "iris"]  # fixtures


def _mlmodel(path) -> dict:  # type: ignore[no-untyped-def]
    return yaml.safe_load((path / "MLmodel").read_text())


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    while mlt.active_run() is not None:
        mlt.end_run()


@pytest.mark.parametrize("fmt", ["ubj", "json", "xgb"])
def test_booster_round_trip_in_each_format(tmp_path, iris, booster, fmt):
    mlt_xgb.save_model(booster, tmp_path / "m", model_format=fmt)
    assert (tmp_path / "m" / f"model.{fmt}").is_file()
    loaded = mlt_xgb.load_model(tmp_path / "m")
    assert type(loaded) is xgboost.Booster
    expected = booster.predict(xgboost.DMatrix(iris[0]))
    np.testing.assert_allclose(loaded.predict(xgboost.DMatrix(iris[0])), expected)
    np.testing.assert_allclose(pyfunc.load_model(tmp_path / "m").predict(iris[0]), expected)


def test_classifier_round_trip_keeps_its_class(tmp_path, iris, classifier):
    mlt_xgb.save_model(classifier, tmp_path / "m")
    loaded = mlt_xgb.load_model(tmp_path / "m")
    assert type(loaded) is xgboost.XGBClassifier
    np.testing.assert_array_equal(loaded.predict(iris[0]), classifier.predict(iris[0]))
    np.testing.assert_allclose(loaded.predict_proba(iris[0]), classifier.predict_proba(iris[0]))
    model = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict(iris[0]), classifier.predict(iris[0]))
    assert type(model.unwrap_python_model()) is xgboost.XGBClassifier


def test_mlmodel_flavor_blocks_are_mlflows(tmp_path, classifier):
    mlt_xgb.save_model(classifier, tmp_path / "m", model_format="json")
    flavors = _mlmodel(tmp_path / "m")["flavors"]
    assert flavors["xgboost"] == {
        "code": None,
        "data": "model.json",
        "model_class": "xgboost.sklearn.XGBClassifier",
        "model_format": "json",
        "xgb_version": xgboost.__version__,
    }
    assert flavors["python_function"] == {
        "data": "model.json",
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "loader_module": "mlflow.xgboost",
        "python_version": ".".join(map(str, sys.version_info[:3])),
    }


def test_requirements_pin_the_installed_distribution(tmp_path, booster):
    from importlib import metadata

    mlt_xgb.save_model(booster, tmp_path / "m")
    (line,) = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    name, version = line.split("==")
    assert name in {"xgboost", "xgboost-cpu"}
    assert version == metadata.version(name) == xgboost.__version__
    assert mlt_xgb.get_default_pip_requirements() == [line]


def test_pyfunc_predicts_numpy_and_dataframes_under_the_signature(tmp_path, iris, booster):
    mlt_xgb.save_model(booster, tmp_path / "m", input_example=iris[0][:3])
    model = pyfunc.load_model(tmp_path / "m")
    signature = model.metadata.signature
    assert signature is not None and signature.inputs.input_names() == list(iris[0].columns)
    expected = booster.predict(xgboost.DMatrix(iris[0]))
    np.testing.assert_allclose(model.predict(iris[0]), expected)
    np.testing.assert_allclose(model.predict(iris[0].to_numpy()), expected)
    shuffled = iris[0][list(reversed(iris[0].columns))]
    np.testing.assert_allclose(model.predict(shuffled), expected)
    records = iris[0][:4].to_dict(orient="records")
    np.testing.assert_allclose(model.predict(records), expected[:4])
    with pytest.raises(InvalidInputError, match="petal width"):
        model.predict(iris[0].drop(columns=["petal width (cm)"]))


def test_pyfunc_passes_predict_params_and_ignores_unknown_ones(tmp_path, iris, booster, caplog):
    mlt_xgb.save_model(booster, tmp_path / "m")
    model = pyfunc.load_model(tmp_path / "m")
    margins = model.predict(iris[0], params={"output_margin": True, "top_k": 3})
    expected = booster.predict(xgboost.DMatrix(iris[0]), output_margin=True)
    np.testing.assert_allclose(margins, expected)
    assert "['top_k'] are not accepted" in caplog.text


def test_signature_false_keeps_the_example_without_a_signature(tmp_path, iris, booster):
    mlt_xgb.save_model(booster, tmp_path / "m", input_example=iris[0][:2], signature=False)
    assert (
        "signature" not in _mlmodel(tmp_path / "m") or _mlmodel(tmp_path / "m")["signature"] is None
    )
    assert (tmp_path / "m" / "input_example.json").is_file()


@pytest.mark.parametrize("victim", ["model.ubj", "requirements.txt"])
def test_tampered_file_is_refused_and_verify_false_skips(tmp_path, iris, booster, victim):
    mlt_xgb.save_model(booster, tmp_path / "m")
    with open(tmp_path / "m" / victim, "ab") as handle:
        handle.write(b"\n")
    for load in (mlt_xgb.load_model, pyfunc.load_model):
        with pytest.raises(ModelFormatError, match=re.escape(f"'{victim}'")):
            load(tmp_path / "m")
    if victim == "requirements.txt":
        loaded = mlt_xgb.load_model(tmp_path / "m", verify=False)
        expected = booster.predict(xgboost.DMatrix(iris[0]))
        np.testing.assert_allclose(loaded.predict(xgboost.DMatrix(iris[0])), expected)


def test_model_class_must_be_an_xgboost_class(tmp_path, booster):
    mlt_xgb.save_model(booster, tmp_path / "m")
    text = (tmp_path / "m" / "MLmodel").read_text()
    (tmp_path / "m" / "MLmodel").write_text(
        text.replace("xgboost.core.Booster", "subprocess.Popen")
    )
    with pytest.raises(ModelFormatError, match=r"'subprocess\.Popen', which is not an XGBoost"):
        mlt_xgb.load_model(tmp_path / "m")
    (tmp_path / "m" / "MLmodel").write_text(text.replace("xgboost.core.Booster", "nowhere.Model"))
    with pytest.raises(ModelFormatError, match="cannot be imported"):
        pyfunc.load_model(tmp_path / "m")


def test_save_refuses_bad_input(tmp_path, booster):
    with pytest.raises(InvalidParameterError, match="model_format 'pickle'"):
        mlt_xgb.save_model(booster, tmp_path / "a", model_format="pickle")
    with pytest.raises(InvalidParameterError, match=r"needs an xgboost\.Booster"):
        mlt_xgb.save_model(object(), tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "keep.txt").write_text("mine")
    with pytest.raises(AlreadyExistsError, match="not empty"):
        mlt_xgb.save_model(booster, tmp_path / "c")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_missing_model_file_is_named(tmp_path, booster):
    mlt_xgb.save_model(booster, tmp_path / "m")
    (tmp_path / "m" / "model.ubj").unlink()
    with pytest.raises(ModelFormatError, match=r"'model\.ubj'"):
        mlt_xgb.load_model(tmp_path / "m", verify=False)


def test_log_model_loads_from_runs_and_models_uris(store, iris, classifier):
    with mlt.start_run() as run:
        info = mlt_xgb.log_model(classifier, "model", input_example=iris[0][:3])
    assert info.model_uri == f"runs:/{run.run_id}/model"
    assert set(info.flavors) == {"python_function", "xgboost"}
    files = {f.path for f in mlt.TrackingClient().list_artifacts(run.run_id, "model")}
    assert {"model/MLmodel", "model/model.ubj", "model/requirements.txt"} <= files
    expected = classifier.predict(iris[0])
    np.testing.assert_array_equal(mlt_xgb.load_model(info.model_uri).predict(iris[0]), expected)
    version = mlt.register_model(info.model_uri, "iris-xgb").version
    uri = f"models:/iris-xgb/{version}"
    assert type(mlt_xgb.load_model(uri)) is xgboost.XGBClassifier
    np.testing.assert_array_equal(pyfunc.load_model(uri).predict(iris[0]), expected)


def test_serving_goes_through_python_function(tmp_path, iris, classifier):
    from starlette.testclient import TestClient

    from jupyter_mltrack.models.serving import create_scoring_app, validate_serving_input

    mlt_xgb.save_model(classifier, tmp_path / "m", input_example=iris[0][:3])
    payload = (tmp_path / "m" / "serving_input_example.json").read_text()
    out = validate_serving_input(str(tmp_path / "m"), payload)
    np.testing.assert_array_equal(out, classifier.predict(iris[0][:3]))
    split = iris[0][:4].to_dict(orient="split")
    body = {"dataframe_split": {"columns": split["columns"], "data": split["data"]}}
    with TestClient(create_scoring_app(pyfunc.load_model(tmp_path / "m"))) as http:
        response = http.post("/invocations", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": classifier.predict(iris[0][:4]).tolist()}
    bad = {
        "dataframe_split": {"columns": split["columns"][:3], "data": [r[:3] for r in split["data"]]}
    }
    with TestClient(create_scoring_app(pyfunc.load_model(tmp_path / "m"))) as http:
        assert http.post("/invocations", json=bad).status_code == 400
