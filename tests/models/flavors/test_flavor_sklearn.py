"""The sklearn flavor: save/load round-trips, skops trusted types, integrity, pyfunc predict."""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jupyter_mltrack import pyfunc
from jupyter_mltrack import sklearn as mlt_sklearn
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidParameterError,
    ModelFormatError,
)

FORMATS = ["skops", "cloudpickle", "pickle"]


@pytest.fixture
def iris() -> tuple[pd.DataFrame, pd.Series]:
    features, target = load_iris(return_X_y=True, as_frame=True)
    return features, target


@pytest.fixture
def forest(iris):  # type: ignore[no-untyped-def]
    return RandomForestClassifier(n_estimators=5, random_state=0).fit(*iris)


def _mlmodel(path) -> dict:  # type: ignore[no-untyped-def]
    return yaml.safe_load((path / "MLmodel").read_text())


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_predicts_the_same(tmp_path, iris, forest, fmt):
    mlt_sklearn.save_model(forest, tmp_path / "m", serialization_format=fmt)
    loaded = mlt_sklearn.load_model(tmp_path / "m")
    assert type(loaded) is RandomForestClassifier
    np.testing.assert_array_equal(loaded.predict(iris[0]), forest.predict(iris[0]))
    np.testing.assert_array_equal(
        pyfunc.load_model(tmp_path / "m").predict(iris[0]), forest.predict(iris[0])
    )
    file_name = "model.skops" if fmt == "skops" else "model.pkl"
    assert (tmp_path / "m" / file_name).is_file()
    assert {"requirements.txt", "python_env.yaml", "conda.yaml"} <= {
        p.name for p in (tmp_path / "m").iterdir()
    }


def test_mlmodel_flavor_blocks_are_mlflows(tmp_path, forest):
    import sklearn

    mlt_sklearn.save_model(forest, tmp_path / "m")
    flavors = _mlmodel(tmp_path / "m")["flavors"]
    assert flavors["sklearn"] == {
        "code": None,
        "pickled_model": "model.skops",
        "serialization_format": "skops",
        "sklearn_version": sklearn.__version__,
        "skops_trusted_types": ["sklearn.tree._tree.Tree"],
    }
    assert flavors["python_function"] == {
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "loader_module": "mlflow.sklearn",
        "model_path": "model.skops",
        "predict_fn": "predict",
        "python_version": ".".join(map(str, sys.version_info[:3])),
    }


def test_pickle_formats_record_no_trusted_types_and_pin_cloudpickle(tmp_path, forest):
    mlt_sklearn.save_model(forest, tmp_path / "m", serialization_format="cloudpickle")
    assert _mlmodel(tmp_path / "m")["flavors"]["sklearn"]["skops_trusted_types"] is None
    requirements = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert [r.split("==")[0] for r in requirements] == ["scikit-learn", "cloudpickle"]


def test_input_example_infers_signature_like_mlflow(tmp_path, iris, forest):
    model = mlt_sklearn.save_model(forest, tmp_path / "m", input_example=iris[0][:3])
    assert model.signature is not None
    assert model.signature.inputs.input_names() == list(iris[0].columns)
    assert model.signature.outputs.to_json() == '[{"type": "long", "required": true}]'
    assert (tmp_path / "m" / "input_example.json").is_file()
    assert (tmp_path / "m" / "serving_input_example.json").is_file()


def test_pyfunc_predict_enforces_the_signature(tmp_path, iris, forest):
    mlt_sklearn.save_model(forest, tmp_path / "m", input_example=iris[0][:3])
    model = pyfunc.load_model(tmp_path / "m")
    shuffled = iris[0][list(reversed(iris[0].columns))]
    np.testing.assert_array_equal(model.predict(shuffled), forest.predict(iris[0]))
    with pytest.raises(InvalidInputError, match="petal width"):
        model.predict(iris[0].drop(columns=["petal width (cm)"]))
    records = iris[0][:4].to_dict(orient="records")
    np.testing.assert_array_equal(model.predict(records), forest.predict(iris[0][:4]))
    assert model.unwrap_python_model().__class__ is RandomForestClassifier


def test_custom_predict_fn_and_metadata(tmp_path, iris, forest):
    mlt_sklearn.save_model(forest, tmp_path / "m", metadata={"team": "iris"})
    model = pyfunc.load_model(tmp_path / "m")
    assert model.metadata.metadata == {"team": "iris"}
    assert model.model_dir == str(tmp_path / "m")


def _write_custom_module(tmp_path, monkeypatch) -> type:  # type: ignore[no-untyped-def]
    (tmp_path / "custom_scale.py").write_text(
        "from sklearn.base import BaseEstimator, TransformerMixin\n"
        "class Doubler(TransformerMixin, BaseEstimator):\n"
        "    def fit(self, X, y=None):\n"
        "        return self\n"
        "    def transform(self, X):\n"
        "        return X * 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "custom_scale", raising=False)
    from custom_scale import Doubler  # type: ignore[import-not-found]

    return Doubler  # type: ignore[no-any-return]


def test_skops_custom_type_needs_trust_at_save(tmp_path, iris, monkeypatch):
    doubler = _write_custom_module(tmp_path, monkeypatch)
    pipe = make_pipeline(doubler(), LogisticRegression(max_iter=500)).fit(*iris)
    message = (
        "The model contains types that skops does not trust by default: "
        "['custom_scale.Doubler']. If you trust them, pass "
        "skops_trusted_types=['custom_scale.Doubler']"
    )
    with pytest.raises(InvalidParameterError) as caught:
        mlt_sklearn.save_model(pipe, tmp_path / "m")
    assert message in str(caught.value)
    assert "serialization_format='cloudpickle'" in str(caught.value)
    assert not (tmp_path / "m").exists()  # nothing half-written is left behind


def test_skops_custom_type_needs_trust_at_load(tmp_path, iris, monkeypatch):
    doubler = _write_custom_module(tmp_path, monkeypatch)
    pipe = make_pipeline(doubler(), StandardScaler(), LogisticRegression(max_iter=500))
    pipe.fit(*iris)
    mlt_sklearn.save_model(pipe, tmp_path / "m", skops_trusted_types=["custom_scale.Doubler"])
    recorded = _mlmodel(tmp_path / "m")["flavors"]["sklearn"]["skops_trusted_types"]
    assert "custom_scale.Doubler" in recorded
    with pytest.raises(ModelFormatError) as caught:
        mlt_sklearn.load_model(tmp_path / "m")
    assert "['custom_scale.Doubler']" in str(caught.value)
    assert "skops_trusted_types=['custom_scale.Doubler']" in str(caught.value)
    with pytest.raises(ModelFormatError, match=r"custom_scale\.Doubler"):
        pyfunc.load_model(tmp_path / "m")
    loaded = mlt_sklearn.load_model(tmp_path / "m", skops_trusted_types=["custom_scale.Doubler"])
    np.testing.assert_array_equal(loaded.predict(iris[0]), pipe.predict(iris[0]))


def test_skops_auto_trusts_sklearn_types_of_a_pipeline(tmp_path, iris):
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(*iris)
    mlt_sklearn.save_model(pipe, tmp_path / "m")
    loaded = mlt_sklearn.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(iris[0]), pipe.predict(iris[0]))


@pytest.mark.parametrize("victim", ["model.skops", "requirements.txt"])
def test_tampered_file_is_named_and_verify_false_skips(tmp_path, iris, forest, victim):
    mlt_sklearn.save_model(forest, tmp_path / "m")
    with open(tmp_path / "m" / victim, "ab") as handle:
        handle.write(b"\n")
    for load in (mlt_sklearn.load_model, pyfunc.load_model):
        with pytest.raises(ModelFormatError, match=re.escape(f"'{victim}'")):
            load(tmp_path / "m")
    if victim == "requirements.txt":
        loaded = mlt_sklearn.load_model(tmp_path / "m", verify=False)
        np.testing.assert_array_equal(loaded.predict(iris[0]), forest.predict(iris[0]))
        assert pyfunc.load_model(tmp_path / "m", verify=False).predict(iris[0]).shape == (150,)


def test_missing_model_file_is_named(tmp_path, forest):
    mlt_sklearn.save_model(forest, tmp_path / "m", serialization_format="pickle")
    (tmp_path / "m" / "model.pkl").unlink()
    with pytest.raises(ModelFormatError, match=r"'model\.pkl'"):
        pyfunc.load_model(tmp_path / "m")


def test_save_refuses_non_empty_dir_and_unknown_format(tmp_path, forest):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("mine")
    with pytest.raises(AlreadyExistsError, match="not empty"):
        mlt_sklearn.save_model(forest, tmp_path / "m")
    assert (tmp_path / "m" / "keep.txt").read_text() == "mine"
    with pytest.raises(InvalidParameterError, match="serialization_format 'joblib'"):
        mlt_sklearn.save_model(forest, tmp_path / "n", serialization_format="joblib")  # type: ignore[arg-type]


def test_load_errors_name_the_problem(tmp_path):
    with pytest.raises(ModelFormatError, match="does not exist"):
        pyfunc.load_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFormatError, match="No MLmodel"):
        mlt_sklearn.load_model(tmp_path / "empty")
    with pytest.raises(InvalidParameterError, match="no resolver for the scheme 's3'"):
        pyfunc.load_model("s3://bucket/model")


def test_file_uri_loads(tmp_path, iris, forest):
    mlt_sklearn.save_model(forest, tmp_path / "m")
    loaded = mlt_sklearn.load_model(f"file://{tmp_path / 'm'}")
    np.testing.assert_array_equal(loaded.predict(iris[0]), forest.predict(iris[0]))
