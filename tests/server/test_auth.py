"""Authentication and authorization of the tracking server, in-process (Starlette TestClient).

Three users (read, write, admin) on a real SQLite store; every request goes through the real
middleware and the real routes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from jupyter_mltrack.errors import AlreadyExistsError, InvalidParameterError, NotFoundError
from jupyter_mltrack.server.app import create_app, open_server_store
from jupyter_mltrack.server.auth import Authenticator, AuthStore, Role, required_role

API = "/api/2.0/mlflow"
PASSWORDS = {"reader": "reader-pw-1", "writer": "writer-pw-1", "boss": "boss-pw-123"}
ROLES = {"reader": Role.READ, "writer": Role.WRITE, "boss": Role.ADMIN}


class CountingAuthStore(AuthStore):
    """The real store, counting how often a password is checked against the database."""

    password_checks = 0

    def authenticate_password(self, name: str, password: str) -> Any:
        self.password_checks += 1
        return super().authenticate_password(name, password)


def basic(user: str, password: str | None = None) -> dict[str, str]:
    secret = f"{user}:{PASSWORDS.get(user, '') if password is None else password}"
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(
    client: TestClient, method: str, endpoint: str, headers: dict[str, str], body: Any = None
) -> Any:
    return client.request(method, f"{API}/{endpoint}", json=body, headers=headers)


@pytest.fixture
def users(tmp_path: Path) -> Iterator[CountingAuthStore]:
    store = open_server_store(f"sqlite:///{tmp_path}/server.db")
    auth_store = CountingAuthStore(store.engine)
    for name, role in ROLES.items():
        auth_store.create_user(name, role, PASSWORDS[name])
    yield auth_store
    store.close()


def make_client(tmp_path: Path, users: AuthStore, **options: Any) -> TestClient:
    store = open_server_store(f"sqlite:///{tmp_path}/server.db")
    app = create_app(store, str(tmp_path / "artifacts"), Authenticator(users, **options))
    return TestClient(app)


@pytest.fixture
def client(tmp_path: Path, users: CountingAuthStore) -> Iterator[TestClient]:
    with make_client(tmp_path, users) as test_client:
        yield test_client


def test_health_needs_no_credentials(client: TestClient) -> None:
    assert client.get("/health").status_code == 200


def test_no_credentials_get_401_as_mlflow_json_with_a_basic_challenge(client: TestClient) -> None:
    response = client.get(f"{API}/experiments/get", params={"experiment_id": "0"})
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert "MLTRACK_TRACKING_USERNAME" in response.json()["message"]
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="mltrack"')


@pytest.mark.parametrize(
    "headers",
    [
        basic("reader", "wrong-password"),
        basic("nobody", "whatever-pw"),
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": "Digest username=reader"},
        bearer("mlt_not-a-real-token"),
        bearer("not-even-the-prefix"),
        {"Authorization": "Bearer "},
    ],
    ids=["wrong-pw", "unknown-user", "bad-b64", "no-colon", "digest", "bad-token", "bad-prefix",
         "empty-bearer"],
)  # fmt: skip
def test_bad_credentials_get_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(f"{API}/experiments/search", json={}, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "UNAUTHENTICATED"
    assert "not accepted" in body["message"]


# (method, path, JSON body, lowest role that may call it)
MATRIX = [
    ("GET", "experiments/get?experiment_id=0", None, "reader"),
    ("POST", "experiments/search", {"max_results": 10}, "reader"),
    ("POST", "runs/search", {"experiment_ids": ["0"]}, "reader"),
    ("POST", "experiments/create", {"name": "e-{user}"}, "writer"),
    ("POST", "runs/create", {"experiment_id": "0"}, "writer"),
    ("POST", "experiments/set-experiment-tag", {"experiment_id": "0", "key": "k", "value": "v"},
     "writer"),
    ("POST", "experiments/delete", {"experiment_id": "{exp}"}, "boss"),
]  # fmt: skip
ORDER = ["reader", "writer", "boss"]


@pytest.mark.parametrize(("method", "path", "body", "lowest"), MATRIX, ids=[m[1] for m in MATRIX])
def test_each_role_may_do_exactly_what_it_allows(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None, lowest: str
) -> None:
    for user in ORDER:
        exp = client.post(
            f"{API}/experiments/create", json={"name": f"victim-{user}"}, headers=basic("boss")
        ).json()["experiment_id"]
        message = None
        if body is not None:
            message = {k: v.format(user=user, exp=exp) if isinstance(v, str) else v
                       for k, v in body.items()}  # fmt: skip
        response = client.request(method, f"{API}/{path}", json=message, headers=basic(user))
        if ORDER.index(user) >= ORDER.index(lowest):
            assert response.status_code == 200, (user, response.text)
        else:
            assert response.status_code == 403, (user, response.text)
            error = response.json()
            assert error["error_code"] == "PERMISSION_DENIED"
            assert f"{user!r} has the role {ROLES[user].value!r}" in error["message"]


def test_deleting_a_registered_model_needs_admin(client: TestClient) -> None:
    path = f"{API}/registered-models/delete"
    for user in ("reader", "writer"):
        response = client.request("DELETE", path, json={"name": "m"}, headers=basic(user))
        assert response.status_code == 403
        assert response.json()["error_code"] == "PERMISSION_DENIED"


def test_a_reader_can_read_what_a_writer_logged(client: TestClient) -> None:
    run = client.post(f"{API}/runs/create", json={"experiment_id": "0"}, headers=basic("writer"))
    run_id = run.json()["run"]["info"]["run_id"]
    logged = client.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": 1.5, "timestamp": 1, "step": 0},
        headers=basic("writer"),
    )
    assert logged.status_code == 200
    denied = client.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": 2.5, "timestamp": 2, "step": 1},
        headers=basic("reader"),
    )
    assert denied.status_code == 403
    got = client.get(f"{API}/runs/get", params={"run_id": run_id}, headers=basic("reader"))
    metrics = got.json()["run"]["data"]["metrics"]
    assert [(m["key"], m["value"]) for m in metrics] == [("m", 1.5)]


def test_bearer_tokens_work_until_revoked(tmp_path: Path, users: CountingAuthStore) -> None:
    info, token = users.create_token("writer")
    assert token.startswith("mlt_")
    with make_client(tmp_path, users, cache_seconds=0) as client:
        ok = client.post(f"{API}/experiments/create", json={"name": "x"}, headers=bearer(token))
        assert ok.status_code == 200
        users.revoke_token(info.id)
        refused = client.post(f"{API}/experiments/search", json={}, headers=bearer(token))
        assert refused.status_code == 401
    assert users.list_tokens("writer")[0].revoked is not None


def test_a_token_carries_its_users_role(client: TestClient, users: CountingAuthStore) -> None:
    _, token = users.create_token("reader")
    assert call(client, "POST", "experiments/search", bearer(token), {}).status_code == 200
    denied = client.post(f"{API}/experiments/create", json={"name": "x"}, headers=bearer(token))
    assert denied.status_code == 403


def test_verified_credentials_are_cached(client: TestClient, users: CountingAuthStore) -> None:
    for _ in range(50):
        response = client.post(f"{API}/experiments/search", json={}, headers=basic("reader"))
        assert response.status_code == 200
    assert users.password_checks == 1


def test_cache_off_checks_every_request(tmp_path: Path, users: CountingAuthStore) -> None:
    with make_client(tmp_path, users, cache_seconds=0) as client:
        for _ in range(3):
            client.post(f"{API}/experiments/search", json={}, headers=basic("reader"))
    assert users.password_checks == 3


def test_deleted_users_lose_access_and_their_tokens(
    tmp_path: Path, users: CountingAuthStore
) -> None:
    _, token = users.create_token("writer")
    users.delete_user("writer")
    assert users.list_tokens("writer") == []
    with make_client(tmp_path, users, cache_seconds=0) as client:
        for headers in (basic("writer"), bearer(token)):
            assert call(client, "GET", "experiments/search", headers).status_code == 401


def test_users_api_is_for_admins(client: TestClient) -> None:
    users_api = f"{API}/users"
    new = {"username": "carol", "password": "carol-pw-1", "role": "write"}
    assert client.post(f"{users_api}/create", json=new, headers=basic("writer")).status_code == 403
    created = client.post(f"{users_api}/create", json=new, headers=basic("boss"))
    assert created.json() == {"user": {"username": "carol", "role": "write",
                                       "created": created.json()["user"]["created"]}}  # fmt: skip
    listed = client.get(f"{users_api}/list", headers=basic("boss")).json()["users"]
    assert [u["username"] for u in listed] == ["boss", "carol", "reader", "writer"]
    carol = basic("carol", "carol-pw-1")
    assert call(client, "POST", "experiments/create", carol, {"name": "c"}).status_code == 200
    again = client.post(f"{users_api}/create", json=new, headers=basic("boss"))
    assert again.status_code == 400
    assert again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    demote = {"username": "carol", "role": "read"}
    demoted = call(client, "PATCH", "users/update-role", basic("boss"), demote)
    assert demoted.status_code == 200
    assert call(client, "POST", "experiments/create", carol, {"name": "d"}).status_code == 403
    gone = client.request("DELETE", f"{users_api}/delete", json={"username": "carol"},
                          headers=basic("boss"))  # fmt: skip
    assert gone.status_code == 200
    assert client.get(f"{users_api}/get?username=carol", headers=basic("boss")).status_code == 404


def test_users_may_change_only_their_own_password(client: TestClient) -> None:
    url = f"{API}/users/update-password"
    other = client.patch(url, json={"username": "writer", "password": "hacked-pw"},
                         headers=basic("reader"))  # fmt: skip
    assert other.status_code == 403
    own = client.patch(url, json={"username": "reader", "password": "new-reader-pw"},
                       headers=basic("reader"))  # fmt: skip
    assert own.status_code == 200
    old = client.post(f"{API}/experiments/search", json={}, headers=basic("reader"))
    assert old.status_code == 401
    new = call(client, "POST", "experiments/search", basic("reader", "new-reader-pw"), {})
    assert new.status_code == 200


def test_users_api_rejects_bad_requests_with_4xx(client: TestClient) -> None:
    boss = basic("boss")
    assert client.post(f"{API}/users/create", content=b"{nope", headers=boss).status_code == 400
    assert client.post(f"{API}/users/create", json=[1], headers=boss).status_code == 400
    assert call(client, "POST", "users/create", boss, {"username": "x"}).status_code == 400
    short = client.post(f"{API}/users/create", json={"username": "x", "password": "short"},
                        headers=boss)  # fmt: skip
    assert short.status_code == 400
    assert "at least 8" in short.json()["message"]
    unknown = call(client, "GET", "users/nope", boss)
    assert unknown.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/api/2.0/mlflow/runs/get", Role.READ),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/1/x", Role.READ),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/x", Role.WRITE),
        ("DELETE", "/api/2.0/mlflow-artifacts/artifacts/1/x", Role.WRITE),
        ("POST", "/api/2.0/mlflow/runs/search", Role.READ),
        ("POST", "/api/2.0/mlflow/logged-models/search", Role.READ),
        ("POST", "/api/2.0/mlflow/registered-models/get-latest-versions", Role.READ),
        ("POST", "/api/2.0/mlflow/runs/log-batch", Role.WRITE),
        ("POST", "/api/2.0/mlflow/runs/delete", Role.WRITE),
        ("DELETE", "/api/2.0/mlflow/model-versions/delete", Role.WRITE),
        ("PATCH", "/api/2.0/mlflow/logged-models/m-1", Role.WRITE),
        ("POST", "/api/2.0/mlflow/experiments/delete", Role.ADMIN),
        ("DELETE", "/api/2.0/mlflow/registered-models/delete", Role.ADMIN),
        ("POST", "/ajax-api/2.0/mlflow/experiments/delete", Role.ADMIN),
        ("GET", "/api/2.0/mlflow/users/list", Role.ADMIN),
        ("GET", "/api/3.0/mlflow/server-info", Role.READ),
    ],
)
def test_required_role(method: str, path: str, role: Role) -> None:
    assert required_role(method, path) is role


def test_auth_store_validates_names_and_passwords(users: CountingAuthStore) -> None:
    with pytest.raises(InvalidParameterError, match="without ':'"):
        users.create_user("a:b", Role.READ, "long-enough")
    with pytest.raises(InvalidParameterError, match="at least 8"):
        users.create_user("short", Role.READ, "1234567")
    with pytest.raises(AlreadyExistsError, match="'reader' already exists"):
        users.create_user("reader", Role.READ, "long-enough")
    with pytest.raises(NotFoundError, match="No user 'ghost'"):
        users.set_password("ghost", "long-enough")
    with pytest.raises(NotFoundError, match="create one first"):
        users.create_token("ghost")
    with pytest.raises(InvalidParameterError, match="choose one of read, write, admin"):
        Role.parse("superuser")


def test_passwords_are_stored_as_argon2_hashes(users: CountingAuthStore) -> None:
    import sqlalchemy as sa

    with users.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM mltrack_users")).scalars().all()
        digests = conn.execute(sa.text("SELECT token_hash FROM mltrack_tokens")).scalars().all()
    assert len(stored) == 3
    assert all(h.startswith("$argon2id$") for h in stored)
    assert not any(pw in h for h in stored for pw in PASSWORDS.values())
    _, token = users.create_token("reader")
    with users.engine.connect() as conn:
        digests = conn.execute(sa.text("SELECT token_hash FROM mltrack_tokens")).scalars().all()
    assert token not in digests and len(digests[0]) == 64


def openapi_operations(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) of the served OpenAPI description, path parameters filled in."""
    spec = client.get("/openapi.json", headers=basic("reader")).json()
    operations = []
    for path, item in spec["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        operations += [(method.upper(), concrete) for method in item if method != "parameters"]
    return operations


def test_every_served_operation_is_guarded(client: TestClient) -> None:
    operations = openapi_operations(client)
    assert len(operations) >= 37
    for method, path in operations:
        anonymous = client.request(method, path)
        if path == "/health":
            assert anonymous.status_code == 200
            continue
        assert anonymous.status_code == 401, (method, path)
        needed = required_role(method, path)
        as_reader = client.request(method, path, headers=basic("reader"))
        if needed is Role.READ:
            assert as_reader.status_code not in (401, 403), (method, path, as_reader.text)
        else:
            assert as_reader.status_code == 403, (method, path)
            assert as_reader.json()["error_code"] == "PERMISSION_DENIED"
        as_admin = client.request(method, path, headers=basic("boss"))
        assert as_admin.status_code not in (401, 403), (method, path, as_admin.text)
        assert as_admin.status_code < 500, (method, path, as_admin.text)
