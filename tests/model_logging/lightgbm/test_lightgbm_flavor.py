"""The lightgbm flavor: MLflow's layout, round trips, pyfunc, signature, integrity, URIs."""

from __future__ import annotations

import importlib.metadata
import os
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_iris

import jupyter_mltrack as mlt
from jupyter_mltrack import pyfunc
from jupyter_mltrack.errors import InvalidInputError, InvalidParameterError, ModelFormatError

if os.environ.get("CI") == "true":
    import lightgbm as lgb
else:
    lgb = pytest.importorskip("lightgbm")

import jupyter_mltrack.lightgbm as mlt_lgb

PARAMS = {"objective": "multiclass", "num_class": 3, "verbose": -1, "seed": 0}


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def booster(iris):  # type: ignore[no-untyped-def]
    return lgb.train(PARAMS, lgb.Dataset(*iris), num_boost_round=5)


@pytest.fixture(scope="module")
def classifier(iris):  # type: ignore[no-untyped-def]
    return lgb.LGBMClassifier(n_estimators=5, verbose=-1, random_state=0).fit(*iris)


def _mlmodel(path) -> dict:  # type: ignore[no-untyped-def]
    return yaml.safe_load((path / "MLmodel").read_text())


def test_booster_round_trip_and_mlflow_layout(tmp_path, iris, booster):
    mlt_lgb.save_model(booster, tmp_path / "m")
    loaded = mlt_lgb.load_model(tmp_path / "m")
    assert isinstance(loaded, lgb.Booster)
    np.testing.assert_allclose(loaded.predict(iris[0]), booster.predict(iris[0]))
    assert (tmp_path / "m" / "model.lgb").read_text().startswith("tree")
    flavors = _mlmodel(tmp_path / "m")["flavors"]
    assert flavors["lightgbm"] == {
        "code": None,
        "data": "model.lgb",
        "lgb_version": lgb.__version__,
        "model_class": "lightgbm.basic.Booster",
        "serialization_format": "skops",
        "skops_trusted_types": [
            "collections.OrderedDict",
            "lightgbm.basic.Booster",
            "lightgbm.sklearn.LGBMClassifier",
            "lightgbm.sklearn.LGBMRegressor",
        ],
    }
    assert flavors["python_function"]["loader_module"] == "mlflow.lightgbm"
    assert flavors["python_function"]["data"] == "model.lgb"
    assert flavors["python_function"]["env"] == {
        "conda": "conda.yaml",
        "virtualenv": "python_env.yaml",
    }


@pytest.mark.parametrize(
    ("fmt", "file_name", "extra"),
    [
        ("skops", "model.skops", "skops"),
        ("cloudpickle", "model.pkl", "cloudpickle"),
        ("pickle", "model.pkl", None),
    ],
)
def test_estimator_round_trip_in_each_format(tmp_path, iris, classifier, fmt, file_name, extra):
    mlt_lgb.save_model(classifier, tmp_path / "m", serialization_format=fmt)
    loaded = mlt_lgb.load_model(tmp_path / "m")
    assert type(loaded) is lgb.LGBMClassifier
    np.testing.assert_array_equal(loaded.predict(iris[0]), classifier.predict(iris[0]))
    np.testing.assert_allclose(loaded.predict_proba(iris[0]), classifier.predict_proba(iris[0]))
    conf = _mlmodel(tmp_path / "m")["flavors"]["lightgbm"]
    assert conf["data"] == file_name and (tmp_path / "m" / file_name).is_file()
    assert conf["model_class"] == "lightgbm.sklearn.LGBMClassifier"
    assert conf["serialization_format"] == fmt
    requirements = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    expected = {f"lightgbm=={importlib.metadata.version('lightgbm')}"}
    if extra:
        expected.add(f"{extra}=={importlib.metadata.version(extra)}")
    assert set(requirements) == expected


def test_booster_requirements_list_lightgbm_with_its_version(tmp_path, booster):
    mlt_lgb.save_model(booster, tmp_path / "m")
    version = importlib.metadata.version("lightgbm")
    assert (tmp_path / "m" / "requirements.txt").read_text().splitlines() == [
        f"lightgbm=={version}"
    ]
    assert mlt_lgb.get_default_pip_requirements() == [f"lightgbm=={version}"]
    assert f"lightgbm=={version}" in (tmp_path / "m" / "conda.yaml").read_text()


def test_pyfunc_predicts_on_numpy_and_dataframes(tmp_path, iris, booster, classifier):
    mlt_lgb.save_model(booster, tmp_path / "b")
    mlt_lgb.save_model(classifier, tmp_path / "c")
    features = iris[0]
    by_booster = pyfunc.load_model(tmp_path / "b")
    np.testing.assert_allclose(by_booster.predict(features.to_numpy()), booster.predict(features))
    np.testing.assert_allclose(by_booster.predict(features), booster.predict(features))
    by_estimator = pyfunc.load_model(tmp_path / "c")
    expected = classifier.predict(features)
    np.testing.assert_array_equal(by_estimator.predict(features), expected)
    np.testing.assert_array_equal(by_estimator.predict(features.to_numpy()), expected)
    assert isinstance(by_estimator.unwrap_python_model(), lgb.LGBMClassifier)


def test_input_example_gives_a_signature_that_pyfunc_enforces(tmp_path, iris, classifier):
    model = mlt_lgb.save_model(classifier, tmp_path / "m", input_example=iris[0][:3])
    assert model.signature is not None
    assert model.signature.inputs.input_names() == list(iris[0].columns)
    assert (tmp_path / "m" / "input_example.json").is_file()
    loaded = pyfunc.load_model(tmp_path / "m")
    shuffled = iris[0][list(reversed(iris[0].columns))]
    np.testing.assert_array_equal(loaded.predict(shuffled), classifier.predict(iris[0]))
    records = iris[0][:4].to_dict(orient="records")
    np.testing.assert_array_equal(loaded.predict(records), classifier.predict(iris[0][:4]))
    with pytest.raises(InvalidInputError, match="petal width"):
        loaded.predict(iris[0].drop(columns=["petal width (cm)"]))


def test_booster_signature_is_a_probability_tensor(tmp_path, iris, booster):
    model = mlt_lgb.save_model(booster, tmp_path / "m", input_example=iris[0][:3])
    assert model.signature is not None and model.signature.outputs is not None
    assert model.signature.outputs.to_json() == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'
    )


@pytest.mark.parametrize("victim", ["model.lgb", "requirements.txt"])
def test_tampered_file_is_refused_and_verify_false_skips(tmp_path, iris, booster, victim):
    mlt_lgb.save_model(booster, tmp_path / "m")
    assert mlt_lgb.load_model(tmp_path / "m").num_trees() == booster.num_trees()  # check passes
    with open(tmp_path / "m" / victim, "ab") as handle:
        handle.write(b"\n")
    for load in (mlt_lgb.load_model, pyfunc.load_model):
        with pytest.raises(ModelFormatError, match=re.escape(f"'{victim}'")):
            load(tmp_path / "m")
    loaded = mlt_lgb.load_model(tmp_path / "m", verify=False)
    np.testing.assert_allclose(loaded.predict(iris[0]), booster.predict(iris[0]))


def test_errors_name_the_problem(tmp_path, booster, classifier):
    with pytest.raises(InvalidParameterError, match="serialization_format 'joblib'"):
        mlt_lgb.save_model(classifier, tmp_path / "a", serialization_format="joblib")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="Cannot save a dict"):
        mlt_lgb.save_model({"not": "a model"}, tmp_path / "b")
    assert not (tmp_path / "b").exists()
    mlt_lgb.save_model(booster, tmp_path / "c")
    (tmp_path / "c" / "model.lgb").unlink()
    with pytest.raises(ModelFormatError, match=r"'model\.lgb' is missing"):
        mlt_lgb.load_model(tmp_path / "c", verify=False)


def test_log_model_loads_from_runs_and_models_uris(tmp_path, iris, booster, classifier):
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    with mlt.start_run() as run:
        info = mlt_lgb.log_model(booster, "model", input_example=iris[0][:2])
        named = mlt_lgb.log_model(classifier, "clf", registered_model_name="iris-lgb")
    assert info.model_uri == f"runs:/{run.run_id}/model"
    assert set(info.flavors) == {"python_function", "lightgbm"}
    files = {f.path for f in mlt.TrackingClient().list_artifacts(run.run_id, "model")}
    assert {"model/MLmodel", "model/model.lgb", "model/input_example.json"} <= files
    expected = booster.predict(iris[0])
    np.testing.assert_allclose(mlt_lgb.load_model(info.model_uri).predict(iris[0]), expected)
    np.testing.assert_allclose(pyfunc.load_model(info.model_uri).predict(iris[0]), expected)
    assert named.registered_model_version == "1"
    from_registry = mlt_lgb.load_model("models:/iris-lgb/1")
    assert type(from_registry) is lgb.LGBMClassifier
    np.testing.assert_array_equal(from_registry.predict(iris[0]), classifier.predict(iris[0]))
    mlt.register_model(info.model_uri, "iris-booster")
    np.testing.assert_allclose(
        pyfunc.load_model("models:/iris-booster/latest").predict(iris[0]), expected
    )


def test_signature_false_keeps_the_example_but_records_no_signature(tmp_path, iris, booster):
    model = mlt_lgb.save_model(booster, tmp_path / "m", input_example=iris[0][:2], signature=False)
    assert model.signature is None
    assert "signature" not in _mlmodel(tmp_path / "m")
    assert (tmp_path / "m" / "input_example.json").is_file()
    assert pyfunc.load_model(tmp_path / "m").predict(iris[0]).shape == (150, 3)


class TunedClassifier(lgb.LGBMClassifier):
    """A user's subclass: skops must be told to trust it."""


def test_skops_trusts_lightgbm_estimators_and_asks_for_others(tmp_path, iris):
    X = iris[0].to_numpy()
    ranker = lgb.LGBMRanker(n_estimators=3, min_child_samples=2, verbose=-1)
    ranker.fit(X, iris[1], group=[50, 50, 50])
    mlt_lgb.save_model(ranker, tmp_path / "r")
    recorded = _mlmodel(tmp_path / "r")["flavors"]["lightgbm"]["skops_trusted_types"]
    assert "lightgbm.sklearn.LGBMRanker" in recorded  # so MLflow loads the file too
    np.testing.assert_allclose(mlt_lgb.load_model(tmp_path / "r").predict(X), ranker.predict(X))
    tuned = TunedClassifier(n_estimators=3, verbose=-1).fit(*iris)
    name = f"{__name__}.TunedClassifier"
    with pytest.raises(InvalidParameterError, match=re.escape(f"skops_trusted_types=['{name}']")):
        mlt_lgb.save_model(tuned, tmp_path / "t")
    mlt_lgb.save_model(tuned, tmp_path / "t", skops_trusted_types=[name])
    with pytest.raises(ModelFormatError, match=r"jupyter_mltrack\.lightgbm\.load_model"):
        mlt_lgb.load_model(tmp_path / "t")
    loaded = mlt_lgb.load_model(tmp_path / "t", skops_trusted_types=[name])
    np.testing.assert_array_equal(loaded.predict(iris[0]), tuned.predict(iris[0]))
