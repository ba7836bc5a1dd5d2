"""The request/response helpers every route uses (``server/_http.py``)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.server import _http
from jupyter_mltrack.server._http import (
    get_bool,
    get_float,
    get_int,
    get_list,
    get_str,
    get_tags,
    ok,
    paged,
    run_id_of,
)

pytestmark = pytest.mark.server

INVALID = InvalidParameterError


@pytest.mark.parametrize(
    ("value", "expected"),
    [(17, 17), ("17", 17), ("-3", -3), (4.0, 4), (2**63 - 1, 2**63 - 1), (None, None), ("", None)],
)
def test_get_int_accepts_proto_json_int64(value, expected):  # type: ignore[no-untyped-def]
    assert get_int({"n": value}, "n", required=False) == expected


@pytest.mark.parametrize("value", [1.5, "1.5", "x", True, [1], {"a": 1}, 2**63, "9" * 30])
def test_get_int_rejects(value):  # type: ignore[no-untyped-def]
    with pytest.raises(INVALID, match="parameter 'n'"):
        get_int({"n": value}, "n")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, 1.5),
        (2, 2.0),
        ("1.5", 1.5),
        ("NaN", math.nan),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
    ],
)
def test_get_float_accepts_numbers_and_non_finite_strings(value, expected):  # type: ignore[no-untyped-def]
    got = get_float({"v": value}, "v")
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


@pytest.mark.parametrize("value", ["high", True, [1.0], {}])
def test_get_float_rejects(value):  # type: ignore[no-untyped-def]
    with pytest.raises(INVALID, match=r"Invalid value .* for parameter 'v'"):
        get_float({"v": value}, "v")


def test_required_fields_and_strings():  # type: ignore[no-untyped-def]
    with pytest.raises(INVALID, match="Missing value for required parameter 'name'"):
        get_str({}, "name")
    with pytest.raises(INVALID, match="Missing value for required parameter 'name'"):
        get_str({"name": ""}, "name")
    with pytest.raises(INVALID, match="Invalid value 5 for parameter 'name'"):
        get_str({"name": 5}, "name")
    assert get_str({}, "x", required=False, default="d") == "d"
    assert get_str({"x": None}, "x", required=False) is None


def test_bools_lists_and_tags():  # type: ignore[no-untyped-def]
    assert get_bool({"b": "true"}, "b") is True
    assert get_bool({"b": False}, "b") is False
    assert get_bool({}, "b", default=True) is True
    with pytest.raises(INVALID):
        get_bool({"b": "yes"}, "b")
    assert get_list({"l": "one"}, "l", item=str) == ["one"]  # a single query-string value
    assert get_list({}, "l") == []
    with pytest.raises(INVALID):
        get_list({"l": [1, "a"]}, "l", item=str)
    with pytest.raises(INVALID):
        get_list({"l": [True]}, "l", item=int)
    with pytest.raises(INVALID, match="Missing"):
        get_list({"l": []}, "l", required=True)
    assert get_tags(
        {"tags": [{"key": "a", "value": "1"}, {"key": "b"}, {"key": "a", "value": "2"}]}
    ) == {
        "a": "2",
        "b": "",
    }
    with pytest.raises(INVALID):
        get_tags({"tags": ["a=1"]})


def test_run_id_of_prefers_run_id_and_accepts_run_uuid():  # type: ignore[no-untyped-def]
    assert run_id_of({"run_id": "a", "run_uuid": "b"}) == "a"
    assert run_id_of({"run_uuid": "b"}) == "b"
    with pytest.raises(INVALID, match="'run_id'"):
        run_id_of({})
    with pytest.raises(INVALID, match="'run_id'"):
        run_id_of({"run_id": ["a", "b"]})


def test_ok_never_emits_bare_non_finite_tokens():  # type: ignore[no-untyped-def]
    assert ok().body == b"{}"
    body = ok({"a": [math.nan, {"b": math.inf}], "c": (-math.inf, 1.5), "d": "é"}).body
    assert body == '{"a":["NaN",{"b":"Infinity"}],"c":["-Infinity",1.5],"d":"é"}'.encode()
    assert ok({"x": 1}).headers["content-type"] == "application/json"


def test_paged_omits_empty_lists_and_last_token():  # type: ignore[no-untyped-def]
    assert paged("runs", [], None) == {}
    assert paged("runs", [1], None) == {"runs": [1]}
    assert paged("runs", [], "t") == {"next_page_token": "t"}
    assert _http.page_token_decode(_http.page_token_encode(7)) == 7


def _echo_app(limit: int) -> Starlette:
    from jupyter_mltrack.server.context import ServerContext

    ctx: Any = ServerContext(store=None, artifacts=None, max_upload_bytes=0, max_json_bytes=limit)  # type: ignore[arg-type]

    async def echo(request: Request) -> Response:
        from jupyter_mltrack.errors import MltrackError

        try:
            msg = await _http.json_body(request, ctx)
        except MltrackError as exc:
            return _http.error_response(exc)
        return ok({"msg": msg, "query": _http.query_params(request)})

    return Starlette(routes=[Route("/echo", echo, methods=["POST"])])


def test_json_body_and_query_params(make_client):  # type: ignore[no-untyped-def]
    client = make_client(_echo_app(100))
    got = client.post("/echo?a=1&b=2&a=3", json={"v": "NaN"}).json()
    assert got == {"msg": {"v": "NaN"}, "query": {"a": ["1", "3"], "b": "2"}}
    assert client.post("/echo", content=b"").json()["msg"] == {}
    assert client.post("/echo", content=b"  \n").json()["msg"] == {}
    big = client.post("/echo", content=json.dumps({"v": "x" * 200}).encode())
    assert big.status_code == 413
    assert client.post("/echo", content=b"nul").status_code == 400
    assert client.post("/echo", content=b'"text"').status_code == 400
    assert client.post("/echo", content=b"[" * 100_000 + b"]" * 100_000).status_code in (400, 413)
    deep = make_client(_echo_app(10_000_000))
    assert deep.post("/echo", content=b"[" * 100_000 + b"]" * 100_000).status_code == 400
