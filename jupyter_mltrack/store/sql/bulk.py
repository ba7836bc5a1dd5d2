"""Bulk import of whole runs: many runs per transaction, every table filled with executemany.

Creating runs one by one costs two commits each (``create_run`` then ``log_batch``), and a commit
is most of a run's cost on SQLite's WAL and on PostgreSQL. Imports and the scale benchmarks'
stores of 10^6 runs go through :meth:`ImportMixin.import_runs` instead: one transaction per call.
Each metric becomes a series with one point, stored in the write path's row format (its
``INSERT_SERIES``/``INSERT_POINTS`` statements and history encoding from ``metric_writes.py``).
On SQLite each run's cells are also written packed (``run_cells.py``), so the first DataFrame
over imported runs reads them as fast as later ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from jupyter_mltrack.entities import LifecycleStage, Run
from jupyter_mltrack.errors import ExperimentNotFound, InvalidParameterError, InvalidStateError
from jupyter_mltrack.store.sql import raw, run_cells, schema
from jupyter_mltrack.store.sql._base import SqlBase
from jupyter_mltrack.store.sql.experiments import parse_experiment_id
from jupyter_mltrack.store.sql.metric_writes import INSERT_POINTS, INSERT_SERIES
from jupyter_mltrack.store.sql.runs import RUN_NAME_TAG

_INSERT_RUN = (
    "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, "
    "lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_PARAM = "INSERT INTO params (run_uuid, {key}, {value}) VALUES (?, ?, ?)"
_INSERT_TAG = "INSERT INTO tags (run_uuid, {key}, {value}) VALUES (?, ?, ?)"
_BASE_LIMIT = 2**53  # a series' timestamp base, as metric_writes.py chooses it


class ImportMixin(SqlBase):
    """``import_runs``: whole runs in one transaction."""

    def import_runs(self, runs: Sequence[Run]) -> list[str]:
        """Store whole runs in one transaction (see :meth:`TrackingStore.import_runs`).

        Raises:
            ExperimentNotFound: A run names an experiment that does not exist.
            InvalidStateError: A run names a deleted experiment.
            InvalidParameterError: A run id is not a 32-character id.
        """
        if not runs:
            return []
        with self._write() as conn:
            locations = _experiment_locations(conn, {r.info.experiment_id for r in runs})
            run_rows: list[tuple[object, ...]] = []
            param_rows: list[tuple[str, str, str]] = []
            tag_rows: list[tuple[str, str, str]] = []
            for run in runs:
                info, data = run.info, run.data
                if not info.run_id or len(info.run_id) > 32:
                    raise InvalidParameterError(f"Invalid run id {info.run_id!r}")
                exp_id = parse_experiment_id(info.experiment_id)
                uri = info.artifact_uri or f"{locations[exp_id]}/{info.run_id}/artifacts"
                run_rows.append(
                    (
                        info.run_id,
                        info.run_name,
                        exp_id,
                        info.user_id,
                        info.status.value,
                        info.start_time,
                        info.end_time,
                        LifecycleStage.ACTIVE.value,
                        uri,
                    )
                )
                param_rows.extend((info.run_id, k, v) for k, v in data.params.items())
                tag_rows.extend((info.run_id, k, v) for k, v in _tags(run).items())
            raw.executemany(conn, _INSERT_RUN, run_rows)
            raw.executemany(conn, _INSERT_PARAM, param_rows)
            raw.executemany(conn, _INSERT_TAG, tag_rows)
            _insert_metrics(conn, runs)
            if conn.dialect.name == "sqlite":  # after the cells: their triggers drop packed rows
                run_cells.store(conn, [_packed(run) for run in runs])
        return [run.info.run_id for run in runs]


def _tags(run: Run) -> dict[str, str]:
    """The tags an imported run is stored with: its own plus its name."""
    return {**run.data.tags, RUN_NAME_TAG: run.info.run_name}


def _packed(run: Run) -> run_cells.Packed:
    """The packed cells of an imported run: what its rows in the cell tables hold."""
    return run_cells.pack(run.info.run_id, run.data.metrics, run.data.params, _tags(run))


def _insert_metrics(conn: sa.Connection, runs: Sequence[Run]) -> None:
    """Create every run's series with its one point, in a few statements for all the runs.

    The per-run write path costs several round trips per run (~8 on PostgreSQL); here the
    series rows, one lookup of their ids and the history rows are one statement each.
    """
    series_rows, values = [], {}
    for run in runs:
        info = run.info
        base = info.start_time if 0 <= info.start_time < _BASE_LIMIT else 0
        for key, value in run.data.metrics.items():
            stored, kind = schema.encode_metric_value(value)
            series_rows.append(
                (info.run_id, key, stored, kind, info.start_time, 0, base, info.run_id)
            )
            values[info.run_id, key] = (info.start_time - base, value)
    if not series_rows:
        return
    raw.executemany(conn, INSERT_SERIES, series_rows)
    ids = [run.info.run_id for run in runs]
    query = "SELECT run_uuid, {key}, series_id FROM latest_metrics WHERE run_uuid IN (%s)"
    query %= raw.marks(len(ids))
    point_rows = []
    for run_id, key, series_id in raw.fetchall(conn, query, ids):
        offset, value = values[run_id, key]
        kind, stored = _history_value(value)
        point_rows.append((series_id, 0, offset, kind, stored))  # seq = kind: the first point
    point_rows.sort()
    raw.executemany(conn, INSERT_POINTS, point_rows)


def _history_value(value: float) -> tuple[int, float]:
    """Return ``(kind, stored value)`` of a history point (NaN is stored as 0 there)."""
    if value != value:
        return schema.KIND_NAN, 0.0
    stored, kind = schema.encode_metric_value(value)
    return kind, stored


def _experiment_locations(conn: sa.Connection, experiment_ids: set[str]) -> dict[int, str]:
    """Return each experiment's artifact location, checking that it exists and is active."""
    locations: dict[int, str] = {}
    for experiment_id in experiment_ids:
        exp_id = parse_experiment_id(experiment_id)
        row = raw.fetchone(
            conn,
            "SELECT lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = ?",
            (exp_id,),
        )
        if row is None:
            raise ExperimentNotFound(
                f"Experiment with id {experiment_id!r} not found", experiment_id=experiment_id
            )
        if row[0] != LifecycleStage.ACTIVE.value:
            raise InvalidStateError(
                f"Experiment {experiment_id!r} is deleted; restore it to import runs into it"
            )
        locations[exp_id] = row[1].rstrip("/")
    return locations


__all__ = ["ImportMixin"]
