"""``mltrack server``: users and tokens commands, and a real server process started and stopped."""

from __future__ import annotations

import base64
import json
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from serverproc import alive, mltrack_server, stop

from jupyter_mltrack.cli.main import main


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/server.db"


def mltrack(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def status(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_users_create_list_passwd_role_delete(db: str) -> None:
    created = mltrack("server", "users", "create", "ada", "--role", "write",
                      "--password", "ada-secret", "--backend-store-uri", db)  # fmt: skip
    assert created.exit_code == 0
    assert created.stdout == "Created user 'ada' with role write\n"
    prompted = mltrack("server", "users", "create", "bob", "--backend-store-uri", db,
                       input="bob-secret\nbob-secret\n")  # fmt: skip
    assert prompted.exit_code == 0, prompted.output
    assert "Created user 'bob' with role read" in prompted.stdout
    listed = mltrack("server", "users", "list", "--format", "json", "--backend-store-uri", db)
    assert [(u["username"], u["role"]) for u in json.loads(listed.stdout)] == [
        ("ada", "write"),
        ("bob", "read"),
    ]
    table = mltrack("server", "users", "list", "--backend-store-uri", db).stdout.splitlines()
    assert table[0].split() == ["NAME", "ROLE", "CREATED"]
    assert table[1].split()[:2] == ["ada", "write"]
    assert (
        mltrack("server", "users", "role", "bob", "admin", "--backend-store-uri", db).exit_code == 0
    )
    changed = mltrack("server", "users", "passwd", "bob", "--backend-store-uri", db,
                      input="new-secret\nnew-secret\n")  # fmt: skip
    assert "Changed the password of 'bob'" in changed.stdout

    from jupyter_mltrack.server.asgi import ServerSettings, prepare_database
    from jupyter_mltrack.server.auth import AuthStore, Role

    users = AuthStore(prepare_database(ServerSettings.resolve(backend_store_uri=db)).engine)
    bob = users.authenticate_password("bob", "new-secret")
    assert bob is not None and bob.role is Role.ADMIN
    assert users.authenticate_password("bob", "bob-secret") is None

    deleted = mltrack("server", "users", "delete", "ada", "--backend-store-uri", db)
    assert deleted.stdout == "Deleted user 'ada' and their tokens\n"
    assert [u.name for u in users.list_users()] == ["bob"]


def test_users_errors_are_one_line_messages(db: str) -> None:
    args = ("--backend-store-uri", db)
    mltrack("server", "users", "create", "ada", "--password", "ada-secret", *args)
    again = mltrack("server", "users", "create", "ada", "--password", "ada-secret", *args)
    assert again.exit_code == 1
    assert again.stderr == (
        "Error: User 'ada' already exists; change it with 'mltrack server users passwd'\n"
    )
    short = mltrack("server", "users", "create", "eve", "--password", "short", *args)
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr
    missing = mltrack("server", "users", "delete", "ghost", *args)
    assert missing.exit_code == 1 and "No user 'ghost'" in missing.stderr
    mismatch = mltrack("server", "users", "create", "zed", *args, input="aaaaaaaa\nbbbbbbbb\n")
    assert mismatch.exit_code != 0
    bad_role = mltrack("server", "users", "create", "x", "--role", "root", *args)
    assert bad_role.exit_code == 2
    remote = mltrack("server", "users", "list", "--backend-store-uri", "http://127.0.0.1:1")
    assert remote.exit_code == 1 and "must be a database" in remote.stderr


def test_tokens_create_list_revoke(db: str) -> None:
    args = ("--backend-store-uri", db)
    mltrack("server", "users", "create", "ada", "--password", "ada-secret", *args)
    created = mltrack("server", "tokens", "create", "ada", *args)
    token = created.stdout.strip()
    assert token.startswith("mlt_") and len(token) > 40
    assert "it is not shown again" in created.stderr
    listed = json.loads(mltrack("server", "tokens", "list", "--format", "json", *args).stdout)
    assert len(listed) == 1 and listed[0]["user"] == "ada" and listed[0]["revoked"] is None
    assert token not in mltrack("server", "tokens", "list", *args).stdout
    revoked = mltrack("server", "tokens", "revoke", listed[0]["id"], *args)
    assert revoked.stdout == f"Revoked token {listed[0]['id']}\n"
    again = json.loads(mltrack("server", "tokens", "list", "--format", "json", *args).stdout)
    assert again[0]["revoked"] is not None
    unknown = mltrack("server", "tokens", "create", "ghost", *args)
    assert unknown.exit_code == 1 and "create one first" in unknown.stderr
    assert mltrack("server", "tokens", "list", "--user", "bob", *args).stdout == "No tokens.\n"


def test_group_backend_option_reaches_the_subcommands(db: str) -> None:
    mltrack(
        "server", "users", "create", "ada", "--password", "ada-secret", "--backend-store-uri", db
    )
    listed = mltrack("server", "--backend-store-uri", db, "users", "list", "--format", "json")
    assert [u["username"] for u in json.loads(listed.stdout)] == ["ada"]


@pytest.mark.server
def test_server_process_serves_with_auth_and_stops_on_ctrl_c(tmp_path: Path, db: str) -> None:
    mltrack("server", "users", "create", "ada", "--role", "write",
            "--password", "ada-secret", "--backend-store-uri", db)  # fmt: skip
    token = mltrack("server", "tokens", "create", "ada", "--backend-store-uri", db).stdout.strip()
    artifacts = tmp_path / "art"
    args = ("--backend-store-uri", db, "--artifacts-destination", str(artifacts), "--auth")
    with mltrack_server(*args, cwd=tmp_path) as server:
        api = f"{server.url}/api/2.0/mlflow/experiments/get?experiment_id=0"
        assert status(f"{server.url}/health") == 200
        assert status(api) == 401
        assert status(api, basic("ada", "wrong-secret")) == 401
        assert status(api, basic("ada", "ada-secret")) == 200
        assert status(api, {"Authorization": f"Bearer {token}"}) == 200
        assert f"mltrack server on {server.url} (1 worker, auth on)" in server.output()
        assert str(artifacts) in server.output()
        assert stop(server.proc, signal.SIGINT) == 0
    assert "mltrack server stopped." in server.output()
    assert "Traceback" not in server.output()


@pytest.mark.server
@pytest.mark.parametrize("group", [True, False], ids=["ctrl-c-to-group", "sigint-to-main"])
def test_sigint_stops_every_worker(tmp_path: Path, group: bool) -> None:
    with mltrack_server("--workers", "2", cwd=tmp_path) as server:
        deadline = time.monotonic() + 30
        while len(server.descendants()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = server.descendants()
        assert len(workers) >= 2, server.output()
        assert "(2 workers, auth off)" in server.output()
        assert stop(server.proc, signal.SIGINT, group=group) == 0
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if alive(pid)]


@pytest.mark.server
def test_server_defaults_to_the_embedded_store_of_the_folder(tmp_path: Path) -> None:
    with mltrack_server(cwd=tmp_path) as server:
        body = json.dumps({"name": "from-server"}).encode()
        request = urllib.request.Request(
            f"{server.url}/api/2.0/mlflow/experiments/create", data=body, method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        assert f"sqlite:///{tmp_path}/mltrack/mltrack.db" in server.output()
        assert f"{tmp_path}/mltrack/artifacts" in server.output()
    assert (tmp_path / "mltrack" / "mltrack.db").exists()
    from jupyter_mltrack import TrackingClient

    experiment = TrackingClient(f"sqlite:///{tmp_path}/mltrack/mltrack.db").get_experiment_by_name(
        "from-server"
    )
    assert experiment is not None
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.experiment_id}"


def test_server_refuses_a_remote_backend() -> None:
    result = mltrack("server", "--backend-store-uri", "http://127.0.0.1:5000")
    assert result.exit_code == 1
    assert "must be a database, not another server" in result.stderr
