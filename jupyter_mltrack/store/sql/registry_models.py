"""Registered-model operations of the SqlStore: create, read, rename, describe, tag, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from jupyter_mltrack._time import now_ms
from jupyter_mltrack.entities import PagedList, RegisteredModel
from jupyter_mltrack.errors import AlreadyExistsError
from jupyter_mltrack.store.registry_base import REGISTERED_MODELS_MAX_RESULTS_DEFAULT
from jupyter_mltrack.store.sql.registry_rows import (
    AL,
    EV,
    MV,
    MVT,
    RM,
    RMT,
    RegistryBase,
    check_model_name,
    model_not_found,
    name_is,
)
from jupyter_mltrack.store.sql.registry_schema import (
    model_version_events,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)


class RegisteredModelsMixin(RegistryBase):
    """The registered-model half of :class:`~jupyter_mltrack.store.registry_base.RegistryStore`."""

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        name = check_model_name(name)
        with self._write() as conn:
            if conn.execute(sa.select(RM.model_id).where(name_is(name))).first():
                raise AlreadyExistsError.for_registered_model(name)
            now = now_ms()
            try:
                with conn.begin_nested():
                    result = conn.execute(
                        sa.insert(registered_models).values(
                            name=name,
                            description=description,
                            creation_timestamp=now,
                            last_updated_timestamp=now,
                            last_version=0,
                        )
                    )
            except sa.exc.IntegrityError:  # created concurrently since the check above
                raise AlreadyExistsError.for_registered_model(name) from None
            primary_key = result.inserted_primary_key
            assert primary_key is not None  # an INSERT always reports its key
            self._upsert_model_tags(conn, int(primary_key[0]), tags or {})
        return self.get_registered_model(name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self._read() as conn:
            rows = conn.execute(sa.select(registered_models).where(name_is(name))).all()
            if not rows:
                raise model_not_found(name)
            return self._models_from_rows(conn, rows)[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        new_name = check_model_name(new_name)
        with self._write() as conn:
            model_id = self._model_id(conn, name, lock=True)
            if new_name != name:
                if conn.execute(sa.select(RM.model_id).where(name_is(new_name))).first():
                    raise AlreadyExistsError(
                        f"Cannot rename {name!r} to {new_name!r}: a registered model with that "
                        "name exists; delete or rename it first"
                    )
                conn.execute(
                    sa.update(registered_models)
                    .where(RM.model_id == model_id)
                    .values(name=new_name, last_updated_timestamp=now_ms())
                )
        return self.get_registered_model(new_name)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        with self._write() as conn:
            model_id = self._model_id(conn, name, lock=True)
            conn.execute(
                sa.update(registered_models)
                .where(RM.model_id == model_id)
                .values(description=description, last_updated_timestamp=now_ms())
            )
        return self.get_registered_model(name)

    def delete_registered_model(self, name: str) -> None:
        with self._write() as conn:
            model_id = self._model_id(conn, name, lock=True)
            # Children first: SQLite does not enforce the ON DELETE CASCADE of the schema.
            for table, column in (
                (model_version_events, EV.model_id),
                (registered_model_aliases, AL.model_id),
                (model_version_tags, MVT.model_id),
                (model_versions, MV.model_id),
                (registered_model_tags, RMT.model_id),
                (registered_models, RM.model_id),
            ):
                conn.execute(sa.delete(table).where(column == model_id))

    def search_registered_models(
        self,
        filter_string: str = "",
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        from jupyter_mltrack.store.sql import registry_search as rs

        filters = rs.parse_model_filter(filter_string or "")
        ordering = rs.parse_model_order_by(order_by)
        return self._paged_search(
            lambda offset, limit: rs.build_model_search(
                filters, ordering, offset=offset, limit=limit
            ),
            self._models_from_rows,
            max_results,
            page_token,
        )

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        with self._write() as conn:
            model_id = self._model_id(conn, name, lock=True)
            self._upsert_model_tags(conn, model_id, {key: value})
            self._touch_model(conn, model_id, now_ms())

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with self._write() as conn:
            model_id = self._model_id(conn, name, lock=True)
            deleted = conn.execute(
                sa.delete(registered_model_tags).where(RMT.model_id == model_id, RMT.key == key)
            )
            if deleted.rowcount:
                self._touch_model(conn, model_id, now_ms())
