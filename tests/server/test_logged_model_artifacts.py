"""``GET logged-models/{model_id}/artifacts/directories``: a logged model's artifact listing."""

from __future__ import annotations

from typing import Any

from jupyter_mltrack.store.sql.store import SqlStore

API = "/api/2.0/mlflow"


def _model_with_a_file(client: Any, server_store: SqlStore) -> Any:
    model = server_store.create_logged_model("0", name="clf")
    rel = model.artifact_uri.removeprefix("mlflow-artifacts:/").lstrip("/")
    put = client.put(f"{API}-artifacts/artifacts/{rel}/sub/m.txt", content=b"model")
    assert put.status_code == 200
    return model


def test_lists_the_model_root_and_a_folder(client, server_store) -> None:  # type: ignore[no-untyped-def]
    model = _model_with_a_file(client, server_store)
    url = f"{API}/logged-models/{model.model_id}/artifacts/directories"
    root = client.get(url).json()
    assert root == {
        "root_uri": model.artifact_uri,
        "files": [{"path": "sub", "is_dir": True}],
    }
    folder = client.get(url, params={"artifact_directory_path": "sub"}).json()
    assert folder["files"] == [{"path": "sub/m.txt", "is_dir": False, "file_size": 5}]


def test_traversal_and_unknown_models_are_refused(client, server_store) -> None:  # type: ignore[no-untyped-def]
    model = _model_with_a_file(client, server_store)
    url = f"{API}/logged-models/{model.model_id}/artifacts/directories"
    bad = client.get(url, params={"artifact_directory_path": "../x"})
    assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    unknown = client.get(f"{API}/logged-models/m-{'0' * 32}/artifacts/directories")
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
