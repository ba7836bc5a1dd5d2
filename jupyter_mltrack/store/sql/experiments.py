"""Experiment operations of the SqlStore."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import (
    validate_artifact_location,
    validate_key,
    validate_name,
    validate_tag_value,
)
from jupyter_mltrack.entities import Experiment, LifecycleStage, PagedList, ViewType
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    ExperimentNotFound,
    InvalidParameterError,
    NotFoundError,
)
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_LIMIT
from jupyter_mltrack.store.sql import raw, schema
from jupyter_mltrack.store.sql._base import SqlBase

E = schema.experiments.c
ET = schema.experiment_tags.c


_MAX_EXPERIMENT_ID = 2**31 - 1


def sync_latest_stages(conn: sa.Connection, experiment_id: int) -> None:
    """Copy the runs' lifecycle stages into the search read model (``latest_metrics``)."""
    latest, runs = schema.latest_metrics, schema.runs
    stage = sa.select(runs.c.lifecycle_stage).where(runs.c.run_uuid == latest.c.run_uuid)
    conn.execute(
        sa.update(latest)
        .where(latest.c.experiment_id == experiment_id)
        .values(lifecycle_stage=stage.scalar_subquery())
    )


def parse_experiment_id(experiment_id: object) -> int:
    """Return the integer form of an experiment id or raise ExperimentNotFound."""
    try:
        value = int(str(experiment_id))
    except ValueError:
        value = -1
    # Ids live in a 32-bit integer column: anything outside it cannot name an experiment, and
    # passing it on would make the driver raise an overflow instead of a clean "not found".
    if not 0 <= value <= _MAX_EXPERIMENT_ID:
        raise ExperimentNotFound(
            f"Experiment {experiment_id!r} not found: experiment ids are integers "
            f"from 0 to {_MAX_EXPERIMENT_ID}",
            experiment_id=str(experiment_id),
        )
    return value


class ExperimentsMixin(SqlBase):
    """Create, read, search, rename, tag, delete and restore experiments."""

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        name = validate_name("Experiment", name)
        if artifact_location:
            validate_artifact_location(artifact_location)
        with self._write() as conn:
            taken = conn.execute(sa.select(E.lifecycle_stage).where(E.name == name)).first()
            if taken is not None:
                hint = (
                    " (it is deleted; restore it or choose another name)"
                    if (taken[0] == LifecycleStage.DELETED.value)
                    else ""
                )
                raise AlreadyExistsError(f"Experiment {name!r} already exists{hint}")
            now = now_ms()
            result = conn.execute(
                sa.insert(schema.experiments).values(
                    name=name,
                    artifact_location=artifact_location or "",
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                    creation_time=now,
                    last_update_time=now,
                )
            )
            primary_key = result.inserted_primary_key
            assert primary_key is not None  # an INSERT always reports its key
            experiment_id = int(primary_key[0])
            if not artifact_location:
                location = f"{self.default_artifact_root.rstrip('/')}/{experiment_id}"
                conn.execute(
                    sa.update(schema.experiments)
                    .where(E.experiment_id == experiment_id)
                    .values(artifact_location=location)
                )
            self._write_experiment_tags(conn, experiment_id, tags or {})
        return str(experiment_id)

    def _write_experiment_tags(
        self, conn: sa.Connection, experiment_id: int, tags: Mapping[str, str]
    ) -> None:
        rows = [
            (experiment_id, validate_key("Tag", k), validate_tag_value(k, v))
            for k, v in tags.items()
        ]
        template = raw.upsert_template(
            conn, "experiment_tags", ("experiment_id", "key"), ("value",)
        )
        raw.executemany(conn, template, rows)

    def get_experiment(self, experiment_id: str) -> Experiment:
        exp_id = parse_experiment_id(experiment_id)
        with self._read() as conn:
            experiments = self._load_experiments(
                conn, schema.experiments.select().where(E.experiment_id == exp_id)
            )
        if not experiments:
            raise ExperimentNotFound(
                f"Experiment with id {experiment_id!r} not found", experiment_id=str(experiment_id)
            )
        return experiments[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self._read() as conn:
            found = self._load_experiments(conn, schema.experiments.select().where(E.name == name))
        return found[0] if found else None

    def _load_experiments(self, conn: sa.Connection, query: sa.Select[Any]) -> list[Experiment]:
        rows = conn.execute(query).mappings().all()
        ids = [row["experiment_id"] for row in rows]
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        if ids:
            tag_query = sa.select(ET.experiment_id, ET.key, ET.value).where(
                ET.experiment_id.in_(ids)
            )
            for exp_id, key, value in conn.execute(tag_query):
                tags[exp_id][key] = value
        return [
            Experiment(
                experiment_id=str(row["experiment_id"]),
                name=row["name"],
                artifact_location=row["artifact_location"],
                lifecycle_stage=LifecycleStage(row["lifecycle_stage"]),
                tags=tags[row["experiment_id"]],
                creation_time=row["creation_time"],
                last_update_time=row["last_update_time"],
            )
            for row in rows
        ]

    def search_experiments(
        self,
        *,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        import jupyter_mltrack.store.search as search
        from jupyter_mltrack.store.sql.search_sql import build_experiment_search

        _check_max_results(max_results)
        offset = search.decode_page_token(page_token) if page_token else 0
        query = build_experiment_search(
            search.parse_experiment_filter(filter_string or ""),
            ViewType.parse(view_type),
            search.parse_experiment_order_by(order_by),
            offset=offset,
            limit=max_results + 1,
        )
        with self._read() as conn:
            found = self._load_experiments(conn, query)
        token = search.encode_page_token(offset + max_results) if len(found) > max_results else None
        return PagedList(found[:max_results], token)

    def _set_experiment_stage(self, experiment_id: str, stage: LifecycleStage) -> None:
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage is stage:
            verb = "deleted" if stage is LifecycleStage.DELETED else "active"
            raise InvalidParameterError(
                f"Experiment {exp.name!r} ({experiment_id}) is already {verb}"
            )
        now = now_ms()
        exp_id = int(exp.experiment_id)
        from_stage = (
            LifecycleStage.ACTIVE if stage is LifecycleStage.DELETED else LifecycleStage.DELETED
        )
        with self._write() as conn:
            if stage is LifecycleStage.DELETED:
                # Restore brings back the runs whose deletion stamp equals the experiment's; a
                # run deleted earlier in the same millisecond must not share that stamp.
                latest = conn.execute(
                    sa.select(sa.func.max(schema.runs.c.deleted_time)).where(
                        schema.runs.c.experiment_id == exp_id
                    )
                ).scalar()
                now = max(now, (latest or 0) + 1)
            conn.execute(
                sa.update(schema.experiments)
                .where(E.experiment_id == exp_id)
                .values(lifecycle_stage=stage.value, last_update_time=now)
            )
            # Runs follow their experiment; on restore only those deleted along with it return.
            runs_query = sa.update(schema.runs).where(
                schema.runs.c.experiment_id == exp_id,
                schema.runs.c.lifecycle_stage == from_stage.value,
            )
            if stage is LifecycleStage.DELETED:
                runs_query = runs_query.values(lifecycle_stage=stage.value, deleted_time=now)
            else:
                runs_query = runs_query.where(
                    schema.runs.c.deleted_time == exp.last_update_time
                ).values(lifecycle_stage=stage.value, deleted_time=None)
            conn.execute(runs_query)
            sync_latest_stages(conn, exp_id)

    def delete_experiment(self, experiment_id: str) -> None:
        if str(experiment_id) == "0":
            raise InvalidParameterError("The Default experiment (id 0) cannot be deleted")
        self._set_experiment_stage(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        new_name = validate_name("Experiment", new_name)
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage is LifecycleStage.DELETED:
            raise InvalidParameterError(
                f"Experiment {exp.name!r} is deleted; restore it before renaming it"
            )
        with self._write() as conn:
            if conn.execute(sa.select(E.experiment_id).where(E.name == new_name)).first():
                raise AlreadyExistsError(f"Experiment {new_name!r} already exists")
            conn.execute(
                sa.update(schema.experiments)
                .where(E.experiment_id == int(exp.experiment_id))
                .values(name=new_name, last_update_time=now_ms())
            )

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        exp = self.get_experiment(experiment_id)
        with self._write() as conn:
            self._write_experiment_tags(conn, int(exp.experiment_id), {key: value})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        exp = self.get_experiment(experiment_id)
        T = schema.experiment_tags.c
        with self._write() as conn:
            deleted = conn.execute(
                sa.delete(schema.experiment_tags).where(
                    T.experiment_id == int(exp.experiment_id), T.key == key
                )
            )
            if deleted.rowcount == 0:
                raise NotFoundError(
                    f"Experiment {exp.name!r} (id {exp.experiment_id}) has no tag {key!r}",
                    wire_message=f"No tag with name: {key} in experiment with id "
                    f"{exp.experiment_id}",
                )


def _check_max_results(max_results: int) -> None:
    if not isinstance(max_results, int) or not 0 < max_results <= SEARCH_MAX_RESULTS_LIMIT:
        raise InvalidParameterError(
            f"max_results must be an integer between 1 and {SEARCH_MAX_RESULTS_LIMIT}, "
            f"got {max_results!r}"
        )
