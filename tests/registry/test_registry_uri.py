"""models:/ URIs: parsing, and loading a registered model through every form."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
from jupyter_mltrack import pyfunc
from jupyter_mltrack import sklearn as mlt_sklearn
from jupyter_mltrack.entities import ModelStage
from jupyter_mltrack.errors import (
    InvalidParameterError,
    ModelVersionNotFound,
    NotFoundError,
)
from jupyter_mltrack.registry import RegistryClient
from jupyter_mltrack.registry.uri import ModelsUri, parse_models_uri, resolve_models_uri

LogClassifier = Callable[..., tuple[str, LogisticRegression]]


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/churn/3", ModelsUri("churn", version=3)),
        ("models:/churn/Production", ModelsUri("churn", stage=ModelStage.PRODUCTION)),
        ("models:/churn/staging", ModelsUri("churn", stage=ModelStage.STAGING)),
        ("models:/churn/latest", ModelsUri("churn", latest=True)),
        ("models:/churn/LATEST", ModelsUri("churn", latest=True)),
        ("models:/churn@champion", ModelsUri("churn", alias="champion")),
        ("models:///churn/2/", ModelsUri("churn", version=2)),
        ("models:/my%20model/1", ModelsUri("my model", version=1)),
        ("MODELS:/churn/1", ModelsUri("churn", version=1)),
    ],
)
def test_parse_models_uri(uri: str, expected: ModelsUri) -> None:
    assert parse_models_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("models:/churn", "expected models:/<name>/<version>"),
        ("models:/churn/", "expected models:/<name>/<version>"),
        ("models:/churn/1/extra", "expected models:/<name>/<version>"),
        ("models:/churn/prod", "neither a version number, 'latest' nor a stage"),
        ("models:/churn/0", "positive integer"),
        ("models:/churn@3", "looks like a version number"),
        ("models:/churn@bad alias", "invalid"),
        ("models:/@champion", "non-empty"),
        ("runs:/abc/model", "is not a models:/ URI"),
    ],
)
def test_malformed_models_uris(uri: str, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        parse_models_uri(uri)


def test_every_uri_form_loads_the_right_version(
    client: RegistryClient, log_classifier: LogClassifier, iris: tuple[pd.DataFrame, pd.Series]
) -> None:
    X = iris[0]
    models = []
    for c in (0.01, 1.0, 100.0):
        model_uri, model = log_classifier(c)
        client.register_model(model_uri, "iris")
        models.append(model)
    client.transition_model_version_stage("iris", 1, "Production")
    client.transition_model_version_stage("iris", 2, "staging")
    client.set_registered_model_alias("iris", "champion", 2)

    def proba(uri: str) -> np.ndarray:
        return np.asarray(mlt_sklearn.load_model(uri).predict_proba(X))

    expected = {
        "models:/iris/1": 0,
        "models:/iris/3": 2,
        "models:/iris/Production": 0,
        "models:/iris/production": 0,
        "models:/iris/Staging": 1,
        "models:/iris/latest": 2,
        "models:/iris@champion": 1,
    }
    for uri, index in expected.items():
        np.testing.assert_allclose(proba(uri), models[index].predict_proba(X), err_msg=uri)
    # The fitted models differ, so a wrong version would have failed above.
    assert not np.allclose(models[0].predict_proba(X), models[2].predict_proba(X))
    np.testing.assert_array_equal(
        pyfunc.load_model("models:/iris@champion").predict(X), models[1].predict(X)
    )


def test_latest_in_a_stage_moves_with_transitions(
    client: RegistryClient, log_classifier: LogClassifier, iris: tuple[pd.DataFrame, pd.Series]
) -> None:
    for c in (0.01, 100.0):
        client.register_model(log_classifier(c)[0], "iris")
    client.transition_model_version_stage("iris", 1, "Production")
    first = pyfunc.load_model("models:/iris/Production").metadata.model_uuid
    client.transition_model_version_stage("iris", 2, "Production", archive_existing_versions=True)
    second = pyfunc.load_model("models:/iris/Production").metadata.model_uuid
    assert first != second
    assert client.get_model_version("iris", 1).current_stage is ModelStage.ARCHIVED


def test_unresolvable_models_uris(client: RegistryClient, log_classifier: LogClassifier) -> None:
    client.register_model(log_classifier()[0], "iris")
    with pytest.raises(ModelVersionNotFound, match="no version in stage Production"):
        pyfunc.load_model("models:/iris/Production")
    with pytest.raises(ModelVersionNotFound) as info:
        pyfunc.load_model("models:/iris/7")
    assert info.value.name == "iris" and str(info.value.version) == "7"
    with pytest.raises(ModelVersionNotFound):
        pyfunc.load_model("models:/iris@champion")
    with pytest.raises(NotFoundError, match="no registered model"):
        pyfunc.load_model("models:/nope/1")


def test_models_source_pointing_at_models_uri_and_local_path(
    client: RegistryClient, classifier: LogisticRegression, tmp_path, iris
) -> None:
    path = tmp_path / "saved"
    mlt_sklearn.save_model(classifier, path)
    client.register_model(path, "local")
    client.register_model("models:/local/1", "copy")
    assert client.get_model_version("copy", 1).source == "models:/local/1"
    local = resolve_models_uri("models:/copy/latest")
    assert local == str(path)
    np.testing.assert_array_equal(
        pyfunc.load_model("models:/copy/1").predict(iris[0]), classifier.predict(iris[0])
    )


def test_evaluate_accepts_a_models_uri(
    client: RegistryClient, log_classifier: LogClassifier, iris: tuple[pd.DataFrame, pd.Series]
) -> None:
    client.register_model(log_classifier()[0], "iris")
    client.set_registered_model_alias("iris", "champion", 1)
    data = iris[0].assign(target=iris[1])
    with mlt.start_run():
        result = mlt.evaluate("models:/iris@champion", data, targets="target")
    assert result.metrics["accuracy_score"] > 0.9
