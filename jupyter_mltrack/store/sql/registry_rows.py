"""What the registry mixins share: model look-up and locking, rows to entities, history rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import validate_key, validate_tag_value, validate_user_id
from jupyter_mltrack.entities import ModelStage, ModelVersion, PagedList, RegisteredModel
from jupyter_mltrack.errors import (
    InvalidParameterError,
    ModelVersionNotFound,
    RegisteredModelNotFound,
)
from jupyter_mltrack.store.base import SEARCH_MAX_RESULTS_LIMIT
from jupyter_mltrack.store.sql import raw
from jupyter_mltrack.store.sql._base import SqlBase
from jupyter_mltrack.store.sql.registry_schema import (
    NAME_LENGTH,
    URI_LENGTH,
    model_version_events,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)
from jupyter_mltrack.store.sql.search_terms import text_eq

RM = registered_models.c
RMT = registered_model_tags.c
MV = model_versions.c
MVT = model_version_tags.c
AL = registered_model_aliases.c
EV = model_version_events.c

#: The order of ``latest_versions``: MLflow's stage order.
STAGE_ORDER = {stage.value: i for i, stage in enumerate(ModelStage)}

VersionKey = tuple[int, int]  # (model_id, version)


T = TypeVar("T")


def model_not_found(name: str) -> RegisteredModelNotFound:
    """Build the error for a missing registered model."""
    return RegisteredModelNotFound.for_name(name)


def version_not_found(
    name: str, version: int | str, *, model_exists: bool = True
) -> ModelVersionNotFound:
    """Build the error for a missing version of an existing or missing model."""
    return ModelVersionNotFound.for_version(name, version, model_exists=model_exists)


def check_model_name(name: object) -> str:
    """Return ``name`` if it can name a registered model, else raise InvalidParameterError."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(
            f"Registered model name must be a non-empty string, got {name!r}"
        )
    if name != name.strip():
        raise InvalidParameterError(
            f"Registered model name {name!r} starts or ends with whitespace; strip it"
        )
    if len(name) > NAME_LENGTH:
        raise InvalidParameterError(
            f"Registered model name {name[:40]!r}... is {len(name)} characters; "
            f"the limit is {NAME_LENGTH}"
        )
    return name


def check_version(version: object) -> int:
    """Return ``version`` as an int (``3`` or ``"3"``), or raise InvalidParameterError."""
    if type(version) is int and version > 0:
        return version
    if isinstance(version, str) and version.isascii() and version.isdigit() and int(version) > 0:
        return int(version)
    raise InvalidParameterError(
        f"Invalid model version {version!r}: versions are positive integers such as 1 or 2"
    )


def check_max_results(max_results: object, limit: int) -> int:
    """Return ``max_results`` if it is an int in ``1..limit``, else raise."""
    if type(max_results) is int and 0 < max_results <= limit:
        return max_results
    raise InvalidParameterError(
        f"max_results must be an integer between 1 and {limit}, got {max_results!r}"
    )


def name_is(name: str) -> ColumnElement[bool]:
    """Match the model named exactly ``name`` (MySQL's collations ignore trailing spaces)."""
    return text_eq(RM.name, name)


def version_select() -> sa.Select[Any]:
    """Return ``SELECT name, model_versions.*`` over versions joined with their models."""
    source = model_versions.join(registered_models, RM.model_id == MV.model_id)
    return sa.select(RM.name, model_versions).select_from(source)


class RegistryBase(SqlBase):
    """Model look-ups and row conversion shared by the registry mixins."""

    @staticmethod
    def _model_id(conn: sa.Connection, name: str, *, lock: bool = False) -> int:
        """Return the id of model ``name`` or raise; ``lock`` row-locks it until commit.

        The lock (``SELECT ... FOR UPDATE``; SQLite's write transactions are already exclusive)
        serialises every change to one model's versions, stages and aliases.
        """
        query = sa.select(RM.model_id).where(name_is(name))
        found = conn.execute(query.with_for_update() if lock else query).scalar()
        if found is None:
            raise model_not_found(name)
        return int(found)

    @staticmethod
    def _version_model_id(
        conn: sa.Connection, name: str, version: int, *, lock: bool = False
    ) -> int:
        """Return the model id after checking the version exists; raise ModelVersionNotFound.

        ``lock`` row-locks the model as :meth:`_model_id` does.
        """
        query = sa.select(RM.model_id).where(name_is(name))
        model_id = conn.execute(query.with_for_update() if lock else query).scalar()
        if model_id is None:
            raise version_not_found(name, version, model_exists=False)
        found = conn.execute(
            sa.select(MV.version).where(MV.model_id == model_id, MV.version == version)
        ).first()
        if found is None:
            raise version_not_found(name, version)
        return int(model_id)

    def _create_model_if_missing(self, name: str) -> None:
        """Insert an empty model unless one with the name exists (concurrent callers welcome)."""
        now = now_ms()
        row = {"name": check_model_name(name), "creation_timestamp": now}
        row.update(last_updated_timestamp=now, last_version=0)
        with self._write() as conn:
            dialect = conn.dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                statement: sa.Executable = pg_insert(registered_models).on_conflict_do_nothing()
            elif dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                statement = sqlite_insert(registered_models).on_conflict_do_nothing()
            else:
                statement = sa.insert(registered_models).prefix_with("IGNORE")
            conn.execute(statement, row)

    @staticmethod
    def _touch_model(conn: sa.Connection, model_id: int, now: int) -> None:
        conn.execute(
            sa.update(registered_models)
            .where(RM.model_id == model_id)
            .values(last_updated_timestamp=now)
        )

    @staticmethod
    def _touch_version(conn: sa.Connection, model_id: int, version: int, now: int) -> None:
        conn.execute(
            sa.update(model_versions)
            .where(MV.model_id == model_id, MV.version == version)
            .values(last_updated_timestamp=now)
        )

    @staticmethod
    def _record_event(
        conn: sa.Connection,
        model_id: int,
        version: int,
        kind: str,
        from_to: tuple[str | None, str | None],
        *,
        user_id: str,
        timestamp: int,
        alias: str | None = None,
        comment: str | None = None,
        evidence_uri: str | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> None:
        # Checked here, inside the caller's transaction: a refused event rolls back its change.
        validate_user_id(user_id or "")
        if evidence_uri is not None and len(evidence_uri) > URI_LENGTH:
            raise InvalidParameterError(
                f"Evidence URI {evidence_uri[:40]!r}... is {len(evidence_uri)} characters; "
                f"the limit is {URI_LENGTH}"
            )
        metrics_json = json.dumps({k: float(v) for k, v in metrics.items()}) if metrics else None
        conn.execute(
            sa.insert(model_version_events).values(
                model_id=model_id,
                version=version,
                kind=kind,
                alias=alias,
                from_value=from_to[0],
                to_value=from_to[1],
                user_id=user_id or "",
                timestamp=timestamp,
                comment=comment,
                evidence_uri=evidence_uri,
                metrics=metrics_json,
            )
        )

    @staticmethod
    def _upsert_model_tags(conn: sa.Connection, model_id: int, tags: Mapping[str, str]) -> None:
        rows = [
            (model_id, validate_key("Tag", k), validate_tag_value(k, v)) for k, v in tags.items()
        ]
        template = raw.upsert_template(
            conn, "registered_model_tags", ("model_id", "key"), ("value",)
        )
        raw.executemany(conn, template, rows)

    @staticmethod
    def _upsert_version_tags(
        conn: sa.Connection, model_id: int, version: int, tags: Mapping[str, str]
    ) -> None:
        rows = [
            (model_id, version, validate_key("Tag", k), validate_tag_value(k, v))
            for k, v in tags.items()
        ]
        keys = ("model_id", "version", "key")
        template = raw.upsert_template(conn, "model_version_tags", keys, ("value",))
        raw.executemany(conn, template, rows)

    # -- rows to entities -------------------------------------------------------------------
    def _paged_search(
        self,
        query: Callable[[int, int], sa.Select[Any]],
        to_entities: Callable[[sa.Connection, Sequence[Any]], list[T]],
        max_results: object,
        page_token: str | None,
    ) -> PagedList[T]:
        """Run ``query(offset, limit)`` for one page and turn its rows into entities."""
        import jupyter_mltrack.store.search as search

        limit = check_max_results(max_results, SEARCH_MAX_RESULTS_LIMIT)
        offset = search.decode_page_token(page_token)
        with self._read() as conn:
            rows = conn.execute(query(offset, limit + 1)).all()
            found = to_entities(conn, rows[:limit])
        more = len(rows) > limit
        return PagedList(found, search.encode_page_token(offset + limit) if more else None)

    @staticmethod
    def _versions_from_rows(conn: sa.Connection, rows: Sequence[Any]) -> list[ModelVersion]:
        """Build versions from ``version_select()`` rows, loading their tags and aliases."""
        keys = [(row.model_id, row.version) for row in rows]
        tags: dict[VersionKey, dict[str, str]] = {k: {} for k in keys}
        aliases: dict[VersionKey, list[str]] = {k: [] for k in keys}
        model_id: int
        version: int
        alias: str
        if keys:
            wanted = sa.tuple_(MVT.model_id, MVT.version).in_(keys)
            query = sa.select(MVT.model_id, MVT.version, MVT.key, MVT.value).where(wanted)
            for model_id, version, key, value in conn.execute(query.order_by(MVT.key)):
                tags[model_id, version][key] = value
            wanted = sa.tuple_(AL.model_id, AL.version).in_(keys)
            query = sa.select(AL.model_id, AL.version, AL.alias).where(wanted)
            for model_id, version, alias in conn.execute(query.order_by(AL.alias)):
                aliases[model_id, version].append(alias)
        return [
            _version(row, tags[row.model_id, row.version], aliases[row.model_id, row.version])
            for row in rows
        ]

    def _load_versions(self, conn: sa.Connection, *where: Any) -> list[ModelVersion]:
        query = version_select().where(*where).order_by(RM.name, MV.version)
        return self._versions_from_rows(conn, conn.execute(query).all())

    def _models_from_rows(self, conn: sa.Connection, rows: Sequence[Any]) -> list[RegisteredModel]:
        """Build models from ``registered_models`` rows with tags, aliases, latest versions."""
        ids = [row.model_id for row in rows]
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        aliases: dict[int, dict[str, int]] = {i: {} for i in ids}
        latest: dict[int, list[ModelVersion]] = {i: [] for i in ids}
        if ids:
            query = sa.select(RMT.model_id, RMT.key, RMT.value).where(RMT.model_id.in_(ids))
            for model_id, key, value in conn.execute(query.order_by(RMT.key)):
                tags[model_id][key] = value
            query = sa.select(AL.model_id, AL.alias, AL.version).where(AL.model_id.in_(ids))
            for model_id, alias, version in conn.execute(query.order_by(AL.alias)):
                aliases[model_id][alias] = version
            for model_id, version in self._latest_versions(conn, ids):
                latest[model_id].append(version)
        return [
            RegisteredModel(
                name=row.name,
                creation_timestamp=row.creation_timestamp,
                last_updated_timestamp=row.last_updated_timestamp,
                description=row.description or "",
                tags=tags[row.model_id],
                aliases=aliases[row.model_id],
                latest_versions=tuple(latest[row.model_id]),
            )
            for row in rows
        ]

    def _latest_versions(
        self, conn: sa.Connection, model_ids: Iterable[int], stages: Sequence[str] | None = None
    ) -> list[tuple[int, ModelVersion]]:
        """Return ``(model_id, version)`` for the newest version per model and stage."""
        newest = sa.select(
            MV.model_id, MV.current_stage, sa.func.max(MV.version).label("version")
        ).where(MV.model_id.in_(list(model_ids)))
        if stages is not None:
            newest = newest.where(MV.current_stage.in_(stages))
        per_stage = newest.group_by(MV.model_id, MV.current_stage).subquery()
        query = version_select().join(
            per_stage,
            sa.and_(per_stage.c.model_id == MV.model_id, per_stage.c.version == MV.version),
        )
        rows = sorted(conn.execute(query).all(), key=lambda r: STAGE_ORDER[r.current_stage])
        versions = self._versions_from_rows(conn, rows)
        return [(row.model_id, mv) for row, mv in zip(rows, versions, strict=True)]


def _version(row: Any, tags: Mapping[str, str], aliases: Sequence[str]) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
        description=row.description or "",
        user_id=row.user_id,
        current_stage=ModelStage(row.current_stage),
        source=row.source,
        run_id=row.run_id,
        run_link=row.run_link,
        experiment_id=row.experiment_id,
        status=row.status,
        tags=tags,
        aliases=tuple(aliases),
        signature=row.signature,
        flavors=tuple(f for f in row.flavors.split(",") if f),
    )
