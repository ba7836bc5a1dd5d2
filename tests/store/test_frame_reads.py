"""search_runs_frame's columnar reads give exactly the DataFrame the Run entities give.

On SQLite the frame reads each run's cells packed in one row (``run_cells``), or, for runs not
packed yet, cell by cell (the ``sqlite-unpacked`` store never keeps a packed row); on PostgreSQL
it groups each table's cells by key on the server. It names the runs by IN lists (a few), one
bound value (a JSON array on SQLite, an array or a joined text on PostgreSQL) or reads whole
tables when the runs are most of the store. Each variant must give the frame that
``runs_to_frame`` builds from ``search_runs``: values with the separator itself, empty strings,
NaN, +/-inf, the float extremes, missing keys, runs without any metric/param/tag and deleted
runs included.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from jupyter_mltrack.entities import Run, RunData, RunInfo, RunStatus, ViewType
from jupyter_mltrack.store.frames import runs_to_frame
from jupyter_mltrack.store.sql import run_cells, run_data
from jupyter_mltrack.store.sql.store import SqlStore

FLOATS = [0.5, math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]
ODD_TEXTS = ["a\x1fb", "", "\x1f", "x\x1f\x1fy", "ünïcode ✓", " trailing "]
SEARCHES = [
    ("", None),
    ("metrics.m0 > 0", ["metrics.m1 DESC"]),
    ("params.p0 != 'nope'", ["metrics.m0", "params.p1 DESC"]),
    ("attributes.start_time >= 0", ["metrics.missing"]),
]


def _run(index: int, experiment_id: str) -> Run:
    metrics = {"m0": FLOATS[index % len(FLOATS)], "m1": float(index) / 7}
    if index % 5 == 0:
        del metrics["m1"]  # missing keys: NaN in the frame
    params = {"p0": ODD_TEXTS[index % len(ODD_TEXTS)], "p1": f"v{index % 3}"}
    tags = {"t0": ODD_TEXTS[(index + 1) % len(ODD_TEXTS)]} if index % 2 else {"t1": "only-odd"}
    end_time = None if index % 3 else 2000 + index
    return _bare_run(index, experiment_id, metrics, params=params, tags=tags, end_time=end_time)


def _bare_run(
    index: int,
    experiment_id: str,
    metrics: dict[str, float],
    *,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    end_time: int | None = None,
) -> Run:
    info = RunInfo(
        run_id=f"{index:032x}",
        experiment_id=experiment_id,
        run_name=f"run-{index}",
        user_id="u",
        status=RunStatus.FINISHED,
        start_time=1000 + index,
        end_time=end_time,
        artifact_uri="",
    )
    return Run(info=info, data=RunData(metrics=metrics, params=params or {}, tags=tags or {}))


@pytest.fixture(params=["sqlite", "sqlite-unpacked", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path, server_database_uri, monkeypatch
) -> Iterator[SqlStore]:  # type: ignore[no-untyped-def]
    if request.param.startswith("sqlite"):
        uri = f"sqlite:///{tmp_path / 'frames.db'}"
        if request.param == "sqlite-unpacked":  # every frame reads the cell tables
            monkeypatch.setattr(run_cells, "store", lambda conn, rows: None)
    else:
        uri = server_database_uri("postgres")
    made = SqlStore(uri, default_artifact_root=str(tmp_path / "artifacts"))
    yield made
    made.close()


def _entity_frame(store: SqlStore, ids: list[str], filter_string: str, order, view):  # type: ignore[no-untyped-def]
    runs: list[Run] = []
    token = None
    while True:
        page = store.search_runs(ids, filter_string, view, 7, order, token)  # small pages: split
        runs.extend(page)
        token = page.token
        if not token:
            return runs_to_frame(runs)


@pytest.mark.parametrize("small_thresholds", [False, True])
def test_frame_reads_match_the_entities(
    store: SqlStore, small_thresholds: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if small_thresholds:  # every way of naming the runs, with a few runs each
        monkeypatch.setattr(run_data, "_FEW", 2)
        monkeypatch.setattr(run_data, "_PG_SPLIT_FROM", 3)
    big, small = store.create_experiment("big"), store.create_experiment("small")
    big_ids = store.import_runs([_run(i, big) for i in range(40)])
    store.import_runs([_run(i, small) for i in range(40, 44)])
    store.delete_run(big_ids[3])
    # "big" holds most runs of the store (whole tables read), "small" few (runs named by id).
    for ids in ([big], [small], [big, small]):
        for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            for filter_string, order in SEARCHES:
                frame = store.search_runs_frame(ids, filter_string, view, 1000, order)
                expected = _entity_frame(store, ids, filter_string, order, view)
                assert len(frame) > 0
                pd.testing.assert_frame_equal(frame, expected)


def test_separator_values_round_trip(store: SqlStore) -> None:
    experiment = store.create_experiment("odd")
    store.import_runs([_run(i, experiment) for i in range(12)])
    frame = store.search_runs_frame([experiment]).set_index("run_name")
    assert frame.loc["run-0", "params.p0"] == "a\x1fb"
    assert frame.loc["run-1", "params.p0"] == ""
    assert frame.loc["run-3", "params.p0"] == "x\x1f\x1fy"
    assert pd.isna(frame.loc["run-2", "tags.t0"])
    assert frame.loc["run-2", "tags.t1"] == "only-odd"
    assert frame.loc["run-1", "tags.t0"] == "\x1f"
    assert math.isnan(frame.loc["run-1", "metrics.m0"])
    assert frame.loc["run-6", "metrics.m0"] == 1.7976931348623157e308
    assert frame.loc["run-5", "metrics.m0"] == 5e-324
    assert frame.loc["run-7", "metrics.m0"] == 0.1 + 0.2
    assert math.isnan(frame.loc["run-0", "metrics.m1"])
    assert frame.loc["run-2", "metrics.m0"] == math.inf
    assert frame.loc["run-3", "metrics.m0"] == -math.inf


def _assert_like_entities(store: SqlStore, experiment: str) -> pd.DataFrame:
    frame = store.search_runs_frame([experiment])
    expected = _entity_frame(store, [experiment], "", None, ViewType.ACTIVE_ONLY)
    pd.testing.assert_frame_equal(frame, expected)
    # Named by id (a filter): the same columns through the run-id restriction.
    filtered = store.search_runs_frame([experiment], "attributes.start_time >= 0")
    pd.testing.assert_frame_equal(filtered, expected)
    return frame


@pytest.mark.parametrize("every_run_has_every_key", [True, False])
def test_many_metric_keys(store: SqlStore, every_run_has_every_key: bool) -> None:
    """Many metric keys, in every run or not."""
    experiment = store.create_experiment("wide")
    runs = []
    for index in range(6):
        metrics = {f"k{key:03d}": FLOATS[(index + key) % len(FLOATS)] for key in range(40)}
        if not every_run_has_every_key:
            del metrics[f"k{index:03d}"]
        runs.append(_bare_run(index, experiment, metrics))
    store.import_runs(runs)
    frame = _assert_like_entities(store, experiment).set_index("run_name")
    assert len([c for c in frame.columns if c.startswith("metrics.")]) == 40
    assert frame.loc["run-1", "metrics.k001"] == math.inf or not every_run_has_every_key
    assert math.isnan(frame.loc["run-1", "metrics.k001"]) != every_run_has_every_key


def test_metric_keys_in_equal_counts_but_different_runs(store: SqlStore) -> None:
    """Each key in as many runs, but not every run has every key."""
    experiment = store.create_experiment("crossed")
    store.import_runs(
        [
            _bare_run(0, experiment, {"a": 1.0}),
            _bare_run(1, experiment, {"b": 2.0}),
            _bare_run(2, experiment, {"a": 3.0, "b": math.nan}),
            _bare_run(3, experiment, {}),
        ]
    )
    frame = _assert_like_entities(store, experiment).set_index("run_name")
    assert frame.loc["run-0", "metrics.a"] == 1.0 and math.isnan(frame.loc["run-0", "metrics.b"])
    assert frame.loc["run-1", "metrics.b"] == 2.0 and math.isnan(frame.loc["run-1", "metrics.a"])


def test_runs_without_children_and_sparse_tags(store: SqlStore) -> None:
    """Runs with no metrics/params/tags, and many tag keys each on one run (sparse columns)."""
    experiment = store.create_experiment("sparse")
    runs = [_bare_run(0, experiment, {})]  # nothing at all
    runs += [
        _bare_run(i, experiment, {"m": float(i)}, params={"p": f"\x1f{i}"}, tags={f"t{i}": "x"})
        for i in range(1, 70)  # more than _FEW: the tables are read whole
    ]
    store.import_runs(runs)
    empty = store.create_experiment("empty")  # its run's rows are in a whole-table read
    store.import_runs([_bare_run(100, empty, {}, tags={"elsewhere": "y"})])
    frame = _assert_like_entities(store, experiment).set_index("run_name")
    assert "tags.elsewhere" not in frame.columns
    assert math.isnan(frame.loc["run-0", "metrics.m"])
    assert pd.isna(frame.loc["run-0", "params.p"]) and pd.isna(frame.loc["run-0", "tags.t5"])
    assert frame.loc["run-5", "tags.t5"] == "x" and pd.isna(frame.loc["run-6", "tags.t5"])
    assert frame.loc["run-7", "params.p"] == "\x1f7"
    assert _assert_like_entities(store, empty).shape[0] == 1


def _frame_rows_in_child(store: SqlStore, experiment: str, results: Any) -> None:
    results.put(len(store.search_runs_frame([experiment])))


def test_a_forked_child_reads_frames_after_its_parent(store: SqlStore) -> None:
    # On PostgreSQL the tables are read side by side by worker threads; a child forked after
    # the parent started them has none, and must not queue its reads to threads that are gone.
    experiment = store.create_experiment("forked")
    store.import_runs([_run(i, experiment) for i in range(6)])
    assert len(store.search_runs_frame([experiment])) == 6  # the parent's workers exist now
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=_frame_rows_in_child, args=(store, experiment, results))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0, "the forked child's frame read hung or failed"
    assert results.get(timeout=5) == 6


@pytest.mark.parametrize(("filter_string", "order"), SEARCHES)
def test_a_truncated_search_frames_exactly_its_first_runs(
    store: SqlStore, filter_string: str, order: list[str] | None
) -> None:
    # On PostgreSQL the cells are selected by the search itself, limit included: the frame of
    # a search cut at max_results must hold those runs' values, not another run's.
    experiment = store.create_experiment("cut")
    store.import_runs([_run(i, experiment) for i in range(30)])
    frame = store.search_runs_frame([experiment], filter_string, ViewType.ACTIVE_ONLY, 7, order)
    first = store.search_runs([experiment], filter_string, ViewType.ACTIVE_ONLY, 7, order)
    assert len(frame) == len(first) == 7
    pd.testing.assert_frame_equal(frame, runs_to_frame(list(first)))
