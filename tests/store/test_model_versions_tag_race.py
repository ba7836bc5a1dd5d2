"""Versions registered from one logged model at the same instant are all listed in its tag.

The tracking server records each version made from ``models:/m-<id>`` in the logged model's
``mlflow.modelVersions`` tag (a JSON list, as MLflow's server does). Eight clients register a
version of one logged model at once through a real server on each database; every version
must be in the tag afterwards (a read-modify-write that is not atomic loses some).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rest_server import LiveServer, serve_app

from jupyter_mltrack.server import create_app
from jupyter_mltrack.store.sql.registry_versions import MODEL_VERSIONS_TAG
from jupyter_mltrack.store.sql.store import SqlStore

CLIENTS = 8
ROUNDS = 3
CREATE = "/api/2.0/mlflow/model-versions/create"


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def served(request, tmp_path: Path, server_database_uri) -> Iterator[tuple[SqlStore, LiveServer]]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path}/tag-race.db"
    else:
        uri = str(server_database_uri(request.param))
    store = SqlStore(uri, default_artifact_root=str(tmp_path / "artifacts"))
    live = serve_app(create_app(store, str(tmp_path / "artifacts")))
    yield store, live
    live.stop()
    store.close()


def _register(
    url: str, body: dict[str, str], barrier: threading.Barrier, out: list[object]
) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        barrier.wait(timeout=60)
        response = client.post(CREATE, json=body)
        out.append(response.json() if response.status_code == 200 else response.text)


def test_concurrent_registrations_from_one_logged_model_are_all_recorded(served) -> None:  # type: ignore[no-untyped-def]
    store, live = served
    for round_ in range(ROUNDS):  # a lost entry is likely, not certain, in any one round
        name = f"racy{round_}"
        store.create_registered_model(name)
        model = store.create_logged_model("0", name=f"m{round_}")
        body = {"name": name, "source": f"models:/{model.model_id}"}
        barrier = threading.Barrier(CLIENTS)
        out: list[object] = []
        threads = [
            threading.Thread(target=_register, args=(live.url, body, barrier, out))
            for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert all(isinstance(reply, dict) for reply in out), out
        entries = json.loads(store.get_logged_model(model.model_id).tags[MODEL_VERSIONS_TAG])
        assert sorted(e["version"] for e in entries) == list(range(1, CLIENTS + 1)), entries
        assert {e["name"] for e in entries} == {name}
