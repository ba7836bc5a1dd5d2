"""Hostile input, part 4: model inputs against a signature, in ``predict`` and ``/invocations``.

The model is a custom pyfunc that cannot fail on input the signature admits (``a * 2 + b``), so
every error seen here comes from the project's own signature enforcement and request parsing.
Generated tables (missing and extra columns, wrong types, NaN/inf, huge ints, None, bools,
strings) and generated JSON bodies must give either the right predictions or our
:class:`~jupyter_mltrack.errors.InvalidInputError` (``predict``) / a 4xx JSON error
(``/invocations``); a crash, a 5xx or a prediction that is not ``a * 2 + b`` fails the test.
"""

from __future__ import annotations

import collections
import json
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_figures import report

from jupyter_mltrack import pyfunc
from jupyter_mltrack.errors import InvalidInputError, MltrackError
from jupyter_mltrack.models.serving import create_scoring_app
from jupyter_mltrack.models.signature import ModelSignature
from jupyter_mltrack.models.types import ColSpec, DataType, Schema

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette suggests httpx2 for its TestClient
    from starlette.testclient import TestClient

SETTINGS = settings(
    max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
tried: collections.Counter[str] = collections.Counter()
refused: collections.Counter[str] = collections.Counter()


class TwiceAPlusB(pyfunc.PythonModel):
    """``a * 2 + b`` per row: defined for every input the signature admits."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return np.asarray(model_input["a"], dtype=float) * 2 + np.asarray(model_input["b"])


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("hostile-model") / "model"
    inputs = Schema(
        [ColSpec(DataType.double, "a"), ColSpec(DataType.long, "b"), ColSpec(DataType.string, "c")]
    )
    signature = ModelSignature(inputs=inputs, outputs=Schema([ColSpec(DataType.double)]))
    pyfunc.save_model(path, python_model=TwiceAPlusB(), signature=signature)
    return pyfunc.load_model(str(path))


@pytest.fixture(scope="module")
def http(model: Any) -> Iterator[TestClient]:
    with TestClient(create_scoring_app(model, max_body_bytes=200_000)) as client:
        yield client


CELLS = (
    st.floats()
    | st.integers(min_value=-5, max_value=5)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.booleans()
    | st.text(max_size=5)
    | st.none()
)


@st.composite
def tables(draw: Any) -> pd.DataFrame:
    rows = draw(st.integers(min_value=0, max_value=4))
    # Mostly the signature's columns (so values, not only names, get exercised), some missing,
    # some extra.
    names = ["a", "b", "c", *draw(st.lists(st.sampled_from(["z", "A"]), unique=True, max_size=2))]
    names = [n for n in names if draw(st.integers(0, 9)) > 0]
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(["float", "int", "str", "mixed"] + ["native"] * 6))
        cell = {
            "float": st.floats(),
            "int": st.integers(min_value=-(2**63), max_value=2**63 - 1),
            "str": st.text(max_size=5),
            "mixed": CELLS,
            "native": {"a": st.floats(), "b": st.integers(-(2**63), 2**63 - 1)}.get(
                name, st.text(max_size=5)
            ),
        }[kind]
        columns[name] = draw(st.lists(cell, min_size=rows, max_size=rows))
    return pd.DataFrame(columns)


def _expected(frame: pd.DataFrame) -> np.ndarray:
    return frame["a"].astype(float).to_numpy() * 2 + frame["b"].astype("int64").to_numpy()


def _same(left: np.ndarray, right: np.ndarray) -> bool:
    return left.shape == right.shape and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(left, right, strict=True)
    )


def test_predict_with_generated_tables(model: Any) -> None:
    @SETTINGS
    @given(frame=tables())
    def check(frame: pd.DataFrame) -> None:
        tried["predict"] += 1
        try:
            predictions = model.predict(frame)
        except MltrackError as exc:
            refused["predict"] += 1
            assert str(exc)
            return
        assert _same(np.asarray(predictions, dtype=float), _expected(frame)), frame

    check()


TYPED_ROW = st.tuples(
    st.floats() | st.integers(-(2**53), 2**53),
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=4),
).map(list)
BODIES = st.one_of(
    st.builds(
        lambda rows: {"dataframe_split": {"columns": ["a", "b", "c"], "data": rows}},
        st.lists(TYPED_ROW, min_size=1, max_size=3),
    ),
    st.builds(
        lambda rows: {"dataframe_split": {"columns": ["a", "b", "c"], "data": rows}},
        st.lists(st.lists(CELLS, min_size=3, max_size=3), max_size=3),
    ),
    st.builds(
        lambda rows: {"dataframe_records": rows},
        st.lists(st.fixed_dictionaries({"a": CELLS, "b": CELLS, "c": CELLS}), max_size=3),
    ),
    st.builds(
        lambda columns, data: {"dataframe_split": {"columns": columns, "data": data}},
        st.lists(st.sampled_from(["a", "b", "c", "z"]), max_size=4) | CELLS,
        st.lists(st.lists(CELLS, max_size=4), max_size=3)
        | st.dictionaries(st.text(max_size=2), CELLS),
    ),
    st.builds(
        lambda rows: {"dataframe_records": rows},
        st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]), CELLS), max_size=3) | CELLS,
    ),
    st.builds(lambda v: {"inputs": v}, st.lists(st.lists(CELLS, max_size=3), max_size=3) | CELLS),
    st.builds(
        lambda v: {"instances": v},
        st.lists(st.dictionaries(st.sampled_from("abc"), CELLS), max_size=3),
    ),
    st.dictionaries(st.text(max_size=12), CELLS, max_size=3),
)


def test_invocations_with_generated_bodies(http: TestClient) -> None:
    @SETTINGS
    @given(body=BODIES)
    def check(body: Any) -> None:
        tried["/invocations"] += 1
        content = json.dumps(body).encode()  # NaN/Infinity literals included, as clients send
        response = http.post(
            "/invocations", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code < 500, (body, response.text[:300])
        if response.status_code >= 400:
            refused["/invocations"] += 1
            assert response.json()["error_code"], response.text

    check()


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": {"columns": ["a", "b", "c"], "data": {"x": 1}}},
        {"dataframe_split": {"columns": 5, "data": []}},
        {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[None, None, "s"]]}},
        {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1.0, 2**70, "s"]]}},
    ],
    ids=["data as object", "columns as number", "None in a long column", "int beyond int64"],
)
def test_found_defects_are_400(http: TestClient, body: Any) -> None:
    response = http.post("/invocations", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "b", [[2**70], [None], [1, None]], ids=["int beyond int64", "None", "int and None"]
)
def test_predict_refuses_values_a_long_column_cannot_hold(model: Any, b: list[Any]) -> None:
    frame = pd.DataFrame(
        {"a": [1.0] * len(b), "b": pd.Series(b, dtype=object), "c": ["x"] * len(b)}
    )
    with pytest.raises(InvalidInputError, match="Column 'b'"):
        model.predict(frame)


def test_zz_figures() -> None:
    """Print what the tests above tried (runs last in this module)."""
    for target in sorted(tried):
        report(f"6 hostile-input model [{target}]", examples=tried[target], refused=refused[target])
    assert sum(tried.values()) > 0
