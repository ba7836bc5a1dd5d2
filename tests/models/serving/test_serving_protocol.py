"""POST /invocations answers every payload format of MLflow's scoring protocol like MLflow."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from serving_helpers import FrameModel, SeriesModel, ServerFactory
from sklearn.ensemble import RandomForestClassifier

from jupyter_mltrack import __version__
from jupyter_mltrack.models import infer_signature
from jupyter_mltrack.models.serving import predictions_to_json
from jupyter_mltrack.pyfunc import save_model as save_pyfunc

ROWS = [0, 60, 120]


def rows(features: pd.DataFrame) -> pd.DataFrame:
    return features.iloc[ROWS]


def payloads(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    records = frame.to_dict(orient="records")
    return {
        "dataframe_split": {
            "dataframe_split": {"columns": list(frame.columns), "data": frame.values.tolist()}
        },
        "dataframe_split_reordered": {
            "dataframe_split": {
                "columns": list(frame.columns[::-1]),
                "data": frame[frame.columns[::-1]].values.tolist(),
            }
        },
        "dataframe_split_with_index": {"dataframe_split": frame.to_dict(orient="split")},
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": records},
        "inputs_columns": {"inputs": {c: frame[c].tolist() for c in frame.columns}},
        "inputs_rows": {"inputs": frame.values.tolist()},
    }


@pytest.mark.parametrize(
    "fmt",
    [
        "dataframe_split",
        "dataframe_split_reordered",
        "dataframe_split_with_index",
        "dataframe_records",
        "instances",
        "inputs_columns",
        "inputs_rows",
    ],
)
def test_each_json_format_predicts_like_the_estimator(
    http: httpx.Client,
    iris: tuple[pd.DataFrame, pd.Series],
    forest: RandomForestClassifier,
    fmt: str,
) -> None:
    frame = rows(iris[0])
    response = http.post("/invocations", json=payloads(frame)[fmt])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"predictions": forest.predict(frame).tolist()}
    assert response.json()["predictions"] == [0, 1, 2]


def test_csv_body_predicts(
    http: httpx.Client, iris: tuple[pd.DataFrame, pd.Series], forest: RandomForestClassifier
) -> None:
    frame = rows(iris[0])
    body = frame.to_csv(index=False)
    response = http.post("/invocations", content=body, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": forest.predict(frame).tolist()}


def test_csv_with_charset_parameter_is_accepted(
    http: httpx.Client, iris: tuple[pd.DataFrame, pd.Series]
) -> None:
    body = rows(iris[0]).to_csv(index=False)
    headers = {"content-type": "text/csv; charset=utf-8"}
    response = http.post("/invocations", content=body, headers=headers)
    assert response.json() == {"predictions": [0, 1, 2]}


def test_parquet_body_predicts(http: httpx.Client, iris: tuple[pd.DataFrame, pd.Series]) -> None:
    buffer = io.BytesIO()
    rows(iris[0]).to_parquet(buffer)
    headers = {"content-type": "application/vnd.apache.parquet"}
    response = http.post("/invocations", content=buffer.getvalue(), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [0, 1, 2]}


def test_integer_json_numbers_are_read_as_the_schema_doubles(http: httpx.Client) -> None:
    columns = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    payload = {"dataframe_split": {"columns": columns, "data": [[5, 3, 1, 0]]}}
    response = http.post("/invocations", json=payload)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [0]}


def test_many_rows_in_one_request(
    http: httpx.Client, iris: tuple[pd.DataFrame, pd.Series], forest: RandomForestClassifier
) -> None:
    features = iris[0]
    payload = payloads(features)["dataframe_split"]
    response = http.post("/invocations", json=payload)
    assert response.json()["predictions"] == forest.predict(features).tolist()


def test_ping_health_and_version(http: httpx.Client) -> None:
    for path in ("/ping", "/health"):
        response = http.get(path)
        assert (response.status_code, response.text) == (200, "\n")
    version = http.get("/version")
    assert (version.status_code, version.text) == (200, __version__)


def test_unknown_path_is_404_and_wrong_method_is_405(http: httpx.Client) -> None:
    assert http.get("/nope").status_code == 404
    assert http.get("/invocations").status_code == 405


@pytest.fixture(scope="module")
def frame_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("frame") / "model"
    save_pyfunc(path, python_model=FrameModel())
    return path


@pytest.fixture(scope="module")
def series_model_dir(
    tmp_path_factory: pytest.TempPathFactory, iris: tuple[pd.DataFrame, pd.Series]
) -> Path:
    path = tmp_path_factory.mktemp("series") / "model"
    signature = infer_signature(iris[0].head(), params={"k": 2})
    save_pyfunc(path, python_model=SeriesModel(), signature=signature)
    return path


def split_payload(frame: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    return {"dataframe_split": {"columns": list(frame.columns), "data": frame.values.tolist()}} | (
        extra
    )


def test_dataframe_output_is_a_list_of_records_as_in_mlflow(
    serve_model: ServerFactory, frame_model_dir: Path, iris: tuple[pd.DataFrame, pd.Series]
) -> None:
    url = serve_model(frame_model_dir)
    frame = iris[0].iloc[[0, 100]]
    response = httpx.post(f"{url}/invocations", json=split_payload(frame))
    # MLflow 3.17.2 answers this exact body for the same model and payload.
    assert response.text == '{"predictions": [{"a": 5.1, "b": "x"}, {"a": 6.3, "b": "x"}]}'


def test_series_output_is_records_keyed_by_its_name_and_params_apply(
    serve_model: ServerFactory, series_model_dir: Path, iris: tuple[pd.DataFrame, pd.Series]
) -> None:
    url = serve_model(series_model_dir)
    frame = iris[0].iloc[[0]]
    default = httpx.post(f"{url}/invocations", json=split_payload(frame))
    assert default.json() == {"predictions": [{"s": 10.2}]}  # the signature's default k=2
    tripled = httpx.post(f"{url}/invocations", json=split_payload(frame, params={"k": 3}))
    assert tripled.json() == {"predictions": [{"s": 5.1 * 3}]}


def test_wrongly_typed_param_is_a_400(
    serve_model: ServerFactory, series_model_dir: Path, iris: tuple[pd.DataFrame, pd.Series]
) -> None:
    url = serve_model(series_model_dir)
    payload = split_payload(iris[0].iloc[[0]], params={"k": "three"})
    response = httpx.post(f"{url}/invocations", json=payload)
    assert response.status_code == 400
    assert "k" in response.json()["message"]


@pytest.mark.parametrize(
    ("predictions", "expected"),
    [
        (np.array([0, 1]), '{"predictions": [0, 1]}'),
        (np.array([[0.5, 0.25]]), '{"predictions": [[0.5, 0.25]]}'),
        (pd.Series([1.5], name="y"), '{"predictions": [{"y": 1.5}]}'),
        (pd.Series([1.5]), '{"predictions": [{"0": 1.5}]}'),
        (pd.DataFrame({"a": [1], "b": ["x"]}), '{"predictions": [{"a": 1, "b": "x"}]}'),
        ([np.int64(3), np.float32(0.5)], '{"predictions": [3, 0.5]}'),
        ({"p": np.array([1, 2])}, '{"predictions": {"p": [1, 2]}}'),
        ("text", '{"predictions": "text"}'),
    ],
)
def test_predictions_are_encoded_like_mlflow(predictions: Any, expected: str) -> None:
    assert predictions_to_json(predictions).decode() == expected
    json.loads(expected)  # the expectation itself is valid JSON
