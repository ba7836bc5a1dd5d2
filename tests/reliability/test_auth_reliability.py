"""Auth under attack, on a real ``mltrack server --auth --workers 2``: guessing is throttled
across workers (429 with ``Retry-After``), tokens expire, password checks cost the same for known
and unknown users, and no credential shows up in the server's log, in client errors or in reprs.
"""

from __future__ import annotations

import base64
import logging
import os
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from reliability_figures import report
from serverproc import ServerProcess, free_port, mltrack_server

from jupyter_mltrack.errors import MltrackError, Unauthenticated
from jupyter_mltrack.server.app import open_server_store
from jupyter_mltrack.server.auth import AuthStore, Role
from jupyter_mltrack.server.auth.store import tokens

pytestmark = [pytest.mark.server, pytest.mark.slow]

PASSWORD = "S3cret-pw-of-ada"  # what must never be seen in a log or a message
GUESSES = [f"Guess-{i}-Xq9" for i in range(8)]
MAX_FAILURES = 3
GET = "/api/2.0/mlflow/experiments/get?experiment_id=0"


def _status(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={**headers, "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, _lower(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, _lower(exc.headers), exc.read().decode()


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, AuthStore]]:
    root: Path = tmp_path_factory.mktemp("auth-server")
    uri = f"sqlite:///{root / 'mltrack.db'}"
    store = open_server_store(uri)
    users = AuthStore(store.engine)
    users.create_user("ada", Role.WRITE, PASSWORD)
    users.create_user("bob", Role.READ, PASSWORD)
    with mltrack_server(
        "--backend-store-uri", uri, "--auth", "--workers", "2",
        "--auth-max-failures", str(MAX_FAILURES), "--auth-max-failures-per-address", "100",
        "--auth-lockout-seconds", "120",
        cwd=root,
        # Every header is checked against the database, as a guesser's new passwords are.
        env={"MLTRACK_SERVER_AUTH_CACHE_SECONDS": "0"},
    ) as server:  # fmt: skip
        yield server, users
    store.close()


def test_guessing_is_throttled_across_workers(served):
    server, _ = served
    codes = []
    for guess in GUESSES:  # a new connection each time: the kernel spreads them over workers
        code, headers, body = _status(server.url + GET, _basic("ada", guess))
        codes.append(code)
        if code == 429:
            retry_after = int(headers["retry-after"])
            assert "Too many failed logins" in body
            break
    failures = codes.index(429) if 429 in codes else len(codes)
    report(
        "auth throttle (2 workers)",
        failures_before_429=failures,
        limit=MAX_FAILURES,
        retry_after_s=retry_after if 429 in codes else None,
    )
    assert codes == [401] * MAX_FAILURES + [429]  # counted in the database, not per worker
    assert 1 <= retry_after <= 120
    assert _status(server.url + GET, _basic("ada", PASSWORD))[0] == 429  # locked for now
    assert _status(server.url + GET, _basic("bob", PASSWORD))[0] == 200


def test_expired_tokens_get_a_clear_401(served, monkeypatch):
    server, users = served
    _, valid = users.create_token("bob", expires_in=3600)
    assert _status(server.url + GET, {"Authorization": f"Bearer {valid}"})[0] == 200
    info, secret = users.create_token("bob", expires_in=3600)
    with users.engine.begin() as conn:  # its hour is over before it is first used
        conn.execute(tokens.update().where(tokens.c.id == info.id).values(expires=1))
    bearer = {"Authorization": f"Bearer {secret}"}
    code, _, body = _status(server.url + GET, bearer)
    assert code == 401 and "token expired" in body and secret not in body
    # Through the REST client: the error says so and shows no secret either.
    from jupyter_mltrack.store.rest.store import RestStore

    monkeypatch.setenv("MLTRACK_TRACKING_TOKEN", secret)
    monkeypatch.setenv("MLTRACK_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(Unauthenticated, match="token expired") as caught:
        RestStore(server.url, http=_fresh_client(server.url)).get_experiment("0")
    assert secret not in str(caught.value)


def _fresh_client(url: str) -> Any:
    from jupyter_mltrack.store.rest.http import HttpClient

    return HttpClient(url, max_retries=0)


def test_no_credential_in_logs_errors_or_reprs(served, caplog):
    server, _ = served
    from jupyter_mltrack import TrackingClient
    from jupyter_mltrack.store.rest.store import RestStore
    from jupyter_mltrack.store.sql.store import mask_password

    caplog.set_level(logging.DEBUG)
    host = server.url.removeprefix("http://")
    shown: list[str] = []
    # A wrong password in the URI: the 401 names neither it nor the URI's password.
    wrong = f"http://ada:{GUESSES[-1]}@{host}"
    with pytest.raises(MltrackError) as refused:
        RestStore(wrong, http=_fresh_client(wrong)).get_experiment("0")
    shown.append(str(refused.value))
    # An unreachable server: the message names the server, not the password.
    closed = f"http://ada:{PASSWORD}@127.0.0.1:{free_port()}"
    with pytest.raises(MltrackError) as unreachable:
        RestStore(closed, http=_fresh_client(closed)).get_experiment("0")
    shown.append(str(unreachable.value))
    shown.append(repr(RestStore(closed, http=_fresh_client(closed))))
    client = TrackingClient(f"http://ada:{PASSWORD}@{host}")
    shown.append(repr(client))
    shown.append(mask_password(f"postgresql://ada:{PASSWORD}@db/x"))
    shown.append(mask_password("postgresql://ada:p@ss@db/x"))  # an unencoded "@" in a password
    shown.append(server.output())  # the server's own log: banner, warnings, errors
    shown.extend(record.getMessage() for record in caplog.records)
    leaks = [text for text in shown if PASSWORD in text or "Guess-" in text or "p@ss" in text]
    report("auth credential audit", texts_checked=len(shown), leaks=len(leaks))
    assert leaks == []
    assert repr(client) == f"TrackingClient('http://ada:***@{host}')"
    assert "Refused a login" in server.output()  # the lockout was logged, by address only


def test_password_checks_cost_the_same_for_unknown_users(served):
    _, users = served
    known, unknown = [], []
    cpu_start = time.process_time()
    for index in range(6):
        for name, into in (("bob", known), (f"nobody-{index}", unknown)):
            start = time.perf_counter()
            assert users.authenticate_password(name, f"wrong-{index}-pw") is None
            into.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_start
    ratio = statistics.median(unknown) / statistics.median(known)
    report(
        "auth timing (argon2, wrong password)",
        known_user_p50_ms=statistics.median(known) * 1000,
        unknown_user_p50_ms=statistics.median(unknown) * 1000,
        unknown_to_known=ratio,
        cpu_s=cpu,
    )
    # No timed assertion (wall clock is noisy here): the figures above are the evidence; the
    # unit tests check that digests and names go through hmac.compare_digest.


def test_throttle_counters_are_shared_rows(served):
    _, users = served
    with users.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT scope, failures FROM mltrack_auth_failures")).all()
    scopes = dict(rows)
    report("auth throttle rows", rows=len(rows), ada_failures=scopes.get("user:ada"))
    assert scopes.get("user:ada", 0) >= MAX_FAILURES
    assert os.environ.get("MLTRACK_SERVER_AUTH_MAX_FAILURES") is None  # set for the server only


def test_the_rest_client_reports_a_lockout_at_once(served, monkeypatch):
    """A 429 asking to wait minutes is a clear error now, not minutes of silent retries."""
    from jupyter_mltrack.store.rest.http import ServerUnreachable
    from jupyter_mltrack.tracking.client import TrackingClient

    server, users = served
    users.create_user("cyd", Role.READ, PASSWORD)
    monkeypatch.setenv("MLTRACK_TRACKING_USERNAME", "cyd")
    client = TrackingClient(server.url)
    for guess in GUESSES[:MAX_FAILURES]:  # new guesses: a refused header is cached as refused
        monkeypatch.setenv("MLTRACK_TRACKING_PASSWORD", guess)
        with pytest.raises(MltrackError):
            client.search_experiments()
    monkeypatch.setenv("MLTRACK_TRACKING_PASSWORD", GUESSES[MAX_FAILURES])
    started = time.monotonic()
    with pytest.raises(MltrackError, match="Too many failed logins") as locked:
        client.search_experiments()
    assert not isinstance(locked.value, ServerUnreachable)
    report("auth lockout over REST", seconds_to_error=time.monotonic() - started)
    assert time.monotonic() - started < 30  # no backoff loop (60 s caps one wait)


def test_the_server_takes_its_credential_cache_from_the_environment(served):
    """MLTRACK_SERVER_AUTH_CACHE_SECONDS=0 (set for this server): a revoked token stops at once."""
    server, users = served
    info, token = users.create_token("bob")
    bearer = {"Authorization": f"Bearer {token}"}
    assert _status(server.url + GET, bearer)[0] == 200
    users.revoke_token(info.id)
    assert _status(server.url + GET, bearer)[0] == 401  # not trusted from a 10 s cache
