"""Bad requests get a JSON error that says what is wrong, and the server stays up."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pandas as pd
import pytest
from serving_helpers import FailingModel, ServerFactory

from jupyter_mltrack.pyfunc import save_model as save_pyfunc

COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def assert_error(response: httpx.Response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error_code", "message"}
    for fragment in fragments:
        assert fragment in body["message"], body["message"]


def assert_still_serving(http: httpx.Client) -> None:
    assert http.get("/ping").status_code == 200
    payload = {"dataframe_split": {"columns": COLUMNS, "data": [[5.1, 3.5, 1.4, 0.2]]}}
    assert http.post("/invocations", json=payload).json() == {"predictions": [0]}


def test_missing_columns_are_named(http: httpx.Client) -> None:
    payload = {"dataframe_split": {"columns": COLUMNS[:2], "data": [[5.1, 3.5]]}}
    response = http.post("/invocations", json=payload)
    assert_error(response, 400, "petal length (cm)", "petal width (cm)")
    assert response.json()["error_code"] == "BAD_REQUEST"
    assert_still_serving(http)


def test_string_where_the_signature_wants_double_is_a_400_naming_the_column(
    http: httpx.Client,
) -> None:
    payload = {"dataframe_split": {"columns": COLUMNS, "data": [["big", 3.5, 1.4, 0.2]]}}
    assert_error(http.post("/invocations", json=payload), 400, "sepal length (cm)")
    assert_still_serving(http)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2, 3]", "exactly one of"),
        (b'{"foo": 1}', "foo"),
        (b'{"dataframe_split": {"columns": ["a"]}}', "dataframe_split"),
        (b'{"dataframe_split": {"columns": [[1]], "data": [[1]]}}', ""),
        (b'{"dataframe_records": 5}', "dataframe_records"),
        (b'{"inputs": [[1, 2]], "instances": [[1, 2]]}', "exactly one of"),
        (b'{"dataframe_split": {"columns": ["a"], "data": [[1]]}, "params": 7}', "params"),
        (b"\xff\xfe\x00garbage\x80", "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, ""),
        (
            b'{"dataframe_split": {"columns": ["sepal length (cm)"], "data": [[1'
            + b"0" * 400
            + b"]]}}",
            "",
        ),
    ],
)
def test_malformed_json_payloads_are_400(http: httpx.Client, body: bytes, fragment: str) -> None:
    response = http.post("/invocations", content=body, headers={"content-type": "application/json"})
    assert_error(response, 400, fragment)
    assert_still_serving(http)


def test_bad_csv_is_400(http: httpx.Client) -> None:
    headers = {"content-type": "text/csv"}
    response = http.post("/invocations", content=b'a,b\n"1,2\n', headers=headers)
    assert_error(response, 400)
    assert_still_serving(http)


def test_bad_parquet_is_400(http: httpx.Client) -> None:
    headers = {"content-type": "application/vnd.apache.parquet"}
    response = http.post("/invocations", content=b"PAR1 not really", headers=headers)
    assert_error(response, 400, "Parquet")
    assert_still_serving(http)


@pytest.mark.parametrize(
    ("content_type", "fragment"),
    [
        ("application/xml", "application/xml"),
        ("text/plain", "text/plain"),
        ("application/json; charset=latin-1", "UTF-8"),
    ],
)
def test_unsupported_content_types_are_415(
    http: httpx.Client, content_type: str, fragment: str
) -> None:
    response = http.post("/invocations", content=b"{}", headers={"content-type": content_type})
    assert_error(response, 415, fragment)
    assert_still_serving(http)


def test_huge_garbage_body_is_400_and_the_server_survives(http: httpx.Client) -> None:
    body = os.urandom(8 * 1024 * 1024)
    response = http.post("/invocations", content=body, headers={"content-type": "application/json"})
    assert_error(response, 400)
    assert_still_serving(http)


def test_body_over_the_limit_is_413(serve_model: ServerFactory, sklearn_model_dir: Path) -> None:
    url = serve_model(sklearn_model_dir, max_body_bytes=1000)
    with httpx.Client(base_url=url, timeout=30) as client:
        response = client.post("/invocations", content=b"x" * 5000)
        assert_error(response, 413, "1,000")

        def chunks() -> object:  # no content-length: the limit applies while reading
            for _ in range(10):
                yield b"y" * 500

        streamed = client.post("/invocations", content=chunks())
        assert_error(streamed, 413, "limit")
        assert client.get("/ping").status_code == 200


def test_a_model_that_raises_gives_400_as_mlflow_and_the_server_survives(
    serve_model: ServerFactory, tmp_path: Path
) -> None:
    save_pyfunc(tmp_path / "m", python_model=FailingModel())
    url = serve_model(tmp_path / "m")
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    payload = {"dataframe_split": {"columns": ["x"], "data": frame.values.tolist()}}
    for _ in range(3):
        response = httpx.post(f"{url}/invocations", json=payload)
        assert_error(response, 400, "RuntimeError", "the model is broken")
        assert response.json()["error_code"] == "BAD_REQUEST"
    assert httpx.get(f"{url}/ping").status_code == 200
