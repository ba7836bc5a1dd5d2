"""The read-model search paths agree with the one-statement search on every backend.

A search ordered first by a metric runs as two statements (runs having the metric, in index
order, then runs lacking it) and a metric-only count reads the read model alone; both must give
exactly what the reference statement of ``test_search_sql.py`` gives, NaN, +/-inf, the clamp
values, missing metrics, deleted runs and paging included.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from test_search_sql import engine, search  # noqa: F401 - the filled-database fixture

from jupyter_mltrack.entities import ViewType
from jupyter_mltrack.store.search import parse_filter, parse_order_by
from jupyter_mltrack.store.sql.reads import _split_page
from jupyter_mltrack.store.sql.search_sql import build_run_count, build_run_search_split

FILTERS = ["", "metrics.acc > 0.4", "metrics.acc != 0.5", "metrics.loss <= 0.25",
           "metrics.acc > -1e308 and metrics.loss < 1", "params.model = 'rf'",
           "metrics.acc >= 0 and params.lr = '0.1'"]  # fmt: skip
ORDERS = [["metrics.acc"], ["metrics.acc DESC"], ["metrics.loss DESC", "params.model"],
          ["metrics.loss", "metrics.acc DESC"], ["metrics.missing"]]  # fmt: skip
VIEWS = [ViewType.ACTIVE_ONLY, ViewType.ALL, ViewType.DELETED_ONLY]


def split_search(
    engine: sa.Engine,  # noqa: F811
    filter_string: str,
    order_by: Sequence[str],
    *,
    experiment_ids: Sequence[str] = ("1",),
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    offset: int = 0,
    limit: int | None = None,
) -> list[str]:
    split = build_run_search_split(
        experiment_ids, parse_filter(filter_string), view_type, parse_order_by(order_by)
    )
    assert split is not None
    with engine.connect() as connection:
        return [row[0] for row in _split_page(connection, split, offset, limit)]


@pytest.mark.parametrize("order_by", ORDERS)
@pytest.mark.parametrize("filter_string", FILTERS)
def test_split_search_matches_the_reference(
    engine: sa.Engine,  # noqa: F811
    filter_string: str,
    order_by: list[str],
) -> None:
    for view in VIEWS:
        expected = search(engine, filter_string, order_by, view_type=view)
        assert split_search(engine, filter_string, order_by, view_type=view) == expected


@pytest.mark.parametrize("order_by", [["metrics.acc"], ["metrics.loss DESC"]])
def test_split_pages_cross_from_present_to_missing(
    engine: sa.Engine,  # noqa: F811
    order_by: list[str],
) -> None:
    everything = search(engine, "", order_by)
    for limit in (1, 2, 3, None):
        for offset in range(len(everything) + 2):
            page = split_search(engine, "", order_by, offset=offset, limit=limit)
            end = None if limit is None else offset + limit
            assert page == everything[offset:end], (offset, limit)


@pytest.mark.parametrize("ascending", [True, False])
def test_split_orders_special_values_like_the_reference(
    engine: sa.Engine,  # noqa: F811
    ascending: bool,
) -> None:
    # Experiment 3 holds 0, -0, the clamps, +/-inf, NaN and subnormals in metric m.
    order = ["metrics.m" + ("" if ascending else " DESC")]
    expected = search(engine, "", order, experiment_ids=["3"], view_type=ViewType.ALL)
    found = split_search(engine, "", order, experiment_ids=["3"], view_type=ViewType.ALL)
    assert found == expected


def test_only_metric_orders_split() -> None:
    def split(order: list[str]) -> object:
        return build_run_search_split(["1"], (), ViewType.ALL, parse_order_by(order))

    assert split(["start_time"]) is None
    assert split(["params.model", "metrics.acc"]) is None
    assert split(["metrics.acc"]) is not None


@pytest.mark.parametrize("filter_string", [*FILTERS, "metrics.acc > 0.4 and metrics.acc < 1e308"])
def test_count_matches_the_search(engine: sa.Engine, filter_string: str) -> None:  # noqa: F811
    for view in VIEWS:
        for experiments in (["1"], ["1", "2"], ["3"], []):
            expected = len(
                search(engine, filter_string, experiment_ids=experiments, view_type=view)
            )
            counted = build_run_count(experiments, parse_filter(filter_string), view)
            with engine.connect() as connection:
                assert connection.execute(counted).scalar_one() == expected


def test_metric_only_count_reads_no_runs_table() -> None:
    counted = build_run_count(["1"], parse_filter("metrics.acc > 0.5"), ViewType.ACTIVE_ONLY)
    assert "runs" not in {t.name for t in counted.get_final_froms()[0]._from_objects}
    assert " runs" not in str(counted).replace("latest_metrics", "")


def test_is_not_null_starts_from_the_key_on_sqlite() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    statement = build_run_search_split(
        ["1"], parse_filter("tags.sweep IS NOT NULL"), ViewType.ALL, parse_order_by(["metrics.a"])
    )
    assert statement is not None
    assert "tags AS present_0 CROSS JOIN runs" in str(
        statement[0].compile(dialect=sqlite.dialect())
    )
    assert "CROSS" not in str(statement[0].compile(dialect=postgresql.dialect()))
