"""Model-version operations of the SqlStore: numbered creation, read, describe, tag, delete."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from jupyter_mltrack._time import now_ms
from jupyter_mltrack._validation import validate_user_id
from jupyter_mltrack.entities import ModelStage, ModelVersion, PagedList
from jupyter_mltrack.errors import InvalidParameterError, RegisteredModelNotFound
from jupyter_mltrack.store.registry_base import MODEL_VERSIONS_MAX_RESULTS_DEFAULT
from jupyter_mltrack.store.sql import raw
from jupyter_mltrack.store.sql.logged_model_schema import logged_model_tags, logged_models
from jupyter_mltrack.store.sql.logged_models import logged_model_not_found
from jupyter_mltrack.store.sql.registry_rows import (
    AL,
    MV,
    MVT,
    RM,
    RegistryBase,
    check_version,
    model_not_found,
    name_is,
    version_not_found,
)
from jupyter_mltrack.store.sql.registry_schema import (
    FLAVORS_LENGTH,
    URI_LENGTH,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_models,
)

#: The logged-model tag listing the registry versions made from it (JSON list of name/version).
MODEL_VERSIONS_TAG = "mlflow.modelVersions"
LM = logged_models.c
LMT = logged_model_tags.c


class ModelVersionsMixin(RegistryBase):
    """The model-version half of :class:`~jupyter_mltrack.store.registry_base.RegistryStore`."""

    def create_model_version(
        self,
        name: str,
        source: str,
        *,
        run_id: str | None = None,
        run_link: str | None = None,
        experiment_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        user_id: str = "",
        signature: str | None = None,
        flavors: Sequence[str] = (),
    ) -> ModelVersion:
        if not isinstance(source, str) or not source or len(source) > URI_LENGTH:
            raise InvalidParameterError(
                f"Model version source must be a URI of 1 to {URI_LENGTH} characters, "
                f"got {source!r}"
            )
        bad = [f for f in flavors if not f or "," in f]
        if bad:
            raise InvalidParameterError(f"Invalid flavor name {bad[0]!r}: no commas, not empty")
        if len(",".join(flavors)) > FLAVORS_LENGTH:
            raise InvalidParameterError(
                f"Flavor names take {len(','.join(flavors))} characters together; the limit is "
                f"{FLAVORS_LENGTH}"
            )
        validate_user_id(user_id or "")
        row = {
            "source": source,
            "run_id": run_id,
            "run_link": run_link,
            "experiment_id": None if experiment_id is None else str(experiment_id),
            "description": description,
            "user_id": user_id or "",
            "current_stage": ModelStage.NONE.value,
            "status": "READY",
            "signature": signature,
            "flavors": ",".join(flavors),
        }
        try:
            version = self._insert_version(name, row, tags or {})
        except RegisteredModelNotFound:
            # The model is created in its own transaction: on MySQL, a duplicate-key check
            # inside the numbering transaction would hold a shared lock that deadlocks with
            # the counter update of a concurrent registration.
            self._create_model_if_missing(name)
            version = self._insert_version(name, row, tags or {})
        return self.get_model_version(name, version)

    def _insert_version(self, name: str, row: Mapping[str, object], tags: Mapping[str, str]) -> int:
        """Take the next number from the model's counter and insert the version row.

        The counter UPDATE row-locks the model (SQLite: the transaction is BEGIN IMMEDIATE), so
        concurrent registrations are serialised on the model and each gets its own number.
        """
        now = now_ms()
        with self._write() as conn:
            bumped = conn.execute(
                sa.update(registered_models)
                .where(name_is(name))
                .values(last_version=RM.last_version + 1, last_updated_timestamp=now)
            )
            if bumped.rowcount == 0:
                raise model_not_found(name)
            model_id, version = conn.execute(
                sa.select(RM.model_id, RM.last_version).where(name_is(name))
            ).one()
            conn.execute(
                sa.insert(model_versions).values(
                    model_id=model_id,
                    version=version,
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                    **row,
                )
            )
            self._upsert_version_tags(conn, model_id, version, tags)
        return int(version)

    def record_logged_model_version(self, model_id: str, name: str, version: int) -> None:
        """Append ``{"name", "version"}`` to a logged model's ``mlflow.modelVersions`` tag.

        The tag is read, extended and written in one transaction that first locks the logged
        model's row (``FOR UPDATE`` on PostgreSQL and MySQL; SQLite's write transactions are
        ``BEGIN IMMEDIATE``), so versions registered from one model at the same instant, by
        any number of server workers, are all recorded.

        Raises:
            NotFoundError: No logged model has this id.
        """
        with self._write() as conn:
            locked = conn.execute(
                sa.select(LM.model_id).where(LM.model_id == model_id).with_for_update()
            ).first()
            if locked is None:
                raise logged_model_not_found(model_id)
            current = conn.execute(
                sa.select(LMT.value).where(LMT.model_id == model_id, LMT.key == MODEL_VERSIONS_TAG)
            ).scalar()
            entries = [*_version_entries(current), {"name": name, "version": version}]
            upsert = raw.upsert_template(conn, "logged_model_tags", ("model_id", "key"), ("value",))
            raw.execute(conn, upsert, (model_id, MODEL_VERSIONS_TAG, json.dumps(entries)))
            conn.execute(
                sa.update(logged_models)
                .where(LM.model_id == model_id)
                .values(last_updated_timestamp_ms=now_ms())
            )

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        version = check_version(version)
        with self._read() as conn:
            model_id = self._version_model_id(conn, name, version)
            found = self._load_versions(conn, MV.model_id == model_id, MV.version == version)
        if not found:
            raise version_not_found(name, version)
        return found[0]

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        version = check_version(version)
        with self._write() as conn:
            model_id = self._version_model_id(conn, name, version, lock=True)
            now = now_ms()
            conn.execute(
                sa.update(model_versions)
                .where(MV.model_id == model_id, MV.version == version)
                .values(description=description, last_updated_timestamp=now)
            )
            self._touch_model(conn, model_id, now)
        return self.get_model_version(name, version)

    def delete_model_version(self, name: str, version: int) -> None:
        version = check_version(version)
        with self._write() as conn:
            model_id = self._version_model_id(conn, name, version, lock=True)
            now = now_ms()
            aliases = conn.execute(
                sa.select(AL.alias).where(AL.model_id == model_id, AL.version == version)
            ).scalars()
            for alias in sorted(aliases):
                self._record_event(
                    conn,
                    model_id,
                    version,
                    "alias_deleted",
                    (str(version), None),
                    user_id="",
                    timestamp=now,
                    alias=alias,
                    comment=f"version {version} was deleted",
                )
            for table in (registered_model_aliases, model_version_tags, model_versions):
                conn.execute(
                    sa.delete(table).where(table.c.model_id == model_id, table.c.version == version)
                )
            self._touch_model(conn, model_id, now)

    def search_model_versions(
        self,
        filter_string: str = "",
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        from jupyter_mltrack.store.sql import registry_search as rs

        filters = rs.parse_version_filter(filter_string or "")
        ordering = rs.parse_version_order_by(order_by)
        return self._paged_search(
            lambda offset, limit: rs.build_version_search(
                filters, ordering, offset=offset, limit=limit
            ),
            self._versions_from_rows,
            max_results,
            page_token,
        )

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelStage | str] | None = None
    ) -> list[ModelVersion]:
        wanted = None if stages is None else [ModelStage.parse(s).value for s in stages]
        with self._read() as conn:
            model_id = self._model_id(conn, name)
            return [mv for _, mv in self._latest_versions(conn, [model_id], wanted)]

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        version = check_version(version)
        with self._write() as conn:
            model_id = self._version_model_id(conn, name, version, lock=True)
            self._upsert_version_tags(conn, model_id, version, {key: value})
            self._touch_version(conn, model_id, version, now_ms())

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        version = check_version(version)
        with self._write() as conn:
            model_id = self._version_model_id(conn, name, version, lock=True)
            deleted = conn.execute(
                sa.delete(model_version_tags).where(
                    MVT.model_id == model_id, MVT.version == version, MVT.key == key
                )
            )
            if deleted.rowcount:
                self._touch_version(conn, model_id, version, now_ms())


def _version_entries(value: str | None) -> list[object]:
    """The entries of a ``mlflow.modelVersions`` tag value; a missing or garbled one is empty."""
    try:
        entries = json.loads(value) if value else []
    except ValueError:
        return []
    return entries if isinstance(entries, list) else []
