"""Login throttling, token expiry and constant-time comparisons of the server's authentication.

In-process (Starlette TestClient) on a real SQLite store; two Authenticators on one database
stand in for two workers (``tests/reliability/test_auth_reliability.py`` runs real ones).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.server.app import create_app, open_server_store
from jupyter_mltrack.server.auth import Authenticator, AuthStore, Role
from jupyter_mltrack.server.auth import store as auth_store_module
from jupyter_mltrack.server.auth.store import parse_duration, tokens
from jupyter_mltrack.server.auth.throttle import ThrottlePolicy

API = "/api/2.0/mlflow"
GET = f"{API}/experiments/get"
PASSWORD = "correct-horse-1"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def users(tmp_path: Path) -> Iterator[AuthStore]:
    store = open_server_store(f"sqlite:///{tmp_path}/server.db")
    auth_store = AuthStore(store.engine)
    auth_store.create_user("ada", Role.WRITE, PASSWORD)
    auth_store.create_user("bob", Role.READ, PASSWORD)
    yield auth_store
    store.close()


def make_client(
    tmp_path: Path, users: AuthStore, address: str = "10.0.0.1", **policy: Any
) -> TestClient:
    store = open_server_store(f"sqlite:///{tmp_path}/server.db")
    # cache_seconds=0: every request is verified, as the first request of a new header is.
    auth = Authenticator(users, cache_seconds=0, throttle=ThrottlePolicy(**policy))
    app = create_app(store, str(tmp_path / "artifacts"), auth)
    client = TestClient(app, client=(address, 40000))
    client.mltrack_auth = auth  # type: ignore[attr-defined]  # for tests that move its clock
    return client


def get(client: TestClient, user: str, password: str) -> Any:
    return client.get(GET, params={"experiment_id": "0"}, headers=basic(user, password))


def test_wrong_passwords_lock_the_user_with_429_and_retry_after(tmp_path, users):
    client = make_client(tmp_path, users, max_failures=3, lockout_seconds=60)
    for attempt in range(3):
        assert get(client, "ada", f"guess-{attempt}").status_code == 401
    locked = get(client, "ada", PASSWORD)  # even the right password waits now
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    assert locked.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "Too many failed logins" in locked.json()["message"]
    assert get(client, "bob", PASSWORD).status_code == 200  # other users are not affected


def test_the_lock_ends_after_the_lockout(tmp_path, users):
    client = make_client(tmp_path, users, max_failures=2, lockout_seconds=60)
    now = [1_000_000.0]
    client.mltrack_auth.throttle.clock = lambda: now[0]
    get(client, "ada", "x1")
    get(client, "ada", "x2")
    assert get(client, "ada", PASSWORD).status_code == 429
    now[0] += 61
    assert get(client, "ada", PASSWORD).status_code == 200


def test_a_successful_login_resets_the_users_count(tmp_path, users):
    client = make_client(tmp_path, users, max_failures=3)
    for _ in range(2):
        get(client, "ada", "nope-nope")
        get(client, "ada", "nope-again")
        assert get(client, "ada", PASSWORD).status_code == 200  # 2 failures, then reset
    assert get(client, "ada", PASSWORD).status_code == 200


def test_one_address_guessing_many_users_is_locked(tmp_path, users):
    client = make_client(tmp_path, users, max_failures=100, max_failures_per_address=4)
    for name in ("ada", "bob", "carol", "dan"):
        assert get(client, name, "guess").status_code == 401
    assert get(client, "bob", PASSWORD).status_code == 429
    elsewhere = make_client(tmp_path, users, address="10.0.0.2", max_failures_per_address=4)
    assert get(elsewhere, "bob", PASSWORD).status_code == 200


def test_bad_tokens_count_against_the_address(tmp_path, users):
    client = make_client(tmp_path, users, max_failures_per_address=3)
    for index in range(3):
        headers = {"Authorization": f"Bearer mlt_forged{index}"}
        assert client.get(GET, params={"experiment_id": "0"}, headers=headers).status_code == 401
    assert get(client, "ada", PASSWORD).status_code == 429


def test_workers_share_the_counts_through_the_database(tmp_path, users):
    first = make_client(tmp_path, users, max_failures=3)
    second = make_client(tmp_path, users, max_failures=3)
    get(first, "ada", "a-guess")
    get(second, "ada", "b-guess")
    get(first, "ada", "c-guess")
    assert get(second, "ada", PASSWORD).status_code == 429


def test_limits_of_zero_switch_the_throttle_off(tmp_path, users):
    client = make_client(tmp_path, users, max_failures=0, max_failures_per_address=0)
    for attempt in range(8):
        assert get(client, "ada", f"guess-{attempt}").status_code == 401
    assert get(client, "ada", PASSWORD).status_code == 200


def test_policy_from_the_environment():
    env = {
        "MLTRACK_SERVER_AUTH_MAX_FAILURES": "7",
        "MLTRACK_SERVER_AUTH_MAX_FAILURES_PER_ADDRESS": "9",
        "MLTRACK_SERVER_AUTH_LOCKOUT_SECONDS": "30",
    }
    policy = ThrottlePolicy.from_env(env)
    assert policy == ThrottlePolicy(max_failures=7, max_failures_per_address=9, lockout_seconds=30)
    assert ThrottlePolicy.from_env(policy.to_env()) == policy
    assert ThrottlePolicy.from_env({}) == ThrottlePolicy()
    with pytest.raises(InvalidParameterError, match="MLTRACK_SERVER_AUTH_MAX_FAILURES"):
        ThrottlePolicy.from_env({"MLTRACK_SERVER_AUTH_MAX_FAILURES": "lots"})


# -- tokens that expire ------------------------------------------------------------------------
def test_tokens_can_expire_with_a_clear_401(tmp_path, users):
    client = make_client(tmp_path, users)
    info, secret = users.create_token("ada", expires_in=3600)
    assert info.expires is not None and info.expires - info.created == 3_600_000
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(GET, params={"experiment_id": "0"}, headers=headers).status_code == 200
    with users.engine.begin() as conn:  # the hour has passed
        conn.execute(tokens.update().where(tokens.c.id == info.id).values(expires=1))
    expired = client.get(GET, params={"experiment_id": "0"}, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error_code"] == "UNAUTHENTICATED"
    assert "token expired at 1970-01-01" in expired.json()["message"]
    assert secret not in expired.text
    assert [t.expires for t in users.list_tokens("ada")] == [1]


def test_a_verified_token_is_not_cached_past_its_expiry(users):
    import time

    from jupyter_mltrack.server.auth import User

    auth = Authenticator(users, cache_seconds=60)
    now_ms = int(time.time() * 1000)
    auth._remember(b"ending", User(name="ada", role=Role.READ, created=0, valid_until=now_ms - 1))
    auth._remember(b"lasting", User(name="ada", role=Role.READ, created=0, valid_until=None))
    assert list(auth._cache) == [b"lasting"]
    soon = User(name="ada", role=Role.READ, created=0, valid_until=now_ms + 5_000)
    auth._remember(b"soon", soon)
    assert auth._cache[b"soon"][0] - time.monotonic() <= 5.0  # not the full 60 s


def test_tokens_without_expiry_and_bad_lifetimes(users):
    info, _ = users.create_token("ada")
    assert info.expires is None and info.to_dict()["expires"] is None
    with pytest.raises(InvalidParameterError, match="positive"):
        users.create_token("ada", expires_in=0)


def test_an_old_tokens_table_gains_the_expires_column(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as conn:  # the tokens table as it was before expiry existed
        conn.execute(
            sa.text(
                "CREATE TABLE mltrack_tokens (id VARCHAR(32) PRIMARY KEY, user VARCHAR(256), "
                "token_hash VARCHAR(64), created BIGINT, revoked BIGINT)"
            )
        )
    store = AuthStore(engine)
    store.create_user("ada", Role.READ, PASSWORD)
    info, secret = store.create_token("ada", expires_in=60)
    assert store.authenticate_token(secret) is not None
    assert store.list_tokens()[0].expires == info.expires


@pytest.mark.parametrize(
    ("text", "seconds"), [("3600", 3600), ("90m", 5400), ("12h", 43200), ("30d", 2592000)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5m", "soon", "5y", "inf"])
def test_bad_durations(text):
    with pytest.raises(InvalidParameterError, match="duration"):
        parse_duration(text)


def test_cli_creates_and_lists_expiring_tokens(tmp_path, users):
    from jupyter_mltrack.cli.main import main

    uri = f"sqlite:///{tmp_path}/server.db"
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["server", "tokens", "create", "ada", "--expires-in", "2h", "--backend-store-uri", uri],
    )
    assert made.exit_code == 0, made.output
    assert "valid until" in made.output
    listed = runner.invoke(main, ["server", "tokens", "list", "--backend-store-uri", uri])
    assert "EXPIRES" in listed.output
    bad = runner.invoke(
        main,
        ["server", "tokens", "create", "ada", "--expires-in", "soon", "--backend-store-uri", uri],
    )
    assert bad.exit_code != 0 and "Invalid duration 'soon'" in bad.output


# -- constant-time comparisons -----------------------------------------------------------------
def test_token_digests_and_names_are_compared_in_constant_time(users, monkeypatch):
    compared: list[tuple[bytes | str, bytes | str]] = []
    real = auth_store_module.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth_store_module.hmac, "compare_digest", spy)
    _, secret = users.create_token("ada")
    assert users.authenticate_token(secret) is not None
    assert users.authenticate_password("ada", PASSWORD) is not None
    assert len(compared) == 2  # the token's digest, then the user name
    assert all(isinstance(a, type(b)) for a, b in compared)
