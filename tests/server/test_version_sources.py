"""``model-versions/create`` refuses the sources MLflow's server refuses (issue 14, item 8).

A version's source is later read *by the server*, so a client must not make it point at another
host, outside a run's artifacts, or anywhere through ``..``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.server

API = "/api/2.0/mlflow"
NO_RELATIVE = "an absolute path must be provided without relative path references present"
RUN_MUST_HOLD = "The run_id request parameter must identify the resource that contains the source"
LOCAL_NEEDS_RUN = "To use a local path as a model version source"


@pytest.fixture
def run(client: Any) -> dict[str, str]:
    client.post(f"{API}/registered-models/create", json={"name": "rm"})
    info = client.post(f"{API}/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]
    return {"run_id": info["run_id"], "artifact_uri": info["artifact_uri"]}


def _create(client: Any, source: str, run_id: str | None = None) -> Any:
    body = {"name": "rm", "source": source, **({"run_id": run_id} if run_id else {})}
    return client.post(f"{API}/model-versions/create", json=body)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("http://attacker.example/model", "cannot use the 'http' scheme"),
        ("https://attacker.example/model", "cannot use the 'https' scheme"),
        ("mlflow-artifacts:/1/../../etc", NO_RELATIVE),
        ("mlflow-artifacts:/x/%2e%2e/y", NO_RELATIVE),
        ("mlflow-artifacts:/x/%252e%252e/y", NO_RELATIVE),
        ("dbfs:/a/../b", NO_RELATIVE),
        ("s3://bucket/../other", NO_RELATIVE),
        ("/etc/passwd", LOCAL_NEEDS_RUN),
        ("file:///etc/passwd", LOCAL_NEEDS_RUN),
        ("relative/path", LOCAL_NEEDS_RUN),
        ("runs:/0123456789abcdef0123456789abcdef/model", RUN_MUST_HOLD),
        ("mlflow-artifacts:/0/elsewhere/artifacts/model", RUN_MUST_HOLD),
    ],
)
def test_unsafe_sources_are_refused(client: Any, run: dict[str, str], source, message) -> None:
    answer = _create(client, source)
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message in answer.json()["message"]
    assert (
        client.get(f"{API}/registered-models/get", params={"name": "rm"})
        .json()["registered_model"]
        .get("latest_versions")
        is None
    )  # nothing was created


def test_a_run_id_must_match_its_source(client: Any, run: dict[str, str]) -> None:
    other = client.post(f"{API}/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]
    source = f"runs:/{run['run_id']}/model"
    assert _create(client, source, other["run_id"]).status_code == 400
    assert _create(client, f"{other['artifact_uri']}/model", run["run_id"]).status_code == 400
    assert _create(client, source, run["run_id"]).status_code == 200
    assert _create(client, f"{run['artifact_uri']}/model", run["run_id"]).status_code == 200


def test_object_store_and_model_sources_pass(client: Any, run: dict[str, str]) -> None:
    for source in ("s3://bucket/models/rm", "gs://bucket/rm", "dbfs:/models/rm"):
        assert _create(client, source).status_code == 200, source


def test_a_local_source_must_be_inside_its_runs_local_artifacts(
    client: Any, tmp_path: Path
) -> None:
    client.post(f"{API}/registered-models/create", json={"name": "rm"})
    root = tmp_path / "direct"
    exp = client.post(
        f"{API}/experiments/create", json={"name": "direct", "artifact_location": str(root)}
    ).json()["experiment_id"]
    info = client.post(f"{API}/runs/create", json={"experiment_id": exp}).json()["run"]["info"]
    inside = Path(info["artifact_uri"].removeprefix("file://")) / "model"
    inside.mkdir(parents=True)
    assert _create(client, str(inside), info["run_id"]).status_code == 200
    escape = inside / "link"
    escape.symlink_to(tmp_path, target_is_directory=True)
    assert _create(client, str(escape), info["run_id"]).status_code == 400
    assert _create(client, str(tmp_path), info["run_id"]).status_code == 400
