"""Search compiled to SQL: the same expectations on SQLite, PostgreSQL and MySQL/MariaDB.

PostgreSQL and MariaDB tests run in a database created for this module and dropped afterwards.
They skip when the server is unreachable, unless CI=true, where that is a failure.
"""

from __future__ import annotations

import math
import os
import re
import uuid
import warnings
from collections.abc import Iterator, Sequence
from operator import eq, ge, gt, le, lt, ne
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.search import (
    NUMERIC_OPS,
    Comparison,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)
from jupyter_mltrack.store.sql import schema
from jupyter_mltrack.store.sql.search_sql import build_experiment_search, build_run_search

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/test",
}
MAX = schema.DOUBLE_MAX
INF, NAN = math.inf, math.nan


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ],
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}"
        yield from _filled(sa.create_engine(url))
        return
    server = os.environ.get(f"MLTRACK_TEST_{request.param.upper()}_URL", SERVERS[request.param])
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"mltrack_search_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        where = sa.make_url(server).render_as_string(hide_password=True)
        reason = f"{request.param} server at {where} is unreachable: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield from _filled(sa.create_engine(sa.make_url(server).set(database=name)))
    finally:
        with admin.connect() as connection:
            force = " WITH (FORCE)" if request.param == "postgresql" else ""
            connection.exec_driver_sql(f"DROP DATABASE {name}{force}")
        admin.dispose()


def _filled(engine: sa.Engine) -> Iterator[sa.Engine]:
    schema.metadata.create_all(engine)
    with engine.begin() as connection:
        _insert_data(connection)
    yield engine
    engine.dispose()


# Experiment 1. Each run: id, name, status, user, start, end, stage, metrics, params, tags.
# fmt: off
RUNS: list[tuple[Any, ...]] = [
    ("a", "alpha", "FINISHED", "alice", 1000, 2000, "active", {"acc": 0.5, "loss": 0.25},
     {"model": "rf", "lr": "0.1", "pct": "100%", "glob": "a*b"},
     {"team": "ml", "note": "Hello World", "path": "C:\\dir"}),
    ("b", "Beta", "FAILED", "bob", 2000, 3000, "active", {"acc": NAN, "loss": 1.0},
     {"model": "RF", "lr": "0.01", "pct": "1000", "glob": "axb"}, {"team": "ML", "path": "C:/dir"}),
    ("c", "gamma", "RUNNING", "alice", 3000, None, "active", {"acc": INF},
     {"model": "rf ", "glob": "a[x]b"}, {"team": "ml "}),
    ("d", "delta_1", "FINISHED", "carol", 4000, 5000, "active", {"acc": -INF, "loss": 0.25},
     {"model": "r_f", "glob": "a?b"}, {"team": "m%l"}),
    ("e", "Émile", "FINISHED", "bob", 5000, 6000, "active", {"acc": MAX}, {"model": "xgb"},
     {"team": "é"}),
    ("f", "epsilon", "KILLED", "carol", 6000, 7000, "active", {"acc": -MAX, "loss": 0.0}, {}, {}),
    ("g", "zeta", "FINISHED", "alice", 7000, 8000, "active", {}, {"model": "svm", "lr": "0.1"},
     {"team": "ml"}),
    ("h", "gone", "FINISHED", "alice", 8000, 9000, "deleted", {"acc": 0.9}, {"model": "rf"},
     {"team": "ml"}),
]
# Experiment 3: one run per string (param p) and per number (metric m), for property tests.
STRINGS = ["", "a", "A", "ab", "aB", "a b", "a ", "a%", "a_b", "a\\b", "a*b", "a?b", "a[b]",
           "É", "é", "ÉA", "%", "_", "\\", "b", "ba", "abab", "a%b", "A_B"]
NUMBERS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, -1e300, MAX, -MAX, INF, -INF, NAN, 5e-324]
# id, name, stage, creation_time, last_update_time, tags
EXPERIMENTS = [
    (1, "exp-one", "active", 100, 500, {"team": "ml"}),
    (2, "Exp-two", "active", 200, 300, {"team": "ML", "a b": "x"}),
    (3, "old", "deleted", 50, 60, {"team": "ml"}),
    (4, "no-time", "active", None, None, {}),
]
# fmt: on
ACTIVE = "abcdefg"
# Experiment 2: three runs with equal start times (ties break by run id).
TIES = [("x2", {"acc": 0.7}), ("x3", {}), ("x1", {})]


def _run_row(run_id: str, experiment_id: int, start: int, **fields: Any) -> dict[str, Any]:
    row = dict(run_uuid=run_id, name=run_id, experiment_id=experiment_id, user_id="u")
    row |= dict(status="FINISHED", start_time=start, end_time=None, lifecycle_stage="active")
    return row | {"artifact_uri": f"file:///art/{run_id}"} | fields


def _metric_rows(
    run_id: str, metrics: dict[str, float], experiment_id: int, stage: str = "active"
) -> list[dict[str, Any]]:
    rows = []
    for key, value in metrics.items():
        stored, kind = schema.encode_metric_value(value)
        row = dict(run_uuid=run_id, key=key, value=stored, kind=kind, timestamp=0, step=0)
        rows.append(row | dict(experiment_id=experiment_id, lifecycle_stage=stage))
    return rows


def _insert_data(connection: sa.Connection) -> None:
    for eid, name, stage, created, updated, experiment_tags in EXPERIMENTS:
        row = {"experiment_id": eid, "name": name, "artifact_location": f"file:///e/{eid}"}
        row |= {"lifecycle_stage": stage, "creation_time": created, "last_update_time": updated}
        connection.execute(schema.experiments.insert(), row)
        for key, value in experiment_tags.items():
            connection.execute(
                schema.experiment_tags.insert(), {"experiment_id": eid, "key": key, "value": value}
            )
    runs, metrics, params, tags = [], [], [], []
    for rid, name, status, user, start, end, stage, m, p, t in RUNS:
        fields = {"name": name, "status": status, "user_id": user, "end_time": end}
        runs.append(_run_row(rid, 1, start, lifecycle_stage=stage, **fields))
        metrics += _metric_rows(rid, m, 1, stage)
        params += [{"run_uuid": rid, "key": k, "value": v} for k, v in p.items()]
        tags += [{"run_uuid": rid, "key": k, "value": v} for k, v in t.items()]
    for rid, m in TIES:
        runs.append(_run_row(rid, 2, 100))
        metrics += _metric_rows(rid, m, 2)
    for i, text in enumerate(STRINGS):
        runs.append(_run_row(f"s{i}", 3, i))
        params.append({"run_uuid": f"s{i}", "key": "p", "value": text})
    for i, number in enumerate(NUMBERS):
        runs.append(_run_row(f"n{i}", 3, i))
        metrics += _metric_rows(f"n{i}", {"m": number}, 3)
    connection.execute(schema.runs.insert(), runs)
    for table, rows in zip(
        (schema.latest_metrics, schema.params, schema.tags), (metrics, params, tags), strict=True
    ):
        connection.execute(table.insert(), rows)


def search(
    engine: sa.Engine,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    *,
    experiment_ids: Sequence[str] = ("1",),
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    offset: int = 0,
    limit: int | None = None,
) -> list[str]:
    statement = build_run_search(
        experiment_ids,
        parse_filter(filter_string),
        view_type,
        parse_order_by(order_by),
        offset=offset,
        limit=limit,
    )
    with engine.connect() as connection:
        return [row.run_uuid for row in connection.execute(statement)]


FILTERS = [
    ("", ACTIVE),
    ("metrics.acc > 0.4", "ace"),
    ("metrics.acc = 0.5", "a"),
    ("metrics.acc != 0.5", "bcdef"),
    ("metrics.acc = 0", ""),
    ("metrics.acc < 0", "df"),
    ("metrics.acc >= 1.7976931348623157e308", "ce"),
    ("metrics.acc > 1.7976931348623157e308", "c"),
    ("metrics.acc = 1.7976931348623157e308", "e"),
    ("metrics.acc != 1.7976931348623157e308", "abcdf"),
    ("metrics.acc <= 1.7976931348623157e308", "adef"),
    ("metrics.acc < 1.7976931348623157e308", "adf"),
    ("metrics.acc < -1.7976931348623157e308", "d"),
    ("metrics.acc <= -1.7976931348623157e308", "df"),
    ("metrics.acc >= -1.7976931348623157e308", "acef"),
    ("metrics.acc > -1.7976931348623157e308", "ace"),
    ("metrics.acc = -1.7976931348623157e308", "f"),
    ("metrics.loss = 0", "f"),
    ("metrics.loss = 0.25", "ad"),
    ("metrics.acc > 0.4 and metrics.loss < 1", "a"),
    ("metrics.nope != 1", ""),
    ("params.model = 'rf'", "a"),
    ("params.model != 'rf'", "bcdeg"),
    ("params.model LIKE 'rf%'", "ac"),
    ("params.model LIKE 'r_f'", "d"),
    ("params.model LIKE 'r\\_f'", "d"),
    ("params.model ILIKE 'rf'", "ab"),
    ("params.model ILIKE 'RF%'", "abc"),
    ("params.model IN ('rf', 'xgb')", "ae"),
    ("params.model NOT IN ('rf', 'xgb')", "bcdg"),
    ("params.model IS NULL", "f"),
    ("params.model IS NOT NULL", "abcdeg"),
    ("params.pct LIKE '100\\%'", "a"),
    ("params.pct LIKE '100%'", "ab"),
    ("params.glob LIKE 'a*b'", "a"),
    ("params.glob LIKE 'a?b'", "d"),
    ("params.glob LIKE 'a[x]b'", "c"),
    ("params.glob LIKE 'a_b'", "abd"),
    ("params.lr = '0.1'", "ag"),
    ("params.lr = '0.1' and params.model = 'svm'", "g"),
    ("params.nope != 'x'", ""),
    ("tags.path = 'C:\\\\dir'", "a"),
    ("tags.path LIKE 'C:\\\\\\\\dir'", "a"),
    ("tags.team = 'ml'", "ag"),
    ("tags.team != 'ml'", "bcde"),
    ("tags.team ILIKE 'ml'", "abg"),
    ("tags.team LIKE 'ml%'", "acg"),
    ("tags.team LIKE 'm\\%l'", "d"),
    ("tags.team = 'é'", "e"),
    ("tags.team IS NULL", "f"),
    ("tags.note LIKE 'hello%'", ""),
    ("tags.note ILIKE 'hello%'", "a"),
    ("attributes.status = 'FINISHED'", "adeg"),
    ("status = 'finished'", ""),
    ("status IN ('FAILED', 'KILLED')", "bf"),
    ("status NOT IN ('FINISHED')", "bcf"),
    ("attributes.run_name = 'alpha'", "a"),
    ("run_name ILIKE 'BETA'", "b"),
    ("run_name ILIKE 'emile'", ""),  # accent-sensitive everywhere
    ("run_name LIKE 'e%'", "f"),
    ("run_name LIKE 'É%'", "e"),
    ("run_name LIKE '%\\_1'", "d"),
    ("tags.mlflow.runName = 'gamma'", "c"),
    ("user_id = 'alice'", "acg"),
    ("start_time >= 3000 and start_time < 6000", "cde"),
    ("end_time > 4000", "defg"),
    ("end_time != 2000", "bdefg"),
    ("created > 6000.5", "g"),
    ("run_id = 'a'", "a"),
    ("run_id IN ('a', 'b', 'zz')", "ab"),
    ("attributes.run_uuid != 'b'", "acdefg"),
    ("experiment_id = '1'", ACTIVE),
    ("experiment_id = '2'", ""),
    ("experiment_id IN ('2', '1')", ACTIVE),
    ("experiment_id = '01'", ""),
    ("experiment_id != 'x'", ACTIVE),
    ("experiment_id NOT IN ('1')", ""),
    ("experiment_id LIKE '1%'", ACTIVE),
    ("lifecycle_stage = 'active'", ACTIVE),
    ("artifact_uri = 'file:///art/a'", "a"),
]


@pytest.mark.parametrize(("filter_string", "expected"), FILTERS)
def test_filter(engine: sa.Engine, filter_string: str, expected: str) -> None:
    assert sorted(search(engine, filter_string)) == sorted(expected)


ORDERS = [
    (None, "gfedcba"),
    (["start_time ASC"], "abcdefg"),
    (["metrics.acc"], "dfaecbg"),
    (["metrics.acc DESC"], "bceafdg"),
    (["metrics.loss DESC"], "bdafgec"),
    (["params.model"], "bdacgef"),
    (["params.model DESC"], "egcadbf"),
    (["tags.team"], "bdgacef"),
    (["run_name"], "badfcge"),
    (["end_time"], "abdefgc"),
    (["end_time DESC"], "gfedbac"),
    (["status"], "bgedafc"),
    (["status", "metrics.acc DESC"], "beadgfc"),
    (["run_id DESC"], "gfedcba"),
    (["user_id", "created"], "acgbedf"),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDERS)
def test_order_by(engine: sa.Engine, order_by: list[str] | None, expected: str) -> None:
    assert search(engine, order_by=order_by) == list(expected)


def test_ties_break_by_start_time_then_run_id(engine: sa.Engine) -> None:
    assert search(engine, experiment_ids=["2"]) == ["x1", "x2", "x3"]
    assert search(engine, order_by=["metrics.acc DESC"], experiment_ids=["2"]) == ["x2", "x1", "x3"]


def test_view_types_and_experiments(engine: sa.Engine) -> None:
    assert search(engine, view_type=ViewType.DELETED_ONLY) == ["h"]
    assert search(engine, "params.model = 'rf'", view_type=ViewType.ALL) == ["h", "a"]
    assert search(engine, "metrics.acc > 0.6", experiment_ids=["1", "2"]) == ["e", "c", "x2"]
    assert search(engine, experiment_ids=[]) == []
    assert search(engine, experiment_ids=["99"]) == []


def test_pages(engine: sa.Engine) -> None:
    assert search(engine, offset=2, limit=3) == ["e", "d", "c"]
    assert search(engine, offset=6) == ["a"]
    assert search(engine, offset=7, limit=5) == []


def test_bad_experiment_id() -> None:
    with pytest.raises(InvalidParameterError, match="Invalid experiment id 'x'"):
        build_run_search(["1", "x"], (), ViewType.ALL, (), offset=0, limit=None)


def find_experiments(
    engine: sa.Engine,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
) -> list[int]:
    statement = build_experiment_search(
        parse_experiment_filter(filter_string),
        view_type,
        parse_experiment_order_by(order_by),
        offset=0,
        limit=None,
    )
    with engine.connect() as connection:
        return [row.experiment_id for row in connection.execute(statement)]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", [2, 1, 4]),
        ("name = 'exp-one'", [1]),
        ("name LIKE 'exp%'", [1]),
        ("name ILIKE 'exp%'", [2, 1]),
        ("name != 'exp-one'", [2, 4]),
        ("tags.team = 'ml'", [1]),
        ("tags.team ILIKE 'ml'", [2, 1]),
        ("tags.team != 'ml'", [2]),
        ("tags.`a b` = 'x'", [2]),
        ("creation_time > 100", [2]),
        ("last_update_time < 400", [2]),
        ("experiment_id IN ('1', '4')", [1, 4]),
    ],
)
def test_experiment_filter(engine: sa.Engine, filter_string: str, expected: list[int]) -> None:
    assert find_experiments(engine, filter_string) == expected


@pytest.mark.parametrize(
    ("order_by", "view_type", "expected"),
    [
        (None, ViewType.ALL, [2, 1, 3, 4]),
        (None, ViewType.DELETED_ONLY, [3]),
        (["name DESC"], ViewType.ACTIVE_ONLY, [4, 1, 2]),
        (["last_update_time"], ViewType.ACTIVE_ONLY, [2, 1, 4]),
        (["last_update_time DESC"], ViewType.ACTIVE_ONLY, [1, 2, 4]),
        (["experiment_id DESC"], ViewType.ACTIVE_ONLY, [4, 2, 1]),
        (["tags.team"], ViewType.ACTIVE_ONLY, [2, 1, 4]),
    ],
)
def test_experiment_order(
    engine: sa.Engine, order_by: list[str] | None, view_type: ViewType, expected: list[int]
) -> None:
    assert find_experiments(engine, order_by=order_by, view_type=view_type) == expected


# -- against a Python model of the semantics ---------------------------------------------------
def _like_regex(pattern: str) -> str:
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        else:
            out.append({"%": ".*", "_": "."}.get(char) or re.escape(char))
    return "".join(out)


def contains(value: str, values: Sequence[str]) -> bool:
    return value in values


def excludes(value: str, values: Sequence[str]) -> bool:
    return value not in values


def _matches(op: str, value: str, target: Any) -> bool:
    if op in ("LIKE", "ILIKE"):
        flags = re.DOTALL | (re.IGNORECASE | re.ASCII if op == "ILIKE" else 0)
        return re.fullmatch(_like_regex(target), value, flags) is not None
    return bool({"=": eq, "!=": ne, "IN": contains, "NOT IN": excludes}[op](value, target))


def _found(engine: sa.Engine, comparison: Comparison) -> set[str]:
    statement = build_run_search(["3"], (comparison,), ViewType.ALL, (), offset=0, limit=None)
    with engine.connect() as connection:
        return {row.run_uuid for row in connection.execute(statement)}


PATTERN = st.text(st.sampled_from("aAbB%_\\*?[] "), max_size=5)


@settings(max_examples=60, deadline=None)
@given(op=st.sampled_from(["LIKE", "ILIKE", "=", "!="]), pattern=PATTERN)
def test_string_semantics_match_python(engine: sa.Engine, op: str, pattern: str) -> None:
    # Non-ASCII case folding differs by backend (SQLite folds ASCII only), so ILIKE sees ASCII.
    corpus = [(i, s) for i, s in enumerate(STRINGS) if op != "ILIKE" or s.isascii()]
    expected = {f"s{i}" for i, s in corpus if _matches(op, s, pattern)}
    found = _found(engine, Comparison("param", "p", op, pattern)) & {f"s{i}" for i, _ in corpus}
    assert found == expected


@settings(max_examples=60, deadline=None)
@given(
    op=st.sampled_from(NUMERIC_OPS),
    target=st.one_of(
        st.sampled_from([n for n in NUMBERS if math.isfinite(n)]),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
)
def test_metric_semantics_match_python(engine: sa.Engine, op: str, target: float) -> None:
    compare = {"=": eq, "!=": ne, "<": lt, "<=": le, ">": gt, ">=": ge}[op]
    expected = {f"n{i}" for i, n in enumerate(NUMBERS) if compare(n, target)}
    assert _found(engine, Comparison("metric", "m", op, target)) == expected


def test_strings_order_by_code_point(engine: sa.Engine) -> None:
    found = search(engine, "params.p LIKE '%'", ["params.p DESC"], experiment_ids=["3"])
    by_value = sorted(range(len(STRINGS)), key=lambda i: (STRINGS[i], -i), reverse=True)
    assert found == [f"s{i}" for i in by_value]


# -- statement shape ---------------------------------------------------------------------------
def test_statements_are_cached_by_shape() -> None:
    def build(value: float, name: str) -> sa.Select[Any]:
        text = f"metrics.acc > {value} and params.m LIKE '{name}' and tags.t = '{name}'"
        return build_run_search(
            ["1"],
            parse_filter(text),
            ViewType.ACTIVE_ONLY,
            parse_order_by(["params.m DESC"]),
            offset=0,
            limit=10,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first, second = build(0.5, "a%"), build(0.7, "b")
        assert first._generate_cache_key() == second._generate_cache_key()
        different = build_run_search(
            ["1"], parse_filter("params.m = 'a'"), ViewType.ALL, (), offset=0, limit=None
        )
        assert first._generate_cache_key() != different._generate_cache_key()
