"""POST alias and stage: nothing changes without "confirm": true; with it, the model comes back."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lab_seed import Seeded

from jupyter_mltrack.registry import RegistryClient


@pytest.fixture
def registry(seeded: Seeded) -> Iterator[RegistryClient]:
    yield RegistryClient(str(seeded.root / "mltrack"))


def test_alias_move_asks_first_then_moves(api: httpx.Client, registry: RegistryClient) -> None:
    asked = api.post("models/ranker/alias", json={"alias": "champion", "version": "2"})
    assert asked.status_code == 409
    assert asked.json() == {
        "error_code": "CONFIRMATION_REQUIRED",
        "message": "Move alias 'champion' of 'ranker' from version 1 to 2?",
    }
    assert registry.get_registered_model("ranker").aliases["champion"] == 1
    done = api.post(
        "models/ranker/alias", json={"alias": "champion", "version": 2, "confirm": True}
    )
    assert done.status_code == 200
    body = done.json()
    assert body["aliases"]["champion"] == "2"
    assert {v["version"]: v["aliases"] for v in body["versions"]}["2"] == ["champion"]
    assert body["history"][-1]["kind"] == "alias"
    assert (body["history"][-1]["from"], body["history"][-1]["to"]) == ("1", "2")
    assert registry.get_registered_model("ranker").aliases["champion"] == 2


def test_stage_transition_asks_first_then_moves(
    api: httpx.Client, registry: RegistryClient
) -> None:
    request = {"version": "3", "stage": "production", "archive_existing_versions": True}
    asked = api.post("models/ranker/stage", json=request)
    assert asked.status_code == 409
    assert asked.json()["message"] == (
        "Move 'ranker' version 3 from None to Production, archiving version(s) 1 now in Production?"
    )
    assert registry.get_model_version("ranker", 3).current_stage.value == "None"
    done = api.post("models/ranker/stage", json={**request, "confirm": True})
    assert done.status_code == 200
    stages = {v["version"]: v["stage"] for v in done.json()["versions"]}
    assert stages["3"] == "Production" and stages["1"] == "Archived"
    assert done.json()["history"][-1]["kind"] == "stage"
    assert registry.get_model_version("ranker", 1).current_stage.value == "Archived"


def test_model_detail_with_versions_and_history(api: httpx.Client) -> None:
    body = api.get("models/churn").json()
    assert [v["version"] for v in body["versions"]] == ["3", "2", "1"]
    assert body["description"] == "Churn model"
    assert {e["kind"] for e in body["history"]} >= {"stage", "alias"}
    assert all(set(e) >= {"version", "kind", "from", "to", "user", "timestamp"}
               for e in body["history"])  # fmt: skip


def test_model_name_with_a_quote(api: httpx.Client) -> None:
    body = api.get("models/o'brien%20model").json()
    assert body["name"] == "o'brien model" and body["versions"] == []


@pytest.mark.parametrize(
    ("route", "body", "status"),
    [
        ("models/ranker/stage", {"version": "1", "stage": "Prod", "confirm": True}, 400),
        ("models/ranker/stage", {"version": "99", "stage": "Staging"}, 404),
        ("models/ranker/stage", {"stage": "Staging"}, 400),
        ("models/ranker/alias", {"alias": "x", "version": "1", "confirm": "yes"}, 400),
        ("models/ranker/alias", {"alias": "", "version": "1"}, 400),
        ("models/nobody/alias", {"alias": "x", "version": "1"}, 404),
    ],
)
def test_registry_bad_input_is_4xx_json(
    api: httpx.Client, route: str, body: dict[str, object], status: int
) -> None:
    response = api.post(route, json=body)
    assert response.status_code == status
    assert response.json()["message"] and "Traceback" not in response.text


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_malformed_body_is_400(api: httpx.Client, raw: bytes) -> None:
    response = api.post("models/ranker/alias", content=raw)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_unknown_model_is_404(api: httpx.Client) -> None:
    response = api.get("models/nobody")
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
