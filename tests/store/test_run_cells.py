"""SQLite's packed run cells (``run_cells``): written when safe, dropped on every change.

The search DataFrame reads a run's metrics, params and tags from its packed row when it has one,
packs the runs it finds without one and keeps those rows. A packed row must never be stale: each
way of changing a cell (every write API, raw SQL, purging the run) drops it, and a row packed
while another connection wrote is not kept. Each case compares the frame with the one built from
``search_runs`` entities.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from jupyter_mltrack.entities import Metric, Param, RunStatus, RunTag, ViewType
from jupyter_mltrack.store.frames import runs_to_frame
from jupyter_mltrack.store.sql import frame_cells
from jupyter_mltrack.store.sql.store import SqlStore


@pytest.fixture
def store(tmp_path) -> Iterator[SqlStore]:  # type: ignore[no-untyped-def]
    made = SqlStore(f"sqlite:///{tmp_path / 's.db'}", default_artifact_root=str(tmp_path / "a"))
    yield made
    made.close()


def _packed_ids(store: SqlStore) -> set[str]:
    with store.engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql("SELECT run_uuid FROM run_cells")}


def _assert_frame_is_right(store: SqlStore, experiment_id: str) -> pd.DataFrame:
    frame = store.search_runs_frame([experiment_id], run_view_type=ViewType.ALL)
    runs = list(store.search_runs([experiment_id], run_view_type=ViewType.ALL, max_results=1000))
    pd.testing.assert_frame_equal(frame, runs_to_frame(runs))
    return frame


def _logged_run(store: SqlStore, experiment_id: str, index: int) -> str:
    run = store.create_run(
        experiment_id=experiment_id,
        user_id="u",
        start_time=1000 + index,
        tags={},
        run_name=f"r{index}",
    )
    run_id = run.info.run_id
    store.log_batch(
        run_id,
        metrics=[
            Metric(key="loss", value=1.0 / (index + 1), timestamp=5, step=0),
            Metric(key="acc", value=math.nan, timestamp=5, step=0),
        ],
        params=[Param(key="lr", value=str(index))],
        tags=[RunTag(key="team", value="a" if index % 2 else "b")],
    )
    store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=2000)
    return run_id


def test_the_frame_packs_the_runs_it_reads_and_later_frames_read_the_packed_rows(
    store: SqlStore,
) -> None:
    experiment_id = store.create_experiment("e")
    run_ids = {_logged_run(store, experiment_id, index) for index in range(6)}
    assert _packed_ids(store) == set()  # runs written one by one: nothing packed yet
    first = _assert_frame_is_right(store, experiment_id)
    assert _packed_ids(store) == run_ids
    second = _assert_frame_is_right(store, experiment_id)
    pd.testing.assert_frame_equal(first, second)
    assert math.isnan(second["metrics.acc"].iloc[0])  # a logged NaN survives packing


def test_imported_runs_are_packed_on_import(store: SqlStore) -> None:
    experiment_id = store.create_experiment("e")
    run_id = _logged_run(store, experiment_id, 0)
    other = store.create_experiment("copy")
    source = store.get_run(run_id)
    info = dataclasses.replace(source.info, experiment_id=other, run_id="f" * 32)
    store.import_runs([dataclasses.replace(source, info=info)])
    assert _packed_ids(store) == {"f" * 32}
    _assert_frame_is_right(store, other)


WRITES: dict[str, Callable[[SqlStore, str], None]] = {
    "log_metric of a new key": lambda s, r: s.log_metric(
        r, Metric(key="new", value=2.0, timestamp=9, step=1)
    ),
    "log_metric moving a key on": lambda s, r: s.log_metric(
        r, Metric(key="loss", value=-1.0, timestamp=9, step=7)
    ),
    "log_batch": lambda s, r: s.log_batch(
        r, metrics=[Metric(key="loss", value=3.0, timestamp=9, step=8)]
    ),
    "log_param": lambda s, r: s.log_param(r, Param(key="new", value="p")),
    "set_tag of a new key": lambda s, r: s.set_tag(r, RunTag(key="new", value="t")),
    "set_tag changing a value": lambda s, r: s.set_tag(r, RunTag(key="team", value="changed")),
    "delete_tag": lambda s, r: s.delete_tag(r, "team"),
    "raw SQL on a cell table": lambda s, r: _sql(
        s, "UPDATE params SET value = 'raw' WHERE run_uuid = ?", r
    ),
}


def _sql(store: SqlStore, statement: str, run_id: str) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(statement, (run_id,))


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_change_of_a_cell_drops_the_packed_row(
    store: SqlStore, write: Callable[[SqlStore, str], None]
) -> None:
    experiment_id = store.create_experiment("e")
    changed, untouched = (_logged_run(store, experiment_id, index) for index in range(2))
    before = _assert_frame_is_right(store, experiment_id)
    assert _packed_ids(store) == {changed, untouched}
    write(store, changed)
    assert _packed_ids(store) == {untouched}
    after = _assert_frame_is_right(store, experiment_id)
    assert not after.equals(before)  # the change shows: no stale packed row was read
    assert _packed_ids(store) == {changed, untouched}  # and the run is packed again


def test_purged_runs_lose_their_packed_rows(store: SqlStore) -> None:
    experiment_id = store.create_experiment("e")
    run_id = _logged_run(store, experiment_id, 0)
    _assert_frame_is_right(store, experiment_id)
    store.delete_run(run_id)
    assert _packed_ids(store) == {run_id}  # soft delete changes no cell
    store.purge_runs([run_id])
    assert _packed_ids(store) == set()


def test_a_run_packed_while_another_connection_writes_it_is_not_kept(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The packed rows are written in the frame's read transaction: SQLite refuses that write
    when another connection committed since the read began, so the packed (old) value, which the
    frame still shows as of its snapshot, is not kept."""
    experiment_id = store.create_experiment("e")
    run_id = _logged_run(store, experiment_id, 0)
    writer = SqlStore(str(store.engine.url))
    pack = frame_cells._pack_from_cells

    def pack_then_write_elsewhere(conn: sa.Connection, run_ids: list[str]) -> object:
        packed = pack(conn, run_ids)
        writer.log_metric(
            run_id, Metric(key="loss", value=42.0, timestamp=9, step=99)
        )  # commits in between
        return packed

    monkeypatch.setattr(frame_cells, "_pack_from_cells", pack_then_write_elsewhere)
    frame = store.search_runs_frame([experiment_id])
    writer.close()
    assert frame["metrics.loss"].iloc[0] == 1.0  # the frame's snapshot
    assert _packed_ids(store) == set()
    monkeypatch.undo()
    assert _assert_frame_is_right(store, experiment_id)["metrics.loss"].iloc[0] == 42.0


def test_a_busy_store_still_gives_the_frame(store: SqlStore) -> None:
    """Another connection holds the write lock: the frame is read, nothing is packed, and
    the frame does not wait for the lock."""
    experiment_id = store.create_experiment("e")
    _logged_run(store, experiment_id, 0)
    blocker = sa.create_engine(str(store.engine.url))
    with blocker.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        _assert_frame_is_right(store, experiment_id)
        conn.exec_driver_sql("ROLLBACK")
    blocker.dispose()
    assert _packed_ids(store) == set()
