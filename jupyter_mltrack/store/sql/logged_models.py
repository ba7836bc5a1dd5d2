"""Logged models of the SqlStore: create, read, finalize, tag and search (MLflow 3 semantics).

Run inputs and outputs (``log_inputs``/``log_outputs`` and their read path) are in
``run_links.py``; the tables are in ``logged_model_schema``, the search language in
``logged_model_search``, the models' metric points in ``logged_model_metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import validate_key, validate_param_value, validate_tag_value
from jupyter_mltrack.entities import LifecycleStage, LoggedModel, LoggedModelStatus, PagedList
from jupyter_mltrack.entities.logged_model import LoggedModelMetric, new_model_id
from jupyter_mltrack.errors import (
    ExperimentNotFound,
    InvalidParameterError,
    InvalidStateError,
    NotFoundError,
)
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_LIMIT
from jupyter_mltrack.store.logged_model_base import (
    LOGGED_MODELS_MAX_RESULTS_DEFAULT,
    DatasetFilter,
    OrderByEntry,
)
from jupyter_mltrack.store.sql import raw, schema
from jupyter_mltrack.store.sql._base import SqlBase
from jupyter_mltrack.store.sql.experiments import parse_experiment_id
from jupyter_mltrack.store.sql.logged_model_metrics import (
    check_model_points,
    load_model_metrics,
    write_model_points,
)
from jupyter_mltrack.store.sql.logged_model_schema import (
    NAME_LENGTH,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_model_inputs,
    run_model_outputs,
)

if TYPE_CHECKING:
    from jupyter_mltrack.store.sql.metric_writes import SeriesCache

__all__ = ["LoggedModelsMixin", "logged_model_not_found"]

LM = logged_models.c
LMT = logged_model_tags.c
LMP = logged_model_params.c
E = schema.experiments.c


def logged_model_not_found(model_id: str) -> NotFoundError:
    """Build the error for a missing logged model."""
    return NotFoundError(
        f"Logged model {model_id!r} not found; logged model ids look like 'm-<32 hex digits>' "
        "(search_logged_models lists the models of an experiment)"
    )


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_LENGTH:
        raise InvalidParameterError(
            f"Logged model name must be a non-empty string of at most {NAME_LENGTH} characters, "
            f"got {name!r}"
        )
    return name


def _check_model_type(model_type: object) -> str:
    if not isinstance(model_type, str) or len(model_type) > NAME_LENGTH:
        raise InvalidParameterError(
            f"Logged model type must be a string of at most {NAME_LENGTH} characters, "
            f"got {model_type!r}"
        )
    return model_type


class LoggedModelsMixin(SqlBase):
    """Logged models for :class:`~jupyter_mltrack.store.logged_model_base.LoggedModelStore`."""

    if TYPE_CHECKING:  # from WritesMixin, next to this mixin in SqlStore

        def _write_points(
            self,
            run_id: str,
            write: Callable[[sa.Connection, SeriesCache | None], dict[str, list[int]]],
        ) -> None: ...

    def log_model_metrics(self, run_id: str, metrics: Sequence[LoggedModelMetric]) -> None:
        from jupyter_mltrack.store.sql.metric_writes import write_metric_points

        points, rows = check_model_points(metrics)
        if not points:
            return

        def write(conn: sa.Connection, cache: SeriesCache | None) -> dict[str, list[int]]:
            self._check_run_writable(conn, run_id)
            write_model_points(conn, run_id, rows)  # first: an unknown model writes nothing
            return write_metric_points(conn, run_id, points, cache)

        self._write_points(run_id, write)

    def create_logged_model(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str = "",
    ) -> LoggedModel:
        exp_id = parse_experiment_id(experiment_id)
        model_id = new_model_id()
        name = _check_name(name) if name is not None else f"model-{model_id[2:10]}"
        tag_rows = [
            (validate_key("Tag", k), validate_tag_value(k, v)) for k, v in (tags or {}).items()
        ]
        param_rows = [
            (validate_key("Param", k), validate_param_value(k, v))
            for k, v in (params or {}).items()
        ]
        now = now_ms()
        with self._write() as conn:
            location = self._active_experiment_location(conn, exp_id, experiment_id)
            conn.execute(
                sa.insert(logged_models).values(
                    model_id=model_id,
                    experiment_id=exp_id,
                    name=name,
                    artifact_location=f"{location.rstrip('/')}/models/{model_id}/artifacts",
                    status=LoggedModelStatus.PENDING.value,
                    model_type=_check_model_type(model_type or ""),
                    source_run_id=source_run_id or None,
                    creation_timestamp_ms=now,
                    last_updated_timestamp_ms=now,
                )
            )
            _upsert(conn, "logged_model_tags", model_id, tag_rows)
            _upsert(conn, "logged_model_params", model_id, param_rows)
        return self.get_logged_model(model_id)

    @staticmethod
    def _active_experiment_location(conn: sa.Connection, exp_id: int, given: object) -> str:
        row = conn.execute(
            sa.select(E.lifecycle_stage, E.artifact_location).where(E.experiment_id == exp_id)
        ).first()
        if row is None:
            raise ExperimentNotFound(
                f"Experiment with id {given!r} not found", experiment_id=str(given)
            )
        if row[0] != LifecycleStage.ACTIVE.value:
            raise InvalidStateError(
                f"Experiment {given!r} is deleted; restore it to log models to it"
            )
        return str(row[1])

    def get_logged_model(self, model_id: str) -> LoggedModel:
        with self._read() as conn:
            found = _load(
                conn, conn.execute(sa.select(logged_models).where(LM.model_id == model_id))
            )
        if not found:
            raise logged_model_not_found(model_id)
        return found[0]

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        status = LoggedModelStatus.parse(status)
        with self._write() as conn:
            changed = conn.execute(
                sa.update(logged_models)
                .where(LM.model_id == model_id)
                .values(status=status.value, last_updated_timestamp_ms=now_ms())
            )
            if changed.rowcount == 0:
                raise logged_model_not_found(model_id)
        return self.get_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        rows = [(validate_key("Tag", k), validate_tag_value(k, v)) for k, v in tags.items()]
        with self._write() as conn:
            self._touch(conn, model_id)
            _upsert(conn, "logged_model_tags", model_id, rows)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with self._write() as conn:
            self._touch(conn, model_id)
            deleted = conn.execute(
                sa.delete(logged_model_tags).where(LMT.model_id == model_id, LMT.key == key)
            )
            if deleted.rowcount == 0:
                raise NotFoundError(f"Logged model {model_id!r} has no tag {key!r}")

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        rows = [(validate_key("Param", k), validate_param_value(k, v)) for k, v in params.items()]
        with self._write() as conn:
            self._touch(conn, model_id)
            known = dict(
                conn.execute(
                    sa.select(LMP.key, LMP.value).where(
                        LMP.model_id == model_id, LMP.key.in_([k for k, _ in rows])
                    )
                ).all()
            )
            for key, value in rows:
                if key in known and known[key] != value:
                    raise InvalidParameterError(
                        f"Param {key!r} of logged model {model_id!r} is already {known[key]!r}; "
                        f"params cannot change (got {value!r})"
                    )
            _upsert(conn, "logged_model_params", model_id, [r for r in rows if r[0] not in known])

    def delete_logged_model(self, model_id: str) -> None:
        with self._write() as conn:
            self._touch(conn, model_id)  # NotFoundError for an unknown id
            children = (
                run_model_inputs,
                run_model_outputs,
                logged_model_tags,
                logged_model_params,
                logged_model_metrics,
            )
            for table in children:
                conn.execute(sa.delete(table).where(table.c.model_id == model_id))
            conn.execute(sa.delete(logged_models).where(LM.model_id == model_id))

    @staticmethod
    def _touch(conn: sa.Connection, model_id: str) -> None:
        """Bump the model's update time; raise NotFoundError if there is no such model."""
        changed = conn.execute(
            sa.update(logged_models)
            .where(LM.model_id == model_id)
            .values(last_updated_timestamp_ms=now_ms())
        )
        if changed.rowcount == 0:
            raise logged_model_not_found(model_id)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        *,
        filter_string: str | None = None,
        datasets: Sequence[DatasetFilter] | None = None,
        order_by: Sequence[OrderByEntry] | None = None,
        max_results: int = LOGGED_MODELS_MAX_RESULTS_DEFAULT,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        import jupyter_mltrack.store.search as search
        from jupyter_mltrack.store.sql import logged_model_search as lms

        if isinstance(experiment_ids, str) or not experiment_ids:
            raise InvalidParameterError(
                "search_logged_models needs a non-empty list of experiment ids, "
                f"got {experiment_ids!r}"
            )
        if type(max_results) is not int or not 0 < max_results <= SEARCH_MAX_RESULTS_LIMIT:
            raise InvalidParameterError(
                f"max_results must be an integer between 1 and {SEARCH_MAX_RESULTS_LIMIT}, "
                f"got {max_results!r}"
            )
        ids = tuple(sorted({parse_experiment_id(e) for e in experiment_ids}))
        offset = search.decode_page_token(page_token)
        query = lms.build_logged_model_search(
            ids,
            lms.parse_logged_model_filter(filter_string or ""),
            lms.parse_logged_model_order_by(order_by),
            datasets=lms.parse_dataset_filters(datasets),
            offset=offset,
            limit=max_results + 1,
        )
        with self._read() as conn:
            found = _load(conn, conn.execute(query))
        token = search.encode_page_token(offset + max_results) if len(found) > max_results else None
        return PagedList(found[:max_results], token)


def _upsert(
    conn: sa.Connection, table: str, model_id: str, rows: Sequence[tuple[str, str]]
) -> None:
    template = raw.upsert_template(conn, table, ("model_id", "key"), ("value",))
    raw.executemany(conn, template, [(model_id, k, v) for k, v in rows])


def _load(conn: sa.Connection, result: sa.CursorResult[Any]) -> list[LoggedModel]:
    """Build LoggedModels from ``logged_models`` rows, loading their tags and params."""
    rows = result.mappings().all()
    ids = [row["model_id"] for row in rows]
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    if ids:
        for table, into in ((logged_model_tags, tags), (logged_model_params, params)):
            c = table.c
            query = sa.select(c.model_id, c.key, c.value).where(c.model_id.in_(ids))
            for model_id, key, value in conn.execute(query):
                into[model_id][key] = value
    metrics = load_model_metrics(conn, ids)
    return [
        LoggedModel(
            model_id=row["model_id"],
            experiment_id=str(row["experiment_id"]),
            name=row["name"],
            artifact_uri=row["artifact_location"],
            status=LoggedModelStatus(row["status"]),
            model_type=row["model_type"] or "",
            source_run_id=row["source_run_id"],
            creation_timestamp_ms=row["creation_timestamp_ms"],
            last_updated_timestamp_ms=row["last_updated_timestamp_ms"],
            tags=dict(sorted(tags[row["model_id"]].items())),
            params=dict(sorted(params[row["model_id"]].items())),
            metrics=tuple(metrics[row["model_id"]]),
        )
        for row in rows
    ]
