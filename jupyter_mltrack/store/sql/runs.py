"""Run lifecycle operations of the SqlStore: create, read, update, delete, restore, purge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from jupyter_mltrack._time import new_run_id, now_ms
from jupyter_mltrack._validation import validate_user_id
from jupyter_mltrack.entities import LifecycleStage, Run, RunData, RunInfo, RunStatus
from jupyter_mltrack.errors import (
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
    NotFoundError,
    RunNotFound,
)
from jupyter_mltrack.store.sql import metric_tail, raw, schema
from jupyter_mltrack.store.sql._base import RUN_INFO_COLUMNS, R, SqlBase, run_info_from_row
from jupyter_mltrack.store.sql.experiments import parse_experiment_id
from jupyter_mltrack.store.sql.logged_model_schema import RUN_LINK_TABLES
from jupyter_mltrack.store.sql.writes import upsert_tags

E = schema.experiments.c
RUN_NAME_TAG = "mltrack.runName"
_INSERT_RUN = (
    "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
    "lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_TAG = "INSERT INTO tags (run_uuid, {key}, {value}) VALUES (?, ?, ?)"
_SELECT_INFO = (
    "SELECT run_uuid, experiment_id, name, user_id, status, start_time, end_time, "
    "artifact_uri, lifecycle_stage FROM runs WHERE run_uuid = ?"
)


class RunsMixin(SqlBase):
    """Create runs and manage their lifecycle."""

    def create_run(
        self,
        *,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Mapping[str, str],
        run_name: str,
        run_id: str | None = None,
        status: RunStatus = RunStatus.RUNNING,
    ) -> Run:
        exp_id = parse_experiment_id(experiment_id)
        validate_user_id(user_id)
        if run_id:  # a run recreated under an old id must not reuse its series
            self.series_cache.forget([run_id])
        run_id = run_id or new_run_id()
        all_tags = {**tags, RUN_NAME_TAG: run_name}
        with self._write() as conn:
            exp = raw.fetchone(
                conn,
                "SELECT lifecycle_stage, artifact_location FROM experiments "
                "WHERE experiment_id = ?",
                (exp_id,),
            )
            if exp is None:
                raise ExperimentNotFound(
                    f"Experiment with id {experiment_id!r} not found", experiment_id=experiment_id
                )
            if exp[0] != LifecycleStage.ACTIVE.value:
                raise InvalidStateError(
                    f"Experiment {experiment_id!r} is deleted; restore it to create runs in it"
                )
            info = RunInfo(
                run_id=run_id,
                experiment_id=str(exp_id),
                run_name=run_name,
                user_id=user_id,
                status=RunStatus.parse(status),
                start_time=start_time,
                end_time=None,
                artifact_uri=f"{exp[1].rstrip('/')}/{run_id}/artifacts",
            )
            raw.execute(
                conn,
                _INSERT_RUN,
                (
                    run_id,
                    run_name,
                    exp_id,
                    user_id,
                    info.status.value,
                    start_time,
                    LifecycleStage.ACTIVE.value,
                    info.artifact_uri,
                ),
            )
            raw.executemany(conn, _INSERT_TAG, [(run_id, k, v) for k, v in all_tags.items()])
        return Run(info=info, data=RunData(tags=all_tags))

    def get_run(self, run_id: str) -> Run:
        from jupyter_mltrack.store.sql.reads import run_entity
        from jupyter_mltrack.store.sql.run_data import load_run_data
        from jupyter_mltrack.store.sql.run_links import load_run_links

        with self._read() as conn:
            row = conn.execute(sa.select(*RUN_INFO_COLUMNS).where(R.run_uuid == run_id)).first()
            if row is None:
                raise RunNotFound.for_id(run_id)
            data = load_run_data(conn, [run_id])[run_id]
            links = load_run_links(conn, [run_id]).get(run_id)
        return run_entity(run_info_from_row(row), data, links)

    def _get_run_info(self, conn: sa.Connection, run_id: str) -> RunInfo:
        row = raw.fetchone(conn, _SELECT_INFO, (run_id,))
        if row is None:
            raise RunNotFound.for_id(run_id)
        return run_info_from_row(row)

    def update_run_info(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
        drop_tags: Sequence[str] = (),
    ) -> RunInfo:
        """Update the run's status, end time and name; ``drop_tags`` (SQL stores only) are
        deleted from the run in the same transaction (its heartbeat, when it ends)."""
        values: dict[str, object] = {}
        if status is not None:
            values["status"] = RunStatus.parse(status).value
        if end_time is not None:
            values["end_time"] = end_time
        if run_name is not None:
            values["name"] = run_name
        with self._write() as conn:
            assignments = ", ".join(f"{column} = ?" for column in values) or "run_uuid = run_uuid"
            changed = raw.execute(
                conn,
                f"UPDATE runs SET {assignments} WHERE run_uuid = ? AND lifecycle_stage = 'active'",
                (*values.values(), run_id),
            )
            if changed == 0:  # unknown (RunNotFound) or deleted
                self._run_state(conn, run_id)
                raise InvalidStateError.run_deleted(run_id, "to update it")
            if run_name is not None:
                upsert_tags(conn, run_id, {RUN_NAME_TAG: run_name})
            if drop_tags:
                raw.execute(
                    conn,
                    "DELETE FROM tags WHERE run_uuid = ? AND {key} IN ("
                    + raw.marks(len(drop_tags))
                    + ")",
                    (run_id, *drop_tags),
                )
            return self._get_run_info(conn, run_id)

    def _set_run_stage(self, run_id: str, stage: LifecycleStage) -> None:
        with self._write() as conn:
            current, _ = self._run_state(conn, run_id)
            if current == stage.value:
                raise InvalidParameterError(f"Run {run_id!r} is already {stage.value}")
            if stage is LifecycleStage.ACTIVE:
                exp_stage = conn.execute(
                    sa.select(E.lifecycle_stage)
                    .select_from(schema.runs.join(schema.experiments))
                    .where(R.run_uuid == run_id)
                ).scalar()
                if exp_stage != LifecycleStage.ACTIVE.value:
                    raise InvalidStateError(
                        f"Run {run_id!r} belongs to a deleted experiment; restore the experiment"
                    )
            deleted_time = now_ms() if stage is LifecycleStage.DELETED else None
            conn.execute(
                sa.update(schema.runs)
                .where(R.run_uuid == run_id)
                .values(lifecycle_stage=stage.value, deleted_time=deleted_time)
            )
            latest = schema.latest_metrics
            conn.execute(
                sa.update(latest)
                .where(latest.c.run_uuid == run_id)
                .values(lifecycle_stage=stage.value)
            )

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    def delete_tag(self, run_id: str, key: str) -> None:
        T = schema.tags.c
        with self._write() as conn:
            self._check_run_writable(conn, run_id)
            result = conn.execute(sa.delete(schema.tags).where(T.run_uuid == run_id, T.key == key))
            if result.rowcount == 0:
                raise NotFoundError(
                    f"Run {run_id!r} has no tag {key!r}",
                    wire_message=f"No tag with name: {key} in run with id {run_id}",
                )

    def list_deleted_run_ids(self, *, older_than_ms: int | None = None) -> list[str]:
        query = sa.select(R.run_uuid).where(R.lifecycle_stage == LifecycleStage.DELETED.value)
        if older_than_ms is not None:
            query = query.where(sa.func.coalesce(R.deleted_time, 0) <= older_than_ms)
        with self._read() as conn:
            return list(conn.execute(query.order_by(R.run_uuid)).scalars())

    def purge_runs(self, run_ids: Sequence[str]) -> None:
        run_ids = list(run_ids)
        self.series_cache.forget(run_ids)
        with self._write() as conn:
            live = conn.execute(
                sa.select(R.run_uuid).where(
                    R.run_uuid.in_(run_ids), R.lifecycle_stage != LifecycleStage.DELETED.value
                )
            ).first()
            if live is not None:
                raise InvalidStateError(
                    f"Run {live[0]!r} is not deleted; delete it before purging it"
                )
            metric_tail.fold_pending(conn)  # the tail's points of these runs go too
            series = sa.select(schema.latest_metrics.c.series_id).where(
                schema.latest_metrics.c.run_uuid.in_(run_ids)
            )
            if conn.dialect.name in ("mysql", "mariadb"):
                # MySQL cannot delete from a table with a subquery over another in some plans;
                # materialise the ids first.
                series = list(conn.execute(series).scalars())  # type: ignore[assignment]
            conn.execute(sa.delete(schema.metrics).where(schema.metrics.c.series_id.in_(series)))
            for table in (schema.latest_metrics, schema.params, schema.tags, *RUN_LINK_TABLES):
                conn.execute(sa.delete(table).where(table.c.run_uuid.in_(run_ids)))
            conn.execute(sa.delete(schema.runs).where(R.run_uuid.in_(run_ids)))
