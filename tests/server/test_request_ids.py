"""The X-Mltrack-Request-Id middleware: a retried write is applied once and answered the same."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from rest_server import serve_app
from starlette.responses import JSONResponse

from jupyter_mltrack._time import now_ms
from jupyter_mltrack.store.rest.http import HttpClient
from jupyter_mltrack.store.sql.schema import client_requests
from jupyter_mltrack.store.sql.store import SqlStore

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"
HEADER = "X-Mltrack-Request-Id"


def _run(client: Any) -> str:
    answer = client.post(f"{API}/runs/create", json={"experiment_id": "0"})
    run_id: str = answer.json()["run"]["info"]["run_id"]
    return run_id


def _batch(run_id: str, step: int = 0) -> dict[str, Any]:
    return {"run_id": run_id, "metrics": [{"key": "m", "value": 1.5, "timestamp": 5, "step": step}]}


def _history(store: SqlStore, run_id: str) -> list[int]:
    return [m.step for m in store.get_metric_history(run_id, "m")]


def test_a_retried_log_batch_is_stored_once_and_answered_again(
    client: Any, server_store: SqlStore
) -> None:
    run_id = _run(client)
    first = client.post(f"{API}/runs/log-batch", json=_batch(run_id), headers={HEADER: "b-1"})
    again = client.post(f"{API}/runs/log-batch", json=_batch(run_id), headers={HEADER: "b-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {}
    assert again.headers["x-mltrack-request-replayed"] == "true"
    assert "x-mltrack-request-replayed" not in first.headers
    assert _history(server_store, run_id) == [0]


def test_requests_without_the_header_behave_as_before(client: Any, server_store: SqlStore) -> None:
    run_id = _run(client)
    for _ in range(2):  # an MLflow client retrying blindly: applied twice, as MLflow does
        assert client.post(f"{API}/runs/log-batch", json=_batch(run_id)).status_code == 200
    assert _history(server_store, run_id) == [0, 0]
    with server_store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(client_requests)).scalar() == 0


def test_a_retried_create_gets_the_same_run(client: Any, server_store: SqlStore) -> None:
    message = {"experiment_id": "0", "run_name": "once"}
    first = client.post(f"{API}/runs/create", json=message, headers={HEADER: "c-1"}).json()
    again = client.post(f"{API}/runs/create", json=message, headers={HEADER: "c-1"}).json()
    assert again == first
    assert len(server_store.search_runs(["0"])) == 1


def test_a_refused_write_is_refused_again_not_replayed(client: Any) -> None:
    message = _batch("0" * 32)
    for _ in range(2):
        answer = client.post(f"{API}/runs/log-batch", json=message, headers={HEADER: "e-1"})
        assert answer.status_code == 404
        assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "semi;colon"])
def test_a_malformed_request_id_is_a_clear_400(client: Any, bad: str) -> None:
    run_id = _run(client)
    answer = client.post(f"{API}/runs/log-batch", json=_batch(run_id), headers={HEADER: bad})
    assert answer.status_code == 400
    assert "X-Mltrack-Request-Id" in answer.json()["message"]


def test_an_applied_request_whose_answer_was_lost_is_told_apart(
    client: Any, server_store: SqlStore
) -> None:
    run_id = _run(client)
    with server_store.engine.begin() as conn:  # as a server killed right after the commit
        rows = [{"request_id": i, "created_time": now_ms()} for i in ("lost-1", "lost-2")]
        conn.execute(sa.insert(client_requests), rows)
    batch = client.post(f"{API}/runs/log-batch", json=_batch(run_id), headers={HEADER: "lost-1"})
    assert batch.status_code == 200 and batch.json() == {}
    assert _history(server_store, run_id) == []  # replayed, not applied again
    create = client.post(f"{API}/runs/create", json={"experiment_id": "0"},
                         headers={HEADER: "lost-2"})  # fmt: skip
    assert create.status_code == 409
    assert create.json()["error_code"] == "REQUEST_ALREADY_APPLIED"
    assert "look the result up" in create.json()["message"]


def test_old_ids_are_pruned_while_serving(client: Any, server_store: SqlStore) -> None:
    run_id = _run(client)
    with server_store.engine.begin() as conn:
        old = now_ms() - 200 * 3_600_000  # older than the default 7 days
        conn.execute(sa.insert(client_requests), [{"request_id": "ancient", "created_time": old}])
    client.post(f"{API}/runs/log-batch", json=_batch(run_id), headers={HEADER: "fresh"})
    with server_store.engine.connect() as conn:
        ids = conn.execute(sa.select(client_requests.c.request_id)).scalars().all()
    assert ids == ["fresh"]


def test_the_rest_client_resends_a_write_with_the_same_id() -> None:
    seen: list[str | None] = []

    async def flaky(scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope["headers"])
        seen.append(headers.get(HEADER.lower().encode(), b"").decode() or None)
        status = 503 if len(seen) % 2 else 200  # every write fails once, then succeeds
        await JSONResponse({}, status_code=status)(scope, receive, send)

    live = serve_app(flaky)
    try:
        http = HttpClient(live.url, max_retries=2, backoff_factor=0)
        http.call("POST", "runs/log-batch", {"run_id": "r"})
        http.call("POST", "runs/log-batch", {"run_id": "r"})
        http.call("GET", "runs/get", {"run_id": "r"})
    finally:
        live.stop()
    assert seen[0] == seen[1] and seen[2] == seen[3]  # the retry reuses the id
    assert seen[0] != seen[2] and len(seen[0] or "") == 32  # a new id per logical write
    assert seen[4] is None  # reads carry none
