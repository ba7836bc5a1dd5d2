"""Hostile input, part 1: every value of a search reaches the database as a bound parameter.

Search filters name user values (param/tag values, names, ids) inside quotes. Each test stores
values that are SQL injection payloads, searches for them, and proves two things on SQLite and
PostgreSQL:

- the answer is exactly the entities holding that value (no more: the payload did not widen the
  WHERE clause; no less: quoting and escaping survived the trip);
- no SQL statement sent to the driver contains the value's text: every statement is captured
  (SQLAlchemy's ``before_cursor_execute`` event for Core statements, and a spy on
  :func:`jupyter_mltrack.store.sql.raw.render` for the hand-written hot-path SQL), and every
  value carries a marker that no statement of ours contains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_figures import report

from jupyter_mltrack import RegistryClient, TrackingClient
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.sql import raw

MARK = "zqv"  # in every hostile value; in no table, column or keyword of ours
PAYLOADS = (
    "x' OR '1'='1",
    "'; DROP TABLE runs; --",
    '" OR ""="',
    "a%' --",
    "1); DELETE FROM params; --",
    "' UNION SELECT run_uuid, name FROM runs --",
    "Robert'); DROP TABLE experiments;--",
    "\\'; SELECT 1; --",
    "$$; DROP TABLE runs; $$",
    "%_\\%\\_",
    'x") OR 1=1 /*',
    "'' OR ''='",
    "0x27 OR 1=1",
    "\\\\' OR 1=1 --",
    "é'ü\u202e OR 1=1",
)
VALUES = tuple(f"{MARK}{n} {p}" for n, p in enumerate(PAYLOADS))


def quote(value: str) -> str:
    """Write ``value`` as a filter string literal (backslash escapes for \\ and ')."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def like_quote(value: str) -> str:
    """Write ``value`` as a LIKE pattern that matches exactly it."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return quote(escaped)


class Statements:
    """Every SQL statement the process sends to a driver while capturing."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def core(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.sent.append(statement)

    def leaked(self) -> list[str]:
        return [s for s in self.sent if MARK in s]


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    captured = Statements()
    real_render = raw.render

    def spy(conn: sa.Connection, template: str) -> str:
        text = real_render(conn, template)
        captured.sent.append(text)
        return text

    monkeypatch.setattr(raw, "render", spy)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", captured.core)
    yield captured
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", captured.core)


@pytest.fixture(params=["sqlite", "postgres"])
def uri(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hostile.db'}"
    make: Callable[[str], str] = request.getfixturevalue("server_database_uri")
    return make("postgres")


def _check(kind: str, found: set[str], expected: set[str], statements: Statements) -> None:
    assert found == expected, f"{kind}: got {found}, expected {expected}"
    leaked = statements.leaked()
    assert not leaked, f"{kind}: a user value reached the SQL text: {leaked[0][:300]}"


def test_run_and_experiment_searches_bind_every_value(uri: str, statements: Statements) -> None:
    client = TrackingClient(uri)
    experiment_id = client.create_experiment("hostile")
    runs = {}
    for value in VALUES:
        run = client.create_run(experiment_id, run_name=value, tags={"t": value})
        client.log_param(run.info.run_id, "p", value)
        runs[value] = run.info.run_id
    experiments = {v: client.create_experiment(v) for v in VALUES}
    statements.sent.clear()
    searches = 0
    for value in VALUES:
        want = {runs[value]}
        for filter_string in (
            f"params.p = {quote(value)}",
            f"tags.t = {quote(value)}",
            f"attributes.run_name = {quote(value)}",
            f"params.p IN ({quote(value)}, {quote(MARK + ' none')})",
            f"params.p LIKE {like_quote(value)}",
            f"params.p ILIKE {like_quote(value)}",
            f"params.p != {quote(MARK + ' none')} AND params.p = {quote(value)}",
        ):
            found = {r.info.run_id for r in client.search_runs([experiment_id], filter_string)}
            _check(filter_string, found, want, statements)
            searches += 1
        found = {
            e.experiment_id
            for e in client.search_experiments(filter_string=f"name = {quote(value)}")
        }
        _check("experiment name", found, {experiments[value]}, statements)
        searches += 1
    # A payload in the key position is a key nobody has: nothing matches, nothing leaks.
    for value in VALUES[:5]:
        key = value.replace("`", "")
        assert client.search_runs([experiment_id], f"params.`{key}` = 'x'") == []
        searches += 1
    assert not statements.leaked()
    # The capture itself is live: a statement with a value written into it is caught.
    with client.store.engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.text(f"SELECT '{MARK} canary'"))
    assert statements.leaked()
    report(
        f"6 sql-binding runs+experiments [{uri.split(':')[0]}]",
        payloads=len(VALUES),
        searches=searches,
        statements=len(statements.sent),
        values_in_sql=0,
        defects=0,
    )


def test_registry_and_logged_model_searches_bind_every_value(
    uri: str, statements: Statements
) -> None:
    client = TrackingClient(uri)
    registry = RegistryClient(uri)
    experiment_id = client.create_experiment("hostile-models")
    run_id = client.create_run(experiment_id).info.run_id
    store: Any = client.store  # a SqlStore: it has the logged-model methods
    models: dict[str, tuple[str, int]] = {}
    logged: dict[str, str] = {}
    for n, value in enumerate(VALUES):
        name = f"model-{n}"
        registry.create_registered_model(name, tags={"t": value}, description=value)
        created = registry.create_model_version(
            name, f"runs:/{run_id}/model", run_id, tags={"t": value}
        )
        models[value] = (name, created.version)
        lm = store.create_logged_model(
            experiment_id, name=f"lm-{n}", params={"p": value}, tags={"t": value}
        )
        logged[value] = lm.model_id
    statements.sent.clear()
    for value in VALUES:
        name, version = models[value]
        found = {m.name for m in registry.search_registered_models(f"tags.t = {quote(value)}")}
        _check("registered model tag", found, {name}, statements)
        filter_string = f"tags.t = {quote(value)} AND name LIKE {like_quote(name)}"
        found = {f"{v.name}/{v.version}" for v in registry.search_model_versions(filter_string)}
        _check("model version tag", found, {f"{name}/{version}"}, statements)
        for filter_string in (f"params.p = {quote(value)}", f"tags.t = {quote(value)}"):
            page = store.search_logged_models([experiment_id], filter_string=filter_string)
            _check(
                f"logged model {filter_string}",
                {m.model_id for m in page},
                {logged[value]},
                statements,
            )
    report(
        f"6 sql-binding registry+logged-models [{uri.split(':')[0]}]",
        payloads=len(VALUES),
        statements=len(statements.sent),
        values_in_sql=0,
        defects=0,
    )


# Printable text with the characters that matter to SQL and to the filter language.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("'\"\\%_`;-/*()=<>! \t\n"),
        st.characters(codec="utf-8", exclude_characters="\x00"),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(text=_TEXT)
def _search_roundtrip(
    client: TrackingClient, experiment_id: str, stored: dict[str, set[str]], text: str
) -> None:
    value = MARK + text
    if value not in stored:
        run_id = client.create_run(experiment_id).info.run_id
        client.log_param(run_id, "p", value)
        stored[value] = {run_id}
    found = {
        r.info.run_id for r in client.search_runs([experiment_id], f"params.p = {quote(value)}")
    }
    assert found == stored[value], (value, found)


def test_generated_values_round_trip_through_search(uri: str, statements: Statements) -> None:
    client = TrackingClient(uri)
    experiment_id = client.create_experiment("generated")
    stored: dict[str, set[str]] = {}
    _search_roundtrip(client, experiment_id, stored)
    leaked = statements.leaked()
    assert not leaked, leaked[0][:300]
    report(
        f"6 sql-binding generated [{uri.split(':')[0]}]",
        examples=len(stored),
        statements=len(statements.sent),
        values_in_sql=0,
    )


@pytest.mark.parametrize(
    "filter_string",
    [
        "params.p = 'x'; DROP TABLE runs; --",
        "params.p = 'x' OR 1=1",
        "params.p = 'x' -- comment",
        "params.p = 'x' UNION SELECT 1",
        "params.p = x",
        "params.p = 'unterminated",
        "metrics.m > 1; --",
        "attributes.run_id IN ('a') OR 1=1",
    ],
)
def test_injected_syntax_is_a_parse_error(filter_string: str, tmp_path: Any) -> None:
    client = TrackingClient(f"sqlite:///{tmp_path / 'syntax.db'}")
    experiment_id = client.create_experiment("syntax")
    with pytest.raises(InvalidParameterError, match="filter_string"):
        client.search_runs([experiment_id], filter_string)
