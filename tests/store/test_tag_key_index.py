"""SQLite's index of tag keys leaves out the tags every tracked run carries, and is still used.

Each entry of ``ix_tags_key`` costs an index page in the commit that creates a run; entries of a
key every run has select every run, so they help no search. The partial index keeps the rest, and
the two queries that start from a tag key (a search's ``IS NOT NULL`` and the liveness sweep's
candidates) must still be planned through it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.store.search import parse_filter, parse_order_by
from jupyter_mltrack.store.sql import raw
from jupyter_mltrack.store.sql.schema import DEFAULT_TAG_KEYS, indexed_tag_sql
from jupyter_mltrack.store.sql.search_sql import build_run_search
from jupyter_mltrack.store.sql.store import SqlStore
from jupyter_mltrack.tracking import _liveness_sql

DEFAULT_TAGS = {key: "x" for key in DEFAULT_TAG_KEYS}


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    opened = SqlStore(f"sqlite:///{tmp_path}/s.db", default_artifact_root=str(tmp_path / "a"))
    yield opened
    opened.close()


def _run(store: SqlStore, **tags: str) -> str:
    return _create(store, {**DEFAULT_TAGS, **tags})


def _create(store: SqlStore, tags: dict[str, str]) -> str:
    run = store.create_run(experiment_id="0", user_id="u", start_time=1, tags=tags, run_name="r")
    return run.info.run_id


def _ids(store: SqlStore, filter_string: str) -> list[str]:
    return [run.info.run_id for run in store.search_runs(["0"], filter_string, ViewType.ALL)]


def _index_entries(store: SqlStore) -> int:
    path = store.uri.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as conn:
        # INDEXED BY fails the statement outright if the index cannot serve it.
        sql = f"SELECT count(*) FROM tags INDEXED BY ix_tags_key WHERE {indexed_tag_sql('key')}"
        return int(conn.execute(sql).fetchone()[0])


def _plan(store: SqlStore, sql: str, params: tuple[object, ...]) -> str:
    path = store.uri.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "\n".join(row[-1] for row in rows)


def test_a_run_with_only_default_tags_adds_no_entry_to_the_key_index(store):  # type: ignore[no-untyped-def]
    _run(store)
    team = _run(store, team="vision")
    assert _index_entries(store) == 1
    assert _ids(store, "tags.team IS NOT NULL") == [team]


def test_is_not_null_on_a_sparse_tag_is_planned_from_the_key_index(store):  # type: ignore[no-untyped-def]
    marked = _run(store, sweep="1")
    _run(store)
    statement = build_run_search(
        ["0"], parse_filter("tags.sweep IS NOT NULL"), ViewType.ALL, parse_order_by([]),
        offset=0, limit=10,
    )  # fmt: skip
    compiled = statement.compile(
        dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    plan = _plan(store, str(compiled), ())
    assert "SEARCH present_0 USING COVERING INDEX ix_tags_key (key=?)" in plan
    assert _ids(store, "tags.sweep IS NOT NULL") == [marked]


def test_is_not_null_on_a_default_tag_finds_every_run_that_has_it(store):  # type: ignore[no-untyped-def]
    both = {_run(store), _run(store)}
    bare = _create(store, {})
    for key in ("mltrack.user", "mltrack.notebook.cellId"):
        assert set(_ids(store, f"tags.`{key}` IS NOT NULL")) == both
        assert _ids(store, f"tags.`{key}` IS NULL") == [bare]


def test_the_liveness_candidates_are_planned_from_the_key_index(store):  # type: ignore[no-untyped-def]
    running = _run(store, **{"mltrack.heartbeat": "5"})
    _run(store)
    found = _liveness_sql.running_with_heartbeat(store, "mltrack.heartbeat", ["mltrack.owner.pid"])
    assert found == {running: {"mltrack.owner.pid": "x"}}
    with store.engine.connect() as conn:
        sql = raw.render(conn, _liveness_sql.candidates_template(1))
    plan = _plan(store, sql, ("mltrack.heartbeat", "mltrack.owner.pid"))
    assert "SEARCH h USING COVERING INDEX ix_tags_key (key=?)" in plan
