"""Stage transitions, aliases and the history they leave, for the SqlStore."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from jupyter_mltrack._time import now_ms
from jupyter_mltrack.entities import ModelStage, ModelVersion, ModelVersionEvent
from jupyter_mltrack.errors import InvalidParameterError, ModelVersionNotFound
from jupyter_mltrack.store.sql.registry_rows import (
    AL,
    EV,
    MV,
    RM,
    check_version,
    name_is,
    version_not_found,
)
from jupyter_mltrack.store.sql.registry_schema import (
    model_version_events,
    model_versions,
    registered_model_aliases,
)
from jupyter_mltrack.store.sql.registry_versions import ModelVersionsMixin

_ALIAS = re.compile(r"[A-Za-z0-9_-]{1,255}")
_VERSION_LIKE = re.compile(r"[vV]?[0-9]+")
_ARCHIVABLE = (ModelStage.STAGING, ModelStage.PRODUCTION)


def check_alias(alias: object) -> str:
    """Return ``alias`` if it is a valid alias name, else raise InvalidParameterError."""
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise InvalidParameterError(
            f"Invalid alias {alias!r}: use 1-255 letters, digits, '_' or '-' (e.g. 'champion')"
        )
    if _VERSION_LIKE.fullmatch(alias) or alias.lower() == "latest":
        raise InvalidParameterError(
            f"Invalid alias {alias!r}: it would be confused with a version number or 'latest' "
            "in models:/ URIs; pick a name such as 'champion'"
        )
    return alias


class StagesMixin(ModelVersionsMixin):
    """Stage transitions, aliases and the history of model versions."""

    def transition_model_version_stage(
        self,
        name: str,
        version: int,
        stage: ModelStage,
        *,
        archive_existing_versions: bool = False,
        user_id: str = "",
        comment: str | None = None,
        evidence_uri: str | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> ModelVersion:
        version, target = check_version(version), ModelStage.parse(stage)
        if archive_existing_versions and target not in _ARCHIVABLE:
            raise InvalidParameterError(
                f"archive_existing_versions applies to transitions to Staging or Production, "
                f"not to {target.value}; drop the flag"
            )
        now = now_ms()
        with self._write() as conn:
            model_id = self._version_model_id(conn, name, version, lock=True)
            moves = [(version, target, comment, evidence_uri, metrics)]
            if archive_existing_versions:
                others = conn.execute(
                    sa.select(MV.version)
                    .where(
                        MV.model_id == model_id,
                        MV.current_stage == target.value,
                        MV.version != version,
                    )
                    .order_by(MV.version)
                ).scalars()
                why = f"archived: version {version} moved to {target.value}"
                moves += [(v, ModelStage.ARCHIVED, why, None, None) for v in others]
            for moved, to_stage, note, evidence, values in moves:
                before = conn.execute(
                    sa.select(MV.current_stage).where(MV.model_id == model_id, MV.version == moved)
                ).scalar_one()
                conn.execute(
                    sa.update(model_versions)
                    .where(MV.model_id == model_id, MV.version == moved)
                    .values(current_stage=to_stage.value, last_updated_timestamp=now)
                )
                self._record_event(
                    conn,
                    model_id,
                    moved,
                    "stage",
                    (before, to_stage.value),
                    user_id=user_id,
                    timestamp=now,
                    comment=note,
                    evidence_uri=evidence,
                    metrics=values,
                )
            self._touch_model(conn, model_id, now)
        return self.get_model_version(name, version)

    def set_registered_model_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        user_id: str = "",
        comment: str | None = None,
        evidence_uri: str | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> None:
        alias, version = check_alias(alias), check_version(version)
        now = now_ms()
        with self._write() as conn:
            model_id = self._version_model_id(conn, name, version, lock=True)
            where = (AL.model_id == model_id, AL.alias == alias)
            previous = conn.execute(sa.select(AL.version).where(*where)).scalar()
            if previous is None:
                conn.execute(
                    sa.insert(registered_model_aliases).values(
                        model_id=model_id, alias=alias, version=version
                    )
                )
            else:
                conn.execute(
                    sa.update(registered_model_aliases).where(*where).values(version=version)
                )
            self._record_event(
                conn,
                model_id,
                version,
                "alias_set",
                (None if previous is None else str(previous), str(version)),
                user_id=user_id,
                timestamp=now,
                alias=alias,
                comment=comment,
                evidence_uri=evidence_uri,
                metrics=metrics,
            )
            self._touch_model(conn, model_id, now)

    def delete_registered_model_alias(self, name: str, alias: str, *, user_id: str = "") -> None:
        now = now_ms()
        with self._write() as conn:
            model_id = self._model_id(conn, name, lock=True)
            where = (AL.model_id == model_id, AL.alias == alias)
            previous = conn.execute(sa.select(AL.version).where(*where)).scalar()
            if previous is None:
                return
            conn.execute(sa.delete(registered_model_aliases).where(*where))
            self._record_event(
                conn,
                model_id,
                previous,
                "alias_deleted",
                (str(previous), None),
                user_id=user_id,
                timestamp=now,
                alias=alias,
            )
            self._touch_model(conn, model_id, now)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self._read() as conn:
            model_id = conn.execute(sa.select(RM.model_id).where(name_is(name))).scalar()
            if model_id is None:
                raise version_not_found(name, f"@{alias}", model_exists=False)
            version = conn.execute(
                sa.select(AL.version).where(AL.model_id == model_id, AL.alias == alias)
            ).scalar()
        if version is None:
            raise ModelVersionNotFound(
                f"Registered model {name!r} has no alias {alias!r}; set it with "
                "set_registered_model_alias(name, alias, version)",
                name=name,
                version=f"@{alias}",
            )
        return self.get_model_version(name, version)

    def get_model_version_history(
        self, name: str, version: int | None = None
    ) -> list[ModelVersionEvent]:
        with self._read() as conn:
            model_id = self._model_id(conn, name)
            query = sa.select(model_version_events).where(EV.model_id == model_id)
            if version is not None:
                query = query.where(EV.version == check_version(version))
            rows = conn.execute(query.order_by(EV.timestamp, EV.event_id)).all()
        return [_event(name, row) for row in rows]


def _event(name: str, row: Any) -> ModelVersionEvent:
    return ModelVersionEvent(
        name=name,
        version=row.version,
        kind=row.kind,
        from_value=row.from_value,
        to_value=row.to_value,
        user_id=row.user_id,
        timestamp=row.timestamp,
        comment=row.comment,
        evidence_uri=row.evidence_uri,
        metrics=json.loads(row.metrics) if row.metrics else {},
        alias=row.alias,
    )
